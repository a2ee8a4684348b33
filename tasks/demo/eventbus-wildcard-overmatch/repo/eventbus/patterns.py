"""Topic patterns.

A pattern is a dot-separated list of segments. ``*`` stands for exactly one
segment and ``**`` for one or more segments; every other segment must match
literally.
"""

import functools
import re

_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


class InvalidPattern(ValueError):
    """The pattern (or event name) is malformed."""


def validate_name(name):
    """Check that *name* is a valid event name (no wildcards)."""
    if not name or any(not _SEGMENT.match(seg) for seg in name.split(".")):
        raise InvalidPattern(f"invalid event name {name!r}")


def is_wildcard(pattern):
    return any(seg in ("*", "**") for seg in pattern.split("."))


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern):
    """Compile *pattern* to a regular expression over event names."""
    if not pattern:
        raise InvalidPattern("empty pattern")
    parts = []
    for seg in pattern.split("."):
        if seg == "**":
            parts.append(r"[^.]+(?:\.[^.]+)*")
        elif seg == "*":
            parts.append(r"[^.]+")
        elif _SEGMENT.match(seg):
            parts.append(re.escape(seg))
        else:
            raise InvalidPattern(f"invalid segment {seg!r} in pattern {pattern!r}")
    return re.compile(r"\.".join(parts))


def matches(pattern, name):
    """Return ``True`` if event *name* matches *pattern*."""
    return compile_pattern(pattern).match(name) is not None
