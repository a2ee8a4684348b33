"""Line-oriented INI parser.

The parser turns an iterable of lines into a plain ``{section: {key: value}}``
mapping. It knows nothing about value types; see :mod:`inicfg.config` for that.
"""

from .errors import ParseError

DEFAULT_SECTION = "DEFAULT"
COMMENT_PREFIXES = ("#", ";")
DELIMITERS = ("=", ":")


def _is_comment(stripped):
    return not stripped or stripped.startswith(COMMENT_PREFIXES)


def _split_pair(line, lineno):
    """Split ``key <delim> value`` and return the stripped ``(key, value)``.

    Either delimiter may be used; the first one that appears on the line
    separates the key from the value.
    """
    positions = [line.find(d) for d in DELIMITERS if d in line]
    if not positions:
        raise ParseError(f"expected 'key = value', got {line.strip()!r}", lineno)
    pos = max(positions)
    key = line[:pos].strip().lower()
    value = line[pos + 1:].strip()
    if not key:
        raise ParseError("empty key", lineno)
    return key, value


def _parse_header(stripped, lineno):
    if not stripped.endswith("]"):
        raise ParseError(f"unterminated section header {stripped!r}", lineno)
    name = stripped[1:-1].strip()
    if not name:
        raise ParseError("empty section name", lineno)
    return name


def parse_lines(lines):
    """Parse *lines* and return ``{section: {key: value}}``.

    Keys appearing before any section header are stored in ``DEFAULT``.
    Duplicate sections are merged; a duplicate key inside one section is an
    error.
    """
    data = {DEFAULT_SECTION: {}}
    section = DEFAULT_SECTION
    last_key = None

    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        stripped = line.strip()

        if _is_comment(stripped):
            continue

        if line[:1].isspace() and last_key is not None:
            # continuation of the previous value
            previous = data[section][last_key]
            data[section][last_key] = f"{previous}\n{stripped}" if previous else stripped
            continue

        if stripped.startswith("["):
            section = _parse_header(stripped, lineno)
            data.setdefault(section, {})
            last_key = None
            continue

        key, value = _split_pair(line, lineno)
        if key in data[section]:
            raise ParseError(f"duplicate key {key!r} in section {section!r}", lineno)
        data[section][key] = value
        last_key = key

    return data
