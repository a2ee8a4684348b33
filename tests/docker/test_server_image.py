"""docker-compose.yml and the service image (images/server/Dockerfile).

The image test builds the `env` service's image on the locally bootstrapped base, runs
it with the engine's socket mounted, and plays one episode through the containerised
service: reset, a bash step, the gold patch, submit (graded inside the service).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import docker.errors
import httpx
import pytest
import yaml

from swe_env.client import RemoteSWEEnv
from swe_env.images.hostcfg import proxy_env
from swe_env.server.containers import LABEL_SERVICE
from swe_env.server.live import free_port
from swe_env.tasks import find_task

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = ("pyproject.toml", "README.md", "swe_env", "rewards", "images", "tasks")
SKIP = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
IMAGE = "swe-env/server:pytest"
TOKEN = "image-test-token"
TASK = "demo/semverlite-prerelease-numeric-order"


def compose_config(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("docker-compose"):
        argv = ["docker-compose", *args, "config"]
    else:
        argv = ["docker", "compose", *args, "config"]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_compose_file_is_valid():
    assert shutil.which("docker-compose") or shutil.which("docker"), "no compose tool installed"
    done = compose_config("--profile", "gpu", "--profile", "ray")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {"env", "vllm", "ray-head", "ray-worker"}
    env = services["env"]
    assert env["build"]["dockerfile"] == "images/server/Dockerfile"
    assert env["build"]["args"]["BASE"] == "swe-env/base:py3.11"
    assert any("/var/run/docker.sock" in str(v) for v in env["volumes"])
    assert "healthz" in " ".join(env["healthcheck"]["test"])
    vllm = services["vllm"]
    assert vllm["image"].startswith("vllm/vllm-openai") and vllm["profiles"] == ["gpu"]
    device = vllm["deploy"]["resources"]["reservations"]["devices"][0]
    assert "gpu" in device["capabilities"]
    assert "--model Qwen" in str(vllm["command"])
    for name in ("ray-head", "ray-worker"):
        assert services[name]["profiles"] == ["ray"] and "ray start" in str(
            services[name]["command"]
        )
    assert "profiles" not in env, "env starts with a plain `up`"


def build_context() -> bytes:
    """The repository files the Dockerfile copies (no .venv, no caches)."""

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = set(Path(info.name).parts)
        return None if parts & SKIP or info.name.endswith(".pyc") else info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in CONTEXT:
            tar.add(ROOT / name, arcname=name, filter=keep)
    return buf.getvalue()


def build_image(docker_client, base_image: str) -> None:
    """Build IMAGE; the image it replaces (if any) is removed, not left dangling."""
    try:
        previous = docker_client.images.get(IMAGE).id
    except docker.errors.ImageNotFound:
        previous = None
    log: list[str] = []
    for chunk in docker_client.api.build(
        fileobj=io.BytesIO(build_context()),
        custom_context=True,
        dockerfile="images/server/Dockerfile",
        tag=IMAGE,
        buildargs={"BASE": base_image, **proxy_env()},
        decode=True,
        rm=True,
        forcerm=True,
    ):
        log.append(chunk.get("stream", "") or chunk.get("status", ""))
        if "error" in chunk:
            pytest.fail(f"building {IMAGE} failed: {chunk['error']}\n{''.join(log[-40:])}")
    if previous and previous != docker_client.images.get(IMAGE).id:
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(previous)


def wait_healthy(container, url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        assert container.status in {"created", "running"}, container.logs().decode()[-3000:]
        try:
            if httpx.get(f"{url}/healthz", timeout=3).json().get("status") == "ok":
                return
        except (httpx.TransportError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the service did not answer /healthz:\n{container.logs().decode()[-3000:]}")


@pytest.mark.slow
def test_env_image_serves_an_episode(docker_client, base_image):
    build_image(docker_client, base_image)
    name = f"pytest-image-{os.getpid()}"
    port = free_port()
    container = docker_client.containers.run(
        IMAGE,
        ["swe-env", "serve", "--host", "0.0.0.0", "--port", "8000", "--service-name", name],
        environment={"SWE_ENV_TOKEN": TOKEN},
        volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}},
        ports={"8000/tcp": ("127.0.0.1", port)},
        labels={"swe-env.pytest": "server-image"},
        init=True,
        detach=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(container, url)
        task = find_task(TASK)
        with RemoteSWEEnv(url, token=TOKEN, config={"max_turns": 10}) as env:
            obs, info = env.reset(options={"task_id": TASK})
            assert info["task_id"] == TASK
            label = f"{LABEL_SERVICE}={name}"
            assert len(docker_client.api.containers(filters={"label": label})) == 1
            obs, *_ = env.step({"name": "bash", "arguments": {"command": "git status --short"}})
            assert obs.strip() == "[no output]", "a fresh checkout"
            patch = f"git apply - <<'SWE_ENV_GOLD'\n{task.gold_patch}SWE_ENV_GOLD"
            env.step({"name": "bash", "arguments": {"command": patch}})
            _, reward, terminated, _, info = env.step({"name": "submit", "arguments": {}})
            assert terminated and reward == 1.0, info.get("grade")
        assert docker_client.api.containers(all=True, filters={"label": label}) == []
        deadline = time.monotonic() + 60
        while container.attrs["State"].get("Health", {}).get("Status") != "healthy":
            assert time.monotonic() < deadline, container.attrs["State"].get("Health")
            time.sleep(1)
            container.reload()
    finally:
        container.stop(timeout=30)
        logs = container.logs().decode()
        container.remove(force=True)
    assert "Application shutdown complete" in logs
