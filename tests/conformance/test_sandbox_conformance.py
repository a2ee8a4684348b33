"""One suite, every Sandbox implementation: the Docker one and the tests' local one.

Each test gets ``box``: a sandbox and its working directory (where its shell starts and
a git repository is committed). What the Sandbox protocol promises is asserted the same
way for both; a backend that differs fails here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.local_sandbox import LocalSandbox

from swe_env.errors import SandboxClosed
from swe_env.sandbox.base import Sandbox
from swe_env.tools import ToolResult, execute
from swe_env.tools.base import ToolContext


@dataclass
class Box:
    sandbox: Sandbox
    workdir: str

    def path(self, relative: str) -> str:
        return f"{self.workdir}/{relative}"


def _local(tmp_path: Path) -> Iterator[Box]:
    root = (tmp_path / "testbed").resolve()
    root.mkdir()
    sandbox = LocalSandbox(root, tmp_path)
    yield Box(sandbox, str(root))
    sandbox.close()


def _docker(request: pytest.FixtureRequest) -> Iterator[Box]:
    from swe_env.sandbox.config import DockerSandboxConfig
    from swe_env.sandbox.provider import SandboxProvider

    client = request.getfixturevalue("docker_client")
    image = request.getfixturevalue("base_image")
    config = DockerSandboxConfig(memory="512m", pids_limit=256, command_timeout=30)
    with SandboxProvider(config, client=client) as provider:
        sandbox = provider.acquire(image, task="conformance")
        try:
            yield Box(sandbox, config.workdir)
        finally:
            provider.release(sandbox)


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def box(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Box]:
    yield from _local(tmp_path) if request.param == "local" else _docker(request)


# -- run ---------------------------------------------------------------------------------
def test_a_satisfies_the_protocol(box: Box) -> None:
    assert isinstance(box.sandbox, Sandbox) and box.sandbox.id


@pytest.mark.parametrize(("command", "code"), [("true", 0), ("false", 1), ("(exit 7)", 7)])
def test_run_reports_exit_codes(box: Box, command: str, code: int) -> None:
    result = box.sandbox.run(command)
    assert (result.exit_code, result.ended, result.timed_out) == (code, "exit", False)


def test_run_interleaves_stdout_and_stderr(box: Box) -> None:
    result = box.sandbox.run("echo out; echo err >&2; printf 'no newline'")
    assert result.output.splitlines() == ["out", "err", "no newline"]


def test_run_starts_in_the_workdir_and_keeps_cwd_and_env(box: Box) -> None:
    sb = box.sandbox
    assert sb.run("pwd").output.strip() == box.workdir
    assert sb.run("mkdir -p sub/deeper && cd sub/deeper").exit_code == 0
    assert sb.run("pwd").output.strip() == box.path("sub/deeper")
    assert sb.run("export CONFORMANCE_VAR='a b'").exit_code == 0
    assert sb.run('echo "[$CONFORMANCE_VAR]"').output.strip() == "[a b]"


def test_run_private_sees_nothing_the_agent_set(box: Box) -> None:
    box.sandbox.run("export CONFORMANCE_LEAK=1; cd /tmp")
    result = box.sandbox.run_private('echo "[${CONFORMANCE_LEAK:-}]"')
    assert result.output.strip() == "[]" and result.exit_code == 0


def test_a_timeout_is_reported_and_the_shell_goes_on(box: Box) -> None:
    box.sandbox.run("cd /tmp")
    started = time.monotonic()
    result = box.sandbox.run("echo begun; sleep 20", timeout=1)
    assert time.monotonic() - started < 10
    assert result.timed_out and result.exit_code is None and result.ended == "timeout"
    assert "begun" in result.output
    after = box.sandbox.run("echo still here")
    assert after.exit_code == 0 and "still here" in after.output


# -- files -------------------------------------------------------------------------------
def test_read_missing_file_and_directory(box: Box) -> None:
    with pytest.raises(FileNotFoundError):
        box.sandbox.read_file(box.path("no/such/file"))
    box.sandbox.run("mkdir -p adir")
    with pytest.raises(IsADirectoryError):
        box.sandbox.read_file(box.path("adir"))
    with pytest.raises(IsADirectoryError):
        box.sandbox.write_file(box.path("adir"), b"x")


def test_binary_and_large_files_round_trip(box: Box) -> None:
    blob = bytes(range(256)) * 4 + b"\x00\r\n\xff"
    box.sandbox.write_file(box.path("new/dir/blob.bin"), blob)
    assert box.sandbox.read_file(box.path("new/dir/blob.bin")) == blob
    big = bytes(range(256)) * (5 * 4096)  # 5 MiB
    box.sandbox.write_file(box.path("big.bin"), big)
    assert box.sandbox.read_file(box.path("big.bin")) == big
    assert box.sandbox.run(f"wc -c < {box.path('big.bin')}").output.strip() == str(len(big))
    with pytest.raises(ValueError):
        box.sandbox.read_file(box.path("big.bin"), max_bytes=1024)


def test_write_modes(box: Box) -> None:
    target = box.path("tool.sh")
    box.sandbox.write_file(target, b"#!/bin/sh\necho hi\n", mode=0o755)
    assert box.sandbox.run(f"stat -c %a {target}").output.strip() == "755"
    box.sandbox.write_file(target, b"#!/bin/sh\necho bye\n", mode=None)
    assert box.sandbox.run(f"stat -c %a {target} && {target}").output.split() == ["755", "bye"]


def test_close_is_idempotent_and_final(box: Box) -> None:
    box.sandbox.close()
    box.sandbox.close()
    with pytest.raises(SandboxClosed):
        box.sandbox.run("true")
    with pytest.raises(SandboxClosed):
        box.sandbox.read_file(box.path("x"))


# -- the four tools ------------------------------------------------------------------------
@pytest.fixture
def repo(box: Box) -> tuple[Box, ToolContext]:
    head = box.sandbox.run(
        "printf 'a = 1\\nb = 2\\na = 1\\n' > mod.py && mkdir -p pkg && "
        "git init -q && git add -A && git commit -qm base && git rev-parse HEAD"
    )
    assert head.exit_code == 0, head.output
    base = head.output.strip().splitlines()[-1]
    return box, ToolContext(base_commit=base, repo_root=box.workdir)


def call(repo: tuple[Box, ToolContext], name: str, **arguments: object) -> ToolResult:
    box, ctx = repo
    return execute(box.sandbox, {"name": name, "arguments": arguments}, ctx)


def test_bash_tool_reports_exit_codes(repo) -> None:
    ok = call(repo, "bash", command="echo hi")
    assert ok.ok and "hi" in ok.output
    failed = call(repo, "bash", command="exit_code_test() { return 3; }; exit_code_test")
    assert not failed.ok and failed.error_kind == "nonzero_exit" and "3" in failed.output


def test_edit_refuses_paths_outside_the_repository(repo) -> None:
    for path in ("../../etc/passwd", "/etc/passwd"):
        result = call(repo, "edit", path=path, old_str="root", new_str="toor")
        assert not result.ok and result.error_kind == "path"
    assert repo[0].sandbox.run("head -c 4 /etc/passwd").output == "root"


def test_edit_missing_file_directory_and_multiple_matches(repo) -> None:
    missing = call(repo, "edit", path="nope.py", old_str="x", new_str="y")
    assert not missing.ok and missing.error_kind == "not_found"
    directory = call(repo, "edit", path="pkg", old_str="x", new_str="y")
    assert not directory.ok and directory.error_kind == "is_directory"
    several = call(repo, "edit", path="mod.py", old_str="a = 1", new_str="a = 3")
    assert several.error_kind == "multiple_matches"
    nomatch = call(repo, "edit", path="mod.py", old_str="b  = 2", new_str="b = 5")
    assert nomatch.error_kind == "no_match" and "whitespace" in nomatch.output.lower()
    ok = call(repo, "edit", path="mod.py", old_str="b = 2", new_str="b = 5")
    assert ok.ok and "b = 5" in ok.output


def test_create_large_and_existing(repo) -> None:
    box, _ = repo
    content = ("x" * 99 + "\n") * 200_000  # 20 MB
    big = call(repo, "create", path="data/big.txt", content=content)
    assert big.ok, big.output
    size = box.sandbox.run(f"stat -c %s {box.path('data/big.txt')}").output.strip()
    assert size == str(len(content))
    again = call(repo, "create", path="data/big.txt", content="x")
    assert not again.ok and again.error_kind == "exists"


def test_submit_patch_has_new_and_binary_files(repo) -> None:
    box, _ = repo
    call(repo, "create", path="pkg/new.py", content="print('new')\n")
    box.sandbox.write_file(box.path("pkg/blob.bin"), bytes(range(256)))
    call(repo, "edit", path="mod.py", old_str="b = 2", new_str="b = 7")
    result = call(repo, "submit")
    assert result.done and result.patch
    assert "pkg/new.py" in result.patch and "GIT binary patch" in result.patch
    assert "+b = 7" in result.patch
