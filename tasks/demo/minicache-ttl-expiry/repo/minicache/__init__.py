"""minicache - an LRU cache with statistics and a memoizing decorator."""

from .lru import LRUCache
from .memoize import make_key, memoize
from .stats import CacheStats

__all__ = ["CacheStats", "LRUCache", "make_key", "memoize"]
__version__ = "0.5.0"
