"""Exceptions."""


class PointerError(Exception):
    """Base class for jsonptr errors."""


class InvalidPointer(PointerError, ValueError):
    """The pointer string is syntactically invalid."""


class UnresolvablePointer(PointerError, LookupError):
    """The pointer does not refer to a value in the document."""

    def __init__(self, pointer, reason):
        super().__init__(f"cannot resolve {pointer!r}: {reason}")
        self.pointer = pointer
        self.reason = reason
