"""The agent's persistent shell in a docker container: run, watch, recover, restart.

After *any* command the shell either answers its framing (:mod:`.framing`) or is
replaced, and the result says which (:attr:`CommandResult.ended`):

- ``exit``: the end marker came. When the health block shows a lowered hard limit
  (``ulimit``), the shell is restarted all the same (``session_restarted``).
- ``timeout``: every process but the shell was killed; if the shell itself does not
  answer within a second (a builtin loop), it is restarted.
- ``shell_exited``: the shell's process ended (``exit``, ``kill -9 $$``, ``set -e``, an
  ``exec`` of another program, which the watchdog notices even while a background job
  keeps the stream open).
- ``shell_broken``: the shell is back at its prompt but no longer answers its framing
  (``enable -n``, a readonly ``POSIXLY_CORRECT``, a ``DEBUG`` trap that skips commands).
- ``container_restarted``: no shell could be started (the container's main process was
  killed, e.g. by ``kill -9 -1``): the container was restarted, files kept.

A restart kills every process in the container except init and the main process. A
stopped shell (``kill -STOP $$``) is continued. The watchdog runs in the private tool
shell (:mod:`.toolshell`) 1, 2.5 and 5 s into a command, then every 5 s; a command that
finishes sooner costs nothing extra.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import docker.errors
import requests.exceptions

from swe_env.errors import SandboxDestroyed, SandboxError
from swe_env.sandbox.base import CommandResult, Ended
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.framing import lowered_limits
from swe_env.sandbox.session import FORK_FAILURE, RawResult, ShellSession
from swe_env.sandbox.toolshell import (
    REAPER,
    ToolShell,
    close_quietly,
    raw_socket,
    read_first_line,
    wait_eof,
)

REAP_TIMEOUT = 10.0  # seconds the reaper may take; past it the container is restarted
FULL_CHECK_EVERY = 8
"""Every this many commands the framing runs its full check (task count, limits)."""
_LIMIT_WORDS = re.compile(r"ulimit|prlimit")
_API_ERRORS = (docker.errors.APIError, requests.exceptions.RequestException)
_KEEPER = ["/bin/bash", "--noprofile", "--norc", "-c", "echo $$; read -r _"]
RESET = "cwd and environment variables were reset"
_WHY = {
    "eof": "the shell exited",
    "gone": "the shell exited",
    "replaced": "the shell replaced itself with another program (exec)",
    "unresponsive": "the shell stopped answering: its state broke the command framing "
    "(e.g. a DEBUG trap that skips or blocks commands, enable -n, set -n)",
    "malformed": "the shell could no longer run the command framing "
    "(e.g. too few file descriptors, disabled builtins)",
}


@dataclass
class _Outcome:
    """What happened around one command, for its :class:`CommandResult`."""

    notes: list[str] = field(default_factory=list)
    restarted: bool = False
    container: bool = False

    def result(self, raw: RawResult | None, ended: Ended, started: float) -> CommandResult:
        output = raw.output.text() if raw is not None else ""
        cut = raw.output.cut if raw is not None else 0
        if cut:
            self.notes.append(f"output cut: {cut} bytes omitted from the middle")
        return CommandResult(
            output=output,
            exit_code=raw.exit_code if raw is not None and ended == "exit" else None,
            timed_out=ended == "timeout",
            truncated_bytes=cut,
            session_restarted=self.restarted,
            duration=time.monotonic() - started,
            notes=tuple(self.notes),
            ended=ended,
        )


class AgentShell:
    """Owns the agent's :class:`ShellSession` and the private :class:`ToolShell`.

    ``container`` returns the current container object; ``revive`` restarts the
    container (kill + start, files kept) or raises :class:`SandboxError`.
    """

    def __init__(
        self,
        api: Any,
        container: Callable[[], Any],
        config: DockerSandboxConfig,
        revive: Callable[[], None],
    ) -> None:
        self._api = api
        self._container = container
        self._config = config
        self._revive = revive
        self._session: ShellSession | None = None
        self.main_pid = 0  # the container's main process, pid inside it (0 until a shell)
        self._notes: list[str] = []
        self.tools = ToolShell(api, container, config.max_output_bytes)
        self.restarts = 0
        self._count = 0

    # -- lifecycle --------------------------------------------------------------------
    def _exec_socket(self, argv: list[str]) -> Any:
        exec_id = self._api.exec_create(
            self._container().id,
            argv,
            stdin=True,
            stdout=True,
            stderr=True,
            tty=False,
            workdir="/",
        )["Id"]
        return raw_socket(self._api.exec_start(exec_id, socket=True))

    def start(self) -> None:
        """Start a shell in ``config.workdir``.

        Raises:
            SandboxError: no shell could be started.
        """
        cid = self._container().id[:12]
        try:
            sock = self._exec_socket(["/bin/bash", "--noprofile", "--norc"])
        except _API_ERRORS as exc:
            raise SandboxError(f"could not start a shell in {cid}: {exc}") from exc
        session = ShellSession(sock, self._config.max_output_bytes)
        try:
            session.start()
            if not self.main_pid:
                found = session.execute("cat /proc/1/task/1/children", 10.0)
                self.main_pid = int((found.output.text().split() or ["0"])[0])
            wd = self._config.workdir
            session.execute(f"mkdir -p {wd} 2>/dev/null; cd {wd}", 10.0)
        except (OSError, ValueError) as exc:
            session.close()
            raise SandboxError(f"the shell in {cid} did not start: {exc}") from exc
        self._session = session

    def reap(self, *keep: int | None) -> bool:
        """Kill every process except init, the main process and ``keep``. False if the
        exec failed or did not end within REAP_TIMEOUT (a CI run once waited an hour)."""
        pids = " ".join(str(p) for p in (self.main_pid, *keep) if p)
        argv = ["/bin/sh", "-c", REAPER, "reaper", pids]
        try:
            exec_id = self._api.exec_create(self._container().id, argv)["Id"]
            sock = raw_socket(self._api.exec_start(exec_id, socket=True))
        except _API_ERRORS:
            return False
        try:
            if not wait_eof(sock, REAP_TIMEOUT):
                return False
        finally:
            close_quietly(sock)
        try:
            return self._api.exec_inspect(exec_id).get("ExitCode") == 0
        except _API_ERRORS:
            return False

    def restart(self) -> tuple[str, bool]:
        """Bring a shell back, restarting the container if no shell can start.

        Returns the note for the agent and whether the container was restarted.

        Raises:
            SandboxError: the container could not be revived.
        """
        self.restarts += 1
        if self._session is not None:
            self._session.close()
            self._session = None
        if self.reap(self.tools.pid):
            try:
                self.start()
                return f"a new shell session was started: {RESET}", False
            except SandboxError:
                pass
        # No shell starts, or the reaper could not finish (what it left may still run):
        # only a container restart is certain to leave nothing behind.
        return self._restart_container(), True

    def _restart_container(self) -> str:
        """Restart the container (kill + start, files kept) and start a shell in it.

        Raises:
            SandboxError: the container could not be revived.
        """
        self.tools.close()
        self._revive()
        self.main_pid = 0
        self.start()
        return (
            "the container was restarted (every process was killed; files are kept) "
            f"and a new shell session was started: {RESET}"
        )

    def close(self) -> None:
        """Close both shells' connections."""
        if self._session is not None:
            self._session.close()
            self._session = None
        self.tools.close()

    # -- commands ---------------------------------------------------------------------
    def run(self, command: str, timeout: float) -> CommandResult:
        """Run ``command`` (see :meth:`Sandbox.run`).

        Raises:
            SandboxError: the container could not be revived (infrastructure).
        """
        started = time.monotonic()
        out = _Outcome()
        if self._session is not None and self._session.alive:
            self._session.drop_pending()  # notices a shell that died since the last command
        if self._session is None or not self._session.alive:
            if self._session is not None:
                out.notes.append("the shell had exited since the last command")
            if not self._restart(out):
                return out.result(None, "shell_exited", started)
        session = self._session
        assert session is not None
        switch = self._fresh_stream(session)
        own = 3 + session.open_keepers + (switch is not None) + (self.tools.pid is not None)
        self._count += 1
        full = self._count % FULL_CHECK_EVERY == 0 or _LIMIT_WORDS.search(command) is not None
        self._notes = out.notes
        raw = session.execute(
            command,
            timeout,
            watchdog=self._watch,
            switch=switch,
            own_tasks=own,
            full=full,
            on_fork_failure=lambda: self._free_pids(out, midway=True),
        )
        ended = self._conclude(raw, timeout, out)
        if raw.exit_code == 137 and ended == "exit":
            out.notes.append("exit code 137: the process was killed (out of memory?)")
        if FORK_FAILURE.decode() in raw.output.text() and self._session is not None:
            self._free_pids(out)
        return out.result(raw, ended, started)

    def _free_pids(self, out: _Outcome, midway: bool = False) -> None:
        """Fork failures mean the pids limit is exhausted (a fork bomb): kill everything
        but the shell. ``midway``: while the command runs (bash retries the fork, so the
        command goes on); after it, when even that fails (the reaper could not start, or
        the bomb outran it), restart the container."""
        session = self._session
        assert session is not None
        limit = f"the process limit ({self._config.pids_limit}) was reached"
        note = f"{limit}; every process except the shell was killed"
        if self.reap(session.pid, session.keeper, self.tools.pid):
            session.holders = False
            if note not in out.notes:
                out.notes.append(note)
            return
        if midway:
            return
        self.restarts += 1
        session.close()
        self._session = None
        out.notes.append(f"{limit}; {self._restart_container()}")
        out.restarted = out.container = True

    def _conclude(self, raw: RawResult, timeout: float, out: _Outcome) -> Ended:
        """Recover from whatever the command did; returns how it ended."""
        session = self._session
        assert session is not None
        ended: Ended = "exit"
        if raw.status == "timeout":
            ended = "timeout"
            out.notes.append(f"command timed out after {timeout:g}s; its processes were killed")
            recovered, broke = self._recover(raw)
            raw.exit_code, raw.health = recovered.exit_code, recovered.health
            if broke:
                self._restart(out)
        elif raw.status != "exit":
            out.notes.insert(0, _WHY.get(raw.status, f"the shell failed ({raw.status})"))
            self._restart(out)
            broken = raw.status in ("unresponsive", "malformed")
            ended = "shell_broken" if broken else "shell_exited"
        elif raw.health is not None:
            lowered = lowered_limits(session.baseline, raw.health.limits)
            if lowered:
                out.notes.append(
                    f"the command lowered the shell's resource limits (ulimit "
                    f"{' '.join(lowered)}), which cannot be raised again; to limit one "
                    "command, use a subshell: (ulimit -v 1000000; python x.py)"
                )
                self._restart(out)
        return "container_restarted" if out.container else ended

    def _restart(self, out: _Outcome) -> bool:
        """Restart the shell, noting it in ``out``. False if no shell could be started
        although the container runs (the agent broke it, e.g. removed /bin/bash): that
        is reported to the agent, not raised."""
        try:
            note, container = self.restart()
        except SandboxError as exc:
            if not self._container_running():
                if (destroyed := self._destroyed()) is not None:
                    raise destroyed from exc
                raise
            out.notes.append(f"no shell could be started: {exc}")
            return False
        out.notes.append(note)
        out.restarted = True
        out.container = out.container or container
        return True

    def _destroyed(self) -> SandboxDestroyed | None:
        """The error to raise when the stopped container's main process could not even
        be found or run (exit 126/127): the agent deleted what it needs."""
        try:
            state = self._container().attrs.get("State") or {}
        except _API_ERRORS:
            return None
        code = state.get("ExitCode")
        if state.get("Status") == "exited" and code in (126, 127):
            return SandboxDestroyed(
                f"the container can no longer run: its main process exits with {code} "
                "(command not found or not executable), so the commands run in it "
                "destroyed its filesystem"
            )
        return None

    def _container_running(self) -> bool:
        try:
            container = self._container()
            container.reload()
        except _API_ERRORS:
            return False
        return container.status == "running"

    def _recover(self, raw: RawResult) -> tuple[RawResult, bool]:
        """After a timeout: kill the command's processes and wait a second for the end
        marker. Returns the result and whether the shell must be restarted."""
        session = self._session
        assert session is not None
        if self.reap(session.pid, session.keeper, self.tools.pid):
            tail = session.read_until(session.last_marker, time.monotonic() + 1.0)
            raw.output.feed(tail.output.bytes())
            if tail.status == "exit":
                return RawResult(raw.output, tail.exit_code, "timeout", tail.health), False
        # The shell itself is stuck (a builtin loop) or exec failed: start over.
        return RawResult(raw.output, None, "timeout"), True

    def _watch(self) -> str | None:
        session = self._session
        if session is None or session.pid is None:
            return None
        verdict = self.tools.check(session.pid, session.stdin_ino)
        if verdict == "continued":
            self._notes.append("the shell was stopped (SIGSTOP) and has been continued")
            return None
        return verdict  # "replaced": the restart's reaper kills the program

    def _fresh_stream(self, session: ShellSession) -> tuple[Any, int] | None:
        """A new output stream when a background job holds the current one."""
        if not session.holders:
            return None
        try:
            sock = self._exec_socket(_KEEPER)
        except _API_ERRORS:
            return None
        line = read_first_line(sock, 5.0)
        if line is None or not line.strip().isdigit():
            close_quietly(sock)
            return None
        return sock, int(line)

    def run_private(self, command: str, timeout: float) -> CommandResult:
        """Run ``command`` in the private tool shell (see :meth:`Sandbox.run_private`)."""
        started = time.monotonic()
        raw = self.tools.run(command, timeout)
        ended = {"exit": "exit", "timeout": "timeout"}.get(raw.status, "shell_exited")
        notes = (f"command timed out after {timeout:g}s",) if ended == "timeout" else ()
        return CommandResult(
            output=raw.output.text(),
            exit_code=raw.exit_code if ended == "exit" else None,
            timed_out=ended == "timeout",
            truncated_bytes=raw.output.cut,
            duration=time.monotonic() - started,
            notes=notes,
            ended=ended,
        )
