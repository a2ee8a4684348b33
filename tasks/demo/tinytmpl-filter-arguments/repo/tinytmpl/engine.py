"""Render node trees."""

from .errors import TemplateError, TemplateSyntaxError, UndefinedError
from .filters import BUILTIN_FILTERS
from .parser import For, If, Output, Text, parse

_UNDEFINED = object()


class _Loop:
    """The ``loop`` variable available inside ``for`` bodies."""

    def __init__(self, index, length):
        self.index = index + 1
        self.first = index == 0
        self.last = index == length - 1
        self.length = length


def _lookup(context, path):
    """Resolve a dotted *path*: mapping key, then attribute, then list index."""
    value = context.get(path[0], _UNDEFINED)
    for part in path[1:]:
        if value is _UNDEFINED:
            break
        if isinstance(value, dict):
            value = value.get(part, _UNDEFINED)
        elif part.isdigit() and isinstance(value, (list, tuple, str)):
            index = int(part)
            value = value[index] if index < len(value) else _UNDEFINED
        else:
            value = getattr(value, part, _UNDEFINED)
    return value


class Template:
    """A compiled template.

    *filters* adds to (or overrides) the built-in filters; with *strict*,
    undefined names raise :class:`UndefinedError` instead of rendering empty.
    """

    def __init__(self, source, filters=None, strict=False):
        self.filters = dict(BUILTIN_FILTERS)
        self.filters.update(filters or {})
        self.strict = strict
        self.nodes = parse(source)
        self._check_filters(self.nodes)

    def _check_filters(self, nodes):
        for node in nodes:
            exprs, children = [], []
            if isinstance(node, Output):
                exprs = [node.expr]
            elif isinstance(node, If):
                exprs = [cond for cond, _ in node.branches]
                children = [body for _, body in node.branches] + [node.else_body or []]
            elif isinstance(node, For):
                exprs = [node.iterable]
                children = [node.body, node.else_body or []]
            for expr in exprs:
                for name in expr.filters:
                    if name not in self.filters:
                        raise TemplateSyntaxError(f"unknown filter {name!r}")
            for body in children:
                self._check_filters(body)

    # -- evaluation ------------------------------------------------------------
    def _eval(self, expr, context):
        value = _lookup(context, expr.path)
        if value is _UNDEFINED:
            if self.strict:
                raise UndefinedError(f"{'.'.join(expr.path)!r} is undefined")
            value = None
        for name in expr.filters:
            try:
                value = self.filters[name](value)
            except TemplateError:
                raise
            except Exception as exc:
                raise TemplateError(f"filter {name!r} failed: {exc}") from exc
        if expr.negate:
            return not value
        return value

    def _render(self, nodes, context, out):
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.text)
            elif isinstance(node, Output):
                value = self._eval(node.expr, context)
                out.append("" if value is None else str(value))
            elif isinstance(node, If):
                for condition, body in node.branches:
                    if self._eval(condition, context):
                        self._render(body, context, out)
                        break
                else:
                    if node.else_body:
                        self._render(node.else_body, context, out)
            elif isinstance(node, For):
                items = list(self._eval(node.iterable, context) or [])
                if not items and node.else_body:
                    self._render(node.else_body, context, out)
                for index, item in enumerate(items):
                    scope = dict(context)
                    scope[node.target] = item
                    scope["loop"] = _Loop(index, len(items))
                    self._render(node.body, scope, out)

    def render(self, context=None, **kwargs):
        """Render with variables from *context* (a mapping) and/or keyword arguments."""
        scope = dict(context or {})
        scope.update(kwargs)
        out = []
        self._render(self.nodes, scope, out)
        return "".join(out)


def render(source, context=None, **kwargs):
    """Shortcut for ``Template(source).render(context, **kwargs)``."""
    return Template(source).render(context, **kwargs)
