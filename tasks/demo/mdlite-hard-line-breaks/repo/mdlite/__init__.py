"""mdlite - a small Markdown-subset to HTML converter."""

from .blocks import render_lines
from .html import escape
from .inline import render_inline
from .lexer import Line, tokenize


def markdown(source):
    """Convert Markdown *source* to an HTML fragment."""
    return render_lines(tokenize(source))


__all__ = ["Line", "escape", "markdown", "render_inline", "render_lines", "tokenize"]
