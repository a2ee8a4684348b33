"""Token bucket limiter."""

from .clock import monotonic
from .errors import RateLimitExceeded


class TokenBucket:
    """Classic token bucket.

    The bucket starts full. Tokens are added continuously at *rate* per second
    and never exceed *capacity*.
    """

    def __init__(self, rate, capacity, clock=monotonic):
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._tokens = self.capacity
        self._last = clock()

    def _refill(self):
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._last = now

    @property
    def tokens(self):
        """Tokens currently available."""
        self._refill()
        return self._tokens

    def try_acquire(self, n=1):
        """Take *n* tokens if available; return whether that succeeded."""
        if n > self.capacity:
            raise ValueError("cannot acquire more tokens than the capacity")
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            return True
        return False

    def retry_after(self, n=1):
        """Seconds until *n* tokens will be available (0.0 if they are now)."""
        self._refill()
        missing = n - self._tokens
        return max(0.0, missing / self.rate)

    def acquire(self, n=1):
        """Like :meth:`try_acquire` but raise :class:`RateLimitExceeded`."""
        if not self.try_acquire(n):
            raise RateLimitExceeded(self.retry_after(n))
