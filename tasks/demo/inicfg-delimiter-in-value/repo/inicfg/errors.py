"""Exception types raised by inicfg."""


class InicfgError(Exception):
    """Base class for all inicfg errors."""


class ParseError(InicfgError):
    """Raised when the input is not valid INI syntax.

    The offending (1-based) line number is available as ``lineno``.
    """

    def __init__(self, message, lineno):
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


class MissingOptionError(InicfgError, KeyError):
    """Raised by the getters when a section or option does not exist."""

    def __init__(self, section, option):
        super().__init__(f"no option {option!r} in section {section!r}")
        self.section = section
        self.option = option

    def __str__(self):
        return self.args[0]
