"""The OpenAI-compatible policy client against a scripted server on a loopback port:
request shape, tool calls, logprobs and token ids, retries, timeouts, the concurrency
cap. No Docker."""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from support.scripted_server import (
    Reply,
    ScriptedChatServer,
    completion_body,
    tool_call,
    turn_script,
)

from swe_env.errors import SweEnvError
from swe_env.policy import (
    ContextLengthExceeded,
    OpenAIPolicyClient,
    PolicyConfig,
    PolicyRequestError,
    PolicyUnavailable,
    SamplingParams,
    parse_completion,
    parse_retry_after,
)

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "fix it"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "bash",
            "description": "run",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
        },
    }
]


def config(server: ScriptedChatServer, **kw: Any) -> PolicyConfig:
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.05)
    return PolicyConfig(base_url=server.url, model="m", **kw)


@pytest.fixture
def server_factory():
    servers: list[ScriptedChatServer] = []

    def make(responder) -> ScriptedChatServer:
        server = ScriptedChatServer(responder).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


class Sequence:
    """Answers requests in order (the last answer repeats)."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, request: dict) -> Any:
        with self.lock:
            reply = self.replies[min(self.calls, len(self.replies) - 1)]
            self.calls += 1
        return reply


OK = completion_body("<tool: bash>\nls\n</tool>")


# -- request and response shape ------------------------------------------------------------


def test_tools_mode_request_and_tool_call_response(server_factory) -> None:
    body = completion_body(
        "let me look", [tool_call("bash", command="ls -la")], usage={"prompt_tokens": 7}
    )
    server = server_factory(Sequence(body))
    sampling = SamplingParams(temperature=0.6, top_p=0.9, max_tokens=256, stop=["END"], seed=5)
    cfg = config(server, sampling=sampling, tool_choice="auto", extra_body={"top_k": 20})
    with OpenAIPolicyClient(cfg) as client:
        comp = client.complete(MESSAGES, TOOLS)
    sent = server.requests[0]
    assert sent["model"] == "m" and sent["messages"] == MESSAGES and sent["tools"] == TOOLS
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"]) == (0.6, 0.9, 256)
    assert (sent["stop"], sent["seed"], sent["tool_choice"], sent["top_k"]) == (
        ["END"],
        5,
        "auto",
        20,
    )
    assert sent["logprobs"] is True and sent["top_logprobs"] == 0
    assert "return_token_ids" not in sent
    assert comp.content == "let me look" and comp.finish_reason == "tool_calls"
    [call] = comp.tool_calls
    assert call["function"] == {"name": "bash", "arguments": json.dumps({"command": "ls -la"})}
    assert call["id"] and call["type"] == "function"
    assert comp.usage == {"prompt_tokens": 7} and comp.attempts == 1
    assert comp.message() == {"role": "assistant", "content": "let me look", "tool_calls": [call]}


def test_text_mode_sends_no_tools_and_per_call_overrides(server_factory) -> None:
    server = server_factory(Sequence(OK))
    with OpenAIPolicyClient(config(server, mode="text", logprobs=False)) as client:
        comp = client.complete(MESSAGES, TOOLS, max_tokens=12, seed=99)
    sent = server.requests[0]
    assert "tools" not in sent and "logprobs" not in sent
    assert sent["max_tokens"] == 12 and sent["seed"] == 99
    assert comp.content == "<tool: bash>\nls\n</tool>" and comp.tool_calls == []
    assert comp.tokens is None and comp.token_ids is None


def test_vllm_token_ids_as_tokens(server_factory) -> None:
    body = completion_body(
        "hi", token_ids=[101, 7, 2], logprobs=[-0.1, -2.5, -0.0], ids_as_tokens=True
    )
    server = server_factory(Sequence(body))
    with OpenAIPolicyClient(config(server, vllm_token_ids=True, top_logprobs=2)) as client:
        comp = client.complete(MESSAGES)
    sent = server.requests[0]
    assert sent["return_tokens_as_token_ids"] is True and sent["return_token_ids"] is True
    assert sent["top_logprobs"] == 2
    assert comp.tokens == ["token_id:101", "token_id:7", "token_id:2"]
    assert comp.token_ids == [101, 7, 2]
    assert comp.logprobs == [-0.1, -2.5, -0.0]
    assert comp.top_logprobs == [{"token_id:101": -0.1}, {"token_id:7": -2.5}, {"token_id:2": 0.0}]


def test_vllm_return_token_ids_fields() -> None:
    body = completion_body(
        "hi",
        tokens=["h", "i"],
        token_ids=[5, 6],
        choice_token_ids=True,
        prompt_token_ids=[1, 2, 3],
    )
    comp = parse_completion(body)
    assert comp.tokens == ["h", "i"] and comp.token_ids == [5, 6]
    assert comp.prompt_token_ids == [1, 2, 3]


def test_llama_cpp_shape_keeps_token_strings_without_ids() -> None:
    body = completion_body("ab", tokens=["a", "b"], logprobs=[-1.0, -2.0])
    body["choices"][0]["logprobs"]["refusal"] = None
    comp = parse_completion(body)
    assert comp.tokens == ["a", "b"] and comp.logprobs == [-1.0, -2.0]
    assert comp.token_ids is None and comp.prompt_token_ids is None


def test_llama_server_token_ids_from_entries() -> None:
    body = completion_body("ab", tokens=["a", "b"], logprobs=[-1.0, -2.0])
    for entry, token_id in zip(body["choices"][0]["logprobs"]["content"], [64, 65], strict=True):
        entry["id"] = token_id
    assert parse_completion(body).token_ids == [64, 65]


def test_tool_call_arguments_as_object_and_missing_id() -> None:
    body = completion_body(None)
    body["choices"][0]["message"]["tool_calls"] = [
        {"function": {"name": "bash", "arguments": {"command": "ls"}}}
    ]
    comp = parse_completion(body)
    assert comp.tool_calls[0]["function"]["arguments"] == '{"command": "ls"}'
    assert comp.tool_calls[0]["id"].startswith("call_")


def test_reasoning_content_is_kept() -> None:
    body = completion_body("answer")
    body["choices"][0]["message"]["reasoning_content"] = "thinking"
    comp = parse_completion(body)
    assert comp.reasoning == "thinking"
    assert comp.message()["reasoning_content"] == "thinking"


def test_body_without_choices_is_rejected(server_factory) -> None:
    server = server_factory(Sequence({"object": "chat.completion", "choices": []}))
    with OpenAIPolicyClient(config(server)) as client, pytest.raises(PolicyRequestError):
        client.complete(MESSAGES)


# -- failures --------------------------------------------------------------------------------


def test_retries_5xx_then_succeeds(server_factory) -> None:
    err = Reply({"error": {"message": "overloaded"}}, status=503)
    responder = Sequence(err, Reply({"error": "boom"}, status=500), OK)
    server = server_factory(responder)
    with OpenAIPolicyClient(config(server)) as client:
        comp = client.complete(MESSAGES)
    assert comp.attempts == 3 and responder.calls == 3
    assert comp.content == OK["choices"][0]["message"]["content"]


def test_429_honours_retry_after(server_factory) -> None:
    limited = Reply({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "0.4"})
    server = server_factory(Sequence(limited, OK))
    with OpenAIPolicyClient(config(server, backoff_max=2.0)) as client:
        started = time.monotonic()
        comp = client.complete(MESSAGES)
        elapsed = time.monotonic() - started
    assert comp.attempts == 2
    assert elapsed >= 0.4


def test_exhausted_retries_raise_an_infra_error(server_factory) -> None:
    responder = Sequence(Reply({"error": "down"}, status=502))
    server = server_factory(responder)
    client = OpenAIPolicyClient(config(server, retries=3))
    with client, pytest.raises(PolicyUnavailable) as info:
        client.complete(MESSAGES)
    assert responder.calls == 4
    assert isinstance(info.value, SweEnvError) and isinstance(info.value, ConnectionError)
    assert "4 time(s)" in str(info.value) and "502" in str(info.value)


def test_connection_refused_is_retried_then_unavailable() -> None:
    server = ScriptedChatServer(Sequence(OK))
    url = server.url
    server.stop()  # the port is closed now
    cfg = PolicyConfig(base_url=url, model="m", retries=2, backoff_initial=0.01)
    with OpenAIPolicyClient(cfg) as client, pytest.raises(PolicyUnavailable, match="3 time"):
        client.complete(MESSAGES)


def test_timeout_is_retried(server_factory) -> None:
    responder = Sequence(Reply(OK, delay=1.5), OK)
    server = server_factory(responder)
    with OpenAIPolicyClient(config(server, timeout=0.3)) as client:
        started = time.monotonic()
        comp = client.complete(MESSAGES)
    assert comp.attempts == 2 and time.monotonic() - started < 1.4


def test_timeout_on_every_attempt(server_factory) -> None:
    server = server_factory(Sequence(Reply(OK, delay=2.0)))
    with OpenAIPolicyClient(config(server, timeout=0.2, retries=1)) as client:
        started = time.monotonic()
        with pytest.raises(PolicyUnavailable, match="timed out"):
            client.complete(MESSAGES)
    assert time.monotonic() - started < 1.5


def test_bad_request_is_not_retried(server_factory) -> None:
    responder = Sequence(Reply({"error": {"message": "unknown model"}}, status=404))
    server = server_factory(responder)
    client = OpenAIPolicyClient(config(server))
    with client, pytest.raises(PolicyRequestError, match="unknown model"):
        client.complete(MESSAGES)
    assert responder.calls == 1


@pytest.mark.parametrize(
    "message",
    [
        "This model's maximum context length is 4096 tokens. However, you requested 5000",
        "Requested tokens (5000) exceed context window of 4096",
        "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096",
    ],
)
def test_context_overflow_is_its_own_error(server_factory, message: str) -> None:
    server = server_factory(Sequence(Reply({"error": {"message": message}}, status=400)))
    with OpenAIPolicyClient(config(server)) as client, pytest.raises(ContextLengthExceeded):
        client.complete(MESSAGES)


def test_concurrency_cap_is_shared_by_threads(server_factory) -> None:
    server = server_factory(Sequence(Reply(OK, delay=0.15)))
    client = OpenAIPolicyClient(config(server, max_concurrency=3))
    threads = [threading.Thread(target=client.complete, args=(MESSAGES,)) for _ in range(12)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    assert len(server.requests) == 12
    assert server.peak_concurrency == 3 and client.peak_in_flight == 3
    assert time.monotonic() - started >= 4 * 0.15  # 12 requests, 3 at a time


def test_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=OK)

    monkeypatch.delenv("SWE_ENV_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    with OpenAIPolicyClient(
        PolicyConfig(model="m"), transport=httpx.MockTransport(handler)
    ) as client:
        client.complete(MESSAGES)
    with OpenAIPolicyClient(
        PolicyConfig(model="m", api_key="sk-cfg"), transport=httpx.MockTransport(handler)
    ) as client:
        client.complete(MESSAGES)
    assert seen == ["Bearer sk-env", "Bearer sk-cfg"]
    assert "sk-cfg" not in PolicyConfig(model="m", api_key="sk-cfg").model_dump_json()


def test_backoff_is_jittered_and_capped() -> None:
    client = OpenAIPolicyClient(PolicyConfig(model="m", backoff_initial=1.0, backoff_max=3.0))
    waits = []
    for attempt in (1, 2, 3, 6):
        state = SimpleNamespace(
            attempt_number=attempt, outcome=SimpleNamespace(exception=lambda: None)
        )
        waits.append([client.retry.wait(state) for _ in range(200)])  # type: ignore[arg-type]
    client.close()
    assert max(waits[0]) <= 1.0 and max(waits[1]) <= 2.0 and max(waits[3]) <= 3.0
    assert len({round(w, 6) for w in waits[2]}) > 100  # jittered, not fixed


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= (parse_retry_after(future) or 0) <= 31


def test_config_is_strict() -> None:
    with pytest.raises(ValueError):
        PolicyConfig(model="m", temprature=0.5)  # type: ignore[call-arg]


def test_turn_script_follows_each_conversation(server_factory) -> None:
    replies = [completion_body("first"), completion_body("second")]
    server = server_factory(turn_script(replies))
    with OpenAIPolicyClient(config(server)) as client:
        one = client.complete(MESSAGES)
        two = client.complete([*MESSAGES, one.message(), {"role": "user", "content": "ok"}])
        again = client.complete(MESSAGES)
    assert (one.content, two.content, again.content) == ("first", "second", "first")
