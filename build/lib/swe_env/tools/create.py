"""The ``create`` tool: write a new file; never overwrite an existing one."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from swe_env.sandbox.base import Sandbox
from swe_env.tools.base import ToolArguments, ToolContext, ToolResult, as_lines, failure, validated
from swe_env.tools.paths import PathError, resolve_path

DESCRIPTION = (
    "Create a new file with the given content. Fails if the path already exists (use "
    "edit to change an existing file). Missing parent directories are created. Paths "
    "are relative to the repository root."
)


class CreateArguments(ToolArguments):
    """The arguments of ``create``."""

    path: str = Field(description="The file to create.")
    content: str = Field(description="The full content of the file.")


class CreateTool:
    """Writes ``content`` to a path that does not exist yet."""

    name = "create"
    description = DESCRIPTION
    arguments_model = CreateArguments
    syntax = "<tool: create>\n[path]\n[content]\n</tool>"
    text_help = (
        "Creates a new file with the content (each line as written); fails if the path exists."
    )
    text_example = (
        "<tool: create>\ntests/test_dates.py\nfrom utils.dates import parse_date\n\n\n"
        'def test_empty_string():\n    assert parse_date("") is None\n</tool>'
    )

    def parse_text(self, body: str) -> dict[str, Any] | str:
        """The path on the first line; every following line (newline kept) is content."""
        path, newline, rest = body.partition("\n")
        if not path.strip():
            return "create needs the file path on the first line of the block."
        return {"path": path.strip(), "content": rest + "\n" if newline else ""}

    def render_text(self, arguments: Mapping[str, Any]) -> str:
        """The path line, then the content as whole lines."""
        return f"<tool: create>\n{arguments['path']}\n{as_lines(arguments['content'])}</tool>"

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Create the file, or explain why it could not be created."""
        args = validated(self.name, CreateArguments, arguments)
        if isinstance(args, ToolResult):
            return args
        content = args.content
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError:
            return failure("create: content is not valid Unicode (lone surrogate).", "encoding")
        resolved = resolve_path(sandbox, args.path, ctx.repo_root)
        if isinstance(resolved, PathError):
            return failure(f"create: {resolved.message}", "path")
        quoted = shlex.quote(resolved.lexical)  # not the target: a dangling link exists too
        probe = sandbox.run_private(
            f"if command test -d {quoted}; then echo directory; "
            f"elif command test -e {quoted} || command test -L {quoted}; then echo file; "
            "else echo none; fi",
            timeout=30,
        )
        state = probe.output.strip()
        if state == "directory":
            return failure(f"create: {resolved.display} already exists (a directory).", "exists")
        if state != "none":
            if state != "file":
                return failure(f"create: could not check {resolved.display}: {state}", "io")
            return failure(
                f"create: {resolved.display} already exists. Use edit to change it, or "
                "remove it with bash first if you really mean to replace it.",
                "exists",
            )
        try:
            sandbox.write_file(resolved.path, data, mode=None)
        except OSError as exc:
            return failure(f"create: could not write {resolved.display}: {exc}", "io")
        lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
        return ToolResult(
            output=f"Created {resolved.display} ({len(data)} bytes, {lines} lines).", ok=True
        )
