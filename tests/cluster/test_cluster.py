"""The Ray runner on a real multi-node cluster (one Docker engine per node), with faults.

Each test runs demo tasks with the replay policy (a think time keeps episodes running
long enough to be hit) and checks, from the output file alone: every (task, sample) ends
exactly once, every record is ``ok`` and resolved (an infrastructure fault that was
recorded as the agent's failure would show as unresolved), and after ``gc`` no episode
container is left on any node that is up.
"""

from __future__ import annotations

import json
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from swe_env.env import SWEEnvConfig
from swe_env.policy.replay import ReplayPolicy
from swe_env.rollout.ray_runner import RayRunner, RayRunnerConfig
from swe_env.sandbox.docker import LABEL_MANAGED
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]

IDS = ["demo/inicfg-delimiter-in-value", "demo/textkit-slug-trailing-separator"]
TASKS = [t for t in load_suite("demo") if t.full_id in IDS]
CONFIG = SWEEnvConfig(suite="demo", grade_timeout=120)


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]


def run(cluster, out: Path, *, samples: int = 2, think: float = 1.0, per_node: int = 2, fault=None):
    """Run TASKS x samples on the cluster; ``fault(runner)`` runs in a thread meanwhile."""
    config = RayRunnerConfig(address=cluster.address, per_node=per_node, node_resource="swe_env")
    runner = RayRunner(CONFIG, partial(ReplayPolicy, think_seconds=think), ray_config=config)
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            fault(runner)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=guarded, daemon=True) if fault else None
    if thread:
        thread.start()
    runner.run(TASKS, out, samples=samples)
    if thread:
        thread.join(timeout=120)
    assert not errors, errors
    return runner


def assert_exactly_once(out: Path, samples: int = 2) -> list[dict]:
    recs = records(out)
    keys = [(r["task_id"], r["sample"]) for r in recs]
    expected = {(t.full_id, k) for t in TASKS for k in range(samples)}
    assert sorted(keys) == sorted(expected), keys
    bad = [
        (r["task_id"], r["sample"], r["status"], r["infra_errors"])
        for r in recs
        if not r["resolved"]
    ]
    assert not bad, bad
    return recs


def assert_no_leftovers(cluster) -> None:
    for name in cluster.worker_names:
        if cluster.node(name).status != "running":
            continue
        cluster.gc(name)
        left = cluster.engine(name).containers.list(
            all=True, filters={"label": f"{LABEL_MANAGED}=1"}
        )
        assert not left, (name, [c.name for c in left])


def when_busy(runner, host: str, timeout: float = 300) -> None:
    """Wait until the worker on ``host`` runs an episode, then a little more (mid-run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(w.host == host and w.alive and w.running for w in list(runner.workers)):
            time.sleep(4)
            return
        time.sleep(0.2)
    raise AssertionError(f"no episode ever ran on {host}")


def test_rollout_spreads_over_both_nodes(test_cluster, tmp_path) -> None:
    run(test_cluster, tmp_path, per_node=1, think=0.5)
    recs = assert_exactly_once(tmp_path)
    assert {r["node"] for r in recs} == set(test_cluster.worker_names)
    # The task trees came with the jobs: each node unpacked them into its own cache.
    assert_no_leftovers(test_cluster)


def test_killed_node_loses_and_duplicates_nothing(test_cluster, tmp_path) -> None:
    victim, survivor = test_cluster.worker_names

    def kill(runner) -> None:
        when_busy(runner, victim)
        test_cluster.kill(victim)

    runner = run(test_cluster, tmp_path, fault=kill)
    recs = assert_exactly_once(tmp_path)
    assert runner.requeued >= 1  # the victim's running episodes went back in the queue
    assert survivor in {r["node"] for r in recs}
    test_cluster.start(victim)
    test_cluster.wait_ray(2, timeout=180)
    assert_no_leftovers(test_cluster)


def test_restarted_engine_loses_and_duplicates_nothing(test_cluster, tmp_path) -> None:
    victim = test_cluster.worker_names[0]

    def restart(runner) -> None:
        when_busy(runner, victim)
        test_cluster.restart_engine(victim)

    run(test_cluster, tmp_path, fault=restart)
    recs = assert_exactly_once(tmp_path)
    assert any(r["infra_errors"] for r in recs if r["node"] == victim)
    assert_no_leftovers(test_cluster)


def test_partitioned_node_loses_and_duplicates_nothing(test_cluster, tmp_path) -> None:
    victim = test_cluster.worker_names[1]

    def partition(runner) -> None:
        when_busy(runner, victim)
        test_cluster.disconnect(victim)
        time.sleep(30)
        test_cluster.reconnect(victim)

    run(test_cluster, tmp_path, fault=partition)
    assert_exactly_once(tmp_path)
    test_cluster.wait_ray(2, timeout=180)
    assert_no_leftovers(test_cluster)
