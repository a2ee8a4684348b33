"""Recursive-descent parser producing :mod:`calcexpr.nodes` trees."""

from .errors import CalcSyntaxError
from .nodes import Assign, BinOp, Call, Name, Number, UnaryOp
from .tokens import EOF, EQUALS, LPAREN, NAME, NUMBER, OP, RPAREN, tokenize


class _Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self):
        return self.tokens[self.index]

    def _advance(self):
        token = self.current
        self.index += 1
        return token

    def _expect(self, kind, what):
        if self.current.kind != kind:
            raise self._error(f"expected {what}")
        return self._advance()

    def _error(self, message):
        token = self.current
        found = "end of input" if token.kind == EOF else repr(token.text)
        return CalcSyntaxError(f"{message}, found {found}", token.pos)

    # statement := NAME '=' expr | expr
    def statement(self):
        if self.current.kind == NAME and self.tokens[self.index + 1].kind == EQUALS:
            name = self._advance().text
            self._advance()
            node = Assign(name, self.expr())
        else:
            node = self.expr()
        if self.current.kind != EOF:
            raise self._error("unexpected token")
        return node

    # expr := term (('+' | '-') term)*
    def expr(self):
        node = self.term()
        while self.current.kind == OP and self.current.text in "+-":
            op = self._advance().text
            node = BinOp(op, node, self.term())
        return node

    # term := unary (('*' | '/' | '//' | '%') unary)*
    def term(self):
        node = self.unary()
        while self.current.kind == OP and self.current.text in ("*", "/", "//", "%"):
            op = self._advance().text
            node = BinOp(op, node, self.unary())
        return node

    # unary := ('-' | '+') unary | power
    def unary(self):
        if self.current.kind == OP and self.current.text in "+-":
            op = self._advance().text
            return UnaryOp(op, self.unary())
        return self.power()

    # power := atom ('^' unary)?
    def power(self):
        node = self.atom()
        if self.current.kind == OP and self.current.text == "^":
            self._advance()
            node = BinOp("^", node, self.unary())
        return node

    # atom := NUMBER | NAME | NAME '(' expr ')' | '(' expr ')'
    def atom(self):
        token = self.current
        if token.kind == NUMBER:
            self._advance()
            is_float = any(c in token.text for c in ".eE")
            return Number(float(token.text) if is_float else int(token.text))
        if token.kind == NAME:
            self._advance()
            if self.current.kind == LPAREN:
                self._advance()
                arg = self.expr()
                self._expect(RPAREN, "')'")
                return Call(token.text, arg)
            return Name(token.text)
        if token.kind == LPAREN:
            self._advance()
            node = self.expr()
            self._expect(RPAREN, "')'")
            return node
        raise self._error("expected a number, name or '('")


def parse(text):
    """Parse *text* into a syntax tree (raises :class:`CalcSyntaxError`)."""
    return _Parser(text).statement()
