"""ratelim - in-process rate limiters."""

from .bucket import TokenBucket
from .clock import ManualClock, monotonic
from .errors import RateLimitExceeded
from .keyed import KeyedLimiter
from .window import SlidingWindowLimiter

__all__ = [
    "KeyedLimiter",
    "ManualClock",
    "RateLimitExceeded",
    "SlidingWindowLimiter",
    "TokenBucket",
    "monotonic",
]
