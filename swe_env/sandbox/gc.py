"""Find and remove orphaned swe-env containers (owner process dead, or too old)."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

import docker
import docker.errors

from swe_env.sandbox.docker import LABEL_MANAGED, LABEL_PREFIX


@dataclass(frozen=True)
class Orphan:
    id: str
    name: str
    reason: str
    task: str


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_orphans(client: docker.DockerClient, ttl: float | None = 6 * 3600) -> list[Orphan]:
    """Containers we started whose owner pid (on this host) is dead, or older than ``ttl`` s.

    Containers owned by another host are judged by age only.
    """
    host = socket.gethostname()
    now = time.time()
    orphans = []
    for c in client.containers.list(all=True, filters={"label": f"{LABEL_MANAGED}=1"}):
        labels = c.labels
        task = labels.get(f"{LABEL_PREFIX}.task", "")
        pid = int(labels.get(f"{LABEL_PREFIX}.owner-pid", "0") or 0)
        created = float(labels.get(f"{LABEL_PREFIX}.created", "0") or 0)
        if labels.get(f"{LABEL_PREFIX}.owner-host") == host and pid and not _pid_alive(pid):
            orphans.append(Orphan(c.id, c.name, f"owner pid {pid} is dead", task))
        elif ttl is not None and now - created > ttl:
            orphans.append(Orphan(c.id, c.name, f"older than {ttl:g}s", task))
    return orphans


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
