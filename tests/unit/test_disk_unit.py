"""Disk budgets without Docker: size parsing, the storage-opt fallback, the layer walk,
guards and the shared watcher thread, and how SWEEnv ends an episode on an overrun."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest
from pydantic import ValidationError

from swe_env.env import SWEEnv
from swe_env.sandbox import disk
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.tools.base import ToolContext, ToolResult

MiB = 2**20


# -- config -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4g", 4 * 2**30),
        ("4GiB", 4 * 2**30),
        ("200m", 200 * MiB),
        ("300 MiB", 300 * MiB),
        ("1.5g", 3 * 2**29),
        ("512k", 512 * 1024),
        ("4096", 4096),
        (123, 123),
        (None, None),
    ],
)
def test_disk_sizes_use_docker_binary_units(value: object, expected: int | None) -> None:
    assert DockerSandboxConfig(disk=value).disk == expected


@pytest.mark.parametrize("value", ["", "abc", "-1", "0", 0, "0m", "4x", "1e9"])
def test_bad_disk_sizes_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        DockerSandboxConfig(disk=value)


def test_default_budget_is_4_gib_and_grading_inherits_the_envs(monkeypatch) -> None:
    assert DockerSandboxConfig().disk == 4 * 2**30
    assert DockerSandboxConfig(disk="123m").model_copy(update={"network": False}).disk == (
        123 * MiB
    )
    seen: dict[str, Any] = {}

    def fake_grade(task, patch, **kwargs):
        seen.update(kwargs)
        return SimpleNamespace(resolved=False, status="unresolved", model_dump=lambda: {})

    import rewards.grade

    monkeypatch.setattr(rewards.grade, "grade", fake_grade)
    env = SWEEnv(suite="demo", sandbox={"disk": "123m"})
    env.task = env.tasks[0]
    env._grade("", {"timings": {}})
    assert seen["sandbox_config"].disk == 123 * MiB


# -- storage_opt fallback ---------------------------------------------------------------
class FakeContainers:
    def __init__(self, refuse: str | None) -> None:
        self.refuse = refuse
        self.calls: list[dict[str, Any]] = []

    def create(self, image: str, **kwargs: Any) -> str:
        self.calls.append(kwargs)
        if "storage_opt" in kwargs and self.refuse:
            raise docker.errors.APIError(self.refuse)
        return f"container-{len(self.calls)}"


def fake_client(refuse: str | None, url: str) -> Any:
    return SimpleNamespace(
        containers=FakeContainers(refuse), api=SimpleNamespace(base_url=url, _custom_adapter=None)
    )


def test_a_refused_storage_opt_is_retried_without_it_and_remembered_per_engine() -> None:
    client = fake_client("--storage-opt is not supported", "http://engine-a")
    container, quota = disk.create_container(client, "img", 200 * MiB, command=["x"])
    assert (container, quota) == ("container-2", False)
    assert "storage_opt" in client.containers.calls[0]
    assert "storage_opt" not in client.containers.calls[1]
    disk.create_container(client, "img", 200 * MiB)
    assert len(client.containers.calls) == 3  # no second attempt on this engine
    other = fake_client(None, "http://engine-b")
    container, quota = disk.create_container(other, "img", 200 * MiB)
    assert quota is True and other.containers.calls[0]["storage_opt"] == {"size": str(200 * MiB)}


def test_other_create_errors_propagate_and_are_not_cached() -> None:
    client = fake_client("No such image: img", "http://engine-c")
    with pytest.raises(docker.errors.APIError, match="No such image"):
        disk.create_container(client, "img", 200 * MiB)
    assert disk.engine_key(client) not in disk._QUOTA_SUPPORT


def test_limits_hold_with_any_driver() -> None:
    client = fake_client("--storage-opt is supported only for overlay over xfs", "http://e-d")
    disk.create_container(client, "img", 300 * MiB)
    kwargs = client.containers.calls[-1]
    limits = {u["name"]: (u["soft"], u["hard"]) for u in kwargs["ulimits"]}
    assert limits == {"fsize": (300 * MiB, 300 * MiB), "core": (0, 0)}
    assert kwargs["log_config"] == {"type": "none"}
    unbounded = disk.create_options(None)
    assert [u["name"] for u in unbounded["ulimits"]] == ["core"]


# -- measuring --------------------------------------------------------------------------
def test_tree_usage_counts_what_the_host_loses(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    (layer / "d").mkdir(parents=True)
    (layer / "d" / "data").write_bytes(os.urandom(MiB))
    os.link(layer / "d" / "data", layer / "hardlink")  # same blocks: counted once
    with open(layer / "sparse", "wb") as fh:  # 1 GiB apparent, no blocks
        fh.truncate(2**30)
    for i in range(100):  # empty files still cost an inode: one block each
        (layer / f"empty{i}").touch()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big").write_bytes(os.urandom(4 * MiB))
    (layer / "link").symlink_to(outside)  # not followed
    used = disk.tree_usage([str(layer)])
    entries = 1 + 1 + 100 + 1  # d, sparse, the empty files, link (data counted apart)
    assert MiB <= used - entries * disk.BLOCK <= MiB + 64 * 1024
    assert disk.tree_usage([str(tmp_path / "missing")]) == 0


def _watcher_alive() -> bool:
    return any(t.name == disk.WATCHER_NAME for t in threading.enumerate())


def _wait(predicate, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_a_container_that_cannot_be_measured_keeps_only_the_file_size_limit() -> None:
    class NoDu:
        id = "e" * 64
        attrs = {"GraphDriver": {"Data": {"UpperDir": "/nonexistent/upper"}}, "Mounts": []}

        def exec_run(self, *args, **kwargs):
            raise docker.errors.APIError("exec failed")

    guard = disk.guard(NoDu(), 100 * MiB, quota=False, poll=0.1)
    assert guard is not None and guard.mode == "unmeasured" and guard.meter is None
    assert not guard.check().exceeded and disk.watcher_thread() is None
    assert disk.guard(NoDu(), None, quota=False, poll=0.1) is None
    quota = disk.guard(NoDu(), 100 * MiB, quota=True, poll=0.1)
    assert quota is not None and quota.mode == "quota"


def test_the_layer_and_volumes_are_walked_when_reachable(tmp_path: Path) -> None:
    upper, volume = tmp_path / "upper", tmp_path / "volume"
    upper.mkdir()
    volume.mkdir()
    (volume / "data").write_bytes(os.urandom(MiB))
    attrs = {
        "GraphDriver": {"Data": {"UpperDir": str(upper)}},
        "Mounts": [
            {"Type": "volume", "Source": str(volume), "Destination": "/v"},
            {"Type": "bind", "Source": "/", "Destination": "/host"},
        ],
    }
    meter = disk.make_meter(SimpleNamespace(attrs=attrs, id="d" * 64))
    assert isinstance(meter, disk.HostMeter) and meter.roots == [str(upper), str(volume)]
    assert MiB <= meter.measure() < 2 * MiB


# -- guards and the watcher ----------------------------------------------------------------
class FakeMeter:
    mode = "host"

    def __init__(self, used: int = 0, fail: bool = False) -> None:
        self.used, self.fail, self.calls = used, fail, 0

    def measure(self) -> int:
        self.calls += 1
        if self.fail:
            raise OSError("cannot measure")
        return self.used


class FakeContainer:
    id = "f" * 64

    def __init__(self) -> None:
        self.kills = 0

    def kill(self) -> None:
        self.kills += 1


def test_guard_stops_writers_once_per_overrun_and_says_so() -> None:
    meter, container = FakeMeter(50 * MiB), FakeContainer()
    reaps: list[int] = []
    guard = disk.DiskGuard(
        container, 100 * MiB, meter, poll=10, stop_writers=lambda: reaps.append(1) or True
    )
    assert not guard.check().exceeded and guard.message() is None
    meter.used = 150 * MiB
    status = guard.check()
    assert status.exceeded and status.kills == 1
    assert _wait(lambda: len(reaps) == 1) and container.kills == 0  # the reaper did it
    assert "disk budget exceeded" in guard.message() and "100.0 MiB budget" in guard.message()
    assert _wait(lambda: not guard._stopping)
    guard.check()  # the same size: the writers are already dead
    meter.used = 152 * MiB  # something kept writing
    guard.check()
    assert _wait(lambda: len(reaps) == 2)
    time.sleep(0.05)
    assert len(reaps) == 2
    meter.used = 10 * MiB  # deleting files does not undo the overrun
    assert guard.check().exceeded and guard.status().peak == 152 * MiB


def test_a_failed_reaper_falls_back_to_killing_the_container() -> None:
    container = FakeContainer()
    guard = disk.DiskGuard(container, MiB, FakeMeter(2 * MiB), poll=10, stop_writers=lambda: False)
    assert guard.check().exceeded
    assert _wait(lambda: container.kills == 1)

    def broken() -> bool:
        raise RuntimeError("exec failed")

    other = FakeContainer()
    disk.DiskGuard(other, MiB, FakeMeter(2 * MiB), poll=10, stop_writers=broken).check()
    assert _wait(lambda: other.kills == 1)


def test_polls_quicken_as_the_headroom_shrinks_and_relax_once_writers_stop() -> None:
    guard = disk.DiskGuard(FakeContainer(), 4 * 2**30, FakeMeter(0), poll=0.1)
    guard._last = (0.0, 0)
    # Far from the budget, nothing growing: the poll interval.
    assert guard._interval(MiB, 1.0) == 0.1
    # 200 MiB of headroom could go in 50 ms at FAST_WRITES, before any rate is measured.
    small = disk.DiskGuard(FakeContainer(), 200 * MiB, FakeMeter(0), poll=0.1)
    small._last = (0.0, 0)
    assert small._interval(0, 1.0) == pytest.approx(0.5 * 200 * MiB / disk.FAST_WRITES)
    # A measured rate faster than FAST_WRITES counts: 8 GiB/s over the last 10 ms.
    small._last = (1.0, 10 * MiB)
    fast = small._interval(10 * MiB + 80 * MiB, 1.01)
    assert fast == pytest.approx(max(disk.MIN_POLL, 0.5 * 110 * MiB / (8 * 2**30)), rel=0.01)
    # Near the budget: every MIN_POLL; over it and no longer growing: the poll again.
    small._last = (1.0, 199 * MiB)
    assert small._interval(199 * MiB + 1, 1.01) == disk.MIN_POLL
    small._last = (1.0, 250 * MiB)
    assert small._interval(250 * MiB, 1.1) == 0.1
    # A costly walk is never repeated more than MAX_DUTY of the time.
    small.cost = 0.05
    assert small._interval(199 * MiB, 1.2) == pytest.approx(0.05 / disk.MAX_DUTY)


def test_the_host_side_kill_signals_only_the_containers_processes(tmp_path: Path) -> None:
    """A process listed by the engine that this host's /proc does not show in the
    container's cgroup (an engine in another pid namespace) is never signalled."""
    import subprocess

    bystander = subprocess.Popen(["sleep", "30"])
    try:
        container = SimpleNamespace(
            id="0" * 64,
            top=lambda: {
                "Titles": ["UID", "PID", "CMD"],
                "Processes": [["0", str(bystander.pid), "sleep"]],
            },
        )
        assert disk.kill_from_host(container, set()) == 0
        time.sleep(0.1)
        assert bystander.poll() is None
        broken = SimpleNamespace(
            id="0" * 64, top=lambda: (_ for _ in ()).throw(docker.errors.APIError("x"))
        )
        with pytest.raises(OSError):
            disk.kill_from_host(broken, set())
    finally:
        bystander.kill()
        bystander.wait()


def _stops_in_order(mode: str) -> list[str]:
    """What an overrun calls, in order, for a guard whose meter works in ``mode``."""
    order: list[str] = []
    meter = FakeMeter(2 * MiB)
    meter.mode = mode
    guard = disk.DiskGuard(
        FakeContainer(),
        MiB,
        meter,
        poll=10,
        stop_writers=lambda: order.append("reaper") or True,
        kill_fast=lambda: order.append("host") or 1,
    )
    assert guard.check().exceeded
    assert _wait(lambda: "reaper" in order), order
    return order


def test_a_fast_kill_runs_before_the_reaper_with_a_host_meter() -> None:
    assert _stops_in_order("host") == ["host", "reaper"]
    # Without a host-side meter (du in the container) the host's pids mean nothing.
    assert _stops_in_order("exec") == ["reaper"]


def test_check_skips_costly_measurements_when_asked() -> None:
    meter = FakeMeter(MiB)
    guard = disk.DiskGuard(FakeContainer(), 100 * MiB, meter, poll=10)
    guard.check()
    guard.cost = 1.0
    guard.check(max_cost=0.002)
    assert meter.calls == 1
    guard.check()
    assert meter.calls == 2


def test_one_watcher_thread_for_all_guards_and_it_stops_with_the_last() -> None:
    assert _wait(lambda: not _watcher_alive())
    broken = disk.DiskGuard(FakeContainer(), MiB, FakeMeter(fail=True), poll=0.01)
    meters = [FakeMeter(0) for _ in range(3)]
    containers = [FakeContainer() for _ in range(3)]
    guards = [disk.DiskGuard(c, MiB, m, poll=0.01) for c, m in zip(containers, meters, strict=True)]
    for g in [broken, *guards]:
        disk._WATCHER.add(g)
    assert sum(t.name == disk.WATCHER_NAME for t in threading.enumerate()) == 1
    assert _wait(lambda: all(m.calls >= 5 for m in meters))  # polled, despite `broken`
    meters[1].used = 2 * MiB
    assert _wait(lambda: containers[1].kills == 1)  # caught in the background
    assert containers[0].kills == containers[2].kills == 0
    for g in [broken, *guards]:
        g.stop()
    assert _wait(lambda: not _watcher_alive()) and disk.watcher_thread() is None
    calls = meters[0].calls
    time.sleep(0.1)
    assert meters[0].calls == calls  # stopped guards are not measured
    disk._WATCHER.add(guards[0])  # and a new guard starts a new thread
    guards[0]._stopped = False
    assert _wait(lambda: meters[0].calls > calls)
    guards[0].stop()
    assert _wait(lambda: not _watcher_alive())


# -- the environment ---------------------------------------------------------------------
class OverrunSandbox:
    """A sandbox whose guard reports an overrun after the first command."""

    def __init__(self, exceed_after: int) -> None:
        self.meter = FakeMeter(0)
        self.disk = disk.DiskGuard(FakeContainer(), MiB, self.meter, poll=10)
        self.exceed_after = exceed_after
        self.commands = 0


def _env_with(sandbox: OverrunSandbox, monkeypatch, **config: Any) -> SWEEnv:
    import swe_env.env as env_module

    def fake_execute(sb, action, ctx):
        sb.commands += 1
        if sb.commands >= sb.exceed_after:
            sb.meter.used = 5 * MiB
        submit = isinstance(action, dict) and action.get("name") == "submit"
        return ToolResult(output="out", ok=True, done=submit, patch="diff" if submit else None)

    monkeypatch.setattr(env_module, "execute", fake_execute)
    env = SWEEnv(suite="demo", **config)
    env.sandbox, env.task = sandbox, env.tasks[0]
    env._ctx = ToolContext(base_commit="HEAD", repo_root="/testbed")
    env._started = time.monotonic()
    env._grade = lambda patch, info: pytest.fail("an overrun episode must not be graded")
    return env


@pytest.mark.parametrize(("reward", "expected"), [("binary", 0.0), ("binary_pm1", -1.0)])
def test_overrun_ends_the_episode_as_the_agents_fault(monkeypatch, reward, expected) -> None:
    env = _env_with(OverrunSandbox(exceed_after=2), monkeypatch, reward=reward)
    bash = {"name": "bash", "arguments": {"command": "dd ..."}}
    obs, rew, terminated, truncated, info = env.step(bash)
    assert (rew, terminated, truncated, "termination" in info) == (0.0, False, False, False)
    obs, rew, terminated, truncated, info = env.step(bash)
    assert "disk budget exceeded" in obs and "The episode is over" in obs
    assert (rew, terminated, truncated) == (expected, True, False)
    assert info["termination"] == "disk_budget" and info["disk"]["exceeded"] is True
    assert "truncation" not in info and "grade" not in info
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(bash)


def test_submit_after_an_overrun_is_not_graded(monkeypatch) -> None:
    env = _env_with(OverrunSandbox(exceed_after=1), monkeypatch)
    env.sandbox.disk.cost = 1.0  # costly layer: mid-episode checks rely on the watcher
    _, rew, terminated, _, info = env.step({"name": "submit", "arguments": {}})
    assert terminated and rew == 0.0 and info["termination"] == "disk_budget"


def test_overrun_on_the_last_turn_is_not_a_truncation(monkeypatch) -> None:
    env = _env_with(OverrunSandbox(exceed_after=1), monkeypatch, max_turns=1)
    _, _, terminated, truncated, info = env.step({"name": "bash", "arguments": {"command": "x"}})
    assert terminated and not truncated and info["termination"] == "disk_budget"
