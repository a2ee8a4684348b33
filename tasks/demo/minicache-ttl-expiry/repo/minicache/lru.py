"""The :class:`LRUCache` container."""

from collections import OrderedDict

from .stats import CacheStats

_MISSING = object()


class LRUCache:
    """A mapping-like cache holding at most *maxsize* entries.

    When a new key is added to a full cache, the least recently used entry is
    evicted and ``on_evict(key, value)`` is called for it. Reading a key with
    :meth:`get` or ``cache[key]`` marks it as most recently used.
    """

    def __init__(self, maxsize=128, on_evict=None):
        if not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError("maxsize must be a positive integer")
        self.maxsize = maxsize
        self._on_evict = on_evict
        self._data = OrderedDict()
        self._stats = CacheStats()

    # -- lookups -------------------------------------------------------------
    def get(self, key, default=None):
        """Return the value for *key* (a hit) or *default* (a miss)."""
        value = self._data.get(key, _MISSING)
        if value is _MISSING:
            self._stats.misses += 1
            return default
        self._data.move_to_end(key)
        self._stats.hits += 1
        return value

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def peek(self, key, default=None):
        """Return the value without touching recency or statistics."""
        return self._data.get(key, default)

    def __contains__(self, key):
        return key in self._data

    def __len__(self):
        return len(self._data)

    def keys(self):
        """Keys from least to most recently used."""
        return list(self._data)

    # -- updates -------------------------------------------------------------
    def set(self, key, value):
        """Insert or replace *key*; it becomes the most recently used."""
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        while len(self._data) > self.maxsize:
            self._evict_one()

    __setitem__ = set

    def _evict_one(self):
        key, value = self._data.popitem(last=False)
        self._stats.evictions += 1
        if self._on_evict is not None:
            self._on_evict(key, value)

    def get_or_set(self, key, factory):
        """Return the cached value, computing it with ``factory()`` on a miss."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = factory()
            self.set(key, value)
        return value

    def delete(self, key):
        """Remove *key*; return ``True`` if it was present."""
        return self._data.pop(key, _MISSING) is not _MISSING

    def pop(self, key, default=_MISSING):
        value = self._data.pop(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return value

    def clear(self):
        """Remove all entries (statistics are kept)."""
        self._data.clear()

    # -- statistics ----------------------------------------------------------
    def stats(self):
        """Return a snapshot of the :class:`CacheStats` counters."""
        return self._stats.snapshot()

    def reset_stats(self):
        self._stats.reset()

    def __repr__(self):
        return f"LRUCache(maxsize={self.maxsize}, size={len(self)})"
