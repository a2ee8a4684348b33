"""RemoteSWEEnv against a live service with a fake backend: retries, idempotency, errors."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from gymnasium.utils.env_checker import check_env

# pytest puts this directory on sys.path (rootdir-less "prepend" imports).
from test_server import TASK, TOKEN, serve  # noqa: F401 - the fixture

from swe_env.client import (
    RemoteAuthError,
    RemoteInfraError,
    RemoteRequestError,
    RemoteStateError,
    RemoteSWEEnv,
    ServiceClient,
)
from swe_env.client.transport import KeepAliveTransport
from swe_env.errors import SweEnvError
from swe_env.server.live import LiveServer, free_port


class LosingTransport(httpx.HTTPTransport):
    """Delivers requests but loses the first ``lose`` step answers on the way back."""

    def __init__(self, lose: int) -> None:
        super().__init__()
        self.lose = lose
        self.step_keys: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/step"):
            self.step_keys.append(request.headers.get("Idempotency-Key"))
            if self.lose > 0:
                self.lose -= 1
                response.read()
                response.close()
                raise httpx.ReadError("connection lost after the service answered")
        return response


def test_gymnasium_interface_and_close_deletes(serve):  # noqa: F811
    url, backend = serve()
    env = RemoteSWEEnv(url, token=TOKEN, config={"max_turns": 5})
    obs, info = env.reset(seed=3, options={"task_id": TASK})
    assert obs == f"problem of {TASK}" and info["task_id"] == TASK and info["seed"] == 3
    assert env.render() is None or TASK in env.render()
    obs, reward, terminated, truncated, info = env.step({"name": "bash", "arguments": {}})
    assert (obs, reward, terminated, truncated) == ("ran 1", 0.0, False, False)
    assert env.state()["steps"] == 1
    first = env.episode_id
    env.reset(options={"task_id": TASK})
    assert backend.envs[first].closed.is_set(), "reset deletes the previous episode"
    second = env.episode_id
    env.close()
    env.close()
    assert backend.envs[second].closed.is_set()
    assert backend.envs[second].config.max_turns == 5


def test_check_env(serve):  # noqa: F811
    url, _ = serve()
    with RemoteSWEEnv(url, token=TOKEN) as env:
        check_env(env, skip_render_check=True)


def test_lost_answers_are_retried_with_the_same_key_and_run_once(serve):  # noqa: F811
    url, backend = serve()
    transport = LosingTransport(lose=2)
    client = ServiceClient(url, TOKEN, transport=transport)
    env = RemoteSWEEnv(url, client=client)
    env.reset(options={"task_id": TASK})
    obs, *_ = env.step("echo once")
    assert obs == "ran 1"
    assert backend.envs[env.episode_id].ran == ["echo once"]
    keys = transport.step_keys
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
    env.step("again")
    assert transport.step_keys[-1] != keys[0], "a new step gets a new key"
    env.close()
    client.close()


def test_429_is_retried_after_retry_after(serve):  # noqa: F811
    url, _ = serve(max_episodes=1, retry_after=1)
    holder = RemoteSWEEnv(url, token=TOKEN)
    holder.reset(options={"task_id": TASK})
    threading.Timer(0.4, holder.close).start()
    waiter = RemoteSWEEnv(url, token=TOKEN)
    started = time.monotonic()
    waiter.reset(options={"task_id": TASK})
    assert 0.9 < time.monotonic() - started < 5
    waiter.close()


def test_429_past_the_retries_is_an_infrastructure_error(serve):  # noqa: F811
    url, _ = serve(max_episodes=1, retry_after=1)
    with RemoteSWEEnv(url, token=TOKEN) as holder:
        holder.reset(options={"task_id": TASK})
        with RemoteSWEEnv(url, token=TOKEN, retries=1) as env:
            with pytest.raises(RemoteInfraError) as info:
                env.reset(options={"task_id": TASK})
            assert info.value.status == 429 and info.value.kind == "too_many_episodes"
            assert isinstance(info.value, SweEnvError)


def test_errors_map_to_builtin_kinds(serve):  # noqa: F811
    url, _ = serve()
    with RemoteSWEEnv(url, token="wrong") as env, pytest.raises(RemoteAuthError):
        env.reset(options={"task_id": TASK})
    with RemoteSWEEnv(url, token=TOKEN) as env:
        with pytest.raises(RemoteRequestError) as info:
            env.reset(options={"task_id": "demo/nope"})
        assert isinstance(info.value, ValueError) and info.value.kind == "unknown_task"
        with pytest.raises(ValueError):
            RemoteSWEEnv(url, config={"bogus": 1})
        with pytest.raises(RuntimeError):
            env.step("ls")
        env.reset(options={"task_id": TASK})
        env.step("submit")
        with pytest.raises(RemoteStateError):
            env.step("ls")
        env.reset(options={"task_id": TASK})
        with pytest.raises(RemoteInfraError) as info:
            env.step("infra-fault")
        assert info.value.status == 503 and info.value.kind == "SandboxError"
        assert not info.value.retryable
    dead = RemoteSWEEnv(f"http://127.0.0.1:{free_port()}", token=TOKEN, retries=1)
    with pytest.raises(RemoteInfraError) as info:
        dead.reset()
    assert info.value.kind == "unreachable"
    dead.close()


def test_service_client_tasks_and_grade(serve):  # noqa: F811
    url, _ = serve()
    client = ServiceClient(url, TOKEN)
    assert TASK in {t["full_id"] for t in client.tasks("demo")}
    assert client.grade(TASK, "diff")["resolved"] is True
    assert client.health()["status"] == "ok"
    client.close()


def test_keepalive_transport_survives_idle_closes_and_threads():
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict:
        return {"body": (await request.body()).decode(), "key": request.headers.get("x-key")}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(iter([b"a" * 70_000, b"", b"b" * 3, b"c"]))

    @app.api_route("/empty", methods=["GET", "HEAD"], status_code=204)
    async def empty() -> None:
        return None

    @app.get("/close")
    async def close() -> Response:
        return Response(b"bye", headers={"Connection": "close"})

    with LiveServer(app, timeout_keep_alive=0.2) as server:
        transport = KeepAliveTransport()
        with httpx.Client(base_url=server.url, transport=transport) as http:
            first = http.post("/echo", json={"a": 1}, headers={"X-Key": "k"}).json()
            assert first == {"body": '{"a":1}', "key": "k"}
            time.sleep(0.6)  # the server closes the idle connection
            assert http.post("/echo", content=b"again").json()["body"] == "again"
            assert http.post("/echo", content=iter([b"chun", b"ked"])).json()["body"] == "chunked"
            assert http.get("/stream").content == b"a" * 70_000 + b"bbbc"
            assert http.get("/empty").status_code == 204
            assert http.head("/empty").content == b""
            assert http.get("/close").content == b"bye"
            assert http.get("/stream").status_code == 200, "a closed connection is replaced"
            answers: list[str] = []

            def call(i: int) -> None:
                answers.append(http.post("/echo", content=str(i).encode()).json()["body"])

            threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(answers) == [str(i) for i in range(8)]
    with httpx.Client(transport=KeepAliveTransport()) as http, pytest.raises(httpx.ConnectError):
        http.get(f"http://127.0.0.1:{free_port()}/")


HEAVY = ("docker", "swe_env.tools", "swe_env.tasks", "swe_env.env", "swe_env.sandbox.docker")


@pytest.mark.parametrize("module", ["swe_env.client", "swe_env.client.env", "swe_env.retry"])
def test_the_http_client_imports_no_tools_tasks_or_docker(module: str) -> None:
    """A trainer that only talks HTTP must not pull in Docker, the tools or task loaders."""
    import subprocess
    import sys

    probe = (
        f"import sys, {module}\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "from swe_env.client import RemoteSWEEnv\n"
        "RemoteSWEEnv('http://127.0.0.1:9', config={'max_turns': 3}).close()\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, ('after use', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def _limited_then_ok(retry_after: str, calls: list[float]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            error = {"error": {"kind": "too_many_episodes", "message": "busy", "retryable": True}}
            return httpx.Response(429, json=error, headers={"Retry-After": retry_after})
        return httpx.Response(200, json={"status": "ok"})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("hint", ["0.6", "http-date"])
def test_remote_client_honours_every_retry_after_form(hint: str) -> None:
    """A fractional or HTTP-date Retry-After is a hint too, not a reason to hammer the service."""
    from email.utils import formatdate

    value = formatdate(time.time() + 2, usegmt=True) if hint == "http-date" else hint
    calls: list[float] = []
    client = ServiceClient("http://svc", transport=_limited_then_ok(value, calls))
    assert client.health() == {"status": "ok"}
    client.close()
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.55


def test_remote_client_caps_a_hostile_retry_after() -> None:
    """A service that says "come back tomorrow" is waited on at most ``max_wait``."""
    calls: list[float] = []
    client = ServiceClient("http://svc", max_wait=0.3, transport=_limited_then_ok("86400", calls))
    started = time.monotonic()
    assert client.health() == {"status": "ok"}
    client.close()
    assert time.monotonic() - started < 2.0 and len(calls) == 2
