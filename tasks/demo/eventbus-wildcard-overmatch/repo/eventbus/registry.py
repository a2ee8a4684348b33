"""Storage and lookup of subscriptions."""

from .patterns import compile_pattern, matches
from .subscription import Subscription


class Registry:
    """Holds subscriptions and finds the ones matching an event name."""

    def __init__(self):
        self._subs = []

    def add(self, pattern, handler, priority=0, once=False):
        compile_pattern(pattern)  # validate early
        sub = Subscription(pattern, handler, priority, once, _registry=self)
        self._subs.append(sub)
        return sub

    def remove(self, sub):
        """Remove *sub* (by identity); unknown subscriptions are ignored."""
        self._subs = [s for s in self._subs if s is not sub]
        sub.active = False

    def remove_matching(self, pattern=None, handler=None):
        """Remove subscriptions by pattern and/or handler; return how many."""
        doomed = [
            s for s in self._subs
            if (pattern is None or s.pattern == pattern) and (handler is None or s.handler == handler)
        ]
        for sub in doomed:
            self.remove(sub)
        return len(doomed)

    def match(self, name):
        """Return the active subscriptions for event *name*, in call order."""
        found = [s for s in self._subs if matches(s.pattern, name)]
        return sorted(found, key=Subscription.sort_key)

    def __len__(self):
        return len(self._subs)

    def __iter__(self):
        return iter(list(self._subs))
