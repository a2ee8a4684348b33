"""HTML escaping."""

_REPLACEMENTS = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


def escape(text):
    """Escape ``& < > "`` for use in HTML text and attribute values."""
    for char, entity in _REPLACEMENTS:
        text = text.replace(char, entity)
    return text
