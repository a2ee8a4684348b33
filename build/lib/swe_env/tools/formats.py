"""Turn a model's action into a :class:`ToolCall`, from either of two formats.

* **OpenAI JSON**: a function call as the chat-completions API returns it, e.g.
  ``{"type": "function", "function": {"name": "bash", "arguments": "{...}"}}``, a bare
  ``{"name": ..., "arguments": ...}``, or an assistant message holding ``tool_calls``.
* **CWM text tags** (Meta's Code World Model): one block such as
  ``<tool: bash>\\nls -la\\n</tool>`` somewhere in the completion.

Parsing never raises on bad input: it returns a :class:`FormatError` whose message tells
the agent what was wrong and how to fix it.

This module only finds the tool block (or the JSON call) and names the tool: each tool
parses its own block body (``Tool.parse_text``) and validates its own arguments (its
pydantic model). Text-format conventions: the block body is the text between the line
of the opening tag and the line of the closing tag. ``edit``'s SEARCH and REPLACE sections, and
``create``'s content, are whole lines: each line keeps its newline, so an empty
REPLACE section deletes the searched lines and a created file ends with a newline.
(CWM's reference code drops that last newline; whole lines make deletions clean.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from swe_env.tools.base import Tool, ToolCall, check_arguments, function_schema
from swe_env.tools.registry import TOOLS


@dataclass(frozen=True, slots=True)
class FormatError:
    """An action that could not be parsed; ``message`` is shown to the agent."""

    message: str
    raw: str | None = None


OPEN_TAG = re.compile(r"<tool:[ \t]*([^<>\n]*?)[ \t]*>")
CLOSE_TAG = "</tool>"


def parse_action(
    action: str | Mapping[str, Any] | ToolCall, tools: Mapping[str, Tool] | None = None
) -> ToolCall | FormatError:
    """Parse an action of any supported shape.

    A :class:`ToolCall` is validated as is; a mapping is read as OpenAI JSON; a string
    holding a JSON object is read as OpenAI JSON, any other string as CWM text.
    """
    tools = TOOLS if tools is None else tools
    if isinstance(action, ToolCall):
        return _validate(action, tools)
    if isinstance(action, Mapping):
        return parse_openai_call(action, tools)
    if isinstance(action, str):
        stripped = action.strip()
        if stripped.startswith("{") and "<tool:" not in action:
            try:
                decoded = json.loads(stripped, strict=False)
            except json.JSONDecodeError:
                decoded = None
            if isinstance(decoded, dict):
                return parse_openai_call(decoded, tools, raw=action)
        return parse_text_action(action, tools)
    return FormatError(f"Unsupported action type {type(action).__name__}.")


def parse_openai_call(
    call: Mapping[str, Any], tools: Mapping[str, Tool] | None = None, raw: str | None = None
) -> ToolCall | FormatError:
    """Parse one OpenAI function call (or an assistant message with one ``tool_calls``)."""
    tools = TOOLS if tools is None else tools
    if raw is None:
        try:
            raw = json.dumps(call, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            raw = repr(call)
    if "tool_calls" in call:
        calls = call["tool_calls"]
        if not isinstance(calls, list) or not calls:
            return FormatError(_no_call_message(), raw)
        if len(calls) > 1:
            return FormatError(
                f"You made {len(calls)} tool calls; make exactly one call per turn.", raw
            )
        if not isinstance(calls[0], Mapping):
            return FormatError("A tool call must be a JSON object.", raw)
        call = calls[0]
    function = call.get("function", call)
    if not isinstance(function, Mapping):
        return FormatError('"function" must be an object with "name" and "arguments".', raw)
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return FormatError('The tool call has no "name".', raw)
    arguments = function.get("arguments", {})
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        arguments = {}
    elif isinstance(arguments, str):
        try:
            arguments = json.loads(arguments, strict=False)
        except json.JSONDecodeError as exc:
            return FormatError(
                f"The arguments of {name} are not valid JSON ({exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}). Send a JSON object such as "
                f"{_example_arguments(tools.get(name))}.",
                raw,
            )
    return _validate(ToolCall(name=name, arguments=arguments, raw=raw), tools)


def parse_text_action(text: str, tools: Mapping[str, Tool] | None = None) -> ToolCall | FormatError:
    """Find the single CWM tool block in a completion and parse it.

    Text before the block (reasoning) and after it is ignored.
    """
    tools = TOOLS if tools is None else tools
    opens = list(OPEN_TAG.finditer(text))
    open_count, close_count = text.count("<tool:"), text.count(CLOSE_TAG)
    if open_count == 0:
        if close_count:
            return FormatError(f"Found {CLOSE_TAG} without an opening <tool: NAME> tag.", text)
        return FormatError(_no_call_message(), text)
    if len(opens) != open_count:
        return FormatError(
            "Malformed opening tag: write it as <tool: NAME> on its own line, e.g. <tool: bash>.",
            text,
        )
    first = opens[0]
    end = text.find(CLOSE_TAG, first.end())
    if end == -1:
        return FormatError(
            f"The <tool: {first.group(1)}> block is not closed: end it with {CLOSE_TAG} "
            "on its own line.",
            text,
        )
    if open_count > 1 or close_count > 1:
        return FormatError(
            f"Found {max(open_count, close_count)} tool blocks; call exactly one tool per "
            "turn (and do not write tool tags inside a block).",
            text,
        )
    raw = text[first.start() : end + len(CLOSE_TAG)]
    name = first.group(1).strip()
    body = text[first.end() : end]
    body = body[1:] if body.startswith("\n") else body
    body = body[:-1] if body.endswith("\n") else body
    tool = tools.get(name)
    if tool is None:
        return FormatError(f"Unknown tool {name!r}. Available tools: {', '.join(tools)}.", raw)
    parsed = tool.parse_text(body)
    if isinstance(parsed, str):
        return FormatError(f"{parsed}\nThe {name} block must look like:\n{tool.syntax}", raw)
    return _validate(ToolCall(name=name, arguments=parsed, raw=raw), tools)


def render_text_call(call: ToolCall, tools: Mapping[str, Tool] | None = None) -> str:
    """The canonical CWM text block for ``call`` (for replaying or training data).

    ``parse_text_action(render_text_call(c))`` gives back ``c``'s arguments whenever
    they could have come from text: a bash command without surrounding whitespace,
    and SEARCH/REPLACE sections and file content that are empty or end with a newline.

    Raises:
        ValueError: the tool has no text form or an argument is missing.
    """
    tool = (TOOLS if tools is None else tools).get(call.name)
    if tool is None:
        raise ValueError(f"tool {call.name!r} has no text form")
    try:
        return tool.render_text(call.arguments)
    except KeyError as exc:
        raise ValueError(f"{call.name} call lacks argument {exc}") from None


def _validate(call: ToolCall, tools: Mapping[str, Tool]) -> ToolCall | FormatError:
    tool = tools.get(call.name)
    if tool is None:
        known = ", ".join(tools)
        return FormatError(f"Unknown tool {call.name!r}. Available tools: {known}.", call.raw)
    problem = check_arguments(tool, call.arguments)
    if problem:
        return FormatError(
            f"Invalid arguments for {call.name}: {problem}. Expected {_example_arguments(tool)}.",
            call.raw,
        )
    return call


def _example_arguments(tool: Tool | None) -> str:
    if tool is None:
        return "{}"
    parameters = function_schema(tool)["function"]["parameters"]
    properties = parameters["properties"]
    shape = {key: f"<{spec.get('type', 'value')}>" for key, spec in properties.items()}
    return json.dumps(shape)


def _no_call_message() -> str:
    return (
        "No tool call found. Every reply must end with exactly one tool call, e.g.\n"
        "<tool: bash>\nls\n</tool>\n(or a function call, if you use the function-calling API)."
    )
