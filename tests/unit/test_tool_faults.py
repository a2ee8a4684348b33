"""Infrastructure faults raise through every tool; the agent's file errors are observations.

No :class:`SweEnvError` may be an :class:`OSError`: the tools turn ``OSError`` from a file
read or write into an observation, so an infrastructure fault that was also an OSError
would reach the agent as a message (and be counted against it) unless every handler
remembered to re-raise it first.
"""

from __future__ import annotations

import errno

import pytest

import swe_env.errors
from swe_env.errors import DockerUnavailable, SweEnvError, TaskError
from swe_env.sandbox.base import CommandResult
from swe_env.tools import ToolCall, ToolContext, execute

CALLS = {
    "bash": ToolCall("bash", {"command": "ls"}),
    "edit": ToolCall("edit", {"path": "a.py", "old_str": "x = 1\n", "new_str": "x = 2\n"}),
    "create": ToolCall("create", {"path": "new.py", "content": "y = 1\n"}),
    "submit": ToolCall("submit", {}),
}


def all_errors() -> list[type[SweEnvError]]:
    found: list[type[SweEnvError]] = []
    todo: list[type[SweEnvError]] = [SweEnvError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == swe_env.errors.__name__]


class FaultySandbox:
    """Paths resolve, ``a.py`` exists; ``fail`` is raised where ``where`` says."""

    id = "faulty"

    def __init__(self, root: str, fail: BaseException, where: set[str]) -> None:
        self.root, self.fail, self.where = root, fail, where

    def run_private(self, command: str, timeout: float | None = None) -> CommandResult:
        if "run" in self.where:
            raise self.fail
        if "readlink" in command:  # resolve_path: the root, then the path itself
            path = command.rsplit("-- ", 1)[1].strip("'")
            return CommandResult(f"{self.root}\n{path}\n", 0)
        if "echo directory" in command:  # create's existence probe
            return CommandResult("none\n", 0)
        return CommandResult("", 0)  # submit's diff script and clean-up

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        return self.run_private(command, timeout)

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        if "read" in self.where:
            raise self.fail
        return b"x = 1\n"

    def write_file(self, path: str, data: bytes, mode: int | None = 0o644) -> None:
        if "write" in self.where:
            raise self.fail

    def close(self) -> None:
        pass


CTX = ToolContext(base_commit="0" * 40, repo_root="/testbed")
# TaskError stays a ValueError (the task loader's contract) and no sandbox can raise it
# (the sandbox knows no task); a sandbox's ValueError means "file too large".
INFRA = [cls("engine gone") for cls in all_errors() if cls not in (SweEnvError, TaskError)]
# where each tool touches the sandbox: every place an infrastructure fault can come from
TOUCHES = [("bash", "run"), ("edit", "run"), ("edit", "read"), ("edit", "write")]
TOUCHES += [("create", "run"), ("create", "write"), ("submit", "run"), ("submit", "read")]
AGENT_OS_ERRORS = [
    PermissionError(errno.EACCES, "Permission denied"),
    FileNotFoundError(errno.ENOENT, "No such file or directory"),
    OSError(errno.EIO, "Input/output error"),
    OSError(errno.ENOSPC, "No space left on device"),
]


def test_no_infrastructure_error_is_an_os_error() -> None:
    assert DockerUnavailable in all_errors() and len(all_errors()) >= 8
    assert [cls.__name__ for cls in all_errors() if issubclass(cls, OSError)] == []


@pytest.mark.parametrize("fault", INFRA, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(("name", "where"), TOUCHES)
def test_an_infrastructure_fault_always_raises(name: str, where: str, fault: Exception) -> None:
    sandbox = FaultySandbox(CTX.repo_root, fault, {where})
    with pytest.raises(type(fault)):
        execute(sandbox, CALLS[name], CTX)  # type: ignore[arg-type]


@pytest.mark.parametrize("fault", AGENT_OS_ERRORS, ids=lambda e: type(e).__name__ + str(e.errno))
@pytest.mark.parametrize(("name", "where"), [t for t in TOUCHES if t[1] != "run"])
def test_a_file_os_error_is_an_observation(name: str, where: str, fault: OSError) -> None:
    sandbox = FaultySandbox(CTX.repo_root, fault, {where})
    result = execute(sandbox, CALLS[name], CTX)  # type: ignore[arg-type]
    assert not result.ok and result.error_kind not in (None, "internal", "format")
    assert (result.output and name in result.output) or "patch" in result.output


def test_the_faulty_sandbox_works_when_nothing_fails() -> None:
    sandbox = FaultySandbox(CTX.repo_root, RuntimeError("unused"), set())
    results = {name: execute(sandbox, call, CTX) for name, call in CALLS.items()}  # type: ignore[arg-type]
    assert all(result.ok for result in results.values()), results
    assert results["submit"].done and results["submit"].patch == "x = 1\n"
