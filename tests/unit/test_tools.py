"""Unit tests for the tools' logic, against a local subprocess-backed sandbox.

``LocalSandbox`` runs commands with ``bash -c`` on the host, in a temporary repository
whose real path is the tools' ``repo_root``; git, readlink and ``test -e`` are real.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from support.local_sandbox import LocalSandbox

from swe_env.errors import SandboxError
from swe_env.sandbox.base import CommandResult, Sandbox
from swe_env.tools import TOOLS, Tool, ToolCall, ToolContext, ToolResult, execute
from swe_env.tools.bash import BashTool
from swe_env.tools.edit import apply_edit, find_occurrences
from swe_env.tools.paths import PathError, ResolvedPath, lexical_resolve, resolve_path

APP = """import os


def greet(name):
    message = "hello " + name
    return message


def farewell(name):
    message = "bye " + name
    return message
"""


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent)}
    cmd = ["git", "-c", "user.name=T", "-c", "user.email=t@e.com", *args]
    return subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = (tmp_path / "repo").resolve()
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(APP)
    (root / "README.md").write_text("# demo\n")
    (root / "logo.bin").write_bytes(bytes(range(256)) * 4)
    (root / "old.txt").write_text("to be deleted\n")
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    (root / ".gitignore").write_text("*.log\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


@pytest.fixture
def sandbox(repo: Path, tmp_path: Path) -> LocalSandbox:
    return LocalSandbox(repo, tmp_path)


@pytest.fixture
def ctx(repo: Path) -> ToolContext:
    return ToolContext(base_commit=git(repo, "rev-parse", "HEAD").strip(), repo_root=str(repo))


def call(sandbox: Sandbox, ctx: ToolContext, name: str, **arguments: object) -> ToolResult:
    return execute(sandbox, ToolCall(name=name, arguments=dict(arguments)), ctx)


def test_local_sandbox_satisfies_protocol(sandbox: LocalSandbox) -> None:
    assert isinstance(sandbox, Sandbox)


# --- paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a.py", "/r/a.py"),
        ("./src/../b.py", "/r/b.py"),
        ("/r/x/y", "/r/x/y"),
        (".", "/r"),
        ("//r/z", "/r/z"),
    ],
)
def test_lexical_resolve_inside(path: str, expected: str) -> None:
    assert lexical_resolve(path, "/r") == expected


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "/etc/passwd", "a/../../x", "/r2/a", "", "  ", "a\nb", "a\x00"]
)
def test_lexical_resolve_refuses(path: str) -> None:
    assert isinstance(lexical_resolve(path, "/r"), PathError)


def test_resolve_path_follows_symlinks(sandbox: LocalSandbox, repo: Path, tmp_path: Path) -> None:
    (repo / "inner").symlink_to(repo / "src")
    resolved = resolve_path(sandbox, "inner/app.py", str(repo))
    assert resolved == ResolvedPath(
        path=str(repo / "src" / "app.py"),
        display="inner/app.py",
        lexical=str(repo / "inner/app.py"),
    )
    (repo / "etc_link").symlink_to("/etc")
    refused = resolve_path(sandbox, "etc_link/passwd", str(repo))
    assert isinstance(refused, PathError) and "symbolic link" in refused.message
    missing = resolve_path(sandbox, "new/dir/file.py", str(repo))
    assert isinstance(missing, ResolvedPath) and missing.path == str(repo / "new/dir/file.py")


def test_resolve_path_quotes_the_path(sandbox: LocalSandbox, repo: Path) -> None:
    resolved = resolve_path(sandbox, "x; touch pwned $(id)", str(repo))
    assert isinstance(resolved, ResolvedPath)
    assert not (repo / "pwned").exists()


# --- bash --------------------------------------------------------------------------


def test_bash_runs_in_repo(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(sandbox, ctx, "bash", command="ls src && echo done")
    assert result.ok and result.error_kind is None
    assert "app.py" in result.output and "done" in result.output


def test_bash_reports_exit_code(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(sandbox, ctx, "bash", command="echo oops >&2; exit 3")
    assert not result.ok and result.error_kind == "nonzero_exit"
    assert "oops" in result.output and "[exit code: 3]" in result.output


def test_bash_no_output(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    assert call(sandbox, ctx, "bash", command="true").output == "[no output]"


@pytest.mark.parametrize("command", ["", "   \n  "])
def test_bash_empty_command(sandbox: LocalSandbox, ctx: ToolContext, command: str) -> None:
    result = call(sandbox, ctx, "bash", command=command)
    assert result.error_kind == "format" and "empty" in result.output
    assert sandbox.commands == []


def test_bash_timeout(sandbox: LocalSandbox, repo: Path) -> None:
    quick = ToolContext(base_commit="HEAD", repo_root=str(repo), command_timeout=0.3)
    result = call(sandbox, quick, "bash", command="sleep 5")
    assert not result.ok and result.error_kind == "timeout" and "timed out" in result.output


def test_bash_bad_arguments(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    direct = TOOLS["bash"](sandbox, {"cmd": "ls"}, ctx)
    assert direct.error_kind == "format" and "command" in direct.output


# --- edit --------------------------------------------------------------------------


def test_edit_unique_match(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    result = call(
        sandbox,
        ctx,
        "edit",
        path="src/app.py",
        old_str='    message = "bye " + name\n',
        new_str='    message = "goodbye " + name\n    message += "!"\n',
    )
    assert result.ok, result.output
    text = (repo / "src/app.py").read_text()
    assert '"goodbye " + name\n    message += "!"\n    return message' in text
    assert "    10\t" in result.output and '    11\t    message += "!"' in result.output
    assert "     6\t" in result.output  # four lines of context before line 10


def test_edit_no_match_whitespace_hint(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(
        sandbox,
        ctx,
        "edit",
        path="src/app.py",
        old_str='def greet(name):\n  message = "hello " + name\n',
        new_str="x\n",
    )
    assert not result.ok and result.error_kind == "no_match"
    assert "whitespace is ignored" in result.output and "lines 4-5" in result.output
    assert "line 2 of old_str" in result.output and "line 5 of the file" in result.output


def test_edit_no_match_closest_lines(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(
        sandbox,
        ctx,
        "edit",
        path="src/app.py",
        old_str='def farewel(name):\n    message = "bye" + name\n',
        new_str="x\n",
    )
    assert result.error_kind == "no_match"
    assert "most similar text starts at line 9" in result.output
    assert "     9\tdef farewell(name):" in result.output


def test_edit_no_similar_lines(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(sandbox, ctx, "edit", path="README.md", old_str="zzzzzzzzzzzz", new_str="y")
    assert result.error_kind == "no_match" and "No similar lines" in result.output


def test_edit_multiple_matches(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    before = (repo / "src/app.py").read_text()
    result = call(sandbox, ctx, "edit", path="src/app.py", old_str="return message", new_str="r")
    assert result.error_kind == "multiple_matches"
    assert "2 times" in result.output and "lines 6, 11" in result.output
    assert (repo / "src/app.py").read_text() == before


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("missing.py", "not_found"),
        ("src", "is_directory"),
        ("README.md/x", "not_found"),
        ("../../etc/passwd", "path"),
        ("/etc/passwd", "path"),
    ],
)
def test_edit_bad_paths(sandbox: LocalSandbox, ctx: ToolContext, path: str, kind: str) -> None:
    result = call(sandbox, ctx, "edit", path=path, old_str="root", new_str="x")
    assert not result.ok and result.error_kind == kind, result.output


def test_edit_refuses_symlink_escape(
    sandbox: LocalSandbox, ctx: ToolContext, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    (repo / "evil.txt").symlink_to(outside)
    (repo / "etc").symlink_to("/etc")
    for path in ("evil.txt", "etc/passwd"):
        result = call(sandbox, ctx, "edit", path=path, old_str="secret", new_str="owned")
        assert result.error_kind == "path" and "outside the repository" in result.output
    assert outside.read_text() == "secret\n"


def test_edit_empty_old_str(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(sandbox, ctx, "edit", path="README.md", old_str="", new_str="x")
    assert result.error_kind == "empty_old_str" and "create" in result.output


def test_edit_identical_strings(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(sandbox, ctx, "edit", path="README.md", old_str="demo", new_str="demo")
    assert result.error_kind == "no_change"


def test_edit_non_utf8(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    (repo / "latin.txt").write_bytes(b"caf\xe9\n")
    result = call(sandbox, ctx, "edit", path="latin.txt", old_str="caf", new_str="bar")
    assert result.error_kind == "encoding" and "UTF-8" in result.output


def test_edit_too_large(sandbox: LocalSandbox, repo: Path) -> None:
    small = ToolContext(base_commit="HEAD", repo_root=str(repo), max_file_bytes=10)
    result = call(sandbox, small, "edit", path="src/app.py", old_str="import", new_str="x")
    assert result.error_kind == "too_large"


def test_edit_crlf_file(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    (repo / "win.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    result = call(sandbox, ctx, "edit", path="win.txt", old_str="two\nthree\n", new_str="2\n3\n")
    assert result.ok, result.output
    assert (repo / "win.txt").read_bytes() == b"one\r\n2\r\n3\r\n"


def test_edit_last_line_without_newline(
    sandbox: LocalSandbox, ctx: ToolContext, repo: Path
) -> None:
    (repo / "tail.txt").write_text("a\nb")
    result = call(sandbox, ctx, "edit", path="tail.txt", old_str="b\n", new_str="c\n")
    assert result.ok, result.output
    assert (repo / "tail.txt").read_text() == "a\nc"


def test_edit_keeps_executable_bit(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    result = call(sandbox, ctx, "edit", path="run.sh", old_str="echo hi", new_str="echo ho")
    assert result.ok
    assert (repo / "run.sh").stat().st_mode & stat.S_IXUSR
    assert (repo / "run.sh").read_text() == "#!/bin/sh\necho ho\n"


def test_apply_edit_pure() -> None:
    assert find_occurrences("aaa", "aa") == [0, 1]
    assert apply_edit("aaa", "aa", "b") == [1, 1]
    assert apply_edit("abc", "x", "y") is None
    replaced = apply_edit("l1\nl2\nl3\n", "l2\n", "n1\nn2\n")
    assert not isinstance(replaced, list) and replaced is not None
    assert (replaced.text, replaced.first_line, replaced.last_line) == ("l1\nn1\nn2\nl3\n", 2, 3)


# --- create ------------------------------------------------------------------------


def test_create_new_file_with_parents(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    result = call(sandbox, ctx, "create", path="pkg/sub/mod.py", content="x = 1\ny = 2\n")
    assert result.ok, result.output
    assert (repo / "pkg/sub/mod.py").read_text() == "x = 1\ny = 2\n"
    assert "12 bytes" in result.output and "2 lines" in result.output


def test_create_refuses_existing(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    (repo / "dangling").symlink_to(repo / "nowhere")
    for path in ("README.md", "src", "dangling"):
        result = call(sandbox, ctx, "create", path=path, content="new\n")
        assert result.error_kind == "exists", (path, result.output)
    assert (repo / "README.md").read_text() == "# demo\n"


@pytest.mark.parametrize("path", ["../escape.txt", "/etc/new.conf", "etc/new.conf"])
def test_create_refuses_escape(
    sandbox: LocalSandbox, ctx: ToolContext, repo: Path, path: str
) -> None:
    (repo / "etc").symlink_to(repo.parent)
    result = call(sandbox, ctx, "create", path=path, content="x")
    assert result.error_kind == "path", result.output
    assert not (repo.parent / "escape.txt").exists() and not (repo.parent / "new.conf").exists()


def test_create_large_content(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    content = ("0123456789" * 10 + "\n") * (50 * 1024 * 1024 // 101)
    result = call(sandbox, ctx, "create", path="big.txt", content=content)
    assert result.ok, result.output
    assert (repo / "big.txt").stat().st_size == len(content)
    assert sandbox.writes == [(str(repo / "big.txt"), len(content), None)]
    assert max(len(command) for command in sandbox.commands) < 1000


# --- submit ------------------------------------------------------------------------


def tree(root: Path) -> dict[str, tuple[bytes, bool]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), os.access(p, os.X_OK))
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_submit_patch_reproduces_tree(
    sandbox: LocalSandbox, ctx: ToolContext, repo: Path, tmp_path: Path
) -> None:
    clean = tmp_path / "clean"
    shutil.copytree(repo, clean, symlinks=True)
    assert call(
        sandbox, ctx, "edit", path="src/app.py", old_str="import os", new_str="import sys"
    ).ok
    assert call(sandbox, ctx, "create", path="docs/new.md", content="new file\n").ok
    (repo / "logo.bin").write_bytes(bytes(reversed(range(256))) * 4)
    (repo / "new.bin").write_bytes(b"\x00\x01\xff" * 100)
    (repo / "old.txt").unlink()
    (repo / "debug.log").write_text("ignored\n")
    (repo / "README.md").chmod(0o755)
    status_before = git(repo, "status", "--porcelain")

    result = call(sandbox, ctx, "submit")
    assert result.done and result.ok and result.error_kind is None
    patch = result.patch
    assert patch is not None
    for name in ("src/app.py", "docs/new.md", "logo.bin", "new.bin", "old.txt"):
        assert f"diff --git a/{name} b/{name}" in patch, name
    assert "GIT binary patch" in patch and "debug.log" not in patch
    assert "changing 6 file(s)" in result.output
    assert git(repo, "status", "--porcelain") == status_before  # real index untouched

    (clean / "patch.diff").write_text(patch)
    git(clean, "apply", "patch.diff")
    (clean / "patch.diff").unlink()
    (repo / "debug.log").unlink()
    assert tree(clean) == tree(repo)


def test_submit_includes_committed_changes(
    sandbox: LocalSandbox, ctx: ToolContext, repo: Path
) -> None:
    (repo / "README.md").write_text("# changed\n")
    assert call(sandbox, ctx, "bash", command="git add -A && git commit -qm agent").ok
    result = call(sandbox, ctx, "submit")
    assert result.patch and "+# changed" in result.patch


def test_submit_ignores_agent_git_environment(
    sandbox: LocalSandbox, ctx: ToolContext, repo: Path, tmp_path: Path
) -> None:
    (repo / "README.md").write_text("# changed\n")
    sandbox.env.update(GIT_DIR=str(tmp_path / "nowhere"), GIT_INDEX_FILE="/dev/null")
    result = call(sandbox, ctx, "submit")
    assert result.ok and result.patch and "+# changed" in result.patch


def test_submit_cleans_up_temp_files(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    (repo / "README.md").write_text("# changed\n")
    call(sandbox, ctx, "submit")
    pattern = re.compile(r"/tmp/swe_env_submit_[0-9a-f]+\.(?:index|patch)")
    temp_paths = {path for command in sandbox.commands for path in pattern.findall(command)}
    assert len(temp_paths) == 2
    assert not any(Path(path).exists() for path in temp_paths)


def test_submit_empty(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(sandbox, ctx, "submit")
    assert result.done and result.ok and result.patch == "" and "empty" in result.output


def test_submit_without_git(sandbox: LocalSandbox, ctx: ToolContext, repo: Path) -> None:
    shutil.rmtree(repo / ".git")
    result = call(sandbox, ctx, "submit")
    assert result.done and not result.ok and result.patch == "" and result.error_kind == "git"
    assert "no patch" in result.output


def test_submit_patch_too_large(sandbox: LocalSandbox, repo: Path, ctx: ToolContext) -> None:
    (repo / "README.md").write_text("# changed\n" * 100)
    tiny = ToolContext(base_commit=ctx.base_commit, repo_root=str(repo), max_patch_bytes=50)
    result = call(sandbox, tiny, "submit")
    assert result.done and result.patch == "" and "larger than 50 bytes" in result.output


def test_submit_rejects_arguments(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    result = call(sandbox, ctx, "submit", result="fix.patch")
    assert not result.done and result.error_kind == "format"


# --- execute -----------------------------------------------------------------------


def test_execute_text_and_json(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    text = execute(sandbox, "Let me look.\n<tool: bash>\necho hi there\n</tool>", ctx)
    assert text.ok and "hi there" in text.output
    json_call = {
        "type": "function",
        "function": {"name": "bash", "arguments": '{"command": "pwd"}'},
    }
    assert ctx.repo_root in execute(sandbox, json_call, ctx).output


@pytest.mark.parametrize(
    "action",
    ["", "no tool here", "<tool: rm>\n-rf\n</tool>", "{not json", {"name": "bash"}, {}, None, 42],
)
def test_execute_never_raises_on_bad_input(
    sandbox: LocalSandbox, ctx: ToolContext, action: object
) -> None:
    result = execute(sandbox, action, ctx)  # type: ignore[arg-type]
    assert not result.ok and result.error_kind == "format" and result.output


def test_execute_propagates_infrastructure_faults(ctx: ToolContext) -> None:
    class Broken(LocalSandbox):
        def run(self, command: str, timeout: float | None = None) -> CommandResult:
            raise SandboxError("container vanished")

        run_private = run

    broken = Broken(Path(ctx.repo_root), Path(ctx.repo_root))
    with pytest.raises(SandboxError):
        execute(broken, "<tool: bash>\nls\n</tool>", ctx)
    with pytest.raises(SandboxError):
        execute(broken, ToolCall("edit", {"path": "a", "old_str": "x", "new_str": "y"}), ctx)


def test_execute_contains_tool_bugs(sandbox: LocalSandbox, ctx: ToolContext) -> None:
    class Buggy(BashTool):
        def __call__(self, *_: object) -> ToolResult:
            raise KeyError("bug")

    result = execute(sandbox, "<tool: bash>\nls\n</tool>", ctx, tools={"bash": Buggy()})
    assert result.error_kind == "internal" and "KeyError" in result.output


def test_shell_functions_do_not_shadow_commands(
    sandbox: LocalSandbox, ctx: ToolContext, repo: Path
) -> None:
    # An agent (or an rc file) may define functions named like the commands tools use.
    for name in ("readlink", "stat", "git", "rm", "cp", "test"):
        sandbox.env[f"BASH_FUNC_{name}%%"] = "() { echo /; return 0; }"
    (repo / "README.md").write_text("# changed\n")
    assert call(sandbox, ctx, "edit", path="README.md", old_str="changed", new_str="edited").ok
    assert call(sandbox, ctx, "create", path="README.md", content="x").error_kind == "exists"
    assert call(sandbox, ctx, "edit", path="../x", old_str="a", new_str="b").error_kind == "path"
    result = call(sandbox, ctx, "submit")
    assert result.ok and result.patch and "+# edited" in result.patch


def test_registered_tools_follow_the_protocol() -> None:
    assert all(isinstance(tool, Tool) for tool in TOOLS.values())
    assert list(TOOLS) == ["bash", "edit", "create", "submit"]


_ENDINGS = [
    (CommandResult("out\n", 0), None, "out"),
    (CommandResult("", 2), "nonzero_exit", "[exit code: 2]"),
    (CommandResult("", None, True, ended="timeout", notes=("timed out",)), "timeout", "timed"),
    (CommandResult("", None, ended="shell_exited", notes=("exited",)), "shell_exited", "exited"),
    (CommandResult("", None, ended="shell_broken"), "shell_broken", "[no output]"),
    (CommandResult("x", None, ended="container_restarted"), "container_restarted", "x"),
    (CommandResult("x", 0, session_restarted=True, notes=("new",)), "shell_restarted", "[new]"),
    (CommandResult("x", 4, session_restarted=True), "shell_restarted", "[exit code: 4]"),
]


@pytest.mark.parametrize(("result", "kind", "shown"), _ENDINGS)
def test_bash_error_kind_names_how_the_command_ended(
    ctx: ToolContext, result: CommandResult, kind: str | None, shown: str
) -> None:
    class Fixed(LocalSandbox):
        def run(self, command: str, timeout: float | None = None) -> CommandResult:
            return result

    fixed = Fixed(Path(ctx.repo_root), Path(ctx.repo_root))
    tool_result = execute(fixed, "<tool: bash>\nanything\n</tool>", ctx)
    assert tool_result.error_kind == kind and tool_result.ok is (kind is None)
    assert shown in tool_result.output
