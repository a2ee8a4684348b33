"""Cache statistics."""

from dataclasses import dataclass, replace


@dataclass
class CacheStats:
    """Counters describing how a cache has been used.

    ``hits`` and ``misses`` count lookups through ``get``/``[]``;
    ``evictions`` counts entries dropped because the cache was full.
    """

    hits: int = 0
    misses: int = 0
    evictions: int = 0

    @property
    def lookups(self):
        return self.hits + self.misses

    @property
    def hit_rate(self):
        """Fraction of lookups that were hits (0.0 when there were none)."""
        return self.hits / self.lookups if self.lookups else 0.0

    def snapshot(self):
        """Return an independent copy of the current counters."""
        return replace(self)

    def reset(self):
        self.hits = self.misses = self.evictions = 0
