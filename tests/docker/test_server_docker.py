"""The service against the real engine: episodes, idempotency, deadlines, reaping, cleanup."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import httpx
import pytest

from swe_env.client import RemoteSWEEnv, ServiceClient
from swe_env.images.build import ensure_images
from swe_env.server import ServerConfig, create_app
from swe_env.server.containers import LABEL_EPISODE, LABEL_SERVICE
from swe_env.server.live import LiveServer
from swe_env.tasks import find_task, load_suite

pytestmark = pytest.mark.docker

TOKEN = "docker-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TASK = "demo/textkit-slug-trailing-separator"


def containers(docker_client, label: str) -> list[dict]:
    return docker_client.api.containers(all=True, filters={"label": label})


def wait_until(predicate, timeout: float = 20.0, period: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(period)
    return predicate()


def bash(command: str) -> dict:
    return {"name": "bash", "arguments": {"command": command}}


def apply_patch(patch: str) -> dict:
    return bash(f"git apply --whitespace=nowarn - <<'SWE_ENV_GOLD'\n{patch}SWE_ENV_GOLD")


@pytest.fixture(scope="module", autouse=True)
def images(docker_client):
    ensure_images(load_suite("demo"), docker_client)


def start(name: str, **overrides) -> LiveServer:
    config = ServerConfig(token=TOKEN, service_name=f"{name}-{os.getpid()}", **overrides)
    return LiveServer(create_app(config)).start()


@pytest.fixture(scope="module")
def service(docker_client) -> Iterator[LiveServer]:
    server = start("pytest-server", max_episodes=12)
    yield server
    server.stop()
    label = f"{LABEL_SERVICE}=pytest-server-{os.getpid()}"
    assert containers(docker_client, label) == [], "shutdown removes the service's containers"


def test_gold_patch_episode_over_http_and_delete_frees_the_container(service, docker_client):
    task = find_task(TASK)
    env = RemoteSWEEnv(service.url, token=TOKEN, config={"max_turns": 10})
    obs, info = env.reset(options={"task_id": TASK})
    assert task.problem_statement.strip()[:60] in obs and info["task_id"] == TASK
    label = f"{LABEL_EPISODE}={env.episode_id}"
    assert len(containers(docker_client, label)) == 1
    obs, reward, terminated, _, info = env.step(bash("ls"))
    assert "textkit" in obs and not terminated and info["ok"]
    obs, *_ = env.step(apply_patch(task.gold_patch))
    obs, reward, terminated, truncated, info = env.step({"name": "submit", "arguments": {}})
    assert terminated and not truncated and reward == 1.0
    assert info["grade"]["resolved"] and info["grade"]["status"] == "resolved"
    assert env.state()["status"] == "done"
    env.close()
    assert containers(docker_client, label) == [], "DELETE removes the episode's containers"


def test_same_idempotency_key_runs_the_command_once(service):
    with httpx.Client(base_url=service.url, headers=AUTH, timeout=60) as http:
        eid = http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
        step = f"/v1/episodes/{eid}/step"
        body = {"action": bash("echo x >> /tmp/count; wc -l < /tmp/count")}
        first = http.post(step, json=body, headers={"Idempotency-Key": "count-1"})
        again = http.post(step, json=body, headers={"Idempotency-Key": "count-1"})
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        check = http.post(step, json={"action": bash("wc -l < /tmp/count")}).json()
        assert check["observation"].strip() == "1"
        assert http.delete(f"/v1/episodes/{eid}").status_code == 200


def test_bad_actions_are_observations(service):
    with RemoteSWEEnv(service.url, token=TOKEN) as env:
        env.reset(options={"task_id": TASK})
        for action in ("no tool call", {"name": "nope"}, {"name": "bash"}, {"x": [1, {"y": None}]}):
            obs, _, terminated, _, info = env.step(action)
            assert obs and not terminated and info["ok"] is False


def test_grade_endpoint(service):
    client = ServiceClient(service.url, TOKEN)
    try:
        grade = client.grade(TASK, find_task(TASK).gold_patch, timeout=120)
        assert grade["resolved"] and grade["task_id"] == TASK
        assert client.grade(TASK, "", timeout=120)["status"] == "empty_patch"
    finally:
        client.close()


def test_metrics_count_containers(service):
    with RemoteSWEEnv(service.url, token=TOKEN) as env:
        env.reset(options={"task_id": TASK})
        env.step(bash("true"))
        text = httpx.get(f"{service.url}/metrics", headers=AUTH).text
    assert "swe_env_containers_alive 1.0" in text
    assert "swe_env_active_episodes 1.0" in text
    assert 'swe_env_step_seconds_bucket{le="+Inf"}' in text


def test_step_deadline_answers_504_and_removes_the_container(docker_client):
    server = start("pytest-deadline", step_timeout=2.0)
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
            eid = http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
            label = f"{LABEL_EPISODE}={eid}"
            assert containers(docker_client, label)
            started = time.monotonic()
            r = http.post(f"/v1/episodes/{eid}/step", json={"action": bash("sleep 60")})
            assert r.status_code == 504 and r.json()["error"]["kind"] == "step_timeout"
            assert time.monotonic() - started < 10
            assert wait_until(lambda: not containers(docker_client, label), 20)
            assert http.get(f"/v1/episodes/{eid}").json()["status"] == "failed"
            r = http.post(f"/v1/episodes/{eid}/step", json={"action": bash("true")})
            assert r.status_code == 409
    finally:
        server.stop()


def test_episode_cap_answers_429_until_one_is_deleted():
    server = start("pytest-cap", max_episodes=2, retry_after=2)
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
            ids = [
                http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
                for _ in range(2)
            ]
            full = http.post("/v1/episodes", json={"task_id": TASK})
            assert full.status_code == 429 and full.headers["Retry-After"] == "2"
            assert http.delete(f"/v1/episodes/{ids[0]}").status_code == 200
            assert http.post("/v1/episodes", json={"task_id": TASK}).status_code == 201
    finally:
        server.stop()


def test_idle_episodes_are_reaped_and_their_containers_removed(docker_client):
    server = start("pytest-reaper", idle_ttl=2, reap_interval=0.25)
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
            eid = http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
            label = f"{LABEL_EPISODE}={eid}"
            assert containers(docker_client, label)
            assert wait_until(lambda: http.get(f"/v1/episodes/{eid}").status_code == 404, 30)
            assert "expired" in http.get(f"/v1/episodes/{eid}").text
            assert wait_until(lambda: not containers(docker_client, label), 15)
    finally:
        server.stop()


def test_the_warm_pool_hands_over_started_containers_and_removes_them(docker_client):
    """With ``warm_pool``, the second episode of a task takes over a container started
    while the first ran; deleting an episode removes its pooled container (labelled
    ``pool``, recorded by the service), and shutdown removes the unused ones."""
    server = start("pytest-pool", warm_pool=1)
    label = f"{LABEL_SERVICE}=pytest-pool-{os.getpid()}"
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=120) as http:
            first = http.post("/v1/episodes", json={"task_id": TASK}).json()
            assert wait_until(lambda: len(containers(docker_client, label)) == 2, 60)
            ready = {c["Id"] for c in containers(docker_client, label)}
            second = http.post("/v1/episodes", json={"task_id": TASK}).json()
            assert second["info"]["timings"]["reset"] < first["info"]["timings"]["reset"]
            for eid in (first["episode_id"], second["episode_id"]):
                step = http.post(f"/v1/episodes/{eid}/step", json={"action": bash("hostname")})
                assert step.status_code == 200
                assert any(cid.startswith(step.json()["observation"].strip()) for cid in ready)
                assert http.delete(f"/v1/episodes/{eid}").status_code == 200
            # the two episodes' containers are gone; only the refilled spare is left
            assert wait_until(
                lambda: not ready & {c["Id"] for c in containers(docker_client, label)}
            )
    finally:
        server.stop()
    assert containers(docker_client, label) == [], "shutdown removes the pool's spares"


def test_an_announced_group_takes_over_the_containers_started_for_it(docker_client):
    """By default nothing starts ahead, except for announced episodes: ``expect: 2`` on
    the first reset of a group of three starts the group's containers at once; the two
    later resets take them over, and none is left once the episodes are deleted."""
    server = start("pytest-expect")
    label = f"{LABEL_SERVICE}=pytest-expect-{os.getpid()}"

    def pooled() -> set[str]:
        filters = {"label": [label, f"{LABEL_EPISODE}=pool"]}
        return {c["Id"] for c in docker_client.api.containers(all=True, filters=filters)}

    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=120) as http:
            plain = http.post("/v1/episodes", json={"task_id": "demo/inicfg-delimiter-in-value"})
            plain_id = plain.json()["episode_id"]
            mine = containers(docker_client, f"{LABEL_EPISODE}={plain_id}")
            assert len(mine) == 1  # started on demand: it carries its episode's label
            time.sleep(1.0)
            assert len(containers(docker_client, label)) == 1  # no spare unannounced
            group = [http.post("/v1/episodes", json={"task_id": TASK, "expect": 2}).json()]
            assert wait_until(lambda: len(pooled()) == 3, 60)
            started = pooled()
            group += [http.post("/v1/episodes", json={"task_id": TASK}).json() for _ in "ab"]
            for created in group:
                eid = created["episode_id"]
                step = http.post(f"/v1/episodes/{eid}/step", json={"action": bash("hostname")})
                assert step.status_code == 200
                host = step.json()["observation"].strip()
                assert any(cid.startswith(host) for cid in started), "taken from the pool"
            assert len(containers(docker_client, label)) == 4  # nothing started twice
            for eid in [plain_id, *(g["episode_id"] for g in group)]:
                assert http.delete(f"/v1/episodes/{eid}").status_code == 200
            assert wait_until(lambda: not containers(docker_client, label), 30)
    finally:
        server.stop()
    assert containers(docker_client, label) == []
