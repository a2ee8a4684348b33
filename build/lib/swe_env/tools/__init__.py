"""Agent tools: ``bash``, ``edit``, ``create`` and ``submit``, and the action formats.

Tools see only a :class:`~swe_env.sandbox.base.Sandbox`. Use :func:`execute` to parse
and run an action; :func:`openai_schemas` and :func:`tool_instructions` describe the
tools to a model.
"""

from swe_env.tools.base import Tool, ToolCall, ToolContext, ToolResult
from swe_env.tools.dispatch import execute
from swe_env.tools.formats import (
    FormatError,
    parse_action,
    parse_openai_call,
    parse_text_action,
    render_text_call,
)
from swe_env.tools.registry import TOOLS, ActionFormat, openai_schemas, tool_instructions

__all__ = [
    "TOOLS",
    "ActionFormat",
    "FormatError",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolResult",
    "execute",
    "openai_schemas",
    "parse_action",
    "parse_openai_call",
    "parse_text_action",
    "render_text_call",
    "tool_instructions",
]
