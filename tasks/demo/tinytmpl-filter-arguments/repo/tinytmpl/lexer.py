"""Split template source into text, variable, block and comment tokens."""

import re
from dataclasses import dataclass

from .errors import TemplateSyntaxError

_TAG = re.compile(r"({{.*?}}|{%.*?%}|{#.*?#})", re.S)


@dataclass
class Token:
    """``kind`` is ``text``, ``var`` or ``block``; ``value`` is the tag content."""

    kind: str
    value: str
    lineno: int


def tokenize(source):
    """Return the list of :class:`Token` for *source* (comments are dropped)."""
    tokens = []
    lineno = 1
    for piece in _TAG.split(source):
        if not piece:
            continue
        if piece.startswith("{{"):
            tokens.append(Token("var", piece[2:-2].strip(), lineno))
        elif piece.startswith("{%"):
            tokens.append(Token("block", piece[2:-2].strip(), lineno))
        elif piece.startswith("{#"):
            pass
        else:
            for opener in ("{{", "{%", "{#"):
                if opener in piece:
                    where = lineno + piece[: piece.index(opener)].count("\n")
                    raise TemplateSyntaxError(f"unclosed tag {opener!r}", where)
            tokens.append(Token("text", piece, lineno))
        lineno += piece.count("\n")
    return tokens
