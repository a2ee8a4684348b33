"""The service against hostile clients: reused Idempotency-Keys and slow connections.

A real uvicorn on loopback with a fake backend (no Docker): the fake environment
records the actions it ran, so "ran once" and "never ran" are checked exactly.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from rewards.grade import Grade
from swe_env.server import ServerConfig, create_app
from swe_env.server.live import LiveServer

TOKEN = "hardening-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TASK = "demo/textkit-slug-trailing-separator"


class FakeEnv:
    def __init__(self) -> None:
        self.ran: list[Any] = []

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        return "problem", {"task_id": (options or {}).get("task_id") or TASK, "seed": seed}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        self.ran.append(action)
        return f"ran {action!r}", 0.0, False, False, {"turn": len(self.ran)}

    def close(self) -> None:
        pass


class FakeBackend:
    def __init__(self) -> None:
        self.envs: dict[str, FakeEnv] = {}

    def make_env(self, config: Any, episode: str) -> FakeEnv:
        self.envs[episode] = FakeEnv()
        return self.envs[episode]

    def grade(self, task: Any, patch: str, timeout: float, episode: str) -> Grade:
        return Grade(task_id=task.full_id, resolved=False, status="unresolved")


@pytest.fixture
def serve():
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> tuple[LiveServer, FakeBackend]:
        backend = FakeBackend()
        app = create_app(ServerConfig(token=TOKEN, **overrides), backend=backend)
        server = LiveServer(app).start()
        servers.append(server)
        return server, backend

    yield start
    for server in servers:
        server.stop()


# -- Idempotency-Key reuse ---------------------------------------------------------------


def test_a_step_key_reused_with_another_action_is_refused(serve):
    server, backend = serve()
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        eid = http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
        step = f"/v1/episodes/{eid}/step"
        key = {"Idempotency-Key": "k"}
        first = http.post(step, json={"action": "ls"}, headers=key)
        assert first.status_code == 200
        other = http.post(step, json={"action": "rm -rf /testbed"}, headers=key)
        assert other.status_code == 422, other.text
        assert other.json()["error"]["kind"] == "idempotency_key_reused"
        assert backend.envs[eid].ran == ["ls"], "the second action must never run"
        # The same body under the same key is still a replay of the first answer.
        again = http.post(step, json={"action": "ls"}, headers=key)
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        # Key order inside a JSON action does not make it another request.
        a = {"name": "bash", "arguments": {"command": "true", "timeout": 5}}
        b = {"arguments": {"timeout": 5, "command": "true"}, "name": "bash"}
        assert http.post(step, json={"action": a}, headers={"Idempotency-Key": "j"}).is_success
        r = http.post(step, json={"action": b}, headers={"Idempotency-Key": "j"})
        assert r.headers.get("Idempotent-Replayed") == "true"
        assert len(backend.envs[eid].ran) == 2


def test_a_create_key_reused_with_another_body_is_refused(serve):
    server, backend = serve()
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        key = {"Idempotency-Key": "c"}
        first = http.post("/v1/episodes", json={"task_id": TASK, "seed": 1}, headers=key)
        assert first.status_code == 201
        other = http.post("/v1/episodes", json={"task_id": TASK, "seed": 2}, headers=key)
        assert other.status_code == 422, other.text
        assert other.json()["error"]["kind"] == "idempotency_key_reused"
        assert len(backend.envs) == 1
        again = http.post("/v1/episodes", json={"task_id": TASK, "seed": 1}, headers=key)
        assert again.json()["episode_id"] == first.json()["episode_id"]


# -- slow clients ------------------------------------------------------------------------


def _connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    sock.settimeout(10)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_silent_connection_is_closed(serve):
    server, _ = serve(request_timeout=1.0)
    with _connect(server) as sock:
        started = time.monotonic()
        assert _read_until_closed(sock) == b""
        assert time.monotonic() - started < 4


def test_headers_sent_slowly_get_408_and_a_closed_connection(serve):
    server, _ = serve(request_timeout=1.0)
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /v1/tasks HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):  # keeps trickling: each byte must not extend the deadline
            time.sleep(0.4)
            sock.sendall(b"X")
        answer = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"request_timeout" in answer
        assert time.monotonic() - started < 4


def test_a_body_sent_slowly_gets_408_and_never_reaches_the_episode(serve):
    server, backend = serve(request_timeout=1.0)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        eid = http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
    body = b'{"action": "echo slow"}'
    head = (
        f"POST /v1/episodes/{eid}/step HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(head + body[:5])
        time.sleep(0.6)
        sock.sendall(body[5:8])
        answer = _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert time.monotonic() - started < 4
    assert backend.envs[eid].ran == []
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        r = http.post(f"/v1/episodes/{eid}/step", json={"action": "echo fast"})
        assert r.status_code == 200, "the service still serves others"


def test_a_client_that_does_not_read_its_answers_is_cut_off(serve):
    server, _ = serve(request_timeout=1.0)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((server.host, server.port))
    sock.settimeout(10)
    size = len(httpx.get(f"{server.url}/openapi.json").content)
    count = 16 * 1024 * 1024 // size + 1  # far more than the kernel's buffers hold
    with sock:
        sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * count)
        time.sleep(3)  # the server is stuck writing; past its deadline it gives up
        received = 0
        try:
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        except ConnectionResetError:
            pass
    assert received < count * size, "the server kept the connection of a client not reading"


def test_steady_clients_are_not_cut_off(serve):
    server, backend = serve(request_timeout=1.0)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        eid = http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
        for i in range(3):
            r = http.post(f"/v1/episodes/{eid}/step", json={"action": f"echo {i}"})
            assert r.status_code == 200
            time.sleep(0.7)  # idle between requests is the keep-alive's business
    assert backend.envs[eid].ran == ["echo 0", "echo 1", "echo 2"]


# -- the listening socket of swe-env serve ------------------------------------------------


def test_serve_listens_first_and_its_connections_do_not_wait_for_delayed_acks():
    import asyncio

    from swe_env.cli.serve import listen

    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
        listen("127.0.0.1", port)
    seen: list[int] = []

    async def main() -> None:
        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            seen.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert seen and seen[0] != 0, "small answers would wait ~40 ms for delayed ACKs"
