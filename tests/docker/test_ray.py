"""The Ray runner on a local cluster with the replay policy: a worker killed mid-run loses
no episode and duplicates none; an interrupted run resumes from its output dir."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest
import ray

from swe_env.env import SWEEnvConfig
from swe_env.images.build import ensure_images
from swe_env.policy.replay import ReplayPolicy
from swe_env.rollout.ray_runner import RayRunner, RayRunnerConfig
from swe_env.rollout.trajectory import Trajectory
from swe_env.sandbox.docker import LABEL_PREFIX
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]

IDS = [
    "demo/inicfg-delimiter-in-value",
    "demo/semverlite-prerelease-numeric-order",
    "demo/textkit-slug-trailing-separator",
]
TASKS = [t for t in load_suite("demo") if t.full_id in IDS]
CONFIG = SWEEnvConfig(suite="demo", grade_timeout=120)


@pytest.fixture(scope="module")
def cluster(docker_client):
    ensure_images(TASKS, docker_client)
    ray.init(
        num_cpus=2,
        resources={"swe_env": 1},
        include_dashboard=False,
        object_store_memory=128 * 1024 * 1024,
    )
    yield
    ray.shutdown()


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]


def leftovers(docker_client, pids: list[int]) -> list:
    host = socket.gethostname()
    found = []
    for pid in pids:
        labels = [f"{LABEL_PREFIX}.owner-pid={pid}", f"{LABEL_PREFIX}.owner-host={host}"]
        found += docker_client.containers.list(all=True, filters={"label": labels})
    return found


def test_killed_worker_loses_and_duplicates_nothing(cluster, docker_client, tmp_path) -> None:
    runner = RayRunner(CONFIG, ReplayPolicy, ray_config=RayRunnerConfig(per_node=3))
    killed: list[int] = []

    def on_done(traj: Trajectory) -> None:
        if not killed:  # the first episode is in; the others are running: kill the worker
            worker = next(w for w in runner.workers if w.alive)
            killed.append(worker.pid)
            ray.kill(worker.actor)

    results = runner.run(TASKS, tmp_path, samples=2, on_done=on_done)
    keys = [(r["task_id"], r["sample"]) for r in records(tmp_path)]
    expected = {(t.full_id, k) for t in TASKS for k in range(2)}
    assert len(keys) == len(set(keys)) == len(expected) and set(keys) == expected
    assert all(r["status"] == "ok" and r["resolved"] for r in records(tmp_path))
    assert len(results) == len(expected)
    assert runner.respawns == 1 and runner.requeued >= 1
    assert killed and killed[0] != os.getpid()
    assert not leftovers(docker_client, killed)


def test_interrupted_run_resumes(cluster, docker_client, tmp_path) -> None:
    class Interrupt(Exception):
        pass

    first = RayRunner(CONFIG, ReplayPolicy, ray_config=RayRunnerConfig(per_node=2))
    pids: list[int] = []

    def stop_after_two(traj: Trajectory) -> None:
        pids.extend(w.pid for w in first.workers)
        if len(records(tmp_path)) >= 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        first.run(TASKS, tmp_path, samples=2, on_done=stop_after_two)
    done_before = {(r["task_id"], r["sample"]) for r in records(tmp_path)}
    assert 2 <= len(done_before) < 6
    assert not leftovers(docker_client, pids)  # the interrupted episodes' containers

    config = RayRunnerConfig(per_node=3, node_resource="swe_env")
    second = RayRunner(CONFIG, ReplayPolicy, ray_config=config)
    started: list[tuple[str, int]] = []
    second.run(TASKS, tmp_path, samples=2, on_start=lambda t, k: started.append((t, k)))
    assert not set(started) & done_before
    keys = [(r["task_id"], r["sample"]) for r in records(tmp_path)]
    assert len(keys) == len(set(keys)) == 6


def test_no_node_with_the_resource_fails_fast(cluster, tmp_path) -> None:
    config = RayRunnerConfig(node_resource="no-such-resource")
    with pytest.raises(RuntimeError, match="no Ray worker"):
        RayRunner(CONFIG, ReplayPolicy, ray_config=config).run(TASKS[:1], tmp_path)
    assert not (tmp_path / "trajectories.jsonl").exists()  # nothing written


def test_the_warm_pool_starts_what_the_next_jobs_take_and_leaks_nothing(
    cluster, docker_client, tmp_path
) -> None:
    tasks = TASKS[:2]
    time.sleep(1.01 - time.time() % 1)  # events count whole seconds: none of the last test's
    since = int(time.time())
    runner = RayRunner(CONFIG, ReplayPolicy, ray_config=RayRunnerConfig(per_node=2))
    assert runner.warm_pool  # the default
    results = runner.run(tasks, tmp_path, samples=3)
    until = int(time.time()) + 1
    assert len(results) == 6 and all(t.resolved for t in results)
    # The jobs after the first wave were reserved and their containers started while
    # the first wave ran: their resets were a hand-over, not a container start.
    by_job = {(t.task_id, t.sample): t for t in results}
    jobs = [by_job[(t.full_id, k)] for t in tasks for k in range(3)]
    first = sorted(t.reset_seconds for t in jobs[:2])
    later = sorted(t.reset_seconds for t in jobs[2:])
    assert later[0] < min(0.1, first[0] / 3), (first, later)  # no pool: all 0.16-0.2 s
    # One container per episode and one per grading: none started that went unused.
    events = docker_client.events(
        since=since, until=until, decode=True, filters={"type": "container", "event": "create"}
    )
    ids = {t.full_id for t in tasks}
    created = [e for e in events if e["Actor"]["Attributes"].get(f"{LABEL_PREFIX}.task") in ids]
    assert len(created) == 2 * len(results), _pids(created)
    assert not leftovers(docker_client, _pids(created))  # the pools' spares included


def _pids(events: list[dict]) -> list[int]:
    return sorted({int(e["Actor"]["Attributes"][f"{LABEL_PREFIX}.owner-pid"]) for e in events})
