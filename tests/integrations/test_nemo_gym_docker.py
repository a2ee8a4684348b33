"""A real episode through the NeMo Gym routes: the service on uvicorn (loopback) with the
Docker backend, driven the way NeMo Gym's gymnasium_agent drives a GymnasiumServer."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from swe_env.images.build import ensure_instance_image
from swe_env.server import ServerConfig, create_app
from swe_env.server.live import LiveServer
from swe_env.tasks import find_task

TOKEN = "nemo-docker-token"
TASK = "demo/textkit-slug-trailing-separator"
ROW = json.loads((Path(__file__).parent / "fixtures/nemo_gym/reset_request.json").read_text())


def step_body(n: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The agent's /step body: the row plus a model response holding one function call."""
    call = {
        "type": "function_call",
        "call_id": f"call_{n}",
        "name": name,
        "arguments": json.dumps(arguments),
        "id": f"fc_{n}",
        "status": "completed",
    }
    response = {"id": f"resp_{n}", "object": "response", "output": [call]}
    return {**ROW, "response": response, "_ng_step_request_id": f"req{n}"}


@pytest.mark.docker
@pytest.mark.slow
def test_gold_patch_episode_through_the_nemo_gym_routes(docker_client):
    spec = find_task(TASK)
    ensure_instance_image(spec, docker_client)
    config = ServerConfig(token=TOKEN, service_name=f"pytest-nemo-{os.getpid()}")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with (
        LiveServer(create_app(config)) as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=300) as http,
    ):
        reset = http.post("/nemo-gym/reset", json={**ROW, "task_id": TASK})
        assert reset.status_code == 200, reset.text
        assert spec.problem_statement.strip()[:40] in reset.json()["observation"]
        ls = http.post("/nemo-gym/step", json=step_body(1, "bash", {"command": "ls"})).json()
        assert ls["info"]["tool_outputs"][0]["call_id"] == "call_1"
        assert not ls["terminated"]
        apply = f"git apply - <<'GOLD'\n{spec.gold_patch}GOLD"
        applied = http.post("/nemo-gym/step", json=step_body(2, "bash", {"command": apply}))
        assert not applied.json()["terminated"]
        done = http.post("/nemo-gym/step", json=step_body(3, "submit", {})).json()
        assert (done["terminated"], done["reward"]) == (True, 1.0), done
        assert http.post("/nemo-gym/close", json={}).status_code == 200
        assert http.get("/healthz").json()["episodes"] == 0
