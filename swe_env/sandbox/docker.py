"""DockerSandbox: a locked-down container with one persistent bash, on the docker SDK."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import posixpath
import shlex
import socket
import tarfile
import time
import uuid
from typing import Any

import docker
import docker.errors
import requests.exceptions

from swe_env.errors import DockerUnavailable, ImageMissing, SandboxClosed, SandboxError
from swe_env.sandbox import disk
from swe_env.sandbox.base import CommandResult
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.session import RawResult, ShellSession

LABEL_PREFIX = "swe-env"
LABEL_MANAGED = f"{LABEL_PREFIX}.managed"

# Capabilities kept after dropping ALL. Root inside the container still has to own,
# chmod and delete files it did not create (CHOWN, DAC_OVERRIDE, FOWNER, FSETID), and
# tools such as apt and pip switch users (SETUID, SETGID); KILL lets a timeout end
# processes whatever user they run as. Everything else (NET_RAW, MKNOD, SYS_CHROOT,
# AUDIT_WRITE, SETFCAP, …) is gone.
KEPT_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"]

# Kills every process in the container except init (pid 1), the container's main
# process, the session shell and itself. SIGSTOP first so a fork bomb cannot outrun
# the SIGKILLs.
_REAPER = r"""
keep=$1 main=$2
for round in 1 2 3 4 5 6 7 8; do
  victims=""
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [ "$pid" = 1 ] || [ "$pid" = "$keep" ] || [ "$pid" = "$main" ] || [ "$pid" = "$$" ] && continue
    victims="$victims $pid"
  done
  [ -z "$victims" ] && exit 0
  kill -STOP $victims 2>/dev/null
  kill -KILL $victims 2>/dev/null
done
"""

_FORK_FAILURE = "Resource temporarily unavailable"
SHELL_READ_LIMIT = 16 * 1024 * 1024
SHELL_WRITE_LIMIT = 32 * 1024


def docker_client(base_url: str | None = None, timeout: int = 120) -> docker.DockerClient:
    """Connect to the engine.

    Raises:
        DockerUnavailable: no engine answers, with a message saying how to start one.
    """
    try:
        client = (
            docker.DockerClient(base_url=base_url, timeout=timeout)
            if base_url
            else docker.from_env(timeout=timeout)
        )
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise DockerUnavailable(
            "No Docker engine answers "
            f"({base_url or os.environ.get('DOCKER_HOST') or 'unix:///var/run/docker.sock'}): "
            f"{exc}. Start one (e.g. `sudo dockerd &` or `systemctl start docker`) "
            "or set DOCKER_HOST."
        ) from exc
    return client


def owner_labels(episode: str | None = None, task: str | None = None) -> dict[str, str]:
    """The labels every container we start carries; `swe-env gc` reads them."""
    return {
        LABEL_MANAGED: "1",
        f"{LABEL_PREFIX}.episode": episode or uuid.uuid4().hex[:12],
        f"{LABEL_PREFIX}.task": task or "",
        f"{LABEL_PREFIX}.owner-pid": str(os.getpid()),
        f"{LABEL_PREFIX}.owner-host": socket.gethostname(),
        f"{LABEL_PREFIX}.created": f"{time.time():.0f}",
    }


class DockerSandbox:
    """A running container from ``image`` with one persistent shell.

    Use as a context manager, or call :meth:`close`. Nothing is cleaned up in
    ``__del__``; `swe-env gc` removes containers whose owner died.

    Raises:
        DockerUnavailable: the engine does not answer.
        ImageMissing: ``image`` is not present locally.
        SandboxError: the container or its shell could not be started.
    """

    def __init__(
        self,
        image: str,
        config: DockerSandboxConfig | None = None,
        *,
        episode: str | None = None,
        task: str | None = None,
        client: docker.DockerClient | None = None,
    ) -> None:
        self.config = config or DockerSandboxConfig()
        self.image = image
        self.labels = owner_labels(episode, task)
        self._client = client or docker_client(self.config.docker_host)
        self._container: Any = None
        self._session: ShellSession | None = None
        self._closed = False
        self._main_pid = 0
        self.restarts = 0
        self.disk: disk.DiskGuard | None = None
        """Keeps the container within ``config.disk``; ``None`` without a budget."""
        self._start_container()
        try:
            self._start_session()
        except BaseException:
            self.close()
            raise

    # -- lifecycle ------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._container.id if self._container is not None else ""

    def _start_container(self) -> None:
        cfg = self.config
        try:
            # create + start, never run: run() would try to pull a missing image.
            self._container, quota = disk.create_container(
                self._client,
                self.image,
                cfg.disk,
                command=["sleep", "infinity"],
                init=True,
                labels=self.labels,
                network_mode=None if cfg.network else "none",
                cap_drop=["ALL"],
                cap_add=KEPT_CAPABILITIES,
                security_opt=["no-new-privileges"],
                pids_limit=cfg.pids_limit,
                mem_limit=cfg.memory,
                memswap_limit=cfg.memory,
                nano_cpus=int(cfg.cpus * 1e9),
                environment={"LC_ALL": "C.UTF-8", "PYTHONUNBUFFERED": "1", **cfg.env},
                stdin_open=False,
                tty=False,
            )
            self._container.start()
            self.disk = disk.guard(
                self._container,
                cfg.disk,
                quota,
                cfg.disk_poll,
                stop_writers=lambda: self._reap(None),
            )
        except docker.errors.ImageNotFound as exc:
            raise ImageMissing(
                f"image {self.image!r} is not present; build it first "
                "(`swe-env images bootstrap` for base images, `swe-env images build` for tasks)"
            ) from exc
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            if self._container is not None:
                with contextlib.suppress(docker.errors.APIError):
                    self._container.remove(force=True)
            raise SandboxError(f"could not start a container from {self.image!r}: {exc}") from exc

    def _start_session(self) -> None:
        api = self._client.api
        try:
            exec_id = api.exec_create(
                self._container.id,
                ["/bin/bash", "--noprofile", "--norc"],
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                workdir="/",
            )["Id"]
            sock = api.exec_start(exec_id, socket=True)
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            raise SandboxError(f"could not start a shell in {self.id[:12]}: {exc}") from exc
        raw = getattr(sock, "_sock", sock)
        session = ShellSession(raw, self.config.max_output_bytes)
        try:
            session.start()
            if not self._main_pid:
                found = session.execute("cat /proc/1/task/1/children", 10.0)
                self._main_pid = int((found.output.text().split() or ["0"])[0])
            wd = self.config.workdir
            session.execute(f"mkdir -p {wd} 2>/dev/null; cd {wd}", 10.0)
        except OSError as exc:
            session.close()
            raise SandboxError(f"the shell in {self.id[:12]} did not start: {exc}") from exc
        self._session = session

    def _exec(self, argv: list[str], timeout: float = 30.0) -> tuple[int, bytes]:
        """A one-off ``docker exec``, used only for recovery (slow path)."""
        res = self._container.exec_run(argv, stdout=True, stderr=True, demux=False)
        return res.exit_code, res.output or b""

    def _reap(self, keep_pid: int | None) -> bool:
        """Kill every process except init and ``keep_pid``. False if exec failed."""
        try:
            argv = ["/bin/sh", "-c", _REAPER, "reaper", str(keep_pid or 0), str(self._main_pid)]
            code, _ = self._exec(argv)
        except (docker.errors.APIError, requests.exceptions.RequestException):
            return False
        return code == 0

    def _restart_session(self) -> str:
        """Bring a shell back; restart the container if a shell cannot be started."""
        self.restarts += 1
        if self._session is not None:
            self._session.close()
            self._session = None
        self._reap(None)
        try:
            self._start_session()
            return "a new shell session was started: cwd and environment variables were reset"
        except SandboxError:
            pass
        try:
            self._container.reload()
            if self._container.status == "running":
                self._container.kill()
            self._container.start()
            self._main_pid = 0
            self._start_session()
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            raise SandboxError(f"container {self.id[:12]} could not be revived: {exc}") from exc
        return (
            "the container was restarted (every process was killed; files are kept) "
            "and a new shell session was started: cwd and environment variables were reset"
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.disk is not None:
            self.disk.stop()
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._container is not None:
            try:
                self._container.remove(force=True)
            except docker.errors.NotFound:
                pass  # already gone (removed by gc, the engine or another owner)
            except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
                if "already in progress" not in str(exc):
                    raise SandboxError(f"could not remove {self.id[:12]}: {exc}") from exc

    def __enter__(self) -> DockerSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxClosed("this sandbox is closed")

    # -- execution ------------------------------------------------------------------
    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        self._check_open()
        timeout = self.config.command_timeout if timeout is None else timeout
        started = time.monotonic()
        notes: list[str] = []
        restarted = False
        if self._session is None or not self._session.alive:
            notes.append(self._restart_session())
            restarted = True
        session = self._session
        assert session is not None
        raw = session.execute(command, timeout)
        timed_out = False
        if raw.exit_code is None and not raw.eof:
            timed_out = True
            notes.append(f"command timed out after {timeout:g}s; its processes were killed")
            raw = self._recover_after_timeout(raw, notes)
            restarted = restarted or raw.eof
        elif raw.eof:
            notes.append(self._restart_session())
            notes.insert(0, "the shell exited")
            restarted = True
        output = raw.output.text()
        if raw.exit_code == 137 and not timed_out:
            notes.append("exit code 137: the process was killed (out of memory?)")
        if _FORK_FAILURE in output and self._session is not None:
            # Fork failures mean the pids limit is exhausted (a fork bomb): free it.
            self._reap(self._session.pid)
            self._session.discard_pending()
            notes.append(
                f"the process limit ({self.config.pids_limit}) was reached; "
                "every process except the shell was killed"
            )
        if raw.output.cut:
            notes.append(f"output cut: {raw.output.cut} bytes omitted from the middle")
        return CommandResult(
            output=output,
            exit_code=None if timed_out else raw.exit_code,
            timed_out=timed_out,
            truncated_bytes=raw.output.cut,
            session_restarted=restarted,
            duration=time.monotonic() - started,
            notes=tuple(notes),
        )

    def _recover_after_timeout(self, raw: RawResult, notes: list[str]) -> RawResult:
        session = self._session
        assert session is not None
        if self._reap(session.pid):
            tail = session.drain(session.last_sentinel, wait=1.0)
            raw.output.feed(bytes(tail.output.head) + bytes(tail.output.tail))
            if tail.exit_code is not None:
                return RawResult(raw.output, tail.exit_code, eof=False)
        # The shell itself is stuck (a builtin loop) or exec failed: start over.
        notes.append(self._restart_session())
        return RawResult(raw.output, None, eof=True)

    # -- files ------------------------------------------------------------------------
    # Small files travel through the shell as base64 (a few ms); the archive API costs
    # about 80 ms a call on this engine, so it is kept for large files.
    def _shell_bytes(self, command: str, max_output: int, timeout: float = 120) -> bytes | None:
        """Output of an internal command, or None if the shell is unavailable or cut it."""
        session = self._session
        if session is None or not session.alive:
            return None
        raw = session.execute(command, timeout, max_output=max_output)
        if raw.exit_code is None:
            self._restart_session()
            return None
        if raw.output.cut:
            return None
        return bytes(raw.output.head) + bytes(raw.output.tail)

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        self._check_open()
        limit = self.config.max_read_bytes if max_bytes is None else max_bytes
        q = shlex.quote(path)
        small = min(limit, SHELL_READ_LIMIT)
        out = self._shell_bytes(
            f"if [ ! -e {q} ]; then printf E:NOENT; elif [ -d {q} ]; then printf E:ISDIR; "
            f"else s=$(command stat -L -c %s {q}); if [ $s -gt {small} ]; then printf E:BIG:$s; "
            f"else printf S:; command base64 -w0 < {q}; fi; fi",
            max_output=small * 4 // 3 + 64,
        )
        if out is not None:
            if out == b"E:NOENT":
                raise FileNotFoundError(path)
            if out == b"E:ISDIR":
                raise IsADirectoryError(path)
            if out.startswith(b"S:"):
                try:
                    return base64.b64decode(out[2:], validate=True)
                except ValueError:
                    pass  # unreadable file or odd shell state: ask the engine instead
        return self._read_archive(path, limit, max_bytes)

    def _read_archive(self, path: str, limit: int, max_bytes: int | None) -> bytes:
        try:
            stream, stat = self._container.get_archive(path)
        except docker.errors.NotFound:
            raise FileNotFoundError(path) from None
        except docker.errors.APIError as exc:
            raise SandboxError(f"reading {path}: {exc}") from exc
        if stat.get("mode", 0) & (1 << 31):  # Go's os.ModeDir
            raise IsADirectoryError(path)
        if stat.get("size", 0) > limit:
            raise ValueError(f"{path} is {stat['size']} bytes, over the {limit}-byte limit")
        data = b"".join(stream)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            member = tar.next()
            while member is not None and member.issym():
                # get_archive of a symlink yields the link; follow it in the container.
                target = posixpath.join(posixpath.dirname(path), member.linkname)
                return self.read_file(posixpath.normpath(target), max_bytes)
            if member is None or not member.isfile():
                raise IsADirectoryError(path)
            fh = tar.extractfile(member)
            return fh.read() if fh else b""

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self._check_open()
        if not posixpath.isabs(path):
            raise ValueError(f"path must be absolute: {path!r}")
        q, parent = shlex.quote(path), shlex.quote(posixpath.dirname(path) or "/")
        if len(data) <= SHELL_WRITE_LIMIT:
            encoded = base64.b64encode(data).decode()
            out = self._shell_bytes(
                f"if [ -d {q} ]; then printf E:ISDIR; else command mkdir -p -- {parent} && "
                f"command base64 -d > {q} <<'__SWE_ENV_EOF__' && command chmod {mode:o} {q} "
                f"&& printf OK\n{encoded}\n__SWE_ENV_EOF__\nfi",
                max_output=4096,
            )
            if out == b"E:ISDIR":
                raise IsADirectoryError(path)
            if out is not None and out.endswith(b"OK"):
                return
        if self.run(f"test -d {q}", timeout=30).exit_code == 0:
            raise IsADirectoryError(path)  # put_archive would replace the directory
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(name=path.lstrip("/"))
            info.size = len(data)
            info.mode = mode
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
        try:
            ok = self._container.put_archive("/", buf.getvalue())
        except docker.errors.APIError as exc:
            if "directory" in str(exc).lower():
                raise IsADirectoryError(path) from exc
            raise SandboxError(f"writing {path}: {exc}") from exc
        if not ok:
            raise SandboxError(f"writing {path}: the engine refused the archive")
