"""semverlite - Semantic Versioning 2.0.0 for Python."""

from .errors import InvalidRange, InvalidVersion, SemverError
from .ranges import Range, max_satisfying, min_satisfying
from .version import Version

__all__ = [
    "InvalidRange",
    "InvalidVersion",
    "Range",
    "SemverError",
    "Version",
    "max_satisfying",
    "min_satisfying",
]
