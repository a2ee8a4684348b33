"""calcexpr - a safe arithmetic expression evaluator."""

from .errors import CalcError, CalcEvalError, CalcSyntaxError
from .evaluator import Calculator, evaluate
from .parser import parse

__all__ = ["CalcError", "CalcEvalError", "CalcSyntaxError", "Calculator", "evaluate", "parse"]
