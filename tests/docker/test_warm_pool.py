"""The warm pool on the real engine: it starts what was announced and no more, never
hands a container out twice, and the local runner uses it by default without leaking."""

from __future__ import annotations

import os
import time

import pytest

from swe_env.env_config import SWEEnvConfig
from swe_env.images.build import ensure_images, instance_tag
from swe_env.policy.replay import ReplayPolicy
from swe_env.rollout.local import run_local
from swe_env.sandbox import disk
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import LABEL_PREFIX
from swe_env.sandbox.pool import SandboxPool
from swe_env.tasks import load_suite

pytestmark = pytest.mark.docker

TASKS = ["demo/textkit-slug-trailing-separator", "demo/inicfg-delimiter-in-value"]


def _mine(client) -> list:
    """This process's containers (other runs may share the engine)."""
    label = f"{LABEL_PREFIX}.owner-pid={os.getpid()}"
    return client.containers.list(all=True, filters={"label": label})


def _wait_ready(pool: SandboxPool, want: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = sum(len(q) for q in pool._ready.values())
        pending = sum(pool._pending.values())
        if ready >= want and pending == 0:
            return ready
        time.sleep(0.1)
    return sum(len(q) for q in pool._ready.values())


def test_the_pool_starts_what_was_announced_and_never_hands_out_twice(docker_client, base_image):
    config = DockerSandboxConfig()
    with SandboxPool(docker_client, size=4) as pool:
        pool.expect(base_image, config, 2)
        assert _wait_ready(pool, 2) == 2  # two announced: two started, not size=4
        time.sleep(0.5)
        assert sum(len(q) for q in pool._ready.values()) == 2
        seen = set()
        for _ in range(3):  # the third was not announced: started on demand
            sandbox = pool.acquire(base_image, config)
            assert sandbox.id not in seen
            seen.add(sandbox.id)
            assert sandbox.run("echo fresh").output == "fresh\n"
            pool.release(sandbox)
        time.sleep(0.5)
        assert sum(len(q) for q in pool._ready.values()) == 0  # nothing more was expected
        assert sum(pool._pending.values()) == 0
    assert _mine(docker_client) == []


@pytest.mark.slow
def test_a_taker_waits_for_the_announced_start_instead_of_starting_a_second(
    docker_client, base_image
):
    """Announced, then taken at once (before it is up): the taker gets the announced
    container; the engine never sees a second one for that job."""
    config = DockerSandboxConfig()
    created: list[str] = []
    with SandboxPool(docker_client, size=4, demand_only=True) as pool:
        start = pool._start

        def counting(*args, **kwargs):
            sandbox = start(*args, **kwargs)
            created.append(sandbox.id)
            return sandbox

        pool._start = counting  # type: ignore[method-assign]
        pool.expect(base_image, config, 1)
        sandbox = pool.acquire(base_image, config)  # the start is still in flight
        assert sandbox.run("echo mine").output == "mine\n"
        assert created == [sandbox.id]
        pool.release(sandbox)
        time.sleep(0.3)
        assert sum(len(q) for q in pool._ready.values()) == 0
    assert created == [sandbox.id]
    assert _mine(docker_client) == []


def test_the_runner_warms_the_next_jobs_and_leaks_nothing(
    docker_client, tmp_path, monkeypatch
) -> None:
    tasks = [t for t in load_suite("demo") if t.full_id in TASKS]
    ensure_images(tasks, docker_client)
    tags = {instance_tag(t) for t in tasks}
    created: list[str] = []
    create = disk.create_container

    def counting(client, image, *args, **kwargs):
        created.append(image)
        return create(client, image, *args, **kwargs)

    monkeypatch.setattr(disk, "create_container", counting)
    results = run_local(
        SWEEnvConfig(suite="demo", max_turns=20),
        tasks,
        ReplayPolicy,
        tmp_path,
        samples=3,
        concurrency=2,
        warm_pool=True,
    )
    assert len(results) == 6 and all(t.resolved for t in results)
    # the jobs after the first wave found a started container waiting: their resets
    # cost a hand-over, not a container start
    order = {(t.task_id, t.sample): t for t in results}
    jobs = [order[(t.full_id, k)] for t in tasks for k in range(3)]
    first = sorted(t.reset_seconds for t in jobs[:2])
    later = sorted(t.reset_seconds for t in jobs[2:])
    assert later[0] < first[0], (first, later)
    # one container per episode and one per grading: the pool started none that went
    # unused, and no reset started a second one while its announced one was starting
    assert len(created) == 2 * len(results), created
    assert _mine(docker_client) == [], "the pool's unused containers were not removed"
    assert all(docker_client.images.get(tag) for tag in tags)
