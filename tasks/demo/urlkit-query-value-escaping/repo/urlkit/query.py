"""Query strings as ordered multi-dicts."""

from .encoding import quote_query_component, unquote


class QueryParams:
    """An immutable, ordered multi-dict of query parameters.

    ``params[key]`` / ``get`` return the *first* value for a key, ``getall``
    returns every value.
    """

    __slots__ = ("_items",)

    def __init__(self, items=()):
        if isinstance(items, dict):
            items = items.items()
        elif isinstance(items, QueryParams):
            items = items.items()
        self._items = tuple((str(k), str(v)) for k, v in items)

    def items(self):
        return list(self._items)

    def keys(self):
        seen = []
        for key, _ in self._items:
            if key not in seen:
                seen.append(key)
        return seen

    def get(self, key, default=None):
        for k, v in self._items:
            if k == key:
                return v
        return default

    def getall(self, key):
        return [v for k, v in self._items if k == key]

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key):
        return any(k == key for k, _ in self._items)

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self.keys())

    def __eq__(self, other):
        if isinstance(other, QueryParams):
            return self._items == other._items
        return NotImplemented

    def __hash__(self):
        return hash(self._items)

    def set(self, key, value):
        """Return a copy where *key* has the single value *value*.

        The key keeps the position of its first occurrence.
        """
        out, done = [], False
        for k, v in self._items:
            if k == key:
                if not done:
                    out.append((k, str(value)))
                    done = True
            else:
                out.append((k, v))
        if not done:
            out.append((key, str(value)))
        return QueryParams(out)

    def add(self, key, value):
        """Return a copy with ``(key, value)`` appended."""
        return QueryParams(self._items + ((key, str(value)),))

    def remove(self, key):
        """Return a copy without any value for *key*."""
        return QueryParams([(k, v) for k, v in self._items if k != key])

    def __str__(self):
        return encode_query(self._items)

    def __repr__(self):
        return f"QueryParams({list(self._items)!r})"


_MISSING = object()


def parse_query(text):
    """Parse ``a=1&b=2`` into :class:`QueryParams`.

    A leading ``?`` is ignored, empty pieces are skipped and a piece without
    ``=`` gets an empty value.
    """
    if text.startswith("?"):
        text = text[1:]
    items = []
    for piece in text.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        items.append((unquote(key, plus_as_space=True), unquote(value, plus_as_space=True)))
    return QueryParams(items)


def encode_query(items):
    """Encode ``(key, value)`` pairs (or a dict) as a query string."""
    if isinstance(items, dict):
        items = items.items()
    return "&".join(
        f"{quote_query_component(str(k))}={quote_query_component(str(v))}" for k, v in items
    )
