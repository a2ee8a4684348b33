"""Width computation and padding."""

import unicodedata


def display_width(text):
    """Number of terminal columns *text* occupies (wide characters count 2)."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text, width, align="left"):
    """Pad *text* with spaces to *width* display columns.

    *align* is ``"left"``, ``"right"`` or ``"center"``.
    """
    gap = max(0, width - display_width(text))
    if align == "left":
        return text + " " * gap
    if align == "right":
        return " " * gap + text
    if align == "center":
        left = gap // 2
        return " " * left + text + " " * (gap - left)
    raise ValueError(f"unknown alignment {align!r}")
