"""Exceptions raised by semverlite."""


class SemverError(ValueError):
    """Base class for semverlite errors."""


class InvalidVersion(SemverError):
    """The string is not a valid semantic version."""


class InvalidRange(SemverError):
    """The string is not a valid range expression."""
