"""Greedy word wrapping and truncation."""

ELLIPSIS = "\u2026"


def wrap(text, width=70):
    """Wrap *text* into lines of at most *width* characters.

    Words longer than *width* are placed on a line of their own rather than
    being broken.
    """
    if width < 1:
        raise ValueError("width must be positive")
    lines = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def truncate(text, length, ellipsis=ELLIPSIS):
    """Shorten *text* to at most *length* characters, ending at a word boundary.

    The *ellipsis* is included in *length*. Text that already fits is
    returned unchanged.
    """
    if len(text) <= length:
        return text
    budget = length - len(ellipsis)
    if budget <= 0:
        return ellipsis[:length]
    cut = text[:budget]
    if text[budget:budget + 1] not in ("", " ") and " " in cut:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip() + ellipsis
