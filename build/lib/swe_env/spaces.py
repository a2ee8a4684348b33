"""Gymnasium spaces for text observations and actions."""

from __future__ import annotations

from typing import Any

from gymnasium import spaces


class UnicodeText(spaces.Text):
    """A text space for any Unicode string up to ``max_length`` characters.

    ``spaces.Text``'s default charset is alphanumeric: it rejects spaces and newlines,
    which every observation has. Sampling still draws from the default charset.
    """

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length
