"""The tool registry, prompt text for the tools, and :func:`execute` (parse + dispatch)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from swe_env.errors import SweEnvError
from swe_env.sandbox.base import Sandbox
from swe_env.tools.base import Tool, ToolCall, ToolContext, ToolResult
from swe_env.tools.bash import BashTool
from swe_env.tools.create import CreateTool
from swe_env.tools.edit import EditTool
from swe_env.tools.formats import FormatError, parse_action
from swe_env.tools.submit import SubmitTool

logger = logging.getLogger(__name__)

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

_TEXT_TOOLS = """<tool: bash>
[command]
</tool>
Runs the command(s) in a persistent bash shell and shows the output.

<tool: edit>
[path]
<<<<<<< SEARCH
[lines to find]
=======
[lines to put instead]
>>>>>>> REPLACE
</tool>
Replaces the SEARCH lines with the REPLACE lines. The SEARCH lines must match
consecutive lines of the file exactly (indentation and whitespace included), and only
once. An empty REPLACE section deletes the lines. One SEARCH/REPLACE block per call.

<tool: create>
[path]
[content]
</tool>
Creates a new file with the content (each line as written); fails if the path exists.

<tool: submit>
</tool>
Finishes the task and submits your changes. Leave the block empty."""

_TEXT_EXAMPLES = """Examples:

<tool: bash>
grep -rn "def parse_date" src/
</tool>

<tool: edit>
src/utils/dates.py
<<<<<<< SEARCH
    if value is None:
        return None
=======
    if value is None or value == "":
        return None
>>>>>>> REPLACE
</tool>

<tool: create>
tests/test_dates.py
from utils.dates import parse_date


def test_empty_string():
    assert parse_date("") is None
</tool>

<tool: submit>
</tool>"""


def openai_schemas(tools: Mapping[str, Tool] | None = None) -> list[dict[str, Any]]:
    """The OpenAI ``tools`` list: one function definition per tool."""
    return [tool.schema() for tool in (TOOLS if tools is None else tools).values()]


def tool_instructions(
    format: ActionFormat = "openai", tools: Mapping[str, Tool] | None = None
) -> str:
    """Text describing the tools, for the system prompt.

    ``"text"`` gives the exact CWM tag syntax with an example of each tool;
    ``"openai"`` summarises the tools (their schemas go in the request's ``tools``).
    """
    if format == "text":
        return f"{_TEXT_INTRO}\n\n{_TEXT_TOOLS}\n\n{_TEXT_EXAMPLES}\n\n{_RULES}"
    if format != "openai":
        raise ValueError(f"unknown action format {format!r}; expected 'openai' or 'text'")
    tools = TOOLS if tools is None else tools
    listing = "\n".join(f"- {name}: {tool.description}" for name, tool in tools.items())
    return f"You act by calling one of these functions:\n{listing}\n\n{_RULES}"


def execute(
    sandbox: Sandbox,
    action: str | Mapping[str, Any] | ToolCall,
    ctx: ToolContext,
    tools: Mapping[str, Tool] | None = None,
) -> ToolResult:
    """Parse ``action`` (CWM text, OpenAI JSON or a :class:`ToolCall`) and run it.

    Bad agent input never raises: a malformed action comes back as
    ``ToolResult(ok=False, error_kind="format")``.

    Raises:
        SweEnvError: an infrastructure fault (the sandbox broke).
    """
    tools = TOOLS if tools is None else tools
    call = parse_action(action, tools)
    if isinstance(call, FormatError):
        return ToolResult(output=call.message, ok=False, error_kind="format")
    tool = tools[call.name]
    try:
        return tool(sandbox, call.arguments, ctx)
    except SweEnvError:
        raise
    except Exception as exc:  # a tool bug must not take a whole rollout down
        logger.exception("tool %s failed on %r", call.name, call.arguments)
        return ToolResult(
            output=f"The {call.name} tool failed internally ({type(exc).__name__}: {exc}).",
            ok=False,
            error_kind="internal",
        )
