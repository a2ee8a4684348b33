"""Core types shared by every tool: calls, results, context and the ``Tool`` protocol.

Tools see only a :class:`~swe_env.sandbox.base.Sandbox`. They know no task, no
environment and no container engine. Whatever the agent does wrong (a bad path, a
missing match, a malformed argument) comes back as a :class:`ToolResult` with
``ok=False``; only infrastructure faults (:class:`~swe_env.errors.SweEnvError`) raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from swe_env.sandbox.base import Sandbox

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
"""Python types accepted for each JSON-schema ``type`` (``bool`` is excluded from numbers)."""


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
    """An action the agent can take."""

    @property
    def name(self) -> str:
        """The name the agent calls the tool by."""
        ...

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        ...

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling definition:
        ``{"type": "function", "function": {"name", "description", "parameters"}}``."""
        ...

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Run the tool. Bad input is reported in the result, never raised."""
        ...


def function_schema(
    name: str, description: str, properties: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Build an OpenAI function definition whose properties are all required and
    which accepts no other property."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {key: dict(value) for key, value in properties.items()},
                "required": list(properties),
                "additionalProperties": False,
            },
        },
    }


def validate_arguments(parameters: Mapping[str, Any], arguments: Any) -> str | None:
    """Check ``arguments`` against a flat JSON object schema.

    Only what tool schemas use is checked: the object type, ``required``,
    ``additionalProperties: false`` and each property's ``type``. Returns a message for
    the agent, or ``None`` when the arguments are valid.
    """
    if not isinstance(arguments, dict):
        return f"arguments must be a JSON object, not {_json_type_name(arguments)}"
    properties: Mapping[str, Any] = parameters.get("properties", {})
    problems: list[str] = []
    missing = [key for key in parameters.get("required", []) if key not in arguments]
    if missing:
        problems.append("missing required argument(s): " + ", ".join(missing))
    if parameters.get("additionalProperties", True) is False:
        extra = [key for key in arguments if key not in properties]
        if extra:
            allowed = ", ".join(properties) or "none"
            problems.append(
                "unexpected argument(s): " + ", ".join(map(str, extra)) + f" (allowed: {allowed})"
            )
    for key, spec in properties.items():
        if key not in arguments or "type" not in spec:
            continue
        expected = spec["type"]
        if not _has_type(arguments[key], expected):
            problems.append(
                f"argument {key!r} must be of type {expected}, "
                f"not {_json_type_name(arguments[key])}"
            )
    return "; ".join(problems) or None


def format_error(message: str) -> ToolResult:
    """A failed result for malformed input."""
    return ToolResult(output=message, ok=False, error_kind="format")


def failure(message: str, kind: str) -> ToolResult:
    """A failed result with the given error kind."""
    return ToolResult(output=message, ok=False, error_kind=kind)


def _has_type(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else list(expected)
    for type_name in names:
        if type_name in ("integer", "number") and isinstance(value, bool):
            continue
        if isinstance(value, JSON_TYPES.get(type_name, object)):
            return True
    return False


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for name in ("string", "integer", "number", "object", "array"):
        if isinstance(value, JSON_TYPES[name]):
            return name
    return type(value).__name__
