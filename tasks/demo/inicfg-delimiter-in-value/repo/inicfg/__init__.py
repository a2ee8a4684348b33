"""inicfg - a small INI configuration reader.

Public API::

    load(path) -> Config
    loads(text) -> Config
    Config, ParseError, MissingOptionError
"""

from .config import Config
from .errors import InicfgError, MissingOptionError, ParseError
from .parser import parse_lines


def loads(text):
    """Parse INI *text* and return a :class:`Config`."""
    return Config(parse_lines(text.splitlines()))


def load(path, encoding="utf-8"):
    """Read the INI file at *path* and return a :class:`Config`."""
    with open(path, encoding=encoding) as fh:
        return loads(fh.read())


__all__ = [
    "Config",
    "InicfgError",
    "MissingOptionError",
    "ParseError",
    "load",
    "loads",
    "parse_lines",
]
__version__ = "0.4.2"
