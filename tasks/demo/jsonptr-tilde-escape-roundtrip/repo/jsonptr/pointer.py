"""The :class:`JsonPointer` type and document operations."""

import re

from .errors import UnresolvablePointer
from .tokens import format_pointer, parse_pointer

_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


def _list_index(container, token, pointer, allow_end=False):
    """Convert *token* to an index into list *container*."""
    if token == "-" and allow_end:
        return len(container)
    if not _INDEX.match(token):
        raise UnresolvablePointer(pointer, f"{token!r} is not a valid array index")
    index = int(token)
    limit = len(container) + (1 if allow_end else 0)
    if index >= limit:
        raise UnresolvablePointer(pointer, f"index {index} out of range")
    return index


def _step(value, token, pointer):
    if isinstance(value, dict):
        if token not in value:
            raise UnresolvablePointer(pointer, f"no member {token!r}")
        return value[token]
    if isinstance(value, list):
        return value[_list_index(value, token, pointer)]
    raise UnresolvablePointer(pointer, f"cannot index into {type(value).__name__}")


class JsonPointer:
    """A parsed JSON Pointer.

    ``parts`` is the tuple of unescaped reference tokens. Pointers are
    immutable, hashable and compare by their tokens.
    """

    __slots__ = ("parts",)

    def __init__(self, text=""):
        object.__setattr__(self, "parts", tuple(parse_pointer(text)))

    @classmethod
    def from_parts(cls, parts):
        """Build a pointer from unescaped tokens (ints become strings)."""
        ptr = cls()
        object.__setattr__(ptr, "parts", tuple(str(p) for p in parts))
        return ptr

    def __setattr__(self, name, value):
        raise AttributeError("JsonPointer is immutable")

    # -- navigation ----------------------------------------------------------
    @property
    def parent(self):
        """The pointer to the containing value (the root is its own parent)."""
        return JsonPointer.from_parts(self.parts[:-1])

    @property
    def name(self):
        """The last reference token, or ``None`` for the root pointer."""
        return self.parts[-1] if self.parts else None

    def join(self, *parts):
        """Return a pointer with *parts* appended."""
        return JsonPointer.from_parts(self.parts + tuple(str(p) for p in parts))

    __truediv__ = join

    # -- document operations -------------------------------------------------
    def resolve(self, doc):
        """Return the value this pointer refers to in *doc*."""
        value = doc
        for token in self.parts:
            value = _step(value, token, str(self))
        return value

    def exists(self, doc):
        try:
            self.resolve(doc)
        except UnresolvablePointer:
            return False
        return True

    def _container(self, doc):
        if not self.parts:
            raise UnresolvablePointer("", "the root has no container")
        return self.parent.resolve(doc), self.parts[-1]

    def set(self, doc, value):
        """Replace the existing value at this pointer (in place)."""
        container, token = self._container(doc)
        if isinstance(container, list):
            container[_list_index(container, token, str(self))] = value
        elif isinstance(container, dict):
            if token not in container:
                raise UnresolvablePointer(str(self), f"no member {token!r}")
            container[token] = value
        else:
            raise UnresolvablePointer(str(self), "parent is not a container")

    def add(self, doc, value):
        """Add a member or insert into an array (``-`` appends), in place."""
        container, token = self._container(doc)
        if isinstance(container, list):
            container.insert(_list_index(container, token, str(self), allow_end=True), value)
        elif isinstance(container, dict):
            container[token] = value
        else:
            raise UnresolvablePointer(str(self), "parent is not a container")

    def remove(self, doc):
        """Remove the value at this pointer and return it."""
        container, token = self._container(doc)
        if isinstance(container, list):
            return container.pop(_list_index(container, token, str(self)))
        if isinstance(container, dict):
            if token not in container:
                raise UnresolvablePointer(str(self), f"no member {token!r}")
            return container.pop(token)
        raise UnresolvablePointer(str(self), "parent is not a container")

    # -- dunder --------------------------------------------------------------
    def __str__(self):
        return format_pointer(self.parts)

    def __repr__(self):
        return f"JsonPointer({str(self)!r})"

    def __eq__(self, other):
        if isinstance(other, JsonPointer):
            return self.parts == other.parts
        return NotImplemented

    def __hash__(self):
        return hash(self.parts)


def resolve(doc, pointer, default=...):
    """Resolve *pointer* (string or :class:`JsonPointer`) in *doc*.

    If *default* is given it is returned instead of raising
    :class:`UnresolvablePointer`.
    """
    ptr = pointer if isinstance(pointer, JsonPointer) else JsonPointer(pointer)
    try:
        return ptr.resolve(doc)
    except UnresolvablePointer:
        if default is ...:
            raise
        return default
