"""The viewer inside the service (/ui): the token cookie, and the live episodes' record
(a fake backend, no Docker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rewards.grade import Grade
from swe_env.server import ServerConfig, create_app

TOKEN = "ui-unit-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TASK = "demo/textkit-slug-trailing-separator"
FIXTURE = Path(__file__).parents[1] / "ui" / "fixtures" / "demo-replay"


class FakeEnv:
    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        return "Fix the slug.", {"task_id": TASK}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if action == "submit":
            info = {
                "ok": True,
                "patch": "+x",
                "grade": {"resolved": True, "tests": {"t": "PASSED"}},
            }
            return "submitted", 1.0, True, False, info
        return f"ran {action!r}", 0.0, False, False, {"ok": True}

    def close(self) -> None:
        pass


class FakeBackend:
    def make_env(self, config: Any, episode: str) -> FakeEnv:
        return FakeEnv()

    def grade(self, task: Any, patch: str, timeout: float, episode: str) -> Grade:
        return Grade(task_id=task.full_id, resolved=False, status="unresolved")


@pytest.fixture
def client():
    app = create_app(ServerConfig(token=TOKEN, ui_runs=[FIXTURE]), backend=FakeBackend())
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_ui_pages_need_the_token_by_header_or_cookie(client: TestClient) -> None:
    answer = client.get("/ui/live")
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"
    assert client.get("/ui/login").status_code == 200
    assert client.get("/ui/static/viewer.css").status_code == 200
    assert client.get("/ui/live", headers=AUTH).status_code == 200
    assert client.post("/ui/login", data={"token": "wrong"}).status_code == 401
    assert "swe_env_token" not in client.cookies
    login = client.post("/ui/login", data={"token": TOKEN})
    assert login.status_code == 303 and login.headers["location"] == "/ui/"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie
    client.cookies.clear()  # each request below names its cookie
    jar = {"Cookie": f"swe_env_token={TOKEN}"}
    assert client.get("/ui/", headers=jar).status_code == 200
    assert client.get("/ui/run/demo-replay", headers=jar).status_code == 200
    assert client.get("/v1/tasks", headers=jar).status_code == 401  # the API wants the header
    assert client.get("/ui/", headers={"Cookie": "swe_env_token=wrong"}).status_code == 303


def test_live_episode_pages_follow_the_steps(client: TestClient) -> None:
    eid = client.post("/v1/episodes", json={"task_id": TASK}, headers=AUTH).json()["episode_id"]
    listing = client.get("/ui/live", headers=AUTH).text
    assert eid[:12] in listing and "running" in listing
    page = client.get(f"/ui/live/{eid}", headers=AUTH).text
    assert "Fix the slug." in page and 'id="step-1"' not in page
    client.post(f"/v1/episodes/{eid}/step", json={"action": "ls -la"}, headers=AUTH)
    page = client.get(f"/ui/live/{eid}", headers=AUTH).text
    assert 'id="step-1"' in page and "ran &#39;ls -la&#39;" in page
    client.post(f"/v1/episodes/{eid}/step", json={"action": "submit"}, headers=AUTH)
    done = client.post(f"/v1/episodes/{eid}/step", json={"action": "ls"}, headers=AUTH)
    assert done.status_code == 409
    page = client.get(f"/ui/live/{eid}", headers=AUTH).text
    assert 'id="step-2"' in page and 'id="step-3"' not in page  # the refused one never ran
    assert "submitted" in page and "+x" in page and "PASSED" in page
    client.delete(f"/v1/episodes/{eid}", headers=AUTH)
    assert client.get(f"/ui/live/{eid}", headers=AUTH).status_code == 404
