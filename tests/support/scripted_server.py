"""A scripted OpenAI-compatible chat server on a loopback port, for tests and benchmarks.

It answers ``POST /v1/chat/completions`` from a responder function and records every
request. Replies can carry an HTTP status, headers (``Retry-After``) and a delay, so
tests can script errors, rate limits and slow answers; :func:`completion_body` builds
bodies in vLLM's shape, logprobs and token ids included. It needs no model, so a
pipeline can be dry-run end to end::

    with ScriptedChatServer(turn_script([bash("ls"), submit()])) as server:
        PolicyConfig(base_url=server.url, model="scripted")
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a JSON body with a status, headers and a delay."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[dict[str, Any]], "Reply | dict[str, Any]"]


def completion_body(
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    *,
    tokens: list[str] | None = None,
    logprobs: list[float] | None = None,
    token_ids: list[int] | None = None,
    ids_as_tokens: bool = False,
    choice_token_ids: bool = False,
    prompt_token_ids: list[int] | None = None,
    finish_reason: str | None = None,
    usage: dict[str, int] | None = None,
    model: str = "scripted",
) -> dict[str, Any]:
    """A chat-completions response body.

    ``tokens``/``logprobs`` fill ``choices[0].logprobs.content``; with ``ids_as_tokens``
    the tokens are written ``"token_id:N"`` from ``token_ids`` (vLLM's
    ``return_tokens_as_token_ids``); ``choice_token_ids`` puts ``token_ids`` on the
    choice and ``prompt_token_ids`` on the response (vLLM's ``return_token_ids``).
    """
    calls = []
    for call in tool_calls or []:
        function = call.get("function", call)
        arguments = function.get("arguments", {})
        calls.append(
            {
                "id": call.get("id") or f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {
                    "name": function.get("name"),
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
        )
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    choice: dict[str, Any] = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": finish_reason or ("tool_calls" if calls else "stop"),
    }
    if tokens is None and token_ids is not None:
        tokens = [f"t{i}" for i in token_ids]
    if tokens is not None:
        lps = logprobs if logprobs is not None else [-0.5] * len(tokens)
        shown = [f"token_id:{i}" for i in token_ids or []] if ids_as_tokens else tokens
        choice["logprobs"] = {
            "content": [
                {
                    "token": tok,
                    "logprob": lp,
                    "bytes": None,
                    "top_logprobs": [{"token": tok, "logprob": lp, "bytes": None}],
                }
                for tok, lp in zip(shown, lps, strict=False)
            ]
        }
    if choice_token_ids and token_ids is not None:
        choice["token_ids"] = token_ids
    n_completion = len(tokens) if tokens is not None else len(content or "") // 4 + 1
    body: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": usage
        or {"prompt_tokens": 100, "completion_tokens": n_completion, "total_tokens": 100},
    }
    if prompt_token_ids is not None:
        body["prompt_token_ids"] = prompt_token_ids
    return body


def tool_call(name: str, **arguments: Any) -> dict[str, Any]:
    """One OpenAI tool call."""
    return {"type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def turn_script(replies: list[Any]) -> Responder:
    """Answer the n-th assistant turn of a conversation with ``replies[n]`` (last repeats).

    The turn is read from the request (assistant messages so far), so concurrent
    conversations each follow the script.
    """

    def respond(request: dict[str, Any]) -> Any:
        turn = sum(1 for m in request.get("messages", []) if m.get("role") == "assistant")
        reply = replies[min(turn, len(replies) - 1)]
        return reply(request) if callable(reply) else reply

    return respond


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many episodes connect at once; the default 5 drops SYNs


class ScriptedChatServer:
    """A threaded HTTP server on 127.0.0.1 answering chat completions from a responder.

    ``requests`` holds every request body; ``peak_concurrency`` the most answered at once.
    """

    def __init__(self, responder: Responder, *, port: int = 0) -> None:
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.active = 0
        self.peak_concurrency = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._send(Reply({"object": "list", "data": [{"id": "scripted"}]}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._send(Reply({"error": {"message": "bad json"}}, status=400))
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(Reply({"error": {"message": "not found"}}, status=404))
                    return
                with server.lock:
                    server.requests.append(request)
                    server.active += 1
                    server.peak_concurrency = max(server.peak_concurrency, server.active)
                try:
                    reply = server.responder(request)
                    if not isinstance(reply, Reply):
                        reply = Reply(reply)
                    if reply.delay:
                        time.sleep(reply.delay)
                finally:
                    with server.lock:
                        server.active -= 1
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                data = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self._httpd = _Server(("127.0.0.1", port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The OpenAI API root, e.g. ``http://127.0.0.1:41234/v1``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> ScriptedChatServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ScriptedChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
