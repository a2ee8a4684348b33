"""tinytmpl - a tiny text template engine."""

from .engine import Template, render
from .errors import TemplateError, TemplateSyntaxError, UndefinedError
from .filters import BUILTIN_FILTERS

__all__ = [
    "BUILTIN_FILTERS",
    "Template",
    "TemplateError",
    "TemplateSyntaxError",
    "UndefinedError",
    "render",
]
