"""Turn a model's action into a :class:`ToolCall`, from either of two formats.

* **OpenAI JSON**: a function call as the chat-completions API returns it, e.g.
  ``{"type": "function", "function": {"name": "bash", "arguments": "{...}"}}``, a bare
  ``{"name": ..., "arguments": ...}``, or an assistant message holding ``tool_calls``.
* **CWM text tags** (Meta's Code World Model): one block such as
  ``<tool: bash>\\nls -la\\n</tool>`` somewhere in the completion.

Parsing never raises on bad input: it returns a :class:`FormatError` whose message tells
the agent what was wrong and how to fix it.

Text-format conventions: the block body is the text between the line of the opening
tag and the line of the closing tag. ``edit``'s SEARCH and REPLACE sections, and
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

from swe_env.tools.base import Tool, ToolCall, validate_arguments


@dataclass(frozen=True, slots=True)
class FormatError:
    """An action that could not be parsed; ``message`` is shown to the agent."""

    message: str
    raw: str | None = None


OPEN_TAG = re.compile(r"<tool:[ \t]*([^<>\n]*?)[ \t]*>")
CLOSE_TAG = "</tool>"
SEARCH_MARK = "<<<<<<< SEARCH"
DIVIDER_MARK = "======="
REPLACE_MARK = ">>>>>>> REPLACE"
TEXT_TOOLS = ("bash", "edit", "create", "submit")

_TEXT_SYNTAX = f"""<tool: bash>
[command]
</tool>

<tool: edit>
[path]
{SEARCH_MARK}
[lines to find]
{DIVIDER_MARK}
[lines to put instead]
{REPLACE_MARK}
</tool>

<tool: create>
[path]
[content]
</tool>

<tool: submit>
</tool>"""


def _default_tools() -> Mapping[str, Tool]:
    from swe_env.tools.registry import TOOLS

    return TOOLS


def parse_action(
    action: str | Mapping[str, Any] | ToolCall, tools: Mapping[str, Tool] | None = None
) -> ToolCall | FormatError:
    """Parse an action of any supported shape.

    A :class:`ToolCall` is validated as is; a mapping is read as OpenAI JSON; a string
    holding a JSON object is read as OpenAI JSON, any other string as CWM text.
    """
    tools = _default_tools() if tools is None else tools
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
    tools = _default_tools() if tools is None else tools
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
    tools = _default_tools() if tools is None else tools
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
    if name not in TEXT_TOOLS or name not in tools:
        known = ", ".join(n for n in TEXT_TOOLS if n in tools)
        return FormatError(f"Unknown tool {name!r}. Available tools: {known}.", raw)
    parsed = _TEXT_PARSERS[name](body)
    if isinstance(parsed, str):
        return FormatError(f"{parsed}\nThe {name} block must look like:\n{_syntax(name)}", raw)
    return _validate(ToolCall(name=name, arguments=parsed, raw=raw), tools)


def render_text_call(call: ToolCall) -> str:
    """The canonical CWM text block for ``call`` (for replaying or training data).

    ``parse_text_action(render_text_call(c))`` gives back ``c``'s arguments whenever
    they could have come from text: a bash command without surrounding whitespace,
    and SEARCH/REPLACE sections and file content that are empty or end with a newline.

    Raises:
        ValueError: the tool has no text form or an argument is missing.
    """
    args = call.arguments
    try:
        if call.name == "bash":
            return f"<tool: bash>\n{args['command']}\n{CLOSE_TAG}"
        if call.name == "edit":
            return (
                f"<tool: edit>\n{args['path']}\n{SEARCH_MARK}\n{_as_lines(args['old_str'])}"
                f"{DIVIDER_MARK}\n{_as_lines(args['new_str'])}{REPLACE_MARK}\n{CLOSE_TAG}"
            )
        if call.name == "create":
            return f"<tool: create>\n{args['path']}\n{_as_lines(args['content'])}{CLOSE_TAG}"
        if call.name == "submit":
            return f"<tool: submit>\n{CLOSE_TAG}"
    except KeyError as exc:
        raise ValueError(f"{call.name} call lacks argument {exc}") from None
    raise ValueError(f"tool {call.name!r} has no text form")


def text_syntax() -> str:
    """The tag syntax of every text-format tool, for prompts."""
    return _TEXT_SYNTAX


def _as_lines(value: str) -> str:
    return value if not value or value.endswith("\n") else value + "\n"


def _syntax(name: str) -> str:
    start = _TEXT_SYNTAX.index(f"<tool: {name}>")
    return _TEXT_SYNTAX[start : _TEXT_SYNTAX.index(CLOSE_TAG, start) + len(CLOSE_TAG)]


def _validate(call: ToolCall, tools: Mapping[str, Tool]) -> ToolCall | FormatError:
    tool = tools.get(call.name)
    if tool is None:
        known = ", ".join(tools)
        return FormatError(f"Unknown tool {call.name!r}. Available tools: {known}.", call.raw)
    problem = validate_arguments(tool.schema()["function"]["parameters"], call.arguments)
    if problem:
        return FormatError(
            f"Invalid arguments for {call.name}: {problem}. Expected {_example_arguments(tool)}.",
            call.raw,
        )
    return call


def _example_arguments(tool: Tool | None) -> str:
    if tool is None:
        return "{}"
    parameters = tool.schema()["function"]["parameters"]
    properties = parameters["properties"]
    shape = {key: f"<{spec.get('type', 'value')}>" for key, spec in properties.items()}
    return json.dumps(shape)


def _no_call_message() -> str:
    return (
        "No tool call found. Every reply must end with exactly one tool call, e.g.\n"
        "<tool: bash>\nls\n</tool>\n(or a function call, if you use the function-calling API)."
    )


def _lines_to_text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _parse_bash(body: str) -> dict[str, Any] | str:
    return {"command": body.strip()}


def _parse_submit(body: str) -> dict[str, Any] | str:
    if body.strip():
        return "submit takes no arguments: leave the block empty (the diff is computed for you)."
    return {}


def _parse_create(body: str) -> dict[str, Any] | str:
    path, newline, rest = body.partition("\n")
    if not path.strip():
        return "create needs the file path on the first line of the block."
    return {"path": path.strip(), "content": rest + "\n" if newline else ""}


def _parse_edit(body: str) -> dict[str, Any] | str:
    lines = body.split("\n")
    path = lines[0].strip()
    if path in (SEARCH_MARK, "") or path.startswith(("<<<<<<<", "=======", ">>>>>>>")):
        return "edit needs the file path on the first line of the block, before the SEARCH line."
    rest = [line.rstrip() for line in lines[1:]]
    searches = [i for i, line in enumerate(rest) if line == SEARCH_MARK]
    replaces = [i for i, line in enumerate(rest) if line == REPLACE_MARK]
    if len(searches) != 1 or len(replaces) != 1:
        several = " For several changes, make several edit calls." if len(searches) > 1 else ""
        return (
            f"edit needs exactly one {SEARCH_MARK} line and one {REPLACE_MARK} line (found "
            f"{len(searches)} and {len(replaces)}).{several}"
        )
    search, replace = searches[0], replaces[0]
    dividers = [i for i in range(search + 1, replace) if rest[i] == DIVIDER_MARK]
    if search > replace or not dividers:
        return (
            f"Write the {SEARCH_MARK} line, then a {DIVIDER_MARK} line, then the "
            f"{REPLACE_MARK} line, in that order."
        )
    if len(dividers) > 1:
        return (
            f"Found {len(dividers)} {DIVIDER_MARK} lines between {SEARCH_MARK} and "
            f"{REPLACE_MARK}, so the split is ambiguous. If the file itself has such a "
            "line, change that part with bash instead."
        )
    if any(line.strip() for line in rest[:search]):
        return f"Nothing may stand between the path line and {SEARCH_MARK}."
    if any(line.strip() for line in rest[replace + 1 :]):
        return f"Nothing may follow {REPLACE_MARK} inside the block."
    original = lines[1:]
    return {
        "path": path,
        "old_str": _lines_to_text(original[search + 1 : dividers[0]]),
        "new_str": _lines_to_text(original[dividers[0] + 1 : replace]),
    }


_TEXT_PARSERS = {
    "bash": _parse_bash,
    "edit": _parse_edit,
    "create": _parse_create,
    "submit": _parse_submit,
}
