"""The ``bash`` tool: run a command in the sandbox's persistent shell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from swe_env.sandbox.base import Sandbox
from swe_env.tools.base import (
    ToolContext,
    ToolResult,
    format_error,
    function_schema,
    validate_arguments,
)

DESCRIPTION = (
    "Run a bash command in a persistent shell (the working directory and exported "
    "variables carry over between calls). Use it to explore the repository, read files, "
    "run tests and scripts. Commands must not be interactive. Long outputs are cut in "
    "the middle."
)


class BashTool:
    """Runs ``command`` through :meth:`Sandbox.run`, with the context's timeout."""

    name = "bash"
    description = DESCRIPTION

    def schema(self) -> dict[str, Any]:
        """The OpenAI function definition."""
        return function_schema(
            self.name,
            self.description,
            {"command": {"type": "string", "description": "The bash command(s) to run."}},
        )

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Run the command; its output (and a non-zero exit code) is the observation."""
        problem = validate_arguments(self.schema()["function"]["parameters"], dict(arguments))
        if problem:
            return format_error(f"bash: {problem}")
        command: str = arguments["command"]
        if not command.strip():
            return format_error("bash: the command is empty. Give a command to run.")
        result = sandbox.run(command, timeout=ctx.command_timeout)
        rendered = result.render().rstrip("\n")
        lines = [rendered] if rendered else []
        kind: str | None = None
        if result.timed_out or result.exit_code is None:
            kind = "timeout"
            if not result.notes:
                lines.append(f"[the command timed out after {ctx.command_timeout:g} s]")
        elif result.exit_code != 0:
            kind = "nonzero_exit"
            lines.append(f"[exit code: {result.exit_code}]")
        if not lines:
            lines.append("[no output]")
        return ToolResult(output="\n".join(lines), ok=kind is None, error_kind=kind)
