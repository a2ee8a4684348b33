"""Memoizing decorator built on :class:`LRUCache`."""

import functools

from .lru import LRUCache

_KWARGS_MARK = object()


def make_key(args, kwargs):
    """Build a hashable cache key from call arguments.

    Keyword order does not matter: ``f(a=1, b=2)`` and ``f(b=2, a=1)`` share
    a key.
    """
    key = tuple(args)
    if kwargs:
        key += (_KWARGS_MARK,) + tuple(sorted(kwargs.items()))
    return key


def memoize(maxsize=128, key=None):
    """Decorator caching results of the wrapped function in an :class:`LRUCache`.

    *key*, if given, is called with the same arguments as the function and
    must return a hashable cache key. The wrapper exposes ``cache``,
    ``cache_info()`` (a :class:`~minicache.stats.CacheStats` snapshot) and
    ``cache_clear()``.
    """

    def decorator(func):
        cache = LRUCache(maxsize=maxsize)
        missing = object()

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            cache_key = key(*args, **kwargs) if key else make_key(args, kwargs)
            result = cache.get(cache_key, missing)
            if result is missing:
                result = func(*args, **kwargs)
                cache.set(cache_key, result)
            return result

        def cache_clear():
            cache.clear()
            cache.reset_stats()

        wrapper.cache = cache
        wrapper.cache_info = cache.stats
        wrapper.cache_clear = cache_clear
        return wrapper

    if callable(maxsize):
        # used as a bare @memoize
        func, maxsize = maxsize, 128
        return decorator(func)
    return decorator
