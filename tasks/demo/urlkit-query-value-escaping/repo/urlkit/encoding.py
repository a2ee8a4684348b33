"""Percent-encoding (RFC 3986, section 2)."""

import string

UNRESERVED = string.ascii_letters + string.digits + "-._~"
SUB_DELIMS = "!$&'()*+,;="

#: Characters allowed unescaped in one path segment.
PATH_SEGMENT_SAFE = UNRESERVED + SUB_DELIMS + ":@"
#: Characters allowed unescaped in a whole path.
PATH_SAFE = PATH_SEGMENT_SAFE + "/"
#: Characters allowed unescaped in a query key or value.
QUERY_COMPONENT_SAFE = UNRESERVED + SUB_DELIMS + ":@/?"
#: Characters allowed unescaped in a fragment.
FRAGMENT_SAFE = UNRESERVED + SUB_DELIMS + ":@/?"

_HEX = "0123456789ABCDEF"


def quote(text, safe=UNRESERVED):
    """Percent-encode *text* (UTF-8), leaving characters in *safe* alone."""
    safe_bytes = frozenset(safe.encode("ascii"))
    out = []
    for byte in text.encode("utf-8"):
        if byte in safe_bytes:
            out.append(chr(byte))
        else:
            out.append("%" + _HEX[byte >> 4] + _HEX[byte & 15])
    return "".join(out)


def unquote(text, plus_as_space=False):
    """Decode ``%XX`` escapes (and ``+`` as space if *plus_as_space*).

    Malformed escapes are left as they are.
    """
    if plus_as_space:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    raw = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and _is_hex(text[i + 1:i + 3]):
            raw.append(int(text[i + 1:i + 3], 16))
            i += 3
        else:
            raw.extend(char.encode("utf-8"))
            i += 1
    return raw.decode("utf-8", errors="replace")


def _is_hex(pair):
    return len(pair) == 2 and all(c in string.hexdigits for c in pair)


def quote_path(path):
    """Encode a path, keeping ``/`` separators."""
    return quote(path, PATH_SAFE)


def quote_segment(segment):
    """Encode a single path segment (``/`` is escaped)."""
    return quote(segment, PATH_SEGMENT_SAFE)


def quote_query_component(text):
    """Encode one query key or value."""
    return quote(text, QUERY_COMPONENT_SAFE)


def quote_fragment(fragment):
    return quote(fragment, FRAGMENT_SAFE)
