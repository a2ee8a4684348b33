"""Snapshots without an engine: the shell state's round trip, the config of a container
started from a snapshot, the holds that decide removal, and gc's choice of images."""

from __future__ import annotations

import base64
import socket
import subprocess
import time

import docker.errors
import pytest

from swe_env.sandbox import gc
from swe_env.sandbox import snapshot as snap
from swe_env.sandbox.config import DockerSandboxConfig


def test_the_capture_is_parsed_and_shell_variables_are_skipped() -> None:
    raw = b"/testbed/sub\0FOO=a b\nc\0PWD=/x\0SHLVL=2\0EMPTY=\0"
    state = snap.parse_capture("noise\n" + base64.b64encode(raw).decode())
    assert state == snap.ShellState("/testbed/sub", {"FOO": "a b\nc", "EMPTY": ""})
    assert snap.ShellState.from_label(state.to_label()) == state
    assert snap.ShellState.from_label(None) is None
    with pytest.raises(ValueError):
        snap.parse_capture(base64.b64encode(b"relative\0").decode())


def test_a_start_config_restores_the_shell_and_takes_the_inherited_disk() -> None:
    config = DockerSandboxConfig(disk="100m", env={"MINE": "1", "FOO": "config wins"})
    labels = {
        snap.LABEL_STATE: snap.ShellState("/testbed/a", {"FOO": "x", "BAR": "y"}).to_label(),
        snap.LABEL_DISK: str(30 * 2**20),
    }
    started = snap.start_config(config, labels)
    assert started.workdir == "/testbed/a"
    assert started.env == {"FOO": "config wins", "BAR": "y", "MINE": "1"}
    assert started.disk == 70 * 2**20
    labels[snap.LABEL_DISK] = str(2**40)
    assert snap.start_config(config, labels).disk == snap.MIN_BUDGET
    assert snap.start_config(config.model_copy(update={"disk": None}), labels).disk is None


class FakeApi:
    """Images by id; ``used`` ones answer the engine's conflict."""

    def __init__(self, images: list[dict] | None = None) -> None:
        self.used: set[str] = set()
        self.removed: list[str] = []
        self._images = images or []

    def remove_image(self, image: str, force: bool = False, noprune: bool = False) -> None:
        if image in self.used:
            raise docker.errors.APIError("conflict: image is being used")
        self.removed.append(image)

    def images(self, filters: dict) -> list[dict]:
        return self._images


class FakeClient:
    def __init__(self, images: list[dict] | None = None) -> None:
        self.api = FakeApi(images)


def test_a_snapshot_goes_with_its_last_holder_and_a_used_one_waits() -> None:
    holds, client = snap.Holds(), FakeClient()
    parent, fork, other = object(), object(), object()
    holds.hold("s1", parent)
    holds.hold("s1", fork)
    holds.hold("s2", fork)
    assert holds.held(fork) == ["s1", "s2"]
    assert holds.release(client, parent) == 0
    client.api.used.add("s1")  # a container of another holder still runs from it
    assert holds.release(client, fork) == 1
    assert client.api.removed == ["s2"]
    client.api.used.clear()
    assert holds.release(client, other) == 1  # the next release sweeps what waited
    assert client.api.removed == ["s2", "s1"]


def _labels(pid: int, created: float) -> dict[str, str]:
    return {
        "swe-env.managed": "1",
        "swe-env.snapshot": "1",
        "swe-env.owner-pid": str(pid),
        "swe-env.owner-host": socket.gethostname(),
        "swe-env.created": f"{created:.0f}",
        "swe-env.task": "demo/t",
    }


def test_gc_picks_the_snapshots_of_dead_owners_newest_first() -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    now = time.time()
    images = [
        {"Id": "sha256:" + "a" * 64, "Labels": _labels(dead.pid, now - 100), "Created": 0},
        {"Id": "sha256:" + "b" * 64, "Labels": _labels(dead.pid, now - 10), "Created": 0},
        {"Id": "sha256:" + "c" * 64, "Labels": _labels(1, now - 10), "Created": 0},
    ]
    client = FakeClient(images)
    found = gc.find_orphan_snapshots(client)  # type: ignore[arg-type]
    assert [o.id[7] for o in found] == ["b", "a"]
    assert [o.id[7] for o in gc.find_orphan_snapshots(client, 50)] == ["a"]  # type: ignore[arg-type]
    live = gc.find_orphan_snapshots(client, 1, include_live=True)  # type: ignore[arg-type]
    assert {o.id[7] for o in live} == {"a", "b", "c"}
    with pytest.raises(ValueError):
        gc.find_orphan_snapshots(client, include_live=True)  # type: ignore[arg-type]
    client.api.used.add(found[1].id)
    assert gc.remove_snapshots(client, found) == 1  # type: ignore[arg-type]
