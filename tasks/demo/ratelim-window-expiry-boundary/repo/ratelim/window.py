"""Sliding-window-log limiter."""

from collections import deque

from .clock import monotonic
from .errors import RateLimitExceeded


class SlidingWindowLimiter:
    """Allow at most *limit* calls in any *window* seconds.

    Timestamps of accepted calls are kept in a log; a call accepted at time
    ``t`` counts against the limit until (but not including) ``t + window``.
    """

    def __init__(self, limit, window, clock=monotonic):
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = int(limit)
        self.window = float(window)
        self._clock = clock
        self._log = deque()

    def _expire(self, now):
        cutoff = now - self.window
        while self._log and self._log[0] < cutoff:
            self._log.popleft()

    def remaining(self):
        """Number of calls that would be accepted right now."""
        self._expire(self._clock())
        return self.limit - len(self._log)

    def try_acquire(self):
        """Record a call and return ``True`` if it is within the limit."""
        now = self._clock()
        self._expire(now)
        if len(self._log) < self.limit:
            self._log.append(now)
            return True
        return False

    def retry_after(self):
        """Seconds until the next call would be accepted (0.0 if now)."""
        now = self._clock()
        self._expire(now)
        if len(self._log) < self.limit:
            return 0.0
        return max(0.0, self._log[0] + self.window - now)

    def acquire(self):
        """Like :meth:`try_acquire` but raise :class:`RateLimitExceeded`."""
        if not self.try_acquire():
            raise RateLimitExceeded(self.retry_after())

    def reset(self):
        """Forget all recorded calls."""
        self._log.clear()
