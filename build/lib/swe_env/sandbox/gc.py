"""Find and remove orphaned swe-env containers: those whose owner process is proven dead.

Every container we start carries owner labels (see
:func:`swe_env.sandbox.docker.owner_labels`): the owner's pid and host, and when the
container was created. An owner is *proven dead* only when its host is this host and

- no process has its pid (a zombie counts as none), or
- the process with its pid started after the container was created: the pid was reused.

A container of another host, or without owner labels, is never proven orphaned: only an
explicit ``include_live`` removes it (and then only past a TTL).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any, Literal

import docker
import docker.errors

from swe_env.sandbox.docker import LABEL_MANAGED, LABEL_PREFIX

LABEL_OWNER_PID = f"{LABEL_PREFIX}.owner-pid"
LABEL_OWNER_HOST = f"{LABEL_PREFIX}.owner-host"
LABEL_CREATED = f"{LABEL_PREFIX}.created"
CLOCK_SLACK = 2.0
"""Seconds of rounding allowed between a process's start time and a container's created
label (the label is whole seconds, the kernel's boot time too); a process that started
less than this after the container is taken for its owner."""

OwnerState = Literal["dead", "alive", "foreign", "unknown"]


@dataclass(frozen=True)
class Orphan:
    id: str
    name: str
    reason: str
    task: str


@dataclass(frozen=True)
class Owner:
    """What is known of a container's owner process."""

    state: OwnerState
    """dead (proven), alive, foreign (another host) or unknown (no owner labels)."""
    reason: str


def _boot_time() -> float:
    with open("/proc/stat") as fh:
        for line in fh:
            if line.startswith("btime "):
                return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


def process_info(pid: int) -> tuple[bool, float | None]:
    """(whether ``pid`` is a live process, its start time as a Unix time if known).

    A zombie is not alive. The start time comes from ``/proc`` (Linux); elsewhere it is
    None and only the pid's existence is checked.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False, None
    except PermissionError:
        pass  # another user's process: it exists
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return (not os.path.isdir("/proc/self")), None  # no /proc at all: trust kill()
    except OSError:
        return True, None
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) ": state is field 3
    if fields[0] in ("Z", "X"):
        return False, None
    try:
        return True, _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return True, None


def owner_of(labels: dict[str, str], created: float | None = None) -> Owner:
    """Judge the owner of a container with ``labels``.

    ``created`` (Unix time) is used when the container has no created label (the
    engine's own creation time, say).
    """
    host = labels.get(LABEL_OWNER_HOST)
    try:
        pid = int(labels.get(LABEL_OWNER_PID) or 0)
        created = float(labels.get(LABEL_CREATED) or created or 0) or None
    except ValueError:
        return Owner("unknown", "unreadable owner labels")
    if not host or pid <= 0:
        return Owner("unknown", "no owner labels")
    if host != socket.gethostname():
        return Owner("foreign", f"owner on host {host}")
    alive, started = process_info(pid)
    if not alive:
        return Owner("dead", f"owner pid {pid} is dead")
    if started is not None and created is not None and started > created + CLOCK_SLACK:
        return Owner("dead", f"owner pid {pid} was reused (its process started later)")
    return Owner("alive", f"owner pid {pid} is alive")


def find_orphans(
    client: docker.DockerClient,
    ttl: float | None = None,
    *,
    include_live: bool = False,
    labels: list[str] | None = None,
) -> list[Orphan]:
    """Our containers whose owner is proven dead.

    Args:
        ttl: only containers older than this many seconds (None: any age).
        include_live: also containers whose owner is alive, on another host or unknown
            (needs ``ttl``: removing live work is only ever done by age).
        labels: only containers with these extra ``key=value`` labels.

    Raises:
        ValueError: ``include_live`` without ``ttl``.
    """
    if include_live and ttl is None:
        raise ValueError("removing containers of live owners needs a TTL")
    now = time.time()
    orphans = []
    wanted = [f"{LABEL_MANAGED}=1", *(labels or [])]
    for c in client.api.containers(all=True, filters={"label": wanted}):
        found: dict[str, Any] = c.get("Labels") or {}
        owner = owner_of(found, c.get("Created"))
        created = float(found.get(LABEL_CREATED) or c.get("Created") or 0)
        if ttl is not None and now - created <= ttl:
            continue
        if owner.state != "dead" and not include_live:
            continue
        reason = owner.reason if ttl is None else f"older than {ttl:g}s; {owner.reason}"
        name = (c.get("Names") or [""])[0].lstrip("/")
        orphans.append(Orphan(c["Id"], name, reason, found.get(f"{LABEL_PREFIX}.task", "")))
    return orphans


def find_labelled(client: docker.DockerClient, labels: dict[str, str], reason: str) -> list[Orphan]:
    """Every container carrying all of ``labels`` (one engine call, no inspects), each
    to be removed for ``reason``."""
    wanted = [f"{key}={value}" for key, value in labels.items()]
    return [
        Orphan(
            c["Id"],
            (c.get("Names") or [""])[0].lstrip("/"),
            reason,
            (c.get("Labels") or {}).get(f"{LABEL_PREFIX}.task", ""),
        )
        for c in client.api.containers(all=True, filters={"label": wanted})
    ]


def owned_by(client: docker.DockerClient, pid: int | None = None) -> list[Orphan]:
    """Containers that process ``pid`` (default: this one) of this host started."""
    pid = os.getpid() if pid is None else pid
    wanted = {LABEL_OWNER_PID: str(pid), LABEL_OWNER_HOST: socket.gethostname()}
    return find_labelled(client, wanted, "interrupted")


def remove_labelled(client: docker.DockerClient, labels: dict[str, str], reason: str) -> int:
    """Force-remove every container carrying all of ``labels``; returns how many."""
    return remove_orphans(client, find_labelled(client, labels, reason))


def remove_orphans(client: docker.DockerClient, orphans: list[Orphan]) -> int:
    """Force-remove ``orphans``; returns how many were removed."""
    removed = 0
    for orphan in orphans:
        try:
            client.api.remove_container(orphan.id, force=True)
            removed += 1
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise
    return removed


def find_orphan_snapshots(
    client: docker.DockerClient, ttl: float | None = None, *, include_live: bool = False
) -> list[Orphan]:
    """Our snapshot images (:mod:`swe_env.sandbox.snapshot`) whose owner is proven dead,
    judged like containers (same ``ttl`` and ``include_live`` rules), newest first.

    Raises:
        ValueError: ``include_live`` without ``ttl``.
    """
    from swe_env.sandbox.snapshot import LABEL_SNAPSHOT

    if include_live and ttl is None:
        raise ValueError("removing snapshots of live owners needs a TTL")
    now = time.time()
    found = []
    for img in client.api.images(filters={"label": [f"{LABEL_MANAGED}=1", f"{LABEL_SNAPSHOT}=1"]}):
        labels: dict[str, Any] = img.get("Labels") or {}
        created = float(labels.get(LABEL_CREATED) or img.get("Created") or 0)
        if ttl is not None and now - created <= ttl:
            continue
        owner = owner_of(labels, img.get("Created"))
        if owner.state != "dead" and not include_live:
            continue
        reason = owner.reason if ttl is None else f"older than {ttl:g}s; {owner.reason}"
        task = labels.get(f"{LABEL_PREFIX}.task", "")
        found.append((created, Orphan(img["Id"], f"snapshot {img['Id'][7:19]}", reason, task)))
    return [orphan for _, orphan in sorted(found, key=lambda pair: -pair[0])]


def remove_snapshots(client: docker.DockerClient, orphans: list[Orphan]) -> int:
    """Remove the snapshot images ``orphans`` (children before parents); one a container
    still runs from is kept. Returns how many were removed."""
    from swe_env.sandbox import snapshot

    left, removed = list(orphans), 0
    while left:
        gone = [o for o in left if snapshot.remove(client, o.id)]
        if not gone:
            break
        removed += len(gone)
        left = [o for o in left if o not in gone]
    return removed
