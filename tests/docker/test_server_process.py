"""``swe-env serve`` as a process: graceful shutdown and the start-up orphan sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from swe_env.client import RemoteSWEEnv
from swe_env.sandbox.docker import LABEL_MANAGED
from swe_env.server.containers import LABEL_INSTANCE, LABEL_SERVICE
from swe_env.server.live import free_port

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TOKEN = "process-test-token"
TASK = "demo/inicfg-delimiter-in-value"


def containers(docker_client, label: str) -> list[dict]:
    return docker_client.api.containers(all=True, filters={"label": label})


class Serve:
    """One ``swe-env serve`` subprocess on a free port."""

    def __init__(self, tmp: Path, name: str) -> None:
        token_file = tmp / "token"
        token_file.write_text(TOKEN + "\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (tmp / f"serve-{self.port}.log").open("w")
        argv = [sys.executable, "-m", "swe_env", "serve", "--port", str(self.port)]
        argv += ["--token-file", str(token_file), "--service-name", name]
        env = {k: v for k, v in os.environ.items() if k != "SWE_ENV_TOKEN"}
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, Path(self.log.name).read_text()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("swe-env serve did not answer /healthz within 60 s")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(60)
        finally:
            self.log.close()


def test_sigterm_removes_the_services_containers(docker_client, tmp_path):
    name = f"pytest-sigterm-{os.getpid()}"
    serve = Serve(tmp_path, name)
    try:
        env = RemoteSWEEnv(serve.url, token=TOKEN)
        env.reset(options={"task_id": TASK})
        env.step({"name": "bash", "arguments": {"command": "true"}})
        assert len(containers(docker_client, f"{LABEL_SERVICE}={name}")) == 1
        env.client.close()  # no DELETE: shutdown must clean up
    finally:
        code = serve.stop(signal.SIGTERM)
    # uvicorn re-raises the signal once its shutdown (and the app's) is complete.
    assert code in (0, -signal.SIGTERM), Path(serve.log.name).read_text()
    assert "Application shutdown complete" in Path(serve.log.name).read_text()
    assert containers(docker_client, f"{LABEL_SERVICE}={name}") == []


def test_restart_removes_its_own_orphans_only(docker_client, base_image, tmp_path):
    name = f"pytest-restart-{os.getpid()}"
    first = Serve(tmp_path, name)
    env = RemoteSWEEnv(first.url, token=TOKEN)
    env.reset(options={"task_id": TASK})
    env.client.close()
    first.stop(signal.SIGKILL)
    left = containers(docker_client, f"{LABEL_SERVICE}={name}")
    assert len(left) == 1, "a killed service leaves its container behind"
    stranger = docker_client.containers.create(
        base_image,
        ["sleep", "300"],
        labels={LABEL_MANAGED: "1", LABEL_SERVICE: f"someone-else-{os.getpid()}"},
    )
    second = Serve(tmp_path, name)
    try:
        assert (
            containers(docker_client, f"{LABEL_INSTANCE}={left[0]['Labels'][LABEL_INSTANCE]}") == []
        )
        stranger.reload()
        assert stranger.status == "created", "another service's container is left alone"
    finally:
        stranger.remove(force=True)
        second.stop()
    assert containers(docker_client, f"{LABEL_SERVICE}={name}") == []
