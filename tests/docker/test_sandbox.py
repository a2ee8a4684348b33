"""DockerSandbox against the real engine: the persistent shell and hostile commands."""

from __future__ import annotations

import os
import time

import pytest

from swe_env.errors import SandboxClosed, SandboxDestroyed
from swe_env.sandbox.base import Sandbox
from swe_env.sandbox.docker import KEPT_CAPABILITIES, LABEL_PREFIX

pytestmark = pytest.mark.docker


def test_is_a_sandbox(sandbox):
    assert isinstance(sandbox, Sandbox)


def test_cwd_and_env_persist(sandbox):
    assert sandbox.run("pwd").output == "/testbed\n"
    assert sandbox.run("cd /tmp && export FOO=bar").exit_code == 0
    result = sandbox.run("pwd; echo $FOO")
    assert result.output == "/tmp\nbar\n"
    assert result.exit_code == 0


def test_exit_codes_and_stderr_are_framed(sandbox):
    result = sandbox.run("echo out; echo err >&2; exit_code() { return 7; }; exit_code")
    assert result.exit_code == 7
    assert "out\n" in result.output and "err\n" in result.output


def test_syntax_error_leaves_session_usable(sandbox):
    bad = sandbox.run("echo 'unclosed")
    assert bad.exit_code != 0 and "unexpected EOF" in bad.output
    assert sandbox.run("echo fine").output == "fine\n"


def test_multiline_and_heredoc(sandbox):
    result = sandbox.run("cat > /tmp/x <<'EOF'\nline 1\n$HOME stays literal\nEOF\ncat /tmp/x")
    assert result.output == "line 1\n$HOME stays literal\n"


def test_container_is_locked_down(sandbox, docker_client):
    attrs = docker_client.api.inspect_container(sandbox.id)
    host = attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["CapDrop"] == ["ALL"]
    assert sorted(host["CapAdd"]) == sorted(KEPT_CAPABILITIES)
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["PidsLimit"] == 256 and host["Memory"] == 512 * 1024**2 and host["NanoCpus"] > 0
    assert host["Init"] is True
    labels = attrs["Config"]["Labels"]
    for key in ("episode", "task", "owner-pid", "created"):
        assert labels[f"{LABEL_PREFIX}.{key}"]
    assert labels[f"{LABEL_PREFIX}.owner-pid"] == str(os.getpid())
    probe = "import socket; socket.create_connection(('1.1.1.1', 80), 2)"
    no_net = sandbox.run(f'python3 -c "{probe}"')
    assert no_net.exit_code != 0


def test_sleep_times_out_and_session_survives(sandbox):
    sandbox.run("cd /tmp && export KEEP=1")
    started = time.monotonic()
    result = sandbox.run("sleep 10000", timeout=5)
    assert time.monotonic() - started < 10
    assert result.timed_out and result.exit_code is None
    assert "timed out after 5s" in result.render()
    assert not result.session_restarted
    assert sandbox.run("pwd; echo $KEEP").output == "/tmp\n1\n"


def test_busy_builtin_loop_restarts_the_session(sandbox):
    result = sandbox.run("while :; do :; done", timeout=2)
    assert result.timed_out and result.session_restarted
    assert "new shell session" in result.render()
    assert sandbox.run("echo back").output == "back\n"


def test_endless_output_is_capped(sandbox):
    result = sandbox.run("yes", timeout=3)
    assert result.timed_out
    assert result.truncated_bytes > 0
    assert len(result.output) <= sandbox.config.max_output_bytes + 200
    assert "bytes of output cut" in result.output
    assert sandbox.run("echo ok").output == "ok\n"


def test_stdin_is_dev_null(sandbox):
    started = time.monotonic()
    assert sandbox.run("cat", timeout=5).exit_code == 0
    repl = sandbox.run("python3", timeout=5)
    assert repl.exit_code == 0 and not repl.timed_out
    assert time.monotonic() - started < 5


def test_background_process_holding_stdout(sandbox):
    result = sandbox.run("(sleep 30; echo late) & echo started", timeout=5)
    assert result.output == "started\n" and result.exit_code == 0
    assert sandbox.run("echo next").output.startswith("next")


def test_binary_output_is_replaced_visibly(sandbox):
    result = sandbox.run("head -c 1000000 /dev/urandom", timeout=10)
    assert result.exit_code == 0
    assert "\ufffd" in result.output
    assert result.truncated_bytes > 0
    assert sandbox.run("printf 'caf\\xc3\\xa9 \\xff'").output == "café \ufffd"


@pytest.mark.parametrize("command", ["exit", "exit 3", "kill -9 $$"])
def test_shell_death_brings_a_new_session(sandbox, command):
    sandbox.run("cd /tmp")
    result = sandbox.run(command, timeout=10)
    assert result.session_restarted
    assert "shell exited" in result.render()
    after = sandbox.run("echo alive; pwd")
    assert after.output == "alive\n/testbed\n"


def test_memory_limit(sandbox):
    result = sandbox.run("python3 -c 'x = bytearray(1024**3); print(len(x))'", timeout=60)
    assert result.exit_code == 137
    assert "out of memory" in result.render()
    assert sandbox.run("echo ok").output == "ok\n"


def _procs(sandbox) -> int | None:
    out = sandbox.run("ls -d /proc/[0-9]* | wc -l", timeout=10).output.strip().splitlines()
    return int(out[-1]) if out and out[-1].isdigit() else None


@pytest.mark.slow
def test_fork_bomb(sandbox):
    """The bomb runs in the background and fills the pids limit (or dies out by itself).
    A command whose fork fails gets the limit freed (the reaper kills everything but the
    shell, mid-command; if it cannot even start, the container restarts) and is told so.
    Within seconds the sandbox is usable and nothing of the bomb is left."""
    started = time.monotonic()
    sandbox.run(":(){ :|:& };:", timeout=5)
    results = []
    while time.monotonic() - started < 45:  # generous: CI machines are loaded
        results.append(sandbox.run("ls /testbed >/dev/null && echo usable", timeout=10))
        procs = _procs(sandbox)
        if results[-1].output.endswith("usable\n") and procs is not None and procs < 20:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"not usable after 45 s: {[r.render()[-300:] for r in results]}")
    for result in results:  # whoever met the full limit was told what happened
        if "Resource temporarily unavailable" in result.output:
            assert "process limit" in result.render() or result.session_restarted


@pytest.mark.slow
def test_rm_rf_root_cannot_touch_the_host(sandbox, tmp_path):
    marker = tmp_path / "host-marker"
    marker.write_text("still here")
    try:
        result = sandbox.run("rm -rf --no-preserve-root / 2>/dev/null; echo gone", timeout=15)
        assert result.timed_out or "gone" in result.output
    except SandboxDestroyed:
        pass  # the restart found the container's own filesystem gone: the agent's doing
    assert marker.read_text() == "still here"
    assert os.path.exists("/usr/bin/env")


def test_files_are_binary_safe(sandbox):
    payload = bytes(range(256)) * 100
    sandbox.write_file("/testbed/deep/dir/blob.bin", payload)
    assert sandbox.read_file("/testbed/deep/dir/blob.bin") == payload
    assert sandbox.run("stat -c %s /testbed/deep/dir/blob.bin").output == "25600\n"


def test_file_errors(sandbox):
    with pytest.raises(FileNotFoundError):
        sandbox.read_file("/testbed/missing")
    sandbox.run("mkdir -p /testbed/adir")
    with pytest.raises(IsADirectoryError):
        sandbox.read_file("/testbed/adir")
    with pytest.raises(IsADirectoryError):
        sandbox.write_file("/testbed/adir", b"x")
    assert sandbox.run("test -d /testbed/adir && echo dir").output == "dir\n"
    sandbox.write_file("/testbed/big", b"x" * 2000)
    with pytest.raises(ValueError):
        sandbox.read_file("/testbed/big", max_bytes=1000)


def test_large_write(sandbox):
    data = os.urandom(1024) * 50 * 1024  # 50 MB
    sandbox.write_file("/testbed/large.bin", data)
    assert sandbox.run("stat -c %s /testbed/large.bin").output == f"{len(data)}\n"


def test_close_removes_container_and_is_idempotent(docker_client, base_image):
    import docker.errors

    from swe_env.sandbox.docker import DockerSandbox

    sb = DockerSandbox(base_image, client=docker_client)
    cid = sb.id
    sb.close()
    sb.close()
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(cid)
    with pytest.raises(SandboxClosed):
        sb.run("true")


def test_close_after_the_container_was_removed_elsewhere(docker_client, base_image):
    from swe_env.sandbox.docker import DockerSandbox

    sb = DockerSandbox(base_image, client=docker_client)
    docker_client.api.remove_container(sb.id, force=True)
    sb.close()  # already gone: not an error
