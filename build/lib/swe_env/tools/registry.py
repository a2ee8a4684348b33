"""The tool registry and what derives from it: OpenAI schemas and prompt text."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from swe_env.tools.base import Tool, function_schema
from swe_env.tools.bash import BashTool
from swe_env.tools.create import CreateTool
from swe_env.tools.edit import EditTool
from swe_env.tools.submit import SubmitTool

TOOLS: Mapping[str, Tool] = MappingProxyType(
    {tool.name: tool for tool in (BashTool(), EditTool(), CreateTool(), SubmitTool())}
)
"""The default tools by name (read-only). Pass your own mapping to override."""

ActionFormat = Literal["openai", "text"]

_RULES = """Rules:
- Call exactly one tool per turn; you will see its output before your next turn.
- File paths are relative to the repository root, or absolute inside it.
- The bash shell persists between calls; commands must not wait for input.
- submit ends the task: your changes are diffed against the original commit."""

_TEXT_INTRO = """You act by ending each reply with exactly one tool block. You may think or
explain before it, but do not write tool tags anywhere else in the reply. The tools:"""


def openai_schemas(tools: Mapping[str, Tool] | None = None) -> list[dict[str, Any]]:
    """The OpenAI ``tools`` list: one function definition per tool."""
    return [function_schema(tool) for tool in (TOOLS if tools is None else tools).values()]


def tool_instructions(
    format: ActionFormat = "openai", tools: Mapping[str, Tool] | None = None
) -> str:
    """Text describing the tools, for the system prompt.

    ``"text"`` gives the exact CWM tag syntax with an example of each tool;
    ``"openai"`` summarises the tools (their schemas go in the request's ``tools``).
    Both derive from the tools themselves.
    """
    tools = TOOLS if tools is None else tools
    if format == "text":
        syntax = "\n\n".join(f"{tool.syntax}\n{tool.text_help}" for tool in tools.values())
        examples = "\n\n".join(tool.text_example for tool in tools.values())
        return f"{_TEXT_INTRO}\n\n{syntax}\n\nExamples:\n\n{examples}\n\n{_RULES}"
    if format != "openai":
        raise ValueError(f"unknown action format {format!r}; expected 'openai' or 'text'")
    listing = "\n".join(f"- {name}: {tool.description}" for name, tool in tools.items())
    return f"You act by calling one of these functions:\n{listing}\n\n{_RULES}"
