"""LocalSandbox: a Sandbox over the host file system, for tests without Docker.

Commands run with ``bash`` on the host. Like the Docker sandbox's persistent shell, the
working directory and exported variables carry from one :meth:`~LocalSandbox.run` to the
next (saved in a state directory); :meth:`~LocalSandbox.run_private` starts clean in
``root``. A timeout kills the command's whole process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from swe_env.errors import SandboxClosed
from swe_env.sandbox.base import CommandResult

# $1: the command; $2: the state directory. The saved cwd and exports are restored,
# the command is evaluated, and both are saved again unless the command ended the shell.
_WRAPPER = r"""
if [ -f "$2/env" ]; then builtin . "$2/env"; fi
if [ -f "$2/cwd" ]; then builtin cd -- "$(< "$2/cwd")" 2>/dev/null; fi
__local_state=$2
builtin eval "$1"
__local_rc=$?
builtin export -p > "$__local_state/env"
builtin pwd > "$__local_state/cwd"
builtin exit $__local_rc
"""


class LocalSandbox:
    """A Sandbox over the host file system; for testing tool logic and the conformance
    suite without an engine. ``commands`` and ``writes`` record what tools asked for."""

    id = "local"

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.commands: list[str] = []
        self.writes: list[tuple[str, int, int | None]] = []
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
        }
        self._state = home / f".local-sandbox-{id(self)}"
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxClosed("this sandbox is closed")

    def _bash(self, argv: list[str], timeout: float | None) -> CommandResult:
        started = time.monotonic()
        proc = subprocess.Popen(
            argv,
            cwd=self.root if self.root.exists() else None,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return CommandResult(
                output=out.decode("utf-8", "replace"),
                exit_code=None,
                timed_out=True,
                duration=time.monotonic() - started,
                notes=(f"timed out after {timeout:g}s",),
                ended="timeout",
            )
        return CommandResult(
            output=out.decode("utf-8", "replace"),
            exit_code=proc.returncode,
            duration=time.monotonic() - started,
        )

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        self._check_open()
        self.commands.append(command)
        self._state.mkdir(parents=True, exist_ok=True)
        return self._bash(["bash", "-c", _WRAPPER, "bash", command, str(self._state)], timeout)

    def run_private(self, command: str, timeout: float | None = None) -> CommandResult:
        self._check_open()
        self.commands.append(command)
        return self._bash(["bash", "-c", command], timeout)

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        self._check_open()
        target = Path(path)
        if target.is_dir():
            raise IsADirectoryError(path)
        if max_bytes is not None and target.stat().st_size > max_bytes:
            raise ValueError(f"{path} is larger than {max_bytes} bytes")
        return target.read_bytes()

    def write_file(self, path: str, data: bytes, mode: int | None = 0o644) -> None:
        self._check_open()
        if not isinstance(data, bytes):
            raise TypeError("data must be bytes")
        self.writes.append((path, len(data), mode))
        target = Path(path)
        if target.is_dir():
            raise IsADirectoryError(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if mode is not None:
            target.chmod(mode)

    def close(self) -> None:
        """Idempotent; later calls raise SandboxClosed."""
        self._closed = True
