"""The ``bash`` tool: run a command in the sandbox's persistent shell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from swe_env.sandbox.base import CommandResult, Sandbox
from swe_env.tools.base import ToolArguments, ToolContext, ToolResult, format_error, validated

DESCRIPTION = (
    "Run a bash command in a persistent shell (the working directory and exported "
    "variables carry over between calls; set -e, -u, -x and -v last for one call). "
    "Use it to explore the repository, read files, "
    "run tests and scripts. Commands must not be interactive. Long outputs are cut in "
    "the middle."
)


class BashArguments(ToolArguments):
    """The arguments of ``bash``."""

    command: str = Field(description="The bash command(s) to run.")


class BashTool:
    """Runs ``command`` through :meth:`Sandbox.run`, with the context's timeout."""

    name = "bash"
    description = DESCRIPTION
    arguments_model = BashArguments
    syntax = "<tool: bash>\n[command]\n</tool>"
    text_help = "Runs the command(s) in a persistent bash shell and shows the output."
    text_example = '<tool: bash>\ngrep -rn "def parse_date" src/\n</tool>'

    def parse_text(self, body: str) -> dict[str, Any] | str:
        """The whole body, stripped, is the command."""
        return {"command": body.strip()}

    def render_text(self, arguments: Mapping[str, Any]) -> str:
        """The command between the tags, on lines of its own."""
        return f"<tool: bash>\n{arguments['command']}\n</tool>"

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Run the command; its output (and a non-zero exit code) is the observation."""
        args = validated(self.name, BashArguments, arguments)
        if isinstance(args, ToolResult):
            return args
        command = args.command
        if not command.strip():
            return format_error("bash: the command is empty. Give a command to run.")
        result = sandbox.run(command, timeout=ctx.command_timeout)
        rendered = result.render().rstrip("\n")
        lines = [rendered] if rendered else []
        kind = error_kind(result)
        if kind == "timeout" and not result.notes:
            lines.append(f"[the command timed out after {ctx.command_timeout:g} s]")
        if result.ended == "exit" and result.exit_code:
            lines.append(f"[exit code: {result.exit_code}]")
        if not lines:
            lines.append("[no output]")
        return ToolResult(output="\n".join(lines), ok=kind is None, error_kind=kind)


def error_kind(result: CommandResult) -> str | None:
    """What went wrong, as :attr:`ToolResult.error_kind`: ``None`` (exit status 0, same
    shell), ``"nonzero_exit"``, ``"shell_restarted"`` (the command finished but left the
    shell beyond repair, e.g. lowered hard limits, so a new one was started), or the
    :attr:`CommandResult.ended` reason: ``"timeout"``, ``"shell_exited"``,
    ``"shell_broken"``, ``"container_restarted"``."""
    if result.ended != "exit":
        return result.ended
    if result.session_restarted:
        return "shell_restarted"
    if result.exit_code is None:
        return "timeout"  # a Sandbox that predates `ended`
    return "nonzero_exit" if result.exit_code else None
