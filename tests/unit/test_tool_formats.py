"""Unit tests for action parsing (CWM text tags, OpenAI JSON), schemas and prompt text."""

from __future__ import annotations

import json
import re
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from swe_env.tools import (
    TOOLS,
    FormatError,
    ToolCall,
    openai_schemas,
    parse_action,
    parse_openai_call,
    parse_text_action,
    render_text_call,
    tool_instructions,
)
from swe_env.tools.base import check_arguments

EDIT_BLOCK = """<tool: edit>
src/app.py
<<<<<<< SEARCH
def f():
    return 1
=======
def f():
    return 2
>>>>>>> REPLACE
</tool>"""


def ok(result: ToolCall | FormatError) -> ToolCall:
    assert isinstance(result, ToolCall), getattr(result, "message", result)
    return result


def error(result: ToolCall | FormatError) -> str:
    assert isinstance(result, FormatError), result
    assert result.message
    return result.message


# --- CWM text format ---------------------------------------------------------------


def test_text_bash_with_reasoning_before_and_text_after() -> None:
    call = ok(parse_text_action("I will list files.\n\n<tool: bash>\nls -la\n</tool>\nthanks"))
    assert call.name == "bash" and call.arguments == {"command": "ls -la"}
    assert call.raw == "<tool: bash>\nls -la\n</tool>"


def test_text_bash_multiline_and_inline() -> None:
    assert ok(parse_text_action("<tool: bash>\ncd src\nls\n</tool>")).arguments == {
        "command": "cd src\nls"
    }
    assert ok(parse_text_action("<tool:bash>pwd</tool>")).arguments == {"command": "pwd"}


def test_text_edit() -> None:
    call = ok(parse_text_action(EDIT_BLOCK))
    assert call.arguments == {
        "path": "src/app.py",
        "old_str": "def f():\n    return 1\n",
        "new_str": "def f():\n    return 2\n",
    }


def test_text_edit_empty_replace_deletes_lines() -> None:
    text = "<tool: edit>\na.py\n<<<<<<< SEARCH\nx = 1\n=======\n>>>>>>> REPLACE\n</tool>"
    assert ok(parse_text_action(text)).arguments["new_str"] == ""


def test_text_edit_tolerates_trailing_spaces_on_markers() -> None:
    text = "<tool: edit>\na.py\n<<<<<<< SEARCH  \nx\n======= \ny\n>>>>>>> REPLACE\t\n</tool>"
    assert ok(parse_text_action(text)).arguments == {
        "path": "a.py",
        "old_str": "x\n",
        "new_str": "y\n",
    }


def test_text_create_and_submit() -> None:
    create = ok(parse_text_action("<tool: create>\npkg/new.py\nimport os\n\nx = 1\n</tool>"))
    assert create.arguments == {"path": "pkg/new.py", "content": "import os\n\nx = 1\n"}
    empty = ok(parse_text_action("<tool: create>\npkg/__init__.py\n</tool>"))
    assert empty.arguments == {"path": "pkg/__init__.py", "content": ""}
    assert ok(parse_text_action("done\n<tool: submit>\n</tool>")).arguments == {}
    assert ok(parse_text_action("<tool: submit></tool>")).name == "submit"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("I think the bug is in utils.py.", "No tool call found"),
        ("", "No tool call found"),
        ("ls\n</tool>", "without an opening"),
        ("<tool: bash>\nls -la\n", "not closed"),
        ("<tool: bash\nls\n</tool>", "Malformed opening tag"),
        ("<tool: bash>\nls\n</tool>\n<tool: bash>\npwd\n</tool>", "Found 2 tool blocks"),
        ("<tool: bash>\nls\n<tool: bash>\npwd\n</tool>", "Found 2 tool blocks"),
        ("<tool: bash>\necho </tool>\n</tool>", "Found 2 tool blocks"),
        ("<tool: python>\nprint(1)\n</tool>", "Unknown tool 'python'"),
        ("<tool: >\nls\n</tool>", "Unknown tool ''"),
        ("<tool: submit>\nfix.patch\n</tool>", "submit takes no arguments"),
        ("<tool: create>\n\nx = 1\n</tool>", "create needs the file path"),
        ("<tool: create>\n</tool>", "create needs the file path"),
    ],
)
def test_text_format_errors(text: str, fragment: str) -> None:
    assert fragment in error(parse_text_action(text))


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE", "file path on the first line"),
        ("\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE", "file path on the first line"),
        ("a.py\nx\n=======\ny\n>>>>>>> REPLACE", "found 0 and 1"),
        ("a.py\n<<<<<<< SEARCH\nx\n=======\ny", "found 1 and 0"),
        ("a.py", "found 0 and 0"),
        (
            "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"
            "<<<<<<< SEARCH\nz\n=======\nw\n>>>>>>> REPLACE",
            "several edit calls",
        ),
        ("a.py\n<<<<<<< SEARCH\nx\ny\n>>>>>>> REPLACE", "in that order"),
        ("a.py\n>>>>>>> REPLACE\nx\n=======\ny\n<<<<<<< SEARCH", "in that order"),
        ("a.py\n<<<<<<< SEARCH\nx\n=======\n=======\ny\n>>>>>>> REPLACE", "ambiguous"),
        ("a.py\nnote\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE", "between the path"),
        ("a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\nmore", "may follow"),
    ],
)
def test_text_edit_errors(body: str, fragment: str) -> None:
    message = error(parse_text_action(f"<tool: edit>\n{body}\n</tool>"))
    assert fragment in message
    assert "<<<<<<< SEARCH" in message  # the expected syntax is shown


ROUND_TRIP_CALLS = [
    ToolCall("bash", {"command": "ls -la"}),
    ToolCall("bash", {"command": "for f in *.py; do\n  echo $f\ndone"}),
    ToolCall("edit", {"path": "a.py", "old_str": "x = 1\n", "new_str": "x = 2\ny = 3\n"}),
    ToolCall("edit", {"path": "a.py", "old_str": "    if a:\n\n        b()\n", "new_str": ""}),
    ToolCall("edit", {"path": "a b/c.py", "old_str": "\n", "new_str": "\n\n"}),
    ToolCall("create", {"path": "new.py", "content": "print('hi')\n"}),
    ToolCall("create", {"path": "empty.py", "content": ""}),
    ToolCall("create", {"path": "blank.txt", "content": "\n\n"}),
    ToolCall("create", {"path": "doc.md", "content": "=======\n<<<<<<< SEARCH\n"}),
    ToolCall("submit", {}),
]


@pytest.mark.parametrize("call", ROUND_TRIP_CALLS, ids=lambda c: c.name)
def test_render_parse_round_trip(call: ToolCall) -> None:
    text = render_text_call(call)
    parsed = ok(parse_text_action(text))
    assert (parsed.name, parsed.arguments) == (call.name, call.arguments)
    assert render_text_call(parsed) == text
    assert parse_action(text) == parsed  # str dispatches to the text format


def test_render_adds_missing_final_newline() -> None:
    call = ToolCall("create", {"path": "a.txt", "content": "no newline"})
    assert render_text_call(call) == "<tool: create>\na.txt\nno newline\n</tool>"
    assert ok(parse_text_action(render_text_call(call))).arguments["content"] == "no newline\n"


def test_render_errors() -> None:
    with pytest.raises(ValueError, match="no text form"):
        render_text_call(ToolCall("python", {}))
    with pytest.raises(ValueError, match="lacks argument"):
        render_text_call(ToolCall("edit", {"path": "a.py"}))


# --- OpenAI JSON -------------------------------------------------------------------


LS_ARGS = '{"command": "ls"}'
LS_FUNCTION = {"name": "bash", "arguments": LS_ARGS}


@pytest.mark.parametrize(
    "action",
    [
        {"name": "bash", "arguments": {"command": "ls"}},
        LS_FUNCTION,
        {"type": "function", "function": LS_FUNCTION},
        {
            "id": "c1",
            "type": "function",
            "function": {**LS_FUNCTION, "arguments": {"command": "ls"}},
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "function": LS_FUNCTION}],
        },
        json.dumps({"name": "bash", "arguments": {"command": "ls"}}),
    ],
)
def test_openai_shapes(action: Any) -> None:
    call = ok(parse_action(action))
    assert (call.name, call.arguments) == ("bash", {"command": "ls"})
    assert call.raw


def test_openai_arguments_with_raw_newlines_and_empty_submit() -> None:
    call = ok(parse_openai_call({"name": "bash", "arguments": '{"command": "a\nb"}'}))
    assert call.arguments == {"command": "a\nb"}
    for arguments in ("", None, "{}", {}):
        assert ok(parse_openai_call({"name": "submit", "arguments": arguments})).name == "submit"
    assert ok(parse_openai_call({"name": "submit"})).arguments == {}


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        ({"name": "bash", "arguments": '{"command": "ls"'}, "not valid JSON"),
        ({"name": "bash", "arguments": "[1, 2]"}, "must be a JSON object, not array"),
        ({"name": "python", "arguments": {}}, "Unknown tool 'python'"),
        ({"arguments": {"command": "ls"}}, 'no "name"'),
        ({"name": "", "arguments": {}}, 'no "name"'),
        ({"name": "bash", "arguments": {}}, "missing required argument(s): command"),
        ({"name": "bash", "arguments": {"command": "ls", "cwd": "/"}}, "unexpected argument(s)"),
        ({"name": "bash", "arguments": {"command": 5}}, "'command' must be of type string"),
        ({"name": "bash", "arguments": {"command": 5}}, "not integer"),
        ({"name": "bash", "arguments": {"command": None}}, "not null"),
        ({"name": "edit", "arguments": {"path": "a", "old_str": "x"}}, "new_str"),
        ({"name": "create", "arguments": {"path": ["a"], "content": ""}}, "not array"),
        ({"name": "submit", "arguments": {"result": "x"}}, "unexpected argument(s): result"),
        ({"type": "function", "function": "bash"}, '"function" must be an object'),
        ({"tool_calls": []}, "No tool call found"),
        ({"tool_calls": None}, "No tool call found"),
        ({"tool_calls": ["bash"]}, "must be a JSON object"),
        ({"tool_calls": [{"function": LS_FUNCTION}] * 2}, "2 tool calls"),
    ],
)
def test_openai_errors(action: dict[str, Any], fragment: str) -> None:
    message = error(parse_openai_call(action))
    assert fragment in message


def test_openai_error_shows_expected_shape() -> None:
    message = error(parse_openai_call({"name": "edit", "arguments": {}}))
    assert '"path": "<string>"' in message and '"old_str"' in message


def test_parse_action_validates_tool_calls_and_odd_types() -> None:
    assert ok(parse_action(ToolCall("bash", {"command": "ls"}))).name == "bash"
    assert "missing" in error(parse_action(ToolCall("bash", {})))
    assert "Unknown tool" in error(parse_action(ToolCall("nope", {})))
    assert "Unsupported action type" in error(parse_action(3.5))  # type: ignore[arg-type]
    assert "No tool call found" in error(parse_action("{broken json"))
    assert "No tool call found" in error(parse_action("[1, 2]"))


def test_parse_with_custom_registry() -> None:
    only_bash = {"bash": TOOLS["bash"]}
    assert "Available tools: bash." in error(parse_action("<tool: edit>\na\n</tool>", only_bash))
    assert ok(parse_action({"name": "bash", "arguments": {"command": "x"}}, only_bash))


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"command": True}, "argument 'command' must be of type string, not boolean"),
        ({"command": 1.5}, "not number"),
        ({"command": {"a": 1}}, "not object"),
        ({"command": b"ls"}, "not bytes"),
        (None, "arguments must be a JSON object, not null"),
        ("ls", "arguments must be a JSON object, not string"),
        ({"cmd": 1}, "missing required argument(s): command; unexpected argument(s): cmd"),
    ],
)
def test_check_arguments_is_strict_and_names_the_argument(arguments: Any, fragment: str) -> None:
    problem = check_arguments(TOOLS["bash"], arguments)
    assert problem is not None and fragment in problem and "\n" not in problem


def test_check_arguments_accepts_valid_and_coerces_nothing() -> None:
    assert check_arguments(TOOLS["bash"], MappingProxyType({"command": "ls"})) is None
    assert check_arguments(TOOLS["edit"], {"path": "a", "old_str": "", "new_str": "b"}) is None
    assert check_arguments(TOOLS["submit"], {}) is None
    assert "allowed: none" in (check_arguments(TOOLS["submit"], {"x": 1}) or "")


# --- schemas and prompt text -------------------------------------------------------


def test_openai_schemas_shape() -> None:
    schemas = openai_schemas()
    assert [s["function"]["name"] for s in schemas] == ["bash", "edit", "create", "submit"]
    for schema in schemas:
        assert json.loads(json.dumps(schema)) == schema
        assert schema["type"] == "function"
        function = schema["function"]
        assert set(function) == {"name", "description", "parameters"}
        assert isinstance(function["description"], str) and function["description"]
        parameters = function["parameters"]
        assert parameters["type"] == "object"
        assert parameters["additionalProperties"] is False
        assert set(parameters["required"]) <= set(parameters["properties"])
        for spec in parameters["properties"].values():
            assert spec["type"] == "string" and spec["description"]


def test_openai_schemas_are_valid_json_schema() -> None:
    import jsonschema

    examples = {
        "bash": {"command": "ls"},
        "edit": {"path": "a", "old_str": "x", "new_str": "y"},
        "create": {"path": "a", "content": ""},
        "submit": {},
    }
    for schema in openai_schemas():
        parameters = schema["function"]["parameters"]
        jsonschema.Draft202012Validator.check_schema(parameters)
        jsonschema.validate(examples[schema["function"]["name"]], parameters)


def test_text_instructions_examples_parse() -> None:
    text = tool_instructions("text")
    blocks = re.findall(r"<tool: \w+>\n(?:(?!</tool>).)*?</tool>", text, re.DOTALL)
    examples = blocks[4:]
    assert [ok(parse_text_action(b)).name for b in examples] == ["bash", "edit", "create", "submit"]
    for marker in ("<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"):
        assert marker in text


def test_openai_instructions_and_bad_format() -> None:
    text = tool_instructions("openai")
    assert all(name in text for name in TOOLS)
    assert "<tool:" not in text
    with pytest.raises(ValueError, match="unknown action format"):
        tool_instructions("yaml")  # type: ignore[arg-type]


# --- a tool carries its own format ------------------------------------------------


class _ViewArguments(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    path: str = Field(description="The file to show.")


class _ViewTool:
    """A tool this package does not know: everything about it comes from the tool."""

    name = "view"
    description = "Show a file."
    arguments_model = _ViewArguments
    syntax = "<tool: view>\n[path]\n</tool>"
    text_help = "Shows the file."
    text_example = "<tool: view>\nsrc/app.py\n</tool>"

    def parse_text(self, body: str) -> dict[str, Any] | str:
        return {"path": body.strip()} if body.strip() else "view needs a path."

    def render_text(self, arguments: Any) -> str:
        return f"<tool: view>\n{arguments['path']}\n</tool>"

    def __call__(self, *_: object) -> Any:
        raise NotImplementedError


def test_a_new_tool_brings_its_schema_text_form_and_prompt() -> None:
    tools = {**TOOLS, "view": _ViewTool()}
    call = ok(parse_text_action("look:\n<tool: view>\nsrc/app.py\n</tool>", tools))
    assert call.arguments == {"path": "src/app.py"}
    assert render_text_call(call, tools) == "<tool: view>\nsrc/app.py\n</tool>"
    message = error(parse_text_action("<tool: view>\n</tool>", tools))
    assert "view needs a path." in message and "<tool: view>\n[path]\n</tool>" in message
    assert "'path' must be of type string, not integer" in error(
        parse_openai_call({"name": "view", "arguments": {"path": 3}}, tools)
    )
    schema = openai_schemas(tools)[-1]["function"]
    assert schema["parameters"] == {
        "type": "object",
        "properties": {"path": {"type": "string", "description": "The file to show."}},
        "required": ["path"],
        "additionalProperties": False,
    }
    text = tool_instructions("text", tools)
    assert "<tool: view>\n[path]\n</tool>\nShows the file." in text
    assert "<tool: view>\nsrc/app.py\n</tool>" in text
