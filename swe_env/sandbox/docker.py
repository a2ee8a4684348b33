"""DockerSandbox: a locked-down container with one persistent bash, on the docker SDK."""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import socket
import time
import uuid
from typing import Any

import docker
import docker.errors
import requests.exceptions

from swe_env.errors import DockerUnavailable, ImageMissing, SandboxClosed, SandboxError
from swe_env.sandbox import disk, files
from swe_env.sandbox.agent_shell import AgentShell
from swe_env.sandbox.base import CommandResult
from swe_env.sandbox.config import DockerSandboxConfig

LABEL_PREFIX = "swe-env"
LABEL_MANAGED = f"{LABEL_PREFIX}.managed"

# Capabilities kept after dropping ALL. Root inside the container still has to own,
# chmod and delete files it did not create (CHOWN, DAC_OVERRIDE, FOWNER, FSETID), and
# tools such as apt and pip switch users (SETUID, SETGID); KILL lets a timeout end
# processes whatever user they run as. Everything else (NET_RAW, MKNOD, SYS_CHROOT,
# AUDIT_WRITE, SETFCAP, …) is gone.
KEPT_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"]


MAX_POOL = 128
"""HTTP connections a client keeps to the engine."""


def docker_client(base_url: str | None = None, timeout: int = 120) -> docker.DockerClient:
    """Connect to the engine.

    Raises:
        DockerUnavailable: no engine answers, with a message saying how to start one.
    """
    try:
        # Many threads share one client (a runner's environments, the warm pool):
        # docker-py's default of 10 connections would make them queue.
        client = (
            docker.DockerClient(base_url=base_url, timeout=timeout, max_pool_size=MAX_POOL)
            if base_url
            else docker.from_env(timeout=timeout, max_pool_size=MAX_POOL)
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
    """A running container from ``image`` with one persistent shell for the agent
    (:mod:`.agent_shell`) and a private one for the tools (:mod:`.toolshell`).

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
        labels: dict[str, str] | None = None,
    ) -> None:
        self.config = config or DockerSandboxConfig()
        self.image = image
        self.labels = {**(labels or {}), **owner_labels(episode, task)}
        self._client = client or docker_client(self.config.docker_host)
        self._container: Any = None
        self._closed = False
        self._shell: AgentShell | None = None
        self.disk: disk.DiskGuard | None = None
        """Keeps the container within ``config.disk``; ``None`` without a budget."""
        self._start_container()
        self._shell = AgentShell(
            self._client.api, lambda: self._container, self.config, self._revive
        )
        try:
            self._shell.start()
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
                stop_writers=self._stop_writers,
                kill_fast=self._kill_writers_from_host,
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

    def _stop_writers(self) -> bool:
        """Kill every process but init and the container's main one (the disk guard's
        answer to an overrun). False when the shell is not up yet or the reap failed."""
        return self._shell is not None and self._shell.reap()

    def _kill_writers_from_host(self) -> int:
        """The same, signalled from this host (local engines): none before the main
        process is known, since killing it would stop the container."""
        main = self._shell.main_pid if self._shell is not None else 0
        if not main or self._container is None:
            return 0
        return disk.kill_from_host(self._container, {main})

    @property
    def restarts(self) -> int:
        """How many times the shell (or the container) was restarted."""
        return self._shell.restarts

    def _revive(self) -> None:
        """Restart the container (every process dies, files are kept)."""
        try:
            self._container.reload()
            if self._container.status == "running":
                try:
                    self._container.kill()
                except docker.errors.APIError as exc:
                    if exc.status_code != 409:  # 409: it stopped since the reload
                        raise
            self._container.start()
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            raise SandboxError(f"container {self.id[:12]} could not be revived: {exc}") from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.disk is not None:
            self.disk.stop()
        if self._shell is not None:
            self._shell.close()
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
        return self._shell.run(command, self.config.command_timeout if timeout is None else timeout)

    def run_private(self, command: str, timeout: float | None = None) -> CommandResult:
        self._check_open()
        timeout = self.config.command_timeout if timeout is None else timeout
        return self._shell.run_private(command, timeout)

    # -- files ------------------------------------------------------------------------
    def _tool_run(self, command: str, max_output: int) -> files.RawResult:
        return self._shell.tools.run(command, timeout=120.0, max_output=max_output)

    def read_file(self, path: str, max_bytes: int | None = None) -> bytes:
        self._check_open()
        limit = self.config.max_read_bytes if max_bytes is None else max_bytes
        for _ in range(8):  # symbolic links the archive API hands back, followed here
            data = files.read_via_shell(self._tool_run, path, limit)
            if data is not None:
                return data
            data, target = files.read_via_archive(self._container, path, limit)
            if data is not None:
                return data
            path = target or path
        raise OSError(errno.ELOOP, "Too many levels of symbolic links", path)

    def write_file(self, path: str, data: bytes, mode: int | None = 0o644) -> None:
        self._check_open()
        if not posixpath.isabs(path):
            raise ValueError(f"path must be absolute: {path!r}")
        if len(data) <= files.SHELL_WRITE_LIMIT and files.write_via_shell(
            self._tool_run, path, data, mode
        ):
            return
        probe = self.run_private(f"stat -c %F:%a -- {files.ansi_c_quote(path)}", timeout=30)
        kind, _, current = probe.output.strip().partition(":")
        if probe.exit_code == 0 and kind == "directory":  # put_archive would replace it
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        if mode is None:
            mode = int(current, 8) if probe.exit_code == 0 and current.isdigit() else 0o644
        files.write_via_archive(self._container, path, data, mode)
