"""ImageCache: each env image built once per distinct spec, even with many workers at once;
a failed build is remembered and reported to every task that needs it, and no other."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import swe_env.images.build as build
from swe_env.errors import ImageBuildError
from swe_env.rollout.validate import ImageCache
from swe_env.tasks.spec import DirSource, EnvironmentSpec, TaskSpec


def _task(i: int, env: EnvironmentSpec) -> TaskSpec:
    return TaskSpec(
        id=f"t{i}",
        source=DirSource(path=f"/nowhere/{i}"),
        problem_statement="p",
        environment=env,
        FAIL_TO_PASS=("t",),
    )


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    lock = threading.Lock()

    def record(tag: str, fail: bool = False) -> str:
        time.sleep(0.05)  # long enough for the workers to race
        with lock:
            made.append(tag)
        if fail:
            raise ImageBuildError(f"building {tag} failed", "log")
        return tag

    monkeypatch.setattr(build, "image_exists", lambda client, tag: tag in made)
    monkeypatch.setattr(build, "ensure_base", lambda py, client: (record(f"base:{py}"), True))
    monkeypatch.setattr(
        build,
        "build_env",
        lambda env, c, p: record(build.env_tag(env), "exit 3" in env.pre_install),
    )
    monkeypatch.setattr(build, "build_instance", lambda t, c, p: record(build.instance_tag(t)))
    return made


def test_each_image_is_built_once_and_a_failure_stays_with_its_tasks(builds) -> None:
    good = EnvironmentSpec(test_cmd="pytest")
    bad = EnvironmentSpec(test_cmd="pytest", pre_install=("exit 3",))
    tasks = [_task(i, good) for i in range(6)] + [_task(i, bad) for i in range(6, 9)]
    cache = ImageCache(client=None)

    def ready(task: TaskSpec) -> str:
        try:
            return cache.ready(task)
        except ImageBuildError as exc:
            return f"error: {exc}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ready, tasks))
    assert builds.count(build.env_tag(good)) == 1 and builds.count(build.env_tag(bad)) == 1
    assert builds.count("base:3.11") == 1
    assert results[:6] == [build.instance_tag(t) for t in tasks[:6]]
    assert all(r.startswith("error: building swe-env/env") for r in results[6:])
    assert len([t for t in builds if t.startswith("swe-env/instance")]) == 6
