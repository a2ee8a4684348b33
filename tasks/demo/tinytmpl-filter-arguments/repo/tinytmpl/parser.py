"""Build a node tree from tokens."""

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .errors import TemplateSyntaxError
from .lexer import tokenize

_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)*$")
_FILTER_NAME = re.compile(r"^[A-Za-z_]\w*$")
_FOR = re.compile(r"^for\s+([A-Za-z_]\w*)\s+in\s+(.+)$", re.S)


@dataclass
class Expression:
    """A dotted variable ``path`` with a chain of ``filters`` and optional negation."""

    path: Tuple[str, ...]
    filters: List[str] = field(default_factory=list)
    negate: bool = False


@dataclass
class Text:
    text: str


@dataclass
class Output:
    expr: Expression
    lineno: int = 0


@dataclass
class If:
    branches: List[Tuple[Expression, list]]
    else_body: Optional[list] = None


@dataclass
class For:
    target: str
    iterable: Expression
    body: list
    else_body: Optional[list] = None


def parse_expression(source, lineno=None):
    """Parse ``[not] name.path|filter|filter`` into an :class:`Expression`."""
    source = source.strip()
    negate = False
    if source.startswith("not "):
        negate = True
        source = source[4:].strip()
    head, *filters = [part.strip() for part in source.split("|")]
    if not _PATH.match(head):
        raise TemplateSyntaxError(f"invalid expression {source!r}", lineno)
    for name in filters:
        if not _FILTER_NAME.match(name):
            raise TemplateSyntaxError(f"invalid filter {name!r}", lineno)
    return Expression(tuple(head.split(".")), filters, negate)


class Parser:
    """Recursive-descent parser over the token list."""

    def __init__(self, source):
        self.tokens = tokenize(source)
        self.pos = 0

    def parse(self):
        body, end = self._body(())
        if end is not None:
            raise TemplateSyntaxError(f"unexpected {{% {end.value} %}}", end.lineno)
        return body

    def _body(self, stop_words):
        """Parse nodes until a block tag whose first word is in *stop_words*."""
        nodes = []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            if token.kind == "text":
                nodes.append(Text(token.value))
            elif token.kind == "var":
                nodes.append(Output(parse_expression(token.value, token.lineno), token.lineno))
            else:
                word = token.value.split(None, 1)[0] if token.value else ""
                if word in stop_words:
                    return nodes, token
                if word == "if":
                    nodes.append(self._if(token))
                elif word == "for":
                    nodes.append(self._for(token))
                else:
                    raise TemplateSyntaxError(f"unknown tag {token.value!r}", token.lineno)
        if stop_words:
            raise TemplateSyntaxError(f"missing {{% {stop_words[-1]} %}}")
        return nodes, None

    def _if(self, token):
        branches = []
        condition = parse_expression(token.value[2:], token.lineno)
        else_body = None
        while True:
            body, end = self._body(("elif", "else", "endif"))
            branches.append((condition, body))
            word = end.value.split(None, 1)[0]
            if word == "elif":
                condition = parse_expression(end.value[4:], end.lineno)
                continue
            if word == "else":
                else_body, end = self._body(("endif",))
            return If(branches, else_body)

    def _for(self, token):
        match = _FOR.match(token.value)
        if not match:
            raise TemplateSyntaxError(f"invalid for tag {token.value!r}", token.lineno)
        iterable = parse_expression(match.group(2), token.lineno)
        body, end = self._body(("else", "endfor"))
        else_body = None
        if end.value.split(None, 1)[0] == "else":
            else_body, end = self._body(("endfor",))
        return For(match.group(1), iterable, body, else_body)


def parse(source):
    """Parse template *source* into a list of nodes."""
    return Parser(source).parse()
