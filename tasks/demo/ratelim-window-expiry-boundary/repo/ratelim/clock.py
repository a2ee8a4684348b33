"""Clocks. A clock is any zero-argument callable returning seconds as a float."""

import time

monotonic = time.monotonic


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start=0.0):
        self.now = float(start)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        """Move the clock forward by *seconds* (must not be negative)."""
        if seconds < 0:
            raise ValueError("cannot move a clock backwards")
        self.now += seconds
        return self.now
