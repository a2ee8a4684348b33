"""Hostile actions through SWEEnv on a demo task: after each one, every tool still works.

Each case resets a fresh episode, takes one hostile action (a bash command, or a tool
call), and then checks the four tools through ``env.step``: bash runs a command and
returns its output and exit code, edit edits a file, create creates one, and submit
returns a patch holding both changes. The hostile step itself must come back as an
observation: nothing the agent does may raise out of ``env.step``.
"""

from __future__ import annotations

import errno
import time
from typing import Any

import pytest

from swe_env.env import SWEEnv
from swe_env.errors import SweEnvError
from swe_env.images.build import ensure_images
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TASK = "demo/textkit-slug-trailing-separator"
OLD_DOC = '"""textkit - small text helpers."""'
NEW_DOC = '"""textkit - hostile-proof text helpers."""'
LEAKS = ("LEAK-", "SPAM-", "TRAPPED", "hijacked")


def bash(command: str) -> dict[str, Any]:
    return {"name": "bash", "arguments": {"command": command}}


def create(path: str, content: str) -> dict[str, Any]:
    return {"name": "create", "arguments": {"path": path, "content": content}}


# Functions named like the builtins and commands the framing and the tools use.
SHADOWED = ["command", "cd", "echo", "base64", "cat", "git", "readlink", "stat", "mkdir"]
SHADOWED += ["chmod", "rm", "cp", "test", "printf", "read", "mapfile", "ulimit", "shopt"]
SHADOWS = "; ".join(f"{name}() {{ builtin echo hijacked; }}" for name in SHADOWED)
SPECIAL = "; ".join(
    f"{name}() {{ builtin echo hijacked; }}" for name in ["eval", "set", "trap", "unset", "exec"]
)
# A DEBUG trap that runs every command mentioning printf (the old end-marker printer)
# early, with a forged status: it learns whatever the framing's command line holds.
FORGER = (
    "trap 'case $BASH_COMMAND in *printf*|*SWE*|*swe*) "
    'builtin eval "${BASH_COMMAND//\\$?/42}";; esac\' DEBUG'
)

HOSTILE: dict[str, dict[str, Any]] = {
    "set -x": bash("set -x"),
    "set -v": bash("set -v"),
    "set -e": bash("set -e"),
    "set -u": bash("set -u"),
    "set -euo pipefail": bash("set -euo pipefail"),
    "set -n": bash("set -n"),
    "set -f": bash("set -f; GLOBIGNORE='*'"),
    "set -o posix": bash("set -o posix"),
    "shopt failglob": bash("shopt -s failglob nullglob extglob"),
    "extdebug DEBUG trap": bash("shopt -s extdebug; trap 'false' DEBUG"),
    "DEBUG RETURN ERR EXIT traps": bash(
        "trap 'echo TRAPPED' DEBUG RETURN ERR EXIT; set -T; set -E"
    ),
    "forged end marker": bash(FORGER),
    "slow DEBUG trap": bash("trap 'sleep 100' DEBUG"),
    "function eval": bash("eval() { echo hijacked; }"),
    "function builtin": bash("builtin() { echo hijacked; }"),
    "functions shadowing commands": bash(SHADOWS),
    "functions shadowing special builtins": bash(SPECIAL),
    "aliases": bash(
        "shopt -s expand_aliases; alias eval='echo hijacked' printf='echo hijacked' "
        "builtin='echo hijacked' '{'=: case=: if=: for=:"
    ),
    "enable -n": bash("enable -n eval builtin printf trap set"),
    "readonly POSIXLY_CORRECT": bash("readonly POSIXLY_CORRECT"),
    "PS4 command substitution": bash("PS4='$(echo PS4 >&2)+ '; set -x"),
    "BASH_XTRACEFD": bash("exec 7>&1; BASH_XTRACEFD=7; set -x"),
    "ulimit -n 3": bash("ulimit -n 3"),
    "ulimit -f 0": bash("ulimit -f 0"),
    "ulimit -v": bash("ulimit -v 100000"),
    "ulimit -u 1": bash("ulimit -u 1"),
    "exec >/dev/null": bash("exec >/dev/null"),
    "exec 2>&-": bash("exec 2>&-"),
    "exec 0<&-": bash("exec 0<&-"),
    "close every fd": bash('for fd in /proc/$$/fd/*; do eval "exec ${fd##*/}>&-"; done'),
    "readonly PATH": bash("PATH=/nonexistent; readonly PATH"),
    "unset PATH": bash("unset PATH"),
    "IFS": bash("IFS=/0123456789"),
    "cd into a deleted dir": bash("mkdir -p /tmp/gone && cd /tmp/gone && rmdir /tmp/gone"),
    "unset HOME": bash("unset HOME"),
    "umask 777": bash("umask 777"),
    "git environment": bash("export GIT_DIR=/nonexistent GIT_INDEX_FILE=/tmp/x GIT_WORK_TREE=/"),
    "exit": bash("exit 3"),
    "kill -9 $$": bash("kill -9 $$"),
    "kill -STOP $$": bash("kill -STOP $$"),
    "pkill -9 bash": bash("pkill -9 bash"),
    "kill -9 -1": bash("kill -9 -1"),
    "exit with a background job": bash("sleep 100 & exit"),
    "exec bash": bash("exec bash"),
    "exec sleep": bash("exec sleep 999"),
    "nohup endless printer": bash(
        "nohup sh -c 'while :; do echo SPAM-$$; sleep 0.01; done' >/dev/stdout 2>&1 &"
    ),
    "background job printing later": bash("(sleep 0.3; echo LEAK-later) & (echo LEAK-now &)"),
    "fork bomb": bash(":(){ :|:& };:"),
    "chmod 000 /testbed": bash("chmod 000 /testbed"),
    "replaced base64": bash("printf '#!/bin/sh\\necho garbage\\n' > /usr/bin/base64"),
    "binary and NUL output": bash("head -c 100000 /dev/urandom; printf '\\0\\0\\0'"),
    "stty": bash("stty raw -echo; stty -a"),
    "enormous env var": bash("export HUGE=$(head -c 3000000 /dev/zero | tr '\\0' x)"),
    "300-character file name": create("x" * 300, "too long\n"),
}


@pytest.fixture(scope="module", autouse=True)
def images(docker_client):
    ensure_images([t for t in load_suite("demo") if t.full_id == TASK], docker_client)


@pytest.fixture
def env(docker_client):
    config = DockerSandboxConfig(command_timeout=30, memory="1g", pids_limit=256)
    environment = SWEEnv(suite="demo", task_ids=[TASK], sandbox=config)
    environment.reset(options={"task_id": TASK})
    yield environment
    environment.close()


def step(env: SWEEnv, action: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    obs, reward, terminated, _, info = env.step(action)
    assert isinstance(obs, str) and (reward == 0 or terminated)
    return obs, info


def assert_tools_work(env: SWEEnv) -> None:
    # `builtin`: the agent's own functions named printf or echo are its business.
    probe = bash("builtin printf 'probe-%s\\n' 41; (exit 7)")
    obs, info = step(env, probe)
    if info["error_kind"] in ("shell_exited", "container_restarted"):
        # A container whose main process was killed dies a moment later, under the
        # next command: that answer says so, and the command after it runs.
        obs, info = step(env, probe)
    assert "probe-41" in obs and "[exit code: 7]" in obs, obs
    assert info["error_kind"] in ("nonzero_exit", "shell_restarted"), (info, obs)
    obs, info = step(env, bash("builtin echo stable"))
    assert obs == "stable", obs
    assert info["ok"] and info["error_kind"] is None
    obs, info = step(
        env,
        {
            "name": "edit",
            "arguments": {"path": "textkit/__init__.py", "old_str": OLD_DOC, "new_str": NEW_DOC},
        },
    )
    assert info["ok"], obs
    obs, info = step(env, create("probe_new.txt", "created after the hostile action\n"))
    assert info["ok"], obs
    obs, _, terminated, _, info = env.step({"name": "submit", "arguments": {}})
    assert terminated and info["error_kind"] is None, obs
    patch = info["patch"]
    assert f"+{NEW_DOC}" in patch and f"-{OLD_DOC}" in patch, patch
    assert "+created after the hostile action" in patch and "b/probe_new.txt" in patch


@pytest.mark.parametrize("action", list(HOSTILE.values()), ids=list(HOSTILE))
def test_every_tool_works_after_a_hostile_action(env: SWEEnv, action: dict[str, Any]) -> None:
    started = time.monotonic()
    _, info = step(env, action)  # an observation, never an exception
    assert time.monotonic() - started < 25, "the hostile action was not answered in time"
    assert isinstance(info["error_kind"], str | None)
    assert_tools_work(env)


def test_output_of_a_background_job_never_reaches_a_later_observation(env: SWEEnv) -> None:
    obs, _ = step(env, bash("(sleep 1; echo LEAK-1) & (sleep 2; echo LEAK-2) &"))
    assert "LEAK" not in obs
    obs, _ = step(env, bash("sleep 1.5; echo done"))
    assert obs == "done", obs
    obs, _ = step(env, bash("sleep 1; echo again"))
    assert obs == "again", obs
    # A job started by a later command still shows while its own command runs.
    obs, _ = step(env, bash("(echo own-job) & wait"))
    assert obs == "own-job", obs


def test_error_kind_names_what_happened(env: SWEEnv) -> None:
    cases = [
        ("exit 3", "shell_exited"),
        ("set -e; false; echo never", "shell_exited"),
        ("kill -9 $$", "shell_exited"),
        ("exec sleep 999", "shell_exited"),
        ("shopt -s extdebug; trap false DEBUG", "shell_broken"),
        ("ulimit -v 100000", "shell_restarted"),
        ("false", "nonzero_exit"),
    ]
    for command, kind in cases:
        obs, info = step(env, bash(command))
        assert info["error_kind"] == kind, (command, info, obs)
    env.unwrapped._ctx = type(env.unwrapped._ctx)(
        base_commit=env.unwrapped._ctx.base_commit, command_timeout=2
    )
    obs, info = step(env, bash("sleep 100"))
    assert info["error_kind"] == "timeout", obs
    _, killed = step(env, bash("kill -9 -1"))
    time.sleep(1)  # the container dies a moment after its main process: in that step or after
    obs, info = step(env, bash("echo after"))
    assert "container_restarted" in (killed["error_kind"], info["error_kind"]), (killed, info)
    assert obs.startswith("after"), obs
    assert_tools_work(env)


def test_a_forged_end_marker_does_not_fool_the_framing(env: SWEEnv) -> None:
    step(env, bash(FORGER))
    obs, _ = step(env, bash("echo real; (exit 5)"))
    assert "real" in obs and "[exit code: 5]" in obs and "42" not in obs, obs


def test_agent_errors_in_file_tools_are_observations(env: SWEEnv) -> None:
    obs, info = step(env, create("d" * 300 + "/x.txt", "x"))
    assert not info["ok"] and info["error_kind"] in ("io", "path"), obs
    obs, info = step(env, create("textkit/__init__.py/child.txt", "x"))
    assert not info["ok"] and info["error_kind"] in ("io", "path"), obs
    obs, info = step(
        env, {"name": "edit", "arguments": {"path": "e" * 300, "old_str": "a", "new_str": "b"}}
    )
    assert not info["ok"], obs
    step(env, bash("mkfifo fifo"))
    started = time.monotonic()
    edit_fifo = {"name": "edit", "arguments": {"path": "fifo", "old_str": "a", "new_str": "b"}}
    obs, info = step(env, edit_fifo)
    assert info["error_kind"] == "io" and time.monotonic() - started < 5, obs


# -- the sandbox underneath ---------------------------------------------------------


def test_private_commands_ignore_the_agents_shell_state(sandbox) -> None:
    sandbox.run(f"cd /tmp; PATH=/nonexistent; {SHADOWS}; set -euo pipefail; ulimit -Sn 100")
    result = sandbox.run_private("pwd; command -v git; git --version >/dev/null && echo git-ok")
    assert result.ended == "exit" and result.exit_code == 0, result.render()
    assert result.output.splitlines() == ["/", "/usr/bin/git", "git-ok"]


def test_file_errors_the_agent_can_cause_are_os_errors(sandbox) -> None:
    sandbox.write_file("/testbed/plain.txt", b"x")
    for path, data in [
        ("/testbed/" + "n" * 300, b"small"),
        ("/testbed/" + "n" * 300, b"large" * 20000),
        ("/testbed/" + "d" * 300 + "/x", b"small"),
        ("/testbed/plain.txt/child", b"small"),
        ("/testbed/plain.txt/child", b"large" * 20000),
    ]:
        with pytest.raises(OSError) as caught:
            sandbox.write_file(path, data)
        assert caught.value.errno in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.EEXIST), (
            path[:40],
            caught.value,
        )
        assert not isinstance(caught.value, SweEnvError)
    with pytest.raises(OSError) as read_error:
        sandbox.read_file("/testbed/" + "n" * 300)
    assert not isinstance(read_error.value, SweEnvError)


def test_files_do_not_trust_a_replaced_base64(sandbox) -> None:
    payload = bytes(range(256)) * 8 + "é✓\n".encode()
    sandbox.write_file("/testbed/blob.bin", payload)
    sandbox.run("printf '#!/bin/sh\\necho Z2FyYmFnZQ==\\n' > /usr/bin/base64")
    assert sandbox.read_file("/testbed/blob.bin") == payload
    sandbox.write_file("/testbed/blob2.bin", payload[::-1])
    assert sandbox.read_file("/testbed/blob2.bin") == payload[::-1]


def test_write_file_can_keep_the_mode(sandbox) -> None:
    sandbox.run("printf '#!/bin/sh\\n' > /testbed/run.sh; chmod 750 /testbed/run.sh")
    sandbox.write_file("/testbed/run.sh", b"#!/bin/sh\necho hi\n", mode=None)
    sandbox.write_file("/testbed/big.sh", b"#" * 100_000, mode=0o755)
    sandbox.write_file("/testbed/big.sh", b"#" * 100_001, mode=None)
    out = sandbox.run("stat -c %a /testbed/run.sh /testbed/big.sh").output.split()
    assert out == ["750", "755"]
