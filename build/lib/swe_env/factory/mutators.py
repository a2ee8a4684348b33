"""The five AST mutation kinds of mutate-fix (after CWM): function, argument, variable,
statement and operator.

A mutation is found on the AST but applied as a minimal edit of the source bytes (the
node's own span, or whole lines for statements), so the rest of the file keeps its
formatting and comments: the diff names one change, and the mutated code does not stand
out by its layout.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

KINDS = ("function", "argument", "variable", "statement", "operator")
_T = TypeVar("_T", "Mutation", "Site")
Edit = tuple[int, int, bytes]  # byte offsets [start, end) in the file, replacement
_COMPARE = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
_ARITH = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
}  # fmt: skip


_SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+",
    ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/", ast.Mod: "%", ast.Pow: "**",
}  # fmt: skip


@dataclass(frozen=True)
class Mutation:
    """One mutated file: which function, which kind, and the whole new text."""

    kind: str
    path: str
    function: str
    line: int
    detail: str
    source: str


class _Text:
    """Byte offsets of AST positions in one source file."""

    def __init__(self, source: str) -> None:
        self.data = source.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.starts[node.lineno - 1] + node.col_offset,  # type: ignore[attr-defined]
            self.starts[node.end_lineno - 1] + node.end_col_offset,  # type: ignore[attr-defined]
        )

    def own_lines(self, first: ast.stmt, last: ast.stmt) -> tuple[int, int] | None:
        """The whole lines of ``first``..``last`` when nothing else shares them."""
        start, _ = self.span(first)
        _, end = self.span(last)
        line_start = self.starts[first.lineno - 1]
        line_end = self.starts[min(last.end_lineno, len(self.starts) - 1)]  # type: ignore[arg-type]
        if self.data[line_start:start].strip() or self.data[end:line_end].strip():
            return None
        return line_start, line_end

    def replace(self, node: ast.AST, new: ast.AST) -> Edit:
        start, end = self.span(node)
        return start, end, ast.unparse(new).encode()


def _body_start(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = fn.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return 1 if docstring and isinstance(first.value.value, str) else 0


def _function(text: _Text, fn) -> Iterator[tuple[str, list[Edit]]]:
    start = _body_start(fn)
    if start >= len(fn.body):
        return
    lines = text.own_lines(fn.body[start], fn.body[-1])
    if lines is None:
        return
    indent = b" " * fn.body[start].col_offset
    for body in (b"return None", b"pass"):
        if lines[1] > lines[0] and text.data[lines[0] : lines[1]].strip() != body:
            yield f"body replaced by {body.decode()}", [(lines[0], lines[1], indent + body + b"\n")]


def _defaults(text: _Text, fn) -> Iterator[tuple[str, list[Edit]]]:
    for d in [*fn.args.defaults, *(k for k in fn.args.kw_defaults if k is not None)]:
        if isinstance(d, ast.Constant) and d.value is not None:
            v = d.value
            new = (not v) if isinstance(v, bool) else v + 1 if isinstance(v, int | float) else None
            if isinstance(v, str):
                new = "" if v else " "
            if new is not None:
                yield f"default {v!r} -> {new!r}", [text.replace(d, ast.Constant(new))]


def _statements(text: _Text, node) -> Iterator[tuple[str, list[Edit]]]:
    body = getattr(node, "body", None)
    if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt):
        return
    first = _body_start(node) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else 0
    for stmt in body[first:]:
        lines = text.own_lines(stmt, stmt)
        if lines is None:
            continue
        if len(body) - first > 1:
            yield f"line {stmt.lineno} deleted", [(lines[0], lines[1], b"")]
        if isinstance(stmt, ast.Assign | ast.AugAssign | ast.Expr):
            chunk = text.data[lines[0] : lines[1]]
            yield f"line {stmt.lineno} duplicated", [(lines[0], lines[0], chunk)]


def _op_edit(text: _Text, left: ast.AST, right: ast.AST, old: str, new: str) -> list[Edit]:
    """Replace the operator token ``old`` between two operands (nothing else changes)."""
    _, gap_start = text.span(left)
    gap_end, _ = text.span(right)
    gap = text.data[gap_start:gap_end]
    at = gap.find(old.encode())
    if at < 0 or gap.count(old.encode()) != 1:
        return []
    return [(gap_start + at, gap_start + at + len(old), new.encode())]


def _operators(text: _Text, node: ast.AST) -> Iterator[tuple[str, list[Edit]]]:
    if isinstance(node, ast.Compare) and type(node.ops[0]) in _COMPARE:
        old, new = _SYMBOL[type(node.ops[0])], _SYMBOL[_COMPARE[type(node.ops[0])]]
        yield f"comparison {old} -> {new}", _op_edit(text, node.left, node.comparators[0], old, new)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        old, new = _SYMBOL[type(node.op)], _SYMBOL[_ARITH[type(node.op)]]
        yield f"arithmetic {old} -> {new}", _op_edit(text, node.left, node.right, old, new)
    if isinstance(node, ast.BoolOp):
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        yield f"boolean {old} -> {new}", _op_edit(text, node.values[0], node.values[1], old, new)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        for step in (1, -1):
            yield f"off-by-one {step:+d}", [text.replace(node, ast.Constant(node.value + step))]


def _arguments(text: _Text, node: ast.AST) -> Iterator[tuple[str, list[Edit]]]:
    if not isinstance(node, ast.Call) or not node.args:
        return
    if any(isinstance(a, ast.Starred) for a in node.args):
        return
    args = node.args
    last_start, last_end = text.span(args[-1])
    cut = text.span(args[-2])[1] if len(args) > 1 else last_start
    yield "last argument dropped", [(cut, last_end, b"")]
    if len(args) >= 2:
        (a0, a1), (b0, b1) = text.span(args[0]), text.span(args[1])
        first, second = text.data[a0:a1], text.data[b0:b1]
        yield "first two arguments swapped", [(a0, a1, second), (b0, b1, first)]


def _variables(text: _Text, node: ast.AST) -> Iterator[tuple[str, list[Edit]]]:
    if isinstance(node, ast.Call):
        names = [a for a in node.args if isinstance(a, ast.Name)]
    else:
        names = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.Name)]
    distinct = {n.id: n for n in names}
    if len(distinct) >= 2 and not isinstance(node, ast.Assign):
        a, b = list(distinct.values())[:2]
        yield f"{a.id} <-> {b.id}", [(*text.span(a), b.id.encode()), (*text.span(b), a.id.encode())]


def _expression(text: _Text, node: ast.AST) -> Iterator[tuple[str, str, list[Edit]]]:
    for detail, edits in _operators(text, node):
        yield "operator", detail, edits
    for detail, edits in _arguments(text, node):
        yield "argument", detail, edits
    for detail, edits in _variables(text, node):
        yield "variable", detail, edits


def _sites(text: _Text, fn) -> Iterator[tuple[str, str, list[Edit]]]:
    for detail, edits in _function(text, fn):
        yield "function", detail, edits
    for detail, edits in _defaults(text, fn):
        yield "argument", detail, edits
    for node in ast.walk(fn):
        for detail, edits in _statements(text, node):
            yield "statement", detail, edits
        if node is not fn:
            yield from _expression(text, node)


def _apply(data: bytes, edits: list[Edit]) -> str | None:
    for start, end, new in sorted(edits, reverse=True):
        data = data[:start] + new + data[end:]
    try:
        text = data.decode()
        ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None
    return text


def functions(source: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function of ``source`` (methods and nested ones too), in source order."""
    tree = ast.parse(source)
    found = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return sorted(found, key=lambda n: n.lineno)


@dataclass(frozen=True)
class Site:
    """A mutation found but not applied yet (applying means parsing the whole file)."""

    kind: str
    path: str
    function: str
    line: int
    detail: str
    edits: tuple[Edit, ...]

    def apply(self, source: str) -> Mutation | None:
        """The mutated file, or ``None`` when the edit is not a valid, different program."""
        new = _apply(source.encode(), list(self.edits)) if self.edits else None
        if new is None or new == source:
            return None
        return Mutation(self.kind, self.path, self.function, self.line, self.detail, new)


def sites_of(source: str, path: str, lines: set[int] | None = None) -> list[Site]:
    """Every mutation site of the functions of ``source`` whose first line is in ``lines``
    (all functions when ``None``), in a deterministic order."""
    text, out = _Text(source), []
    for fn in functions(source):
        first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
        if lines is not None and fn.lineno not in lines and first not in lines:
            continue
        for kind, detail, edits in _sites(text, fn):
            out.append(Site(kind, path, fn.name, fn.lineno, detail, tuple(edits)))
    return out


def mutations_of(source: str, path: str, lines: set[int] | None = None) -> list[Mutation]:
    """Every valid mutation of the chosen functions of ``source`` (see :func:`sites_of`)."""
    applied = (site.apply(source) for site in sites_of(source, path, lines))
    return [m for m in applied if m is not None]


def choose(sources: dict[str, str], sites: list[Site], n: int, seed: int) -> list[Mutation]:
    """Up to ``n`` valid mutations drawn from ``sites`` (``sources``: path → text)."""
    out = []
    for site in sample(sites, len(sites), seed):
        if len(out) >= n:
            break
        if (mutation := site.apply(sources[site.path])) is not None:
            out.append(mutation)
    return out


def sample(candidates: list[_T], n: int, seed: int) -> list[_T]:
    """Up to ``n`` candidates, the kinds interleaved, drawn with ``seed`` (deterministic)."""
    rng = random.Random(seed)
    by_kind = {k: [m for m in candidates if m.kind == k] for k in KINDS}
    for group in by_kind.values():
        rng.shuffle(group)
    out: list[_T] = []
    while len(out) < n and any(by_kind.values()):
        for kind in KINDS:
            if by_kind[kind] and len(out) < n:
                out.append(by_kind[kind].pop())
    return out
