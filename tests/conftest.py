"""Shared fixtures. Docker tests run against the real engine.

A missing engine is a failure, never a skip (locally and in CI): `./dev test` and
`.ci/run` make sure one answers before the tests start.
"""

from __future__ import annotations

import os
import sys

import pytest

_STATUS: list[int] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus) -> None:
    _STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:
    """Leave without the interpreter's finalisation, with pytest's own exit status, once
    everything is reported. After the whole suite (Ray's gRPC client, torch, Playwright
    and engine clients all loaded in one process), a rehearsal whose 1,798 tests all
    passed died in that finalisation with SIGSEGV, which turned a pass into a failure;
    no test or report runs after this point. SWE_ENV_TEST_FINALIZE=1 keeps it, to look
    for the crash."""
    if _STATUS and not os.environ.get("SWE_ENV_TEST_FINALIZE"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_STATUS[-1])


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
