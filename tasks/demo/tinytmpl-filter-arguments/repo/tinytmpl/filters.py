"""Built-in filters. A filter is a callable taking the value and returning a new one."""

from html import escape as _html_escape


def _text(value):
    return "" if value is None else str(value)


def escape(value):
    """HTML-escape ``& < > " '``."""
    return _html_escape(_text(value), quote=True)


def length(value):
    return 0 if value is None else len(value)


def first(value):
    return next(iter(value), None) if value is not None else None


def last(value):
    if value is None:
        return None
    items = list(value)
    return items[-1] if items else None


BUILTIN_FILTERS = {
    "upper": lambda v: _text(v).upper(),
    "lower": lambda v: _text(v).lower(),
    "title": lambda v: _text(v).title(),
    "capitalize": lambda v: _text(v).capitalize(),
    "strip": lambda v: _text(v).strip(),
    "length": length,
    "first": first,
    "last": last,
    "reverse": lambda v: v[::-1] if isinstance(v, str) else list(reversed(list(v))),
    "sort": lambda v: sorted(v),
    "escape": escape,
}
