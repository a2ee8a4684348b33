import pytest

from ratelim import ManualClock, RateLimitExceeded, TokenBucket


def test_starts_full():
    clock = ManualClock()
    bucket = TokenBucket(rate=1, capacity=3, clock=clock)
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_refill():
    clock = ManualClock()
    bucket = TokenBucket(rate=2, capacity=2, clock=clock)
    bucket.try_acquire(2)
    clock.advance(0.5)
    assert bucket.tokens == pytest.approx(1.0)
    assert bucket.try_acquire()
    assert not bucket.try_acquire()


def test_refill_is_capped():
    clock = ManualClock()
    bucket = TokenBucket(rate=10, capacity=2, clock=clock)
    clock.advance(100)
    assert bucket.tokens == 2


def test_retry_after():
    clock = ManualClock()
    bucket = TokenBucket(rate=4, capacity=1, clock=clock)
    bucket.try_acquire()
    assert bucket.retry_after() == pytest.approx(0.25)


def test_acquire_raises():
    clock = ManualClock()
    bucket = TokenBucket(rate=1, capacity=1, clock=clock)
    bucket.acquire()
    with pytest.raises(RateLimitExceeded) as info:
        bucket.acquire()
    assert info.value.retry_after == pytest.approx(1.0)


def test_invalid_arguments():
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1)
    with pytest.raises(ValueError):
        TokenBucket(rate=1, capacity=1).try_acquire(2)


def test_manual_clock_cannot_go_back():
    with pytest.raises(ValueError):
        ManualClock().advance(-1)
