"""Line classification.

:func:`tokenize` turns the source into a list of :class:`Line` objects, each
tagged with the kind of block syntax it starts or continues. The block
renderer in :mod:`mdlite.blocks` groups them into HTML blocks.
"""

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,})[ \t]*([\w+-]*)[ \t]*$")
_BULLET = re.compile(r"^ {0,3}[-*+][ \t]+(.*)$")
_ORDERED = re.compile(r"^ {0,3}(\d{1,9})[.)][ \t]+(.*)$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")


@dataclass
class Line:
    """One classified source line.

    ``kind`` is one of ``blank``, ``heading``, ``rule``, ``fence``, ``code``,
    ``bullet``, ``ordered``, ``quote`` or ``text``. ``text`` holds the content
    that belongs to the block (e.g. the heading text without ``#`` marks, or
    the language name for an opening fence) and ``level`` the heading level.
    """

    kind: str
    text: str = ""
    level: int = 0
    lineno: int = 0


def _classify(line, lineno):
    if not line.strip():
        return Line("blank", "", 0, lineno)
    match = _HEADING.match(line)
    if match:
        return Line("heading", match.group(2) or "", len(match.group(1)), lineno)
    if _RULE.match(line):
        return Line("rule", "", 0, lineno)
    match = _BULLET.match(line)
    if match:
        return Line("bullet", match.group(1), 0, lineno)
    match = _ORDERED.match(line)
    if match:
        return Line("ordered", match.group(2), int(match.group(1)), lineno)
    match = _QUOTE.match(line)
    if match:
        return Line("quote", match.group(1), 0, lineno)
    return Line("text", line.lstrip(), 0, lineno)


def tokenize(source):
    """Split *source* into classified :class:`Line` objects.

    Lines between an opening and a closing fence are returned verbatim as
    ``code`` lines.
    """
    lines = []
    fence = None
    for lineno, raw in enumerate(source.splitlines(), start=1):
        line = raw.expandtabs(4).rstrip()
        match = _FENCE.match(line)
        if fence is not None:
            if match and len(match.group(1)) >= len(fence) and not match.group(2):
                lines.append(Line("fence", "", 0, lineno))
                fence = None
            else:
                lines.append(Line("code", line, 0, lineno))
            continue
        if match:
            fence = match.group(1)
            lines.append(Line("fence", match.group(2), 0, lineno))
            continue
        lines.append(_classify(line, lineno))
    return lines
