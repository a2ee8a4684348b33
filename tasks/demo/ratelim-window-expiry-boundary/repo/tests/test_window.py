import pytest

from ratelim import KeyedLimiter, ManualClock, RateLimitExceeded, SlidingWindowLimiter


def make(limit=2, window=10):
    clock = ManualClock()
    return clock, SlidingWindowLimiter(limit=limit, window=window, clock=clock)


def test_limit_is_enforced():
    clock, limiter = make()
    assert limiter.try_acquire()
    assert limiter.try_acquire()
    assert not limiter.try_acquire()


def test_calls_expire_after_window():
    clock, limiter = make()
    limiter.try_acquire()
    limiter.try_acquire()
    clock.advance(10.5)
    assert limiter.try_acquire()


def test_window_slides():
    clock, limiter = make()
    limiter.try_acquire()          # t=0
    clock.advance(6)
    limiter.try_acquire()          # t=6
    clock.advance(5)               # t=11: first call expired, second still counts
    assert limiter.remaining() == 1
    assert limiter.try_acquire()
    assert not limiter.try_acquire()


def test_rejected_calls_are_not_recorded():
    clock, limiter = make(limit=1)
    limiter.try_acquire()
    for _ in range(5):
        assert not limiter.try_acquire()
    clock.advance(10.5)
    assert limiter.try_acquire()


def test_retry_after():
    clock, limiter = make()
    limiter.try_acquire()
    clock.advance(3)
    limiter.try_acquire()
    assert limiter.retry_after() == pytest.approx(7.0)


def test_retry_after_zero_when_allowed():
    clock, limiter = make()
    assert limiter.retry_after() == 0.0


def test_acquire_raises():
    clock, limiter = make(limit=1)
    limiter.acquire()
    with pytest.raises(RateLimitExceeded) as info:
        limiter.acquire()
    assert info.value.retry_after == pytest.approx(10.0)


def test_reset():
    clock, limiter = make(limit=1)
    limiter.try_acquire()
    limiter.reset()
    assert limiter.try_acquire()


def test_keyed_limiter_isolates_keys():
    clock = ManualClock()
    keyed = KeyedLimiter(lambda: SlidingWindowLimiter(limit=1, window=1, clock=clock))
    assert keyed.try_acquire("alice")
    assert not keyed.try_acquire("alice")
    assert keyed.try_acquire("bob")
    assert len(keyed) == 2 and "alice" in keyed
