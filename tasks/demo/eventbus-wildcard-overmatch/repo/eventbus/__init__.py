"""eventbus - a synchronous in-process event bus."""

from .bus import Event, EventBus
from .patterns import InvalidPattern, compile_pattern, matches
from .registry import Registry
from .subscription import Subscription

__all__ = [
    "Event",
    "EventBus",
    "InvalidPattern",
    "Registry",
    "Subscription",
    "compile_pattern",
    "matches",
]
