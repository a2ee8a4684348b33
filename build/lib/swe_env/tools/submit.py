"""The ``submit`` tool: end the episode and hand back the diff against the base commit."""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Mapping
from typing import Any

from swe_env.sandbox.base import Sandbox
from swe_env.tools.base import ToolArguments, ToolContext, ToolResult, validated

DESCRIPTION = (
    "Finish the task. Your changes to the repository (modified, new and deleted files) "
    "are collected as a diff against the original commit and graded. This ends the "
    "episode; make sure your fix is complete first. Takes no arguments."
)

# Variables an agent may have exported in the persistent shell that would redirect or
# reshape what git reads and prints.
_GIT_ENV = (
    "GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY "
    "GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_NAMESPACE GIT_CONFIG GIT_CONFIG_PARAMETERS "
    "GIT_CONFIG_COUNT GIT_EXTERNAL_DIFF GIT_DIFF_OPTS GIT_CEILING_DIRECTORIES"
)
_DIFF_HEADER = re.compile(r"^diff --git a/(.*?) b/", re.MULTILINE)
MAX_LISTED_FILES = 20


def diff_script(repo_root: str, base_commit: str, index_file: str, patch_file: str) -> str:
    """The shell script that writes the working tree's diff against ``base_commit``.

    It runs in a subshell so that the agent's shell keeps its directory, and it stages
    into a temporary index (a copy of the real one) so the repository is left as it is.
    Untracked files are included (ignored ones are not), binary files in git's binary
    format, renames as a deletion plus an addition (so plain ``patch`` can apply it).
    """
    index, patch = shlex.quote(index_file), shlex.quote(patch_file)
    return (
        f"(unset {_GIT_ENV}\n"
        "g() { command git -c safe.directory='*' \"$@\"; }\n"
        f"builtin cd -- {shlex.quote(repo_root)} && idx=$(g rev-parse --git-path index) && "
        f'{{ [ ! -f "$idx" ] || command cp -- "$idx" {index}; }} && '
        f"GIT_INDEX_FILE={index} g add -A && "
        f"GIT_INDEX_FILE={index} g diff --cached --binary --full-index --no-color "
        "--no-ext-diff --no-textconv --no-renames --src-prefix=a/ --dst-prefix=b/ "
        f"{shlex.quote(base_commit)} -- > {patch}\n"
        f"rc=$?; command rm -f -- {index}; exit $rc)"
    )


class SubmitArguments(ToolArguments):
    """``submit`` takes no arguments."""


class SubmitTool:
    """Computes the patch and ends the episode."""

    name = "submit"
    description = DESCRIPTION
    arguments_model = SubmitArguments
    syntax = "<tool: submit>\n</tool>"
    text_help = "Finishes the task and submits your changes. Leave the block empty."
    text_example = "<tool: submit>\n</tool>"

    def parse_text(self, body: str) -> dict[str, Any] | str:
        """The block must be empty."""
        if body.strip():
            return (
                "submit takes no arguments: leave the block empty (the diff is computed for you)."
            )
        return {}

    def render_text(self, arguments: Mapping[str, Any]) -> str:
        """An empty block."""
        return "<tool: submit>\n</tool>"

    def __call__(
        self, sandbox: Sandbox, arguments: Mapping[str, Any], ctx: ToolContext
    ) -> ToolResult:
        """Return ``done=True`` and the patch; if git fails, the patch is ``""``."""
        args = validated(self.name, SubmitArguments, arguments)
        if isinstance(args, ToolResult):
            return args
        token = secrets.token_hex(8)
        index_file = f"/tmp/swe_env_submit_{token}.index"
        patch_file = f"/tmp/swe_env_submit_{token}.patch"
        script = diff_script(ctx.repo_root, ctx.base_commit, index_file, patch_file)
        try:
            result = sandbox.run_private(script, timeout=ctx.command_timeout)
            if result.exit_code != 0:
                detail = result.render().strip() or f"exit code {result.exit_code}"
                return _failed(f"git could not compute the diff: {detail}")
            try:
                data = sandbox.read_file(patch_file, max_bytes=ctx.max_patch_bytes)
            except ValueError:
                return _failed(f"the patch is larger than {ctx.max_patch_bytes} bytes")
            except OSError as exc:
                return _failed(f"the patch could not be read back: {exc}")
        finally:
            cleanup = f"command rm -f -- {shlex.quote(patch_file)} {shlex.quote(index_file)}"
            sandbox.run_private(cleanup, 30)
        patch = data.decode("utf-8", "surrogateescape")
        return ToolResult(output=_summary(patch, len(data)), ok=True, done=True, patch=patch)


def _failed(reason: str) -> ToolResult:
    return ToolResult(
        output=f"Submitted, but no patch could be produced ({reason}). The submission is empty.",
        ok=False,
        done=True,
        patch="",
        error_kind="git",
    )


def _summary(patch: str, size: int) -> str:
    if not patch:
        return "Submitted an empty patch: the repository does not differ from the base commit."
    files = _DIFF_HEADER.findall(patch)
    listed = "\n".join(f"  {name}" for name in files[:MAX_LISTED_FILES])
    if len(files) > MAX_LISTED_FILES:
        listed += f"\n  ... and {len(files) - MAX_LISTED_FILES} more"
    return f"Submitted a patch of {size} bytes changing {len(files)} file(s):\n{listed}"
