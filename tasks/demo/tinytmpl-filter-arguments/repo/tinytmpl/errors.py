"""Exceptions."""


class TemplateError(Exception):
    """Base class for template errors."""


class TemplateSyntaxError(TemplateError):
    """The template source is malformed. ``lineno`` is 1-based."""

    def __init__(self, message, lineno=None):
        where = f" (line {lineno})" if lineno else ""
        super().__init__(message + where)
        self.lineno = lineno


class UndefinedError(TemplateError):
    """A name could not be resolved while rendering in strict mode."""
