"""The ``create`` tool: write a new file; never overwrite an existing one."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from swe_env.errors import SweEnvError
from swe_env.sandbox.base import Sandbox
from swe_env.tools.base import (
    ToolContext,
    ToolResult,
    failure,
    format_error,
    function_schema,
    validate_arguments,
)
from swe_env.tools.paths import PathError, resolve_path

DESCRIPTION = (
    "Create a new file with the given content. Fails if the path already exists (use "
    "edit to change an existing file). Missing parent directories are created. Paths "
    "are relative to the repository root."
)


class CreateTool:
    """Writes ``content`` to a path that does not exist yet."""

    name = "create"
    description = DESCRIPTION

    def schema(self) -> dict[str, Any]:
        """The OpenAI function definition."""
        return function_schema(
            self.name,
            self.description,
            {
                "path": {"type": "string", "description": "The file to create."},
                "content": {"type": "string", "description": "The full content of the file."},
            },
        )

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Create the file, or explain why it could not be created."""
        problem = validate_arguments(self.schema()["function"]["parameters"], dict(arguments))
        if problem:
            return format_error(f"create: {problem}")
        content: str = arguments["content"]
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError:
            return failure("create: content is not valid Unicode (lone surrogate).", "encoding")
        resolved = resolve_path(sandbox, arguments["path"], ctx.repo_root)
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
        except SweEnvError:
            raise
        except OSError as exc:
            return failure(f"create: could not write {resolved.display}: {exc}", "io")
        lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
        return ToolResult(
            output=f"Created {resolved.display} ({len(data)} bytes, {lines} lines).", ok=True
        )
