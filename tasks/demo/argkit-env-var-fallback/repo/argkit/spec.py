"""Declarations of options, flags and positional arguments."""

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from .errors import UsageError


def _dest(name):
    return name.replace("-", "_")


@dataclass
class Option:
    """An option taking a value: ``--name VALUE``."""

    name: str
    type: Callable[[str], Any] = str
    default: Any = None
    required: bool = False
    help: str = ""
    short: Optional[str] = None
    choices: Optional[Sequence[Any]] = None
    metavar: Optional[str] = None
    multiple: bool = False

    @property
    def dest(self):
        return _dest(self.name)

    @property
    def long(self):
        return "--" + self.name

    @property
    def display_metavar(self):
        if self.metavar:
            return self.metavar
        if self.choices:
            return "{" + ",".join(str(c) for c in self.choices) + "}"
        return self.dest.upper()

    def convert(self, raw, source=None):
        """Convert and validate one raw string value.

        *source* names where the value came from (for error messages); it
        defaults to the option's long form.
        """
        source = source or self.long
        try:
            value = self.type(raw)
        except (TypeError, ValueError):
            raise UsageError(f"invalid value for {source}: {raw!r}") from None
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            raise UsageError(f"invalid choice for {source}: {raw!r} (choose from {allowed})")
        return value


@dataclass
class Flag:
    """A boolean switch: ``--name``."""

    name: str
    help: str = ""
    short: Optional[str] = None

    @property
    def dest(self):
        return _dest(self.name)

    @property
    def long(self):
        return "--" + self.name


@dataclass
class Positional:
    """A required positional argument."""

    name: str
    type: Callable[[str], Any] = str
    help: str = ""

    @property
    def dest(self):
        return _dest(self.name)

