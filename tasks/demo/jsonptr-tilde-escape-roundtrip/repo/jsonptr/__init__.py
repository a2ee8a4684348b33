"""jsonptr - RFC 6901 JSON Pointer."""

from .errors import InvalidPointer, PointerError, UnresolvablePointer
from .pointer import JsonPointer, resolve
from .tokens import escape, format_pointer, parse_pointer, unescape

__all__ = [
    "InvalidPointer",
    "JsonPointer",
    "PointerError",
    "UnresolvablePointer",
    "escape",
    "format_pointer",
    "parse_pointer",
    "resolve",
    "unescape",
]
