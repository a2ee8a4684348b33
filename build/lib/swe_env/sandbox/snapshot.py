"""Snapshots: a sandbox's file system committed as an image, to start new sandboxes from.

A snapshot is an untagged image made by ``docker commit`` (the container paused while it
is written), labelled like our containers (owner pid and host, episode, task, created)
plus:

- ``swe-env.snapshot=1``: the marker `swe-env gc` and :func:`list_snapshots` look for;
- ``swe-env.snapshot.state``: the agent shell's working directory and exported
  environment, as JSON (:class:`ShellState`);
- ``swe-env.snapshot.disk``: bytes the episode had written by then (its own layer plus
  what its own snapshot had), so a container started from it gets only what is left of
  the disk budget and a chain of forks cannot outgrow one budget;
- ``swe-env.snapshot.parent``: the snapshot the sandbox itself started from, if any.

**What a snapshot does not keep: running processes.** Only files are committed.
Background servers, shells, their variables that were not exported, shell functions,
aliases and options are gone in a sandbox started from it; the working directory and the
exported variables are restored from the labels.

Docker merges a container's labels into the image it commits, and a container created
from an image inherits the image's labels. The commit therefore blanks every label the
container carried beyond its image's own (a service's episode label, say), so that a
container started from a snapshot carries only the labels its own starter gives it.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors

from swe_env.errors import SandboxError
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import LABEL_MANAGED, LABEL_PREFIX, DockerSandbox, owner_labels

LABEL_SNAPSHOT = f"{LABEL_PREFIX}.snapshot"
LABEL_STATE = f"{LABEL_SNAPSHOT}.state"
LABEL_DISK = f"{LABEL_SNAPSHOT}.disk"
LABEL_PARENT = f"{LABEL_SNAPSHOT}.parent"
SKIPPED_VARIABLES = frozenset({"PWD", "OLDPWD", "SHLVL", "_", "HOSTNAME"})
"""Exported variables a snapshot does not record: bash sets them for every shell."""
MIN_BUDGET = 2**20
"""The least disk budget a container started from a snapshot gets."""
CAPTURE = "{ builtin printf '%s\\0' \"$PWD\"; command env -0; } | command base64 -w0"


@dataclass(frozen=True)
class ShellState:
    """The agent shell's working directory and exported environment."""

    cwd: str
    env: dict[str, str] = field(default_factory=dict)

    def to_label(self) -> str:
        return json.dumps({"cwd": self.cwd, "env": self.env}, sort_keys=True)

    @classmethod
    def from_label(cls, text: str | None) -> ShellState | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(str(data["cwd"]), {str(k): str(v) for k, v in data.get("env", {}).items()})


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot image, as :func:`list_snapshots` finds it."""

    id: str
    episode: str
    task: str
    owner_pid: str
    created: float
    parent: str
    size: int


def parse_capture(output: str) -> ShellState:
    """The :class:`ShellState` from the output of :data:`CAPTURE`.

    Raises:
        ValueError: the output is not what the command prints (a broken shell).
    """
    raw = base64.b64decode(output.strip().splitlines()[-1], validate=True)
    cwd, *pairs = raw.decode("utf-8", errors="surrogateescape").split("\0")
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if sep and name and name not in SKIPPED_VARIABLES:
            env[name] = value
    if not cwd.startswith("/"):
        raise ValueError(f"not a working directory: {cwd[:100]!r}")
    return ShellState(cwd, env)


def take(client: docker.DockerClient, sandbox: DockerSandbox, labels: dict[str, str]) -> str:
    """Snapshot ``sandbox``: its agent shell's state, then its files; returns the image id.

    ``labels``: extra labels (episode, task); owner and snapshot labels are added.

    Raises:
        SandboxError: the shell's state could not be read, or the engine refused.
    """
    result = sandbox.run(CAPTURE, timeout=60)
    try:
        if result.exit_code != 0 or result.truncated_bytes:
            raise ValueError(f"exit {result.exit_code}, {result.truncated_bytes} bytes cut")
        state = parse_capture(result.output)
    except ValueError as exc:
        raise SandboxError(f"the shell's state could not be read for a snapshot: {exc}") from exc
    base = image_labels(client, sandbox.image)
    used = sandbox.disk.check().used if sandbox.disk is not None else 0
    wanted = {
        **dict.fromkeys(set(sandbox.labels) - set(base), ""),
        **owner_labels(labels.get(f"{LABEL_PREFIX}.episode"), labels.get(f"{LABEL_PREFIX}.task")),
        **labels,
        LABEL_SNAPSHOT: "1",
        LABEL_STATE: state.to_label(),
        LABEL_DISK: str(used + int(base.get(LABEL_DISK) or 0)),
        LABEL_PARENT: sandbox.image if base.get(LABEL_SNAPSHOT) == "1" else "",
    }
    try:
        return str(client.api.commit(sandbox.id, pause=True, conf={"Labels": wanted})["Id"])
    except docker.errors.APIError as exc:
        raise SandboxError(f"could not commit {sandbox.id[:12]}: {exc}") from exc


def start_config(config: DockerSandboxConfig, labels: dict[str, str]) -> DockerSandboxConfig:
    """``config`` for a sandbox started from a snapshot with ``labels``: the shell starts
    in the recorded directory with the recorded environment (under ``config.env``), and
    the disk budget is what the snapshot's episode had left."""
    state = ShellState.from_label(labels.get(LABEL_STATE))
    update: dict[str, Any] = {}
    if state is not None:
        update = {"workdir": state.cwd, "env": {**state.env, **config.env}}
    if config.disk is not None:
        update["disk"] = max(config.disk - int(labels.get(LABEL_DISK) or 0), MIN_BUDGET)
    return config.model_copy(update=update)


def image_labels(client: docker.DockerClient, image: str) -> dict[str, str]:
    """The labels of ``image`` (empty when it has none).

    Raises:
        docker.errors.ImageNotFound: no such image.
    """
    return dict(client.api.inspect_image(image)["Config"].get("Labels") or {})


def list_snapshots(client: docker.DockerClient, **labels: str) -> list[SnapshotInfo]:
    """Every snapshot image carrying ``labels`` (all owners)."""
    wanted = [f"{LABEL_SNAPSHOT}=1", f"{LABEL_MANAGED}=1", *(f"{k}={v}" for k, v in labels.items())]
    found = []
    for img in client.api.images(filters={"label": wanted}):
        got: dict[str, str] = img.get("Labels") or {}
        found.append(
            SnapshotInfo(
                id=img["Id"],
                episode=got.get(f"{LABEL_PREFIX}.episode", ""),
                task=got.get(f"{LABEL_PREFIX}.task", ""),
                owner_pid=got.get(f"{LABEL_PREFIX}.owner-pid", ""),
                created=float(got.get(f"{LABEL_PREFIX}.created") or img.get("Created") or 0),
                parent=got.get(LABEL_PARENT, ""),
                size=int(img.get("Size") or 0),
            )
        )
    return found


def remove(client: docker.DockerClient, image: str) -> bool:
    """Remove snapshot ``image`` unless something still uses it; whether it is gone.

    A container still running from it, or a snapshot committed on top of it, keeps it
    (the engine's conflict), and so does an engine error; already gone counts as gone.
    """
    try:
        client.api.remove_image(image, force=False, noprune=False)
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError:
        return False
    return True


class Holds:
    """Which snapshots this process still needs, counted by holder (an environment).

    An image is removed when its last holder lets go; one still in use (a conflict:
    a container of another process or a snapshot on top of it) waits in a pending set
    and is tried again whenever a holder lets go. What is left at exit is
    `swe-env gc`'s (the owner is then dead).
    """

    def __init__(self) -> None:
        self._holders: dict[str, set[int]] = {}
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def hold(self, image: str, holder: object) -> None:
        with self._lock:
            self._holders.setdefault(image, set()).add(id(holder))
            self._pending.discard(image)

    def held(self, holder: object) -> list[str]:
        """The images ``holder`` holds, oldest hold first."""
        with self._lock:
            return [img for img, who in self._holders.items() if id(holder) in who]

    def release(self, client: docker.DockerClient, holder: object) -> int:
        """Drop ``holder``'s holds and remove (through ``client``) what nobody holds any
        more, newest first; returns how many images were removed."""
        with self._lock:
            for image in reversed(list(self._holders)):
                who = self._holders[image]
                who.discard(id(holder))
                if not who:
                    del self._holders[image]
                    self._pending.add(image)
        removed, progress = 0, True
        while progress:  # a removed child frees its parent
            with self._lock:
                pending = list(self._pending)
            gone = [image for image in pending if remove(client, image)]
            with self._lock:
                self._pending.difference_update(gone)
            removed += len(gone)
            progress = bool(gone) and len(gone) < len(pending)
        return removed


HOLDS = Holds()
"""The process's holds (every environment of the process shares them)."""
