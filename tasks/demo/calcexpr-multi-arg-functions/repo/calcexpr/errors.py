"""Exceptions."""


class CalcError(Exception):
    """Base class for calcexpr errors."""


class CalcSyntaxError(CalcError):
    """The expression text is malformed; ``position`` is a 0-based offset."""

    def __init__(self, message, position):
        super().__init__(f"{message} at position {position}")
        self.position = position


class CalcEvalError(CalcError):
    """The expression is well-formed but cannot be evaluated."""
