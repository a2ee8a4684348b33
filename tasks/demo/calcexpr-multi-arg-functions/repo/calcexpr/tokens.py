"""Tokenizer."""

import re
from dataclasses import dataclass

from .errors import CalcSyntaxError

NUMBER, NAME, OP, LPAREN, RPAREN, EQUALS, EOF = (
    "NUMBER", "NAME", "OP", "LPAREN", "RPAREN", "EQUALS", "EOF",
)

_TOKEN = re.compile(
    r"""
    (?P<NUMBER>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<NAME>[A-Za-z_]\w*)
  | (?P<OP>//|[-+*/%^])
  | (?P<LPAREN>\()
  | (?P<RPAREN>\))
  | (?P<EQUALS>=)
    """,
    re.X,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text):
    """Return the list of tokens in *text*, ending with an ``EOF`` token."""
    tokens = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        match = _TOKEN.match(text, pos)
        if not match:
            raise CalcSyntaxError(f"unexpected character {text[pos]!r}", pos)
        tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token(EOF, "", len(text)))
    return tokens
