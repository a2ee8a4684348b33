"""SandboxProvider and SandboxPool without an engine: races, ownership, backend resolution."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import DockerSandbox
from swe_env.sandbox.pool import SandboxPool
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks.native import load_suite


class Closable:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class CloseDuringSubmit:
    """An executor whose submit lets another thread close the pool first (the race)."""

    def __init__(self, pool: SandboxPool) -> None:
        self.pool = pool
        self.real = pool._exec

    def submit(self, fn: Any, *args: Any) -> Any:
        closer = threading.Thread(target=self.pool.close)
        closer.start()
        closer.join(0.3)  # a close that needs the pool's lock waits for this submit
        return self.real.submit(fn, *args)

    def shutdown(self, wait: bool = True) -> None:
        self.real.shutdown(wait=wait)


def test_release_racing_close_neither_raises_nor_leaks() -> None:
    pool = SandboxPool(client=None, size=0)  # type: ignore[arg-type]
    pool._exec = CloseDuringSubmit(pool)  # type: ignore[assignment]
    sandbox = Closable()
    pool.release(sandbox)  # type: ignore[arg-type]
    pool.close()
    assert sandbox.closed == 1


def test_concurrent_resets_build_one_image_once(monkeypatch) -> None:
    import swe_env.images.build as build

    built: list[str] = []
    present: set[str] = set()

    def ensure_images(tasks, client, **_: Any) -> dict[str, str]:
        tag = build.instance_tag(tasks[0])
        built.append(tag)
        time.sleep(0.2)
        present.add(tag)
        return {tasks[0].full_id: tag}

    monkeypatch.setattr(build, "ensure_images", ensure_images)
    monkeypatch.setattr(build, "image_exists", lambda client, tag: tag in present)
    task = load_suite("demo")[0]
    providers = [SandboxProvider(client=object()) for _ in range(4)]  # type: ignore[arg-type]
    with ThreadPoolExecutor(4) as ex:
        tags = list(ex.map(lambda p: build.ensure_instance_image(task, p.client), providers))
    assert len(set(tags)) == 1 and built == tags[:1]


class FakeClient:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_provider_closes_the_client_it_made_and_only_that(monkeypatch) -> None:
    import swe_env.sandbox.docker as docker_mod

    made: list[FakeClient] = []
    monkeypatch.setattr(
        docker_mod, "docker_client", lambda *a, **k: made.append(FakeClient()) or made[-1]
    )
    provider = SandboxProvider(DockerSandboxConfig())
    child = provider.labelled(**{"swe-env.service": "s"})
    assert child.client is provider.client and len(made) == 1
    assert child.labels == {"swe-env.service": "s"} and provider.labels == {}
    child.close()
    assert made[0].closed == 0, "a labelled child closes nothing shared"
    provider.close()
    provider.close()
    assert made[0].closed == 1
    given = FakeClient()
    SandboxProvider(client=given).close()  # type: ignore[arg-type]
    assert given.closed == 0, "a client handed in belongs to the caller"


def test_backend_is_resolved_by_name() -> None:
    assert SandboxProvider(DockerSandboxConfig()).backend is DockerSandbox
    bogus = DockerSandboxConfig.model_construct(type="nope")
    with pytest.raises(ValueError, match="unknown sandbox backend"):
        SandboxProvider(bogus)
