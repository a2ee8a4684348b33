"""A soak: 100 episodes through RemoteSWEEnv, 10 at a time; no errors, no leaked containers."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from swe_env.client import RemoteSWEEnv
from swe_env.images.build import ensure_images
from swe_env.server import ServerConfig, create_app
from swe_env.server.containers import LABEL_SERVICE
from swe_env.server.live import LiveServer
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TOKEN = "soak-token"
EPISODES = 100
CONCURRENCY = 10


def test_100_concurrent_episodes_without_errors_or_leaks(docker_client):
    tasks = load_suite("demo")
    ensure_images(tasks, docker_client)
    name = f"pytest-soak-{os.getpid()}"
    config = ServerConfig(token=TOKEN, service_name=name, max_episodes=CONCURRENCY + 2)

    def episode(i: int) -> str:
        with RemoteSWEEnv(server.url, token=TOKEN, config={"max_turns": 5}) as env:
            env.reset(options={"task_id": tasks[i % len(tasks)].full_id})
            obs, *_ = env.step({"name": "bash", "arguments": {"command": "true"}})
            obs, *_ = env.step({"name": "bash", "arguments": {"command": f"echo soak-{i}"}})
            return obs.strip()

    started = time.monotonic()
    with LiveServer(create_app(config)) as server:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            outputs = list(pool.map(episode, range(EPISODES)))
        metrics = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        alive = docker_client.api.containers(all=True, filters={"label": f"{LABEL_SERVICE}={name}"})
    seconds = time.monotonic() - started
    print(f"{EPISODES} episodes, {CONCURRENCY} at a time: {seconds:.1f}s")
    assert outputs == [f"soak-{i}" for i in range(EPISODES)]
    assert "swe_env_errors_total{" not in metrics.text
    assert f'swe_env_episodes_total{{event="deleted"}} {EPISODES}.0' in metrics.text
    assert alive == [], "every DELETE removed its container"
