"""Column type inference."""


def _is_int_string(text):
    text = text.strip()
    if text[:1] in "+-":
        text = text[1:]
    return text.isdigit()


def _is_float_string(text):
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity")


def value_type(value):
    """Return ``int``, ``float`` or ``str`` for a single cell value.

    Booleans are text (``True`` is not a number in a table). Strings that
    look like numbers count as numbers.
    """
    if isinstance(value, bool):
        return str
    if isinstance(value, int):
        return int
    if isinstance(value, float):
        return float
    if isinstance(value, str):
        if _is_int_string(value):
            return int
        if _is_float_string(value):
            return float
    return str


def column_type(values):
    """Return the most specific type that fits every value of a column.

    ``int`` < ``float`` < ``str``: a column of ints and floats is ``float``,
    anything non-numeric makes it ``str``. An empty column is ``str``.
    """
    types = {value_type(v) for v in values}
    if not types:
        return str
    if types == {int}:
        return int
    if types <= {int, float}:
        return float
    return str
