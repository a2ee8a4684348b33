"""Regression tests: a call stops counting exactly `window` seconds after it was accepted."""

import pytest

from ratelim import KeyedLimiter, ManualClock, SlidingWindowLimiter


def make(limit=2, window=10):
    clock = ManualClock()
    return clock, SlidingWindowLimiter(limit=limit, window=window, clock=clock)


def test_call_allowed_exactly_at_window_end():
    clock, limiter = make()
    limiter.try_acquire()
    limiter.try_acquire()
    clock.advance(10)
    assert limiter.try_acquire()


def test_remaining_at_window_end():
    clock, limiter = make()
    limiter.try_acquire()
    limiter.try_acquire()
    clock.advance(10)
    assert limiter.remaining() == 2


def test_retry_after_is_honoured():
    clock, limiter = make(limit=1, window=5)
    limiter.acquire()
    clock.advance(2)
    wait = limiter.retry_after()
    assert wait == pytest.approx(3.0)
    clock.advance(wait)
    assert limiter.try_acquire()


def test_steady_rate_exactly_at_limit():
    # one call every `window / limit` seconds must never be rejected
    clock, limiter = make(limit=2, window=1)
    accepted = []
    for _ in range(10):
        accepted.append(limiter.try_acquire())
        clock.advance(0.5)
    assert all(accepted)


def test_keyed_limiter_at_boundary():
    clock = ManualClock()
    keyed = KeyedLimiter(lambda: SlidingWindowLimiter(limit=1, window=1, clock=clock))
    assert keyed.try_acquire("alice")
    clock.advance(1)
    assert keyed.try_acquire("alice")
