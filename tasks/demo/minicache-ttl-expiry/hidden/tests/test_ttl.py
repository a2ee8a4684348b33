"""Tests for per-entry expiry (ttl)."""

import pytest

from minicache import CacheStats, LRUCache, memoize


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


def test_default_ttl_expires_entries(clock):
    cache = LRUCache(maxsize=4, ttl=10, clock=clock)
    cache.set("a", 1)
    clock.advance(9.5)
    assert cache.get("a") == 1
    clock.advance(0.5)
    assert cache.get("a") is None
    assert cache.get("a", "gone") == "gone"


def test_no_ttl_means_no_expiry(clock):
    cache = LRUCache(maxsize=4, clock=clock)
    cache.set("a", 1)
    clock.advance(10**9)
    assert cache.get("a") == 1


def test_per_entry_ttl_overrides_default(clock):
    cache = LRUCache(maxsize=4, ttl=100, clock=clock)
    cache.set("short", 1, ttl=1)
    cache.set("default", 2)
    cache["item"] = 3
    clock.advance(50)
    assert cache.get("short") is None
    assert cache.get("default") == 2
    assert cache.get("item") == 3
    clock.advance(50)
    assert cache.get("default") is None
    assert cache.get("item") is None


def test_per_entry_ttl_without_default(clock):
    cache = LRUCache(maxsize=4, clock=clock)
    cache.set("a", 1, ttl=2)
    cache.set("b", 2)
    clock.advance(3)
    assert "a" not in cache
    assert "b" in cache


def test_expired_entries_behave_as_absent(clock):
    cache = LRUCache(maxsize=4, ttl=5, clock=clock)
    cache.set("a", 1)
    cache.set("b", 2)
    clock.advance(5)
    with pytest.raises(KeyError):
        cache["a"]
    assert "b" not in cache
    assert cache.peek("b", "none") == "none"
    assert len(cache) == 0
    assert cache.keys() == []


def test_expired_lookup_counts_as_miss_and_expiration(clock):
    cache = LRUCache(maxsize=4, ttl=5, clock=clock)
    cache.set("a", 1)
    cache.get("a")
    clock.advance(6)
    cache.get("a")
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.expirations, stats.evictions) == (1, 1, 1, 0)


def test_expirations_counter_defaults_to_zero():
    stats = CacheStats()
    assert stats.expirations == 0
    assert CacheStats(hits=1) == CacheStats(hits=1, misses=0, evictions=0, expirations=0)


def test_reset_stats_clears_expirations(clock):
    cache = LRUCache(ttl=1, clock=clock)
    cache.set("a", 1)
    clock.advance(2)
    cache.get("a")
    cache.reset_stats()
    assert cache.stats().expirations == 0


def test_setting_again_restarts_lifetime(clock):
    cache = LRUCache(maxsize=4, ttl=10, clock=clock)
    cache.set("a", 1)
    clock.advance(8)
    cache.set("a", 2)
    clock.advance(8)
    assert cache.get("a") == 2


def test_reading_does_not_extend_lifetime(clock):
    cache = LRUCache(maxsize=4, ttl=10, clock=clock)
    cache.set("a", 1)
    clock.advance(6)
    assert cache.get("a") == 1
    clock.advance(6)
    assert cache.get("a") is None


def test_get_or_set_recomputes_after_expiry(clock):
    cache = LRUCache(ttl=3, clock=clock)
    assert cache.get_or_set("k", lambda: "first") == "first"
    clock.advance(3)
    assert cache.get_or_set("k", lambda: "second") == "second"


def test_expired_entries_are_dropped_before_evicting(clock):
    evicted = []
    cache = LRUCache(maxsize=2, clock=clock, on_evict=lambda k, v: evicted.append(k))
    cache.set("old", 1, ttl=1)
    cache.set("live", 2)
    clock.advance(2)
    cache.set("new", 3)
    assert sorted(cache.keys()) == ["live", "new"]
    assert evicted == []
    stats = cache.stats()
    assert (stats.evictions, stats.expirations) == (0, 1)


def test_lru_eviction_still_applies_to_live_entries(clock):
    evicted = []
    cache = LRUCache(maxsize=2, ttl=100, clock=clock, on_evict=lambda k, v: evicted.append(k))
    cache.set("a", 1)
    cache.set("b", 2)
    cache.get("a")
    cache.set("c", 3)
    assert evicted == ["b"]
    assert cache.stats().evictions == 1


def test_expire_method(clock):
    cache = LRUCache(maxsize=8, clock=clock)
    cache.set("a", 1, ttl=1)
    cache.set("b", 2, ttl=1)
    cache.set("c", 3, ttl=10)
    cache.set("d", 4)
    clock.advance(1)
    assert cache.expire() == 2
    assert cache.keys() == ["c", "d"]
    assert cache.stats().expirations == 2
    assert cache.expire() == 0


def test_delete_and_pop_of_expired_entry(clock):
    cache = LRUCache(ttl=1, clock=clock)
    cache.set("a", 1)
    cache.set("b", 2)
    clock.advance(1)
    assert cache.delete("a") is False
    assert cache.pop("b", "default") == "default"
    with pytest.raises(KeyError):
        cache.pop("b")


def test_invalid_ttl():
    for bad in (0, -1, "10"):
        with pytest.raises(ValueError):
            LRUCache(ttl=bad)
        with pytest.raises(ValueError):
            LRUCache().set("k", "v", ttl=bad)


def test_float_ttl(clock):
    cache = LRUCache(ttl=0.25, clock=clock)
    cache.set("a", 1)
    clock.advance(0.2)
    assert "a" in cache
    clock.advance(0.05)
    assert "a" not in cache


def test_memoize_with_ttl(clock):
    calls = []

    @memoize(maxsize=8, ttl=60, clock=clock)
    def rate(currency):
        calls.append(currency)
        return len(calls)

    assert rate("EUR") == 1
    clock.advance(30)
    assert rate("EUR") == 1
    clock.advance(30)
    assert rate("EUR") == 2
    assert calls == ["EUR", "EUR"]
    info = rate.cache_info()
    assert (info.hits, info.misses, info.expirations) == (1, 2, 1)


def test_memoize_without_ttl_unchanged(clock):
    @memoize(maxsize=8, clock=clock)
    def ident(x):
        return object()

    first = ident(1)
    clock.advance(10**6)
    assert ident(1) is first
