"""Core types shared by every tool: calls, results, context and the ``Tool`` protocol.

Tools see only a :class:`~swe_env.sandbox.base.Sandbox`. They know no task, no
environment and no container engine. Whatever the agent does wrong (a bad path, a
missing match, a malformed argument) comes back as a :class:`ToolResult` with
``ok=False``; only infrastructure faults (:class:`~swe_env.errors.SweEnvError`) raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from swe_env.sandbox.base import Sandbox


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One parsed action: which tool to run and with which arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None
    """The text the call was parsed from (a tool block or a JSON document), if any."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool hands back: the observation text and a few machine-readable flags."""

    output: str
    """The observation the agent sees."""
    ok: bool
    """The tool did what was asked (for ``bash``: the command exited with status 0)."""
    done: bool = False
    """The episode ends here; only ``submit`` sets it."""
    patch: str | None = None
    """The submitted diff (``submit`` only). Bytes that are not UTF-8 are kept as lone
    surrogates: ``patch.encode("utf-8", "surrogateescape")`` gives the exact bytes."""
    error_kind: str | None = None
    """A short tag for what went wrong: ``"format"``, ``"path"``, ``"not_found"``,
    ``"is_directory"``, ``"no_match"``, ``"multiple_matches"``, ``"exists"``, ..."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolContext:
    """Per-episode settings the tools need; built by the environment."""

    base_commit: str
    """The commit (a sha) that ``submit`` diffs the working tree against."""
    repo_root: str = "/testbed"
    """Absolute path of the repository inside the container. Paths given by the agent
    are resolved against it and may not leave it."""
    command_timeout: float = 120.0
    """Seconds a ``bash`` command (or the ``submit`` diff) may run."""
    max_file_bytes: int = 10 * 1024 * 1024
    """Largest file ``edit`` will read."""
    max_patch_bytes: int = 256 * 1024 * 1024
    """Largest patch ``submit`` will read back."""
    snippet_lines: int = 4
    """Lines of context shown around an edit."""


@runtime_checkable
class Tool(Protocol):
    """An action the agent can take, with everything that describes it: its argument
    model (the OpenAI schema and the validation derive from it) and its CWM text form."""

    @property
    def name(self) -> str:
        """The name the agent calls the tool by."""
        ...

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        ...

    @property
    def arguments_model(self) -> type[BaseModel]:
        """The pydantic model of the arguments (``extra="forbid"``, strict, described)."""
        ...

    @property
    def syntax(self) -> str:
        """The tool's CWM text block with placeholders (shown in prompts and errors)."""
        ...

    @property
    def text_help(self) -> str:
        """What the text block does, shown under :attr:`syntax` in the prompt."""
        ...

    @property
    def text_example(self) -> str:
        """A complete, parseable text block, for the prompt's examples."""
        ...

    def parse_text(self, body: str) -> dict[str, Any] | str:
        """The arguments held by a text block's body, or a message saying what is wrong."""
        ...

    def render_text(self, arguments: Mapping[str, Any]) -> str:
        """The canonical text block for ``arguments`` (``KeyError`` if one is missing)."""
        ...

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Run the tool. Bad input is reported in the result, never raised."""
        ...


class ToolArguments(BaseModel):
    """Base of every tool's argument model: strict JSON types, no unknown argument."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


M = TypeVar("M", bound=BaseModel)


def function_schema(tool: Tool) -> dict[str, Any]:
    """The OpenAI function definition of ``tool``, derived from its argument model:
    every property is a described string, all are required, no other is accepted."""
    generated = tool.arguments_model.model_json_schema()
    properties = {
        key: {"type": spec["type"], "description": spec["description"]}
        for key, spec in generated.get("properties", {}).items()
    }
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": list(properties),
                "additionalProperties": False,
            },
        },
    }


def check_arguments(tool: Tool, arguments: Any) -> str | None:
    """Validate ``arguments`` with the tool's model. Returns one line for the agent
    naming each wrong argument and what was wrong, or ``None`` when they are valid."""
    parsed = _validate(tool.arguments_model, arguments)
    return parsed if isinstance(parsed, str) else None


def validated(name: str, model: type[M], arguments: Any) -> M | ToolResult:
    """``arguments`` as the tool's typed model, or a ``format`` failure naming the tool."""
    parsed = _validate(model, arguments)
    return format_error(f"{name}: {parsed}") if isinstance(parsed, str) else parsed


def _validate(model: type[M], arguments: Any) -> M | str:
    if isinstance(arguments, Mapping) and not isinstance(arguments, dict):
        arguments = dict(arguments)  # any mapping is read as a JSON object
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        return describe_errors(exc, arguments, model)


def describe_errors(exc: ValidationError, arguments: Any, model: type[BaseModel]) -> str:
    """Turn pydantic's errors into ``missing ...; unexpected ...; argument 'x' must ...``."""
    missing: list[str] = []
    extra: list[str] = []
    problems: list[str] = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "missing":
            missing.append(key)
        elif error["type"] == "extra_forbidden":
            extra.append(key)
        elif not error["loc"]:
            return f"arguments must be a JSON object, not {json_type_name(arguments)}"
        else:
            expected = model.model_json_schema()["properties"][key].get("type", "value")
            problems.append(
                f"argument {key!r} must be of type {expected}, not {json_type_name(error['input'])}"
            )
    if extra:
        allowed = ", ".join(model.model_fields) or "none"
        problems.insert(0, f"unexpected argument(s): {', '.join(extra)} (allowed: {allowed})")
    if missing:
        problems.insert(0, "missing required argument(s): " + ", ".join(missing))
    return "; ".join(problems)


def json_type_name(value: Any) -> str:
    """The JSON type name of a decoded JSON value (``bool`` is ``boolean``)."""
    if value is None:
        return "null"
    names = ((bool, "boolean"), (str, "string"), (int, "integer"), (float, "number"))
    names += ((dict, "object"), (list, "array"))
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)


def format_error(message: str) -> ToolResult:
    """A failed result for malformed input."""
    return ToolResult(output=message, ok=False, error_kind="format")


def failure(message: str, kind: str) -> ToolResult:
    """A failed result with the given error kind."""
    return ToolResult(output=message, ok=False, error_kind=kind)


def as_lines(value: str) -> str:
    """``value`` as whole lines: empty, or ending with a newline (text-format bodies)."""
    return value if not value or value.endswith("\n") else value + "\n"
