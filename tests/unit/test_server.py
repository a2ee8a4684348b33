"""The service on a real uvicorn (loopback), with a fake backend: no Docker needed.

The fake environment counts the actions it runs, so idempotency is checked exactly;
it can sleep (step deadline) or raise an infrastructure fault.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from rewards.grade import Grade
from swe_env.errors import SandboxError
from swe_env.server import ServerConfig, create_app
from swe_env.server.live import LiveServer

TOKEN = "unit-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TASK = "demo/textkit-slug-trailing-separator"


class FakeEnv:
    def __init__(self, config: Any, episode: str) -> None:
        self.config = config
        self.episode = episode
        self.ran: list[Any] = []
        self.closed = threading.Event()

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        task = (options or {}).get("task_id") or TASK
        return f"problem of {task}", {"task_id": task, "seed": seed}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if isinstance(action, dict) and action.get("name") == "sleep":
            time.sleep(float(action["seconds"]))
        if action == "infra-fault":
            raise SandboxError("the container vanished")
        if action == "bug":
            raise KeyError("a bug in the environment")
        self.ran.append(action)
        done = action == "submit"
        return f"ran {len(self.ran)}", 1.0 if done else 0.0, done, False, {"turn": len(self.ran)}

    def close(self) -> None:
        self.closed.set()


class FakeBackend:
    def __init__(self) -> None:
        self.envs: dict[str, FakeEnv] = {}

    def make_env(self, config: Any, episode: str) -> FakeEnv:
        env = self.envs[episode] = FakeEnv(config, episode)
        return env

    def grade(self, task: Any, patch: str, timeout: float, episode: str) -> Grade:
        return Grade(task_id=task.full_id, resolved=bool(patch), status="resolved")


@pytest.fixture
def serve():
    """serve(**config) -> (base url, backend); every server is shut down at the end."""
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> tuple[str, FakeBackend]:
        backend = FakeBackend()
        config = ServerConfig(token=TOKEN, **overrides)
        server = LiveServer(create_app(config, backend=backend)).start()
        servers.append(server)
        return server.url, backend

    yield start
    for server in servers:
        server.stop()


def _create(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/v1/episodes", json={"task_id": TASK, **body})


def _client(url: str, **kw: Any) -> httpx.Client:
    return httpx.Client(base_url=url, headers=AUTH, timeout=30, **kw)


def test_auth_is_required_except_on_healthz_and_docs(serve):
    url, _ = serve()
    with httpx.Client(base_url=url) as anon:
        assert anon.get("/healthz").json()["status"] == "ok"
        assert anon.get("/docs").status_code == 200
        schema = anon.get("/openapi.json").json()
        assert "HTTPBearer" in schema["components"]["securitySchemes"]
        assert "security" not in schema["paths"]["/healthz"]["get"]
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            for method, path in [
                ("GET", "/v1/tasks"),
                ("POST", "/v1/episodes"),
                ("GET", "/metrics"),
            ]:
                r = anon.request(method, path, headers=headers, json={"task_id": "x"})
                assert r.status_code == 401, (method, path, headers)
                assert r.headers["WWW-Authenticate"] == "Bearer"
                assert r.json()["error"]["kind"] == "unauthorized"
        assert anon.get("/v1/tasks", headers=AUTH).status_code == 200


def test_body_cap_answers_413_with_or_without_content_length(serve):
    url, backend = serve(max_body_bytes=4096)
    with _client(url) as http:
        big = {"action": "x" * 10_000}
        eid = _create(http).json()["episode_id"]
        r = http.post(f"/v1/episodes/{eid}/step", json=big)
        assert r.status_code == 413 and r.json()["error"]["kind"] == "body_too_large"

        def chunks():
            yield b'{"action": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        r = http.post(f"/v1/episodes/{eid}/step", content=chunks())
        assert r.status_code == 413 and r.json()["error"]["kind"] == "body_too_large"
        assert backend.envs[eid].ran == []
        assert http.post(f"/v1/episodes/{eid}/step", json={"action": "ok"}).status_code == 200


def test_episode_cap_answers_429_with_retry_after(serve):
    url, _ = serve(max_episodes=2, retry_after=3)
    with _client(url) as http:
        ids = [_create(http).json()["episode_id"] for _ in range(2)]
        r = _create(http)
        assert r.status_code == 429 and r.headers["Retry-After"] == "3"
        assert r.json()["error"] == {
            "kind": "too_many_episodes",
            "message": r.json()["error"]["message"],
            "retryable": True,
        }
        assert http.delete(f"/v1/episodes/{ids[0]}").status_code == 200
        assert _create(http).status_code == 201


def test_unknown_things_and_reserved_settings(serve):
    url, _ = serve()
    with _client(url) as http:
        assert _create(http, task_id="demo/nope").json()["error"]["kind"] == "unknown_task"
        r = _create(http, config={"suite": "nope"})
        assert r.status_code == 404 and r.json()["error"]["kind"] == "unknown_suite"
        r = _create(http, config={"suite": "/etc"})
        assert r.status_code == 404
        r = _create(http, config={"sandbox": {"network": True}})
        assert r.status_code == 422 and "network" in str(r.json()["detail"])
        r = _create(http, config={"sandbox": {"command_timeout": 5}, "bogus": 1})
        assert r.status_code == 422
        r = _create(http, config={"sandbox": {"command_timeout": 5, "env": {"A": "1"}}})
        assert r.status_code == 201
        missing = uuid.uuid4().hex
        assert http.get(f"/v1/episodes/{missing}").status_code == 404
        assert http.post(f"/v1/episodes/{missing}/step", json={"action": "x"}).status_code == 404
        assert http.get("/v1/episodes/not-an-id").status_code == 422
        assert http.get("/v1/tasks", params={"suite": "nope"}).status_code == 404
        tasks = http.get("/v1/tasks", params={"suite": "demo"}).json()
        assert TASK in {t["full_id"] for t in tasks}


def test_client_sandbox_settings_go_over_the_server_policy(serve):
    url, backend = serve()
    with _client(url) as http:
        body = {"config": {"max_turns": 7, "sandbox": {"command_timeout": 5}}}
        eid = _create(http, **body).json()["episode_id"]
    config = backend.envs[eid].config
    assert config.max_turns == 7 and config.sandbox.command_timeout == 5
    assert config.sandbox.network is False and config.sandbox.memory == "2g"


def test_steps_are_idempotent_per_key(serve):
    url, backend = serve()
    with _client(url) as http:
        eid = _create(http).json()["episode_id"]
        step = f"/v1/episodes/{eid}/step"
        key = {"Idempotency-Key": "k-1"}
        first = http.post(step, json={"action": "echo"}, headers=key)
        again = http.post(step, json={"action": "echo"}, headers=key)
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert backend.envs[eid].ran == ["echo"]
        other = http.post(step, json={"action": "echo"}, headers={"Idempotency-Key": "k-2"})
        assert other.json()["observation"] == "ran 2"
        assert http.get(f"/v1/episodes/{eid}").json()["steps"] == 2


def test_concurrent_duplicates_run_once(serve):
    url, backend = serve()
    with _client(url) as http:
        eid = _create(http).json()["episode_id"]
    answers: list[dict] = []

    def send() -> None:
        with _client(url) as http:
            r = http.post(
                f"/v1/episodes/{eid}/step",
                json={"action": {"name": "sleep", "seconds": 0.3}},
                headers={"Idempotency-Key": "same"},
            )
            answers.append(r.json())

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(backend.envs[eid].ran) == 1
    assert all(a == answers[0] for a in answers)


def test_step_deadline_fails_the_episode(serve):
    url, backend = serve(step_timeout=0.5)
    with _client(url) as http:
        eid = _create(http).json()["episode_id"]
        started = time.monotonic()
        r = http.post(
            f"/v1/episodes/{eid}/step",
            json={"action": {"name": "sleep", "seconds": 1.2}},
            headers={"Idempotency-Key": "slow"},
        )
        assert time.monotonic() - started < 1.1
        assert r.status_code == 504
        assert r.json()["error"]["kind"] == "step_timeout"
        assert r.json()["error"]["retryable"] is False
        state = http.get(f"/v1/episodes/{eid}").json()
        assert state["status"] == "failed" and "step_timeout" in state["failure"]
        replay = http.post(
            f"/v1/episodes/{eid}/step",
            json={"action": {"name": "sleep", "seconds": 1.2}},
            headers={"Idempotency-Key": "slow"},
        )
        assert replay.status_code == 504
        r = http.post(f"/v1/episodes/{eid}/step", json={"action": "ls"})
        assert r.status_code == 409 and r.json()["error"]["kind"] == "episode_failed"
        assert backend.envs[eid].closed.wait(5), "the env is closed once its step thread ends"


def test_infrastructure_faults_are_503_and_bugs_500(serve):
    url, backend = serve()
    with _client(url) as http:
        eid = _create(http).json()["episode_id"]
        r = http.post(f"/v1/episodes/{eid}/step", json={"action": "infra-fault"})
        assert r.status_code == 503
        assert r.json()["error"]["kind"] == "SandboxError"
        assert http.get(f"/v1/episodes/{eid}").json()["status"] == "failed"
        assert backend.envs[eid].closed.wait(5)
        eid = _create(http).json()["episode_id"]
        r = http.post(f"/v1/episodes/{eid}/step", json={"action": "bug"})
        assert r.status_code == 500 and r.json()["error"]["kind"] == "internal"
        eid = _create(http).json()["episode_id"]
        r = http.post(f"/v1/episodes/{eid}/step", json={"action": "submit"})
        assert r.json()["terminated"] and r.json()["reward"] == 1.0
        r = http.post(f"/v1/episodes/{eid}/step", json={"action": "ls"})
        assert r.status_code == 409 and r.json()["error"]["kind"] == "episode_over"


def test_idle_episodes_are_reaped(serve):
    url, backend = serve(idle_ttl=0.4, reap_interval=0.1)
    with _client(url) as http:
        idle = _create(http).json()["episode_id"]
        busy = _create(http).json()["episode_id"]
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            assert http.post(f"/v1/episodes/{busy}/step", json={"action": "x"}).status_code == 200
            time.sleep(0.1)
        r = http.get(f"/v1/episodes/{idle}")
        assert r.status_code == 404 and "expired" in r.json()["error"]["message"]
        assert backend.envs[idle].closed.is_set()
        assert http.get(f"/v1/episodes/{busy}").json()["status"] == "running"
        metrics = http.get("/metrics").text
        assert 'swe_env_episodes_total{event="expired"} 1.0' in metrics


def test_delete_closes_only_that_episode(serve):
    url, backend = serve()
    with _client(url) as http:
        a = _create(http).json()["episode_id"]
        b = _create(http).json()["episode_id"]
        assert http.delete(f"/v1/episodes/{a}").json() == {"episode_id": a, "deleted": True}
        assert backend.envs[a].closed.is_set() and not backend.envs[b].closed.is_set()
        r = http.delete(f"/v1/episodes/{a}")
        assert r.status_code == 404 and "deleted" in r.json()["error"]["message"]


def test_shutdown_closes_open_episodes():
    backend = FakeBackend()
    config = ServerConfig(token=TOKEN)
    with LiveServer(create_app(config, backend=backend)) as server, _client(server.url) as http:
        eid = _create(http).json()["episode_id"]
    assert backend.envs[eid].closed.is_set()


def test_metrics_and_grade(serve):
    url, _ = serve()
    with _client(url) as http:
        eid = _create(http).json()["episode_id"]
        http.post(f"/v1/episodes/{eid}/step", json={"action": "x"})
        http.post("/v1/episodes", json={"task_id": "demo/nope"})
        text = http.get("/metrics").text
        for name in (
            "swe_env_active_episodes 1.0",
            "swe_env_step_seconds_bucket",
            'swe_env_errors_total{kind="unknown_task"} 1.0',
            "swe_env_containers_alive",
        ):
            assert name in text
        grade = http.post("/v1/grade", json={"task_id": TASK, "patch": "diff"}).json()
        assert grade["resolved"] and grade["task_id"] == TASK
        r = http.post("/v1/grade", json={"task_id": "textkit-slug-trailing-separator", "patch": ""})
        assert r.status_code == 200, "a bare id is looked up in every suite"
        r = http.post("/v1/grade", json={"task_id": "nope", "patch": ""})
        assert r.status_code == 404
        r = http.post("/v1/grade", json={"task_id": TASK, "suite": "other", "patch": ""})
        assert r.status_code == 404
        r = http.post("/v1/grade", json={"task_id": "nope", "suite": "demo", "patch": ""})
        assert r.status_code == 404


def test_serve_reads_its_token_from_file_then_env_else_makes_one(tmp_path, monkeypatch):
    from swe_env.cli.serve import read_token

    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    monkeypatch.setenv("SWE_ENV_TOKEN", "from-env")
    assert read_token(token_file) == ("from-file", str(token_file))
    assert read_token(None) == ("from-env", "SWE_ENV_TOKEN")
    monkeypatch.delenv("SWE_ENV_TOKEN")
    token, source = read_token(None)
    assert source == "generated" and len(token) >= 32
    token_file.write_text("  \n")
    with pytest.raises(ValueError):
        read_token(token_file)


class FakeEngine:
    """An engine client as the Janitor's provider sees it: ping and a container list."""

    def __init__(self) -> None:
        self.up = True
        self.api = self

    def ping(self) -> bool:
        if not self.up:
            raise ConnectionError("engine gone")
        return True

    def containers(self, **_: Any) -> list[dict[str, Any]]:
        return []


def test_healthz_pings_the_engine_through_the_janitors_provider():
    from swe_env.sandbox.provider import SandboxProvider
    from swe_env.server.containers import Janitor

    engine = FakeEngine()
    janitor = Janitor(SandboxProvider(client=engine), "unit", "instance")  # type: ignore[arg-type]
    config = ServerConfig(token=TOKEN)
    app = create_app(config, backend=FakeBackend(), janitor=janitor)
    with LiveServer(app) as server, _client(server.url) as http:
        assert http.get("/healthz").json()["status"] == "ok"
        engine.up = False
        r = http.get("/healthz")
        assert r.status_code == 503 and r.json()["status"] == "docker_unavailable"
