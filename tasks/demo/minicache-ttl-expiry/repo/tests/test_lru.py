import pytest

from minicache import CacheStats, LRUCache


def test_set_and_get():
    cache = LRUCache(maxsize=2)
    cache.set("a", 1)
    cache["b"] = 2
    assert cache.get("a") == 1
    assert cache["b"] == 2
    assert cache.get("zzz") is None
    assert cache.get("zzz", 0) == 0


def test_missing_item_raises_keyerror():
    with pytest.raises(KeyError):
        LRUCache()["nope"]


def test_lru_eviction_order():
    evicted = []
    cache = LRUCache(maxsize=2, on_evict=lambda k, v: evicted.append((k, v)))
    cache.set("a", 1)
    cache.set("b", 2)
    cache.get("a")
    cache.set("c", 3)
    assert evicted == [("b", 2)]
    assert cache.keys() == ["a", "c"]


def test_overwrite_moves_to_end():
    cache = LRUCache(maxsize=2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("a", 10)
    cache.set("c", 3)
    assert cache.keys() == ["a", "c"]
    assert cache.peek("a") == 10


def test_peek_and_contains_do_not_touch_recency_or_stats():
    cache = LRUCache(maxsize=2)
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.peek("a") == 1
    assert "a" in cache
    cache.set("c", 3)
    assert "a" not in cache
    assert cache.stats() == CacheStats(hits=0, misses=0, evictions=1)


def test_stats_and_hit_rate():
    cache = LRUCache()
    cache.set("a", 1)
    cache.get("a")
    cache.get("a")
    cache.get("b")
    stats = cache.stats()
    assert (stats.hits, stats.misses) == (2, 1)
    assert stats.hit_rate == pytest.approx(2 / 3)
    cache.reset_stats()
    assert cache.stats().lookups == 0
    assert cache.stats().hit_rate == 0.0


def test_stats_snapshot_is_independent():
    cache = LRUCache()
    snap = cache.stats()
    cache.get("x")
    assert snap.misses == 0


def test_get_or_set():
    cache = LRUCache()
    calls = []
    assert cache.get_or_set("k", lambda: calls.append(1) or 42) == 42
    assert cache.get_or_set("k", lambda: calls.append(1) or 43) == 42
    assert len(calls) == 1


def test_delete_pop_clear():
    cache = LRUCache()
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    assert cache.pop("b") == 2
    assert cache.pop("b", None) is None
    with pytest.raises(KeyError):
        cache.pop("b")
    cache.set("c", 3)
    cache.clear()
    assert len(cache) == 0


def test_invalid_maxsize():
    with pytest.raises(ValueError):
        LRUCache(maxsize=0)
