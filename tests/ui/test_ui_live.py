"""``swe-env serve``'s viewer under /ui: sign in with the token, watch an episode live."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from swe_env.images.build import ensure_images
from swe_env.server import ServerConfig, create_app
from swe_env.server.containers import LABEL_SERVICE
from swe_env.server.live import LiveServer
from swe_env.tasks import find_task, load_suite

pytestmark = [pytest.mark.ui, pytest.mark.docker, pytest.mark.slow]

TOKEN = "ui-live-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TASK = "demo/textkit-slug-trailing-separator"


def bash(command: str) -> dict:
    return {"name": "bash", "arguments": {"command": command}}


@pytest.fixture(scope="module")
def service(docker_client) -> Iterator[LiveServer]:
    ensure_images(load_suite("demo"), docker_client)
    name = f"pytest-ui-{os.getpid()}"
    server = LiveServer(create_app(ServerConfig(token=TOKEN, service_name=name))).start()
    yield server
    server.stop()
    left = docker_client.api.containers(all=True, filters={"label": f"{LABEL_SERVICE}={name}"})
    assert left == [], "shutdown removes the service's containers"


def test_ui_needs_the_token_and_the_form_sets_it(service, page, shot) -> None:
    assert httpx.get(f"{service.url}/ui/", follow_redirects=False).status_code == 303
    assert httpx.get(f"{service.url}/ui/", headers=AUTH).status_code == 200
    page.goto(f"{service.url}/ui/live")
    page.wait_for_url("**/ui/login")
    page.fill('input[name="token"]', "not-the-token")
    page.click("button")
    assert "not the service's token" in page.locator("main").inner_text()
    shot(page, "login-refused")
    page.fill('input[name="token"]', TOKEN)
    page.click("button")
    page.wait_for_url("**/ui/")
    assert page.locator("h2", has_text="Live episodes").count() == 1
    # The cookie opens the viewer only: the API still wants the bearer header.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["swe_env_token"] == TOKEN
    api = httpx.get(f"{service.url}/v1/tasks", cookies=cookies)
    assert api.status_code == 401


def test_a_live_episode_appears_while_it_runs(service, page, shot) -> None:
    with httpx.Client(base_url=service.url, headers=AUTH, timeout=600) as client:
        page.goto(f"{service.url}/ui/login")
        page.fill('input[name="token"]', TOKEN)
        page.click("button")
        page.goto(f"{service.url}/ui/live")
        assert page.locator("#live tbody tr.live-row").count() == 0
        created = client.post("/v1/episodes", json={"task_id": TASK})
        assert created.status_code == 201, created.text
        eid = created.json()["episode_id"]
        try:
            # No reload: the page refreshes itself and the new episode shows up.
            row = page.locator("#live tr.live-row", has_text=eid[:12])
            row.wait_for(timeout=60_000)
            assert "running" in row.inner_text()
            shot(page, "live-list")
            row.locator("a").click()
            page.wait_for_url(f"**/ui/live/{eid}")
            statement = find_task(TASK).problem_statement.strip().splitlines()[0]
            assert statement[:40] in page.locator("main").inner_text()
            assert page.locator("section.step").count() == 0
            step = client.post(f"/v1/episodes/{eid}/step", json={"action": bash("ls")})
            assert step.status_code == 200, step.text
            page.locator("#step-1").wait_for(timeout=60_000)
            assert "textkit" in page.locator("#step-1 .observation").inner_text()
            assert page.locator("#step-1 .tool").inner_text() == "bash"
            shot(page, "live-episode")
        finally:
            client.delete(f"/v1/episodes/{eid}")
        page.goto(f"{service.url}/ui/live")
        assert page.locator("#live tr.live-row", has_text=eid[:12]).count() == 0
