"""The :class:`EventBus` facade."""

from dataclasses import dataclass
from typing import Any

from .patterns import validate_name
from .registry import Registry


@dataclass(frozen=True)
class Event:
    """What handlers receive: the event ``name`` and its ``payload``."""

    name: str
    payload: Any = None


class EventBus:
    """Synchronous publish/subscribe.

    If *error_handler* is given, exceptions raised by handlers are passed to
    ``error_handler(exc, event, subscription)`` and the remaining handlers
    still run; otherwise they propagate out of :meth:`emit`.
    """

    def __init__(self, error_handler=None):
        self._registry = Registry()
        self._error_handler = error_handler

    def on(self, pattern, handler=None, priority=0):
        """Subscribe *handler* to *pattern*; usable as a decorator."""
        if handler is None:
            def decorator(func):
                self._registry.add(pattern, func, priority)
                return func
            return decorator
        return self._registry.add(pattern, handler, priority)

    def once(self, pattern, handler=None, priority=0):
        """Like :meth:`on`, but the handler is removed after its first call."""
        if handler is None:
            def decorator(func):
                self._registry.add(pattern, func, priority, once=True)
                return func
            return decorator
        return self._registry.add(pattern, handler, priority, once=True)

    def off(self, pattern=None, handler=None):
        """Remove subscriptions by *pattern* and/or *handler*; return how many."""
        return self._registry.remove_matching(pattern, handler)

    def listeners(self, name):
        """Return the handlers that would be called for event *name*."""
        return [s.handler for s in self._registry.match(name)]

    def emit(self, name, payload=None):
        """Deliver event *name* to matching handlers; return how many ran."""
        validate_name(name)
        event = Event(name, payload)
        called = 0
        for sub in self._registry.match(name):
            if not sub.active:
                continue
            if sub.once:
                sub.cancel()
            called += 1
            try:
                sub.handler(event)
            except Exception as exc:
                if self._error_handler is None:
                    raise
                self._error_handler(exc, event, sub)
        return called

    def __len__(self):
        return len(self._registry)
