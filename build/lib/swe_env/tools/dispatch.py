"""Run an action: parse it (either format) and dispatch it to the named tool."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from swe_env.errors import SweEnvError
from swe_env.sandbox.base import Sandbox
from swe_env.tools.base import Tool, ToolCall, ToolContext, ToolResult
from swe_env.tools.formats import FormatError, parse_action
from swe_env.tools.registry import TOOLS

logger = logging.getLogger(__name__)


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
