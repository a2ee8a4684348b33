"""NeMo Gym's GymnasiumServer contract under ``/nemo-gym``, replayed from recorded bodies
(fixtures/nemo_gym/README.md names the NeMo Gym source they follow), on a fake backend.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rewards.grade import Grade
from swe_env.server import ServerConfig, create_app
from swe_env.server.nemo_gym import COOKIE, actions, dataset_rows

TOKEN = "nemo-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FIXTURES = Path(__file__).parent / "fixtures" / "nemo_gym"
FIELDS = json.loads((FIXTURES / "response_fields.json").read_text())


def body(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeEnv:
    """Counts what it ran; ``submit`` ends the episode with reward 1."""

    def __init__(self) -> None:
        self.ran: list[Any] = []
        self.closed = False

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        task = (options or {}).get("task_id")
        return f"problem of {task}", {"task_id": task}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        self.ran.append(action)
        done = isinstance(action, dict) and action.get("name") == "submit"
        return f"ran {len(self.ran)}", 1.0 if done else 0.0, done, False, {"turn": len(self.ran)}

    def close(self) -> None:
        self.closed = True


class FakeBackend:
    def __init__(self) -> None:
        self.envs: dict[str, FakeEnv] = {}

    def make_env(self, config: Any, episode: str) -> FakeEnv:
        env = self.envs[episode] = FakeEnv()
        return env

    def grade(self, task: Any, patch: str, timeout: float, episode: str) -> Grade:
        return Grade(task_id=task.full_id, resolved=bool(patch), status="resolved")


@pytest.fixture
def client():
    backend = FakeBackend()
    app = create_app(ServerConfig(token=TOKEN), backend=backend)
    with TestClient(app, headers=AUTH) as http:
        http.backend = backend  # type: ignore[attr-defined]
        yield http


def fields(answer: dict[str, Any], model: str) -> None:
    assert sorted(answer) == FIELDS[model]


def test_reset_starts_an_episode_and_sets_the_session_cookie(client):
    answer = client.post("/nemo-gym/reset", json=body("reset_request"))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    fields(data, "EnvResetResponse")
    assert data["observation"] == "problem of demo/textkit-slug-trailing-separator"
    assert data["info"]["supports_explicit_close"] is True
    assert data["info"]["supports_step_idempotency"] is True
    assert answer.cookies[COOKIE] == data["info"]["episode_id"]


def test_a_tool_call_step_answers_in_tool_outputs(client):
    client.post("/nemo-gym/reset", json=body("reset_request"))
    answer = client.post("/nemo-gym/step", json=body("step_request_tool_call"))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    fields(data, "EnvStepResponse")
    assert (data["terminated"], data["truncated"], data["reward"]) == (False, False, 0.0)
    assert data["observation"] is None  # the output goes back as a function_call_output
    [output] = data["info"]["tool_outputs"]
    assert sorted(output) == FIELDS["tool_output"]
    assert output == {"call_id": "call_1", "output": "ran 1"}
    [env] = client.backend.envs.values()
    assert env.ran == [{"name": "bash", "arguments": '{"command": "ls"}'}]


def test_a_resent_step_request_id_does_not_run_twice(client):
    client.post("/nemo-gym/reset", json=body("reset_request"))
    first = client.post("/nemo-gym/step", json=body("step_request_tool_call")).json()
    again = client.post("/nemo-gym/step", json=body("step_request_tool_call")).json()
    assert first == again
    [env] = client.backend.envs.values()
    assert len(env.ran) == 1


def test_a_text_reply_is_one_text_action_and_its_observation_a_message(client):
    client.post("/nemo-gym/reset", json=body("reset_request"))
    data = client.post("/nemo-gym/step", json=body("step_request_text")).json()
    assert data["observation"] == "ran 1"
    assert data["info"]["tool_outputs"] == []
    [env] = client.backend.envs.values()
    assert env.ran == ["I think it is fixed."]


def test_submit_terminates_with_the_reward_and_frees_the_episode(client):
    info = client.post("/nemo-gym/reset", json=body("reset_request")).json()["info"]
    data = client.post("/nemo-gym/step", json=body("step_request_submit")).json()
    assert (data["terminated"], data["reward"]) == (True, 1.0)
    [env] = client.backend.envs.values()
    assert env.closed
    assert client.get(f"/v1/episodes/{info['episode_id']}").status_code == 404
    # The agent's explicit close after a finished rollout must still succeed.
    assert client.post("/nemo-gym/close", json={}).status_code == 200


def test_close_ends_an_open_episode(client):
    client.post("/nemo-gym/reset", json=body("reset_request"))
    assert client.post("/nemo-gym/close", json={}).json() == {"closed": True}
    [env] = client.backend.envs.values()
    assert env.closed


def test_rollout_prefixed_paths_are_answered(client):
    reset = client.post("/nemo-gym/ng-rollout/0-1/reset", json=body("reset_request"))
    assert reset.status_code == 200
    step = client.post("/nemo-gym/ng-rollout/0-1/step", json=body("step_request_submit"))
    assert step.json()["terminated"] is True


def test_a_step_without_a_session_and_a_row_without_a_task_are_refused(client):
    assert client.post("/nemo-gym/step", json=body("step_request_text")).status_code == 404
    row = {k: v for k, v in body("reset_request").items() if k != "task_id"}
    assert client.post("/nemo-gym/reset", json=row).status_code == 422


def test_the_routes_need_the_token(client):
    answer = client.post(
        "/nemo-gym/reset", json=body("reset_request"), headers={"Authorization": ""}
    )
    assert answer.status_code == 401


def test_aggregate_metrics(client):
    data = client.post("/nemo-gym/aggregate_metrics", json=body("aggregate_metrics_request"))
    data = data.json()
    fields(data, "AggregateMetrics")
    assert [g["mean/reward"] for g in data["group_level_metrics"]] == [0.5, 0.0]
    assert data["key_metrics"] == {"mean/reward": pytest.approx(1 / 3)}


def test_actions_reads_function_calls_else_the_message_text():
    output = body("step_request_tool_call")["response"]["output"]
    assert actions(output) == [("call_1", {"name": "bash", "arguments": '{"command": "ls"}'})]
    assert actions([{"type": "message", "content": "plain"}]) == [(None, "plain")]


def test_dataset_rows_carry_the_tools_in_the_responses_form():
    rows = dataset_rows("demo")
    assert len(rows) >= 14
    tools = rows[0]["responses_create_params"]["tools"]
    assert {t["name"] for t in tools} == {"bash", "edit", "create", "submit"}
    assert all(t["type"] == "function" and "parameters" in t for t in tools)
    assert rows[0]["task_id"].startswith("demo/")
