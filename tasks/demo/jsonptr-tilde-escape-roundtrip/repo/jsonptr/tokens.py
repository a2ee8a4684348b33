"""Reference-token escaping and pointer string syntax (RFC 6901, sections 3-4)."""

import re

from .errors import InvalidPointer

_BAD_TILDE = re.compile(r"~(?![01])")


def escape(token):
    """Escape one reference token: ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token):
    """Reverse :func:`escape`.

    A ``~`` that is not followed by ``0`` or ``1`` is an error.
    """
    if "~" not in token:
        return token
    if _BAD_TILDE.search(token):
        raise InvalidPointer(f"invalid escape sequence in {token!r}")
    return token.replace("~0", "~").replace("~1", "/")


def parse_pointer(text):
    """Split a pointer string into its unescaped reference tokens.

    ``""`` is the whole document and yields ``[]``; every other pointer must
    start with ``/``.
    """
    if text == "":
        return []
    if not text.startswith("/"):
        raise InvalidPointer(f"pointer must start with '/': {text!r}")
    return [unescape(token) for token in text[1:].split("/")]


def format_pointer(parts):
    """Build a pointer string from reference tokens (ints are allowed)."""
    return "".join("/" + escape(part) for part in parts)
