"""Subscription handles."""

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

_counter = itertools.count()


@dataclass(eq=False)
class Subscription:
    """A registered handler.

    Returned by :meth:`EventBus.on` / :meth:`EventBus.once`; call
    :meth:`cancel` to unsubscribe.
    """

    pattern: str
    handler: Callable[[Any], Any]
    priority: int = 0
    once: bool = False
    seq: int = field(default_factory=lambda: next(_counter))
    active: bool = True
    _registry: Any = field(default=None, repr=False)

    def cancel(self):
        """Unsubscribe; calling it again is harmless."""
        if self.active and self._registry is not None:
            self._registry.remove(self)
        self.active = False

    def sort_key(self):
        """Higher priority first, then older subscriptions first."""
        return (-self.priority, self.seq)
