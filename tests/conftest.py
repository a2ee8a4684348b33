"""Shared fixtures. Docker tests run against the real engine.

A missing engine is a failure, never a skip (locally and in CI): `./dev test` and
`.ci/run` make sure one answers before the tests start.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def docker_client():
    from swe_env.errors import DockerUnavailable
    from swe_env.sandbox.docker import docker_client as connect

    try:
        return connect()
    except DockerUnavailable as exc:
        pytest.fail(f"no Docker engine answers (docker tests need one): {exc}")


@pytest.fixture(scope="session")
def base_image(docker_client) -> str:
    from swe_env.images.bootstrap import ensure_base

    tag, _ = ensure_base("3.11", docker_client)
    return tag


@pytest.fixture
def sandbox(docker_client, base_image):
    from swe_env.sandbox.config import DockerSandboxConfig
    from swe_env.sandbox.docker import DockerSandbox

    config = DockerSandboxConfig(memory="512m", pids_limit=256, command_timeout=30)
    with DockerSandbox(base_image, config, client=docker_client, task="pytest") as sb:
        yield sb
