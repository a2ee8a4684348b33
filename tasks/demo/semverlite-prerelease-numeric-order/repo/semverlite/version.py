"""The :class:`Version` value type."""

import re
from functools import total_ordering

from .errors import InvalidVersion

_IDENT = r"[0-9A-Za-z-]+"
_VERSION_RE = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    rf"(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?$"
)


def _identifier_key(ident):
    """Sort key for one pre-release identifier.

    Numeric identifiers sort before alphanumeric ones.
    """
    if ident.isdigit():
        return (0, ident)
    return (1, ident)


@total_ordering
class Version:
    """An immutable semantic version.

    ``prerelease`` and ``build`` are tuples of dot-separated identifiers.
    Equality and ordering ignore build metadata, as the specification requires.
    """

    __slots__ = ("major", "minor", "patch", "prerelease", "build")

    def __init__(self, major, minor=0, patch=0, prerelease=(), build=()):
        for name, part in (("major", major), ("minor", minor), ("patch", patch)):
            if not isinstance(part, int) or part < 0:
                raise InvalidVersion(f"{name} must be a non-negative integer, got {part!r}")
        object.__setattr__(self, "major", major)
        object.__setattr__(self, "minor", minor)
        object.__setattr__(self, "patch", patch)
        object.__setattr__(self, "prerelease", tuple(str(p) for p in prerelease))
        object.__setattr__(self, "build", tuple(str(b) for b in build))

    def __setattr__(self, name, value):
        raise AttributeError("Version objects are immutable")

    @classmethod
    def parse(cls, text):
        """Parse *text* (an optional leading ``v`` is accepted)."""
        if isinstance(text, Version):
            return text
        match = _VERSION_RE.match(text.strip())
        if not match:
            raise InvalidVersion(f"invalid version: {text!r}")
        pre = match.group("pre")
        if pre:
            for ident in pre.split("."):
                if ident.isdigit() and len(ident) > 1 and ident.startswith("0"):
                    raise InvalidVersion(f"numeric identifier with leading zero in {text!r}")
        build = match.group("build")
        return cls(
            int(match.group("major")),
            int(match.group("minor")),
            int(match.group("patch")),
            tuple(pre.split(".")) if pre else (),
            tuple(build.split(".")) if build else (),
        )

    # -- derived values ----------------------------------------------------
    @property
    def is_prerelease(self):
        return bool(self.prerelease)

    def release(self):
        """Return this version without pre-release and build parts."""
        return Version(self.major, self.minor, self.patch)

    def bump(self, part):
        """Return the next ``major``, ``minor`` or ``patch`` version."""
        if part == "major":
            return Version(self.major + 1)
        if part == "minor":
            return Version(self.major, self.minor + 1)
        if part == "patch":
            if self.prerelease:
                return self.release()
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown part {part!r}")

    # -- comparison ----------------------------------------------------------
    def _key(self):
        if self.prerelease:
            pre = (0, tuple(_identifier_key(i) for i in self.prerelease))
        else:
            pre = (1, ())
        return (self.major, self.minor, self.patch, pre)

    def __eq__(self, other):
        if isinstance(other, str):
            other = Version.parse(other)
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other):
        if isinstance(other, str):
            other = Version.parse(other)
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self):
        return hash(self._key())

    def __str__(self):
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def __repr__(self):
        return f"Version({str(self)!r})"
