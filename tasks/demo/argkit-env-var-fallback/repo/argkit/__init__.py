"""argkit - a small declarative command-line parser."""

from .errors import ArgkitError, HelpRequested, UsageError
from .help import format_help, format_usage
from .parser import ArgParser, Namespace
from .spec import Flag, Option, Positional

__all__ = [
    "ArgParser",
    "ArgkitError",
    "Flag",
    "HelpRequested",
    "Namespace",
    "Option",
    "Positional",
    "UsageError",
    "format_help",
    "format_usage",
]
