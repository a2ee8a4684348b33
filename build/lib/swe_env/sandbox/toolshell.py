"""A private bash for the tools' own commands, and the watchdog that uses it.

The tools must not depend on the agent's shell: a function named ``git``, ``set -e``, a
lowered ``ulimit``, ``PATH=`` or a stopped shell would otherwise break ``edit``,
``create`` and ``submit``. Their probes, reads, writes and diffs run in a second
:class:`~swe_env.sandbox.session.ShellSession` on its own ``docker exec``: a bash whose
input only we write, with a fixed environment (``PATH``, ``HOME``, ``LC_ALL``), cwd
``/`` and umask 022. It starts on first use (about 40 ms) and again whenever it died
(``kill -9 -1`` kills it too). If it cannot start, :meth:`ToolShell.run` falls back to a
one-off ``docker exec``.

The same shell looks at the agent's shell from outside while a long command runs
(:meth:`ToolShell.check`): is the process gone, replaced by ``exec``, stopped, or back
at its prompt (its stdin is the exec stream again, not the ``/dev/null`` the framing
gives commands) without having printed its end marker? The last question compares
inodes from ``/proc/<pid>/fdinfo/0`` (Linux 5.14 and later); on older kernels a shell
that stops answering at its prompt is only found at the command's timeout.

:data:`REAPER` is the one-off script that kills the agent's processes (after a timeout,
a fork bomb, a restart).
"""

from __future__ import annotations

import contextlib
import select
import struct
import time
from collections.abc import Callable
from typing import Any

import docker.errors
import requests.exceptions

from swe_env.sandbox.session import OutputBuffer, RawResult, ShellSession

# Kills every process in the container except init (pid 1) and the pids given in $1
# (space-separated: the container's main process, shells to keep) and itself. SIGSTOP
# first so a fork bomb cannot outrun the SIGKILLs; children forked between the listing and
# the signals are caught by a later round. Exits 0 when nothing is left but zombies
# (killed, not yet reaped by their parent outside the container; builtins only: no fork,
# so it works while a bomb holds the pids limit); 3 when rounds ran out.
REAPER = r"""
keep=" $1 "
round=0
while [ $round -lt 200 ]; do
  round=$((round + 1))
  victims=""
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    case "$keep" in *" $pid "*) continue;; esac
    [ "$pid" = 1 ] || [ "$pid" = "$$" ] && continue
    read -r stat < "$d/stat" 2>/dev/null || continue
    state=${stat##*) }
    [ "${state%% *}" = Z ] && continue
    victims="$victims $pid"
  done
  [ -z "$victims" ] && exit 0
  kill -STOP $victims 2>/dev/null
  kill -KILL $victims 2>/dev/null
done
exit 3
"""


TOOL_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LC_ALL": "C.UTF-8",
}
_API_ERRORS = (docker.errors.APIError, requests.exceptions.RequestException)

# Prints "gone", or "<comm> <state> <stdin inode>" of the agent's shell. No binaries.
_CHECK = (
    "p={pid}; if [[ ! -r /proc/$p/stat ]]; then echo gone; else "
    "read -r c < /proc/$p/comm; read -r s < /proc/$p/stat; s=${{s##*) }}; i=; "
    "while read -r -u 3 a b; do [[ $a = ino: ]] && i=$b; done 3</proc/$p/fdinfo/0; "
    'echo "$c ${{s%% *}} $i"; fi 2>/dev/null'
)


def raw_socket(sock: Any) -> Any:
    """The socket under docker-py's exec_start(socket=True) wrapper."""
    return getattr(sock, "_sock", sock)


def read_first_line(sock: Any, timeout: float) -> bytes | None:
    """Read one line of a fresh exec's (framed) output; ``None`` on EOF or timeout."""
    deadline = time.monotonic() + timeout
    pending = data = b""
    sock.setblocking(False)
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
            return None
        try:
            chunk = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            return None
        if not chunk:
            return None
        pending += chunk
        while len(pending) >= 8 and len(pending) >= 8 + struct.unpack(">I", pending[4:8])[0]:
            size = struct.unpack(">I", pending[4:8])[0]
            data += pending[8 : 8 + size]
            pending = pending[8 + size :]
    return data.split(b"\n", 1)[0]


class ToolShell:
    """The private shell of one container. ``container`` returns the container object
    (it can change when the owner restarts the container)."""

    def __init__(self, api: Any, container: Callable[[], Any], max_output: int) -> None:
        self._api = api
        self._container = container
        self._max_output = max_output
        self._session: ShellSession | None = None

    @property
    def pid(self) -> int | None:
        """The private bash's pid, if it is running."""
        return self._session.pid if self._session is not None and self._session.alive else None

    def _ensure(self) -> ShellSession | None:
        if self._session is not None and self._session.alive:
            return self._session
        self.close()
        try:
            exec_id = self._api.exec_create(
                self._container().id,
                ["/bin/bash", "--noprofile", "--norc"],
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                workdir="/",
                environment=TOOL_ENV,
            )["Id"]
            sock = raw_socket(self._api.exec_start(exec_id, socket=True))
        except _API_ERRORS:
            return None
        session = ShellSession(sock, self._max_output, scan=False)
        try:
            session.start(timeout=10.0)
            session.execute("umask 022", 10.0)
        except OSError:
            session.close()
            return None
        self._session = session
        return session

    def run(self, command: str, timeout: float, max_output: int | None = None) -> RawResult:
        """Run ``command`` privately. A broken private shell is dropped (the next call
        starts another); if none can start, a one-off ``docker exec`` runs it."""
        session = self._ensure()
        if session is None:
            return self._exec(command, max_output)
        raw = session.execute(command, timeout, max_output)
        if raw.status != "exit":
            self.close()  # timed out, died or tampered with: never reuse it
        return raw

    def _exec(self, command: str, max_output: int | None) -> RawResult:
        out = OutputBuffer(max_output or self._max_output)
        try:
            res = self._container().exec_run(
                ["/bin/bash", "--noprofile", "--norc", "-c", command],
                workdir="/",
                environment=TOOL_ENV,
            )
        except _API_ERRORS as exc:
            out.feed(f"could not run a command in the container: {exc}".encode())
            return RawResult(out, None, "eof")
        out.feed(res.output or b"")
        return RawResult(out, res.exit_code, "exit")

    def check(self, pid: int, stdin_ino: str | None) -> str | None:
        """Look at the agent's shell ``pid`` (see :data:`~swe_env.sandbox.session.Watchdog`).

        A stopped shell (``kill -STOP $$``) is continued and reported as ``"continued"``.
        """
        raw = self.run(_CHECK.format(pid=int(pid)), timeout=5.0, max_output=4096)
        if raw.status != "exit":
            return None
        fields = raw.output.text().split()
        if fields == ["gone"]:
            return "gone"
        if len(fields) < 2:
            return None
        comm, state = fields[0], fields[1]
        if state in ("Z", "X", "x"):
            return "gone"
        if comm != "bash":
            return "replaced"
        if state in ("T", "t"):
            self.run(f"kill -CONT {int(pid)}", timeout=5.0)
            return "continued"
        if stdin_ino and len(fields) == 3 and fields[2] == stdin_ino:
            return "idle"
        return None

    def close(self) -> None:
        """Stop the private shell (the next :meth:`run` starts another)."""
        if self._session is not None:
            self._session.close()
            self._session = None


def wait_eof(sock: Any, timeout: float) -> bool:
    """Read and drop a one-off exec's output until it ends; False at ``timeout``."""
    deadline = time.monotonic() + timeout
    sock.setblocking(False)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
            return False
        try:
            if not sock.recv(65536):
                return True
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            return True


def close_quietly(sock: Any) -> None:
    """Close a socket, ignoring errors."""
    with contextlib.suppress(OSError):
        sock.close()
