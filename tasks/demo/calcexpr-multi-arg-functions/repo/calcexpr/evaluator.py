"""Evaluate syntax trees."""

import math
import operator

from .errors import CalcEvalError
from .nodes import Assign, BinOp, Call, Name, Number, UnaryOp
from .parser import parse

BUILTIN_FUNCTIONS = {
    "sqrt": math.sqrt,
    "abs": abs,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,
}
CONSTANTS = {"pi": math.pi, "e": math.e}

_BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "^": operator.pow,
}


class Calculator:
    """Evaluates expressions against its own variables and functions.

    Assignments (``name = expr``) store into :attr:`variables`.
    """

    def __init__(self, variables=None):
        self.variables = dict(variables or {})
        self.functions = dict(BUILTIN_FUNCTIONS)

    def register(self, name, func):
        """Make the Python callable *func* available as ``name(...)``."""
        if not name.isidentifier():
            raise ValueError(f"invalid function name {name!r}")
        self.functions[name] = func

    def evaluate(self, text):
        """Parse and evaluate *text*; return the numeric result."""
        node = parse(text)
        if isinstance(node, Assign):
            value = self._eval(node.value)
            self.variables[node.name] = value
            return value
        return self._eval(node)

    def _lookup(self, name):
        if name in self.variables:
            return self.variables[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        raise CalcEvalError(f"undefined variable {name!r}")

    def _call(self, name, args):
        func = self.functions.get(name)
        if func is None:
            raise CalcEvalError(f"unknown function {name!r}")
        try:
            return func(*args)
        except (ValueError, OverflowError) as exc:
            raise CalcEvalError(f"{name}(): {exc}") from None

    def _eval(self, node):
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Name):
            return self._lookup(node.id)
        if isinstance(node, UnaryOp):
            value = self._eval(node.operand)
            return -value if node.op == "-" else +value
        if isinstance(node, BinOp):
            left, right = self._eval(node.left), self._eval(node.right)
            try:
                return _BINARY[node.op](left, right)
            except ZeroDivisionError:
                raise CalcEvalError("division by zero") from None
            except OverflowError:
                raise CalcEvalError("numeric overflow") from None
        if isinstance(node, Call):
            return self._call(node.func, [self._eval(node.arg)])
        raise CalcEvalError(f"cannot evaluate {node!r}")


def evaluate(text, **variables):
    """Evaluate *text* with the given variables in a fresh :class:`Calculator`."""
    return Calculator(variables).evaluate(text)
