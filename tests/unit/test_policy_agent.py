"""The chat adapter (ChatPolicy) and the agent loop's rules, against a scripted server and
a stand-in environment (no Docker): history, several tool calls, the context budget,
budget notes, cut observations, strict format."""

from __future__ import annotations

import time
from typing import Any

import pytest
from support.scripted_server import (
    Reply,
    ScriptedChatServer,
    completion_body,
    tool_call,
    turn_script,
)

from swe_env.policy import (
    AgentConfig,
    ChatPolicy,
    ContextExhausted,
    OpenAIPolicyClient,
    PolicyConfig,
    SamplingParams,
)
from swe_env.rollout.agent import cut_observation
from swe_env.rollout.episode import run_episode
from swe_env.tools import FormatError, openai_schemas, parse_action

INFO = {"task_id": "demo/x", "tools": openai_schemas(), "remaining_turns": 5}


class FakeEnv:
    """Parses actions like SWEEnv does; bash echoes, submit ends. No container."""

    def __init__(self, max_turns: int = 10) -> None:
        self.config = type("Cfg", (), {"max_turns": max_turns})()
        self.turn = 0

    def reset(self, *, seed: Any = None, options: dict | None = None) -> tuple[str, dict]:
        self.turn = 0
        task_id = (options or {}).get("task_id", "demo/x")
        return "Fix the bug.", {"task_id": task_id, "tools": openai_schemas()}

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        self.turn += 1
        call = parse_action(action)
        info: dict[str, Any] = {"task_id": "demo/x", "turn": self.turn, "ok": True}
        info["error_kind"] = None
        if isinstance(call, FormatError):
            obs, info["ok"], info["error_kind"] = call.message, False, "format"
        elif call.name == "submit":
            info.update(patch="", grade={"resolved": False})
            return "submitted", 0.0, True, False, info
        else:
            obs = f"ran {call.arguments.get('command', '')}"
        truncated = self.turn >= self.config.max_turns
        if truncated:
            info["truncation"] = "max_turns"
        return obs, 0.0, False, truncated, info

    def close(self) -> None:
        pass


@pytest.fixture
def serve():
    servers: list[ScriptedChatServer] = []

    def make(replies: list[Any], **kw: Any) -> OpenAIPolicyClient:
        server = ScriptedChatServer(turn_script(replies)).start()
        servers.append(server)
        cfg = PolicyConfig(base_url=server.url, model="m", backoff_initial=0.01, **kw)
        client = OpenAIPolicyClient(cfg)
        client.server = server  # type: ignore[attr-defined]
        return client

    yield make
    for server in servers:
        server.stop()


def test_tools_mode_history_and_several_tool_calls(serve) -> None:
    two = completion_body(None, [tool_call("bash", command="ls"), tool_call("bash", command="pwd")])
    client = serve([two])
    policy = ChatPolicy(client)
    action = policy.act("Fix the bug.", INFO)
    sent = client.server.requests[0]  # type: ignore[attr-defined]
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["tools"] == INFO["tools"]
    parsed = parse_action(action)
    assert isinstance(parsed, FormatError)
    assert parsed.message == "You made 2 tool calls; make exactly one call per turn."
    policy.observe(parsed.message, {})
    ids = [c["id"] for c in policy.messages[2]["tool_calls"]]
    assert [(m["role"], m.get("tool_call_id")) for m in policy.messages[3:]] == [
        ("tool", ids[0]),
        ("tool", ids[1]),
    ]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (completion_body("I will just think."), "No tool call found"),
        (
            completion_body(None, [{"function": {"name": "bash", "arguments": "{command: ls"}}]),
            "are not valid JSON",
        ),
        (completion_body(None, [tool_call("rm_rf", path="/")]), "Unknown tool 'rm_rf'"),
        (completion_body(None, [tool_call("bash", cmd="ls")]), "Invalid arguments for bash"),
    ],
)
def test_tools_mode_bad_replies_become_format_errors(serve, reply, expected) -> None:
    policy = ChatPolicy(serve([reply]))
    parsed = parse_action(policy.act("Fix the bug.", INFO))
    assert isinstance(parsed, FormatError) and expected in parsed.message


def test_text_mode_returns_content_and_user_observations(serve) -> None:
    client = serve([completion_body("<tool: bash>\nls\n</tool>")], mode="text")
    policy = ChatPolicy(client)
    action = policy.act("Fix the bug.", INFO)
    assert action == "<tool: bash>\nls\n</tool>"
    assert "tools" not in client.server.requests[0]  # type: ignore[attr-defined]
    policy.act("a.py b.py", {"remaining_turns": 4})
    assert policy.messages[3] == {"role": "user", "content": "a.py b.py"}


def test_context_budget_lowers_max_tokens_then_stops(serve) -> None:
    body = completion_body("<tool: bash>\nls\n</tool>", usage={"prompt_tokens": 400})
    body["usage"]["completion_tokens"] = 300
    client = serve([body], mode="text", sampling=SamplingParams(max_tokens=4096))
    policy = ChatPolicy(client, AgentConfig(context_tokens=1000, min_completion_tokens=64))
    policy.act("Fix the bug.", INFO)
    first = client.server.requests[0]["max_tokens"]  # type: ignore[attr-defined]
    assert first < 1000
    assert policy.context_left() == 300  # 1000 - (400 prompt + 300 completion)
    policy.act("x" * 400, {})  # about 100 tokens more: still fits
    with pytest.raises(ContextExhausted):
        policy.act("y" * 2000, {})


def test_budget_note_and_seed_per_sample(serve) -> None:
    client = serve(
        [completion_body("<tool: bash>\nls\n</tool>")],
        mode="text",
        sampling=SamplingParams(seed=10),
    )
    policy = ChatPolicy(client, AgentConfig(budget_note=True, context_tokens=5000))
    policy.act("Fix the bug.", {**INFO, "sample": 3})
    sent = client.server.requests[0]  # type: ignore[attr-defined]
    assert sent["seed"] == 13 and policy.sampling["seed"] == 13
    first = sent["messages"][1]["content"]
    assert first.startswith("Fix the bug.\n<budget>remaining turns: 5; remaining context tokens: ")
    assert first.endswith("</budget>")
    left = int(first.rsplit(": ", 1)[1].removesuffix("</budget>"))
    assert 4900 < left < 5000


def test_cut_observation_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 10_000 + "TAIL"
    cut = cut_observation(text, 100)
    assert cut.startswith("HEAD") and cut.endswith("TAIL")
    assert "characters cut from this output" in cut and len(cut) < 600
    assert cut_observation("short", 100) == "short"
    assert cut_observation(text, None) == text


# -- the loop with a stand-in environment ----------------------------------------------------


def test_loop_records_tokens_format_errors_and_messages(serve) -> None:
    replies = [
        completion_body(None, [tool_call("bash", command="ls")], token_ids=[1, 2, 3]),
        completion_body("no call here", token_ids=[4, 5]),
        completion_body(None, [tool_call("submit")], token_ids=[6]),
    ]
    client = serve(replies, vllm_token_ids=True)
    traj = run_episode(FakeEnv(), ChatPolicy(client), "demo/x", sample=1, agent=AgentConfig())
    assert traj.terminated and traj.turns == 3 and traj.format_errors == 1
    assert [s.error_kind for s in traj.steps] == [None, "format", None]
    assert [s.tokens for s in traj.steps] == [["t1", "t2", "t3"], ["t4", "t5"], ["t6"]]
    assert [s.n_tool_calls for s in traj.steps] == [1, 0, 1]
    assert all(s.logprobs and s.usage for s in traj.steps)
    roles = [m["role"] for m in traj.messages]
    turns = ["assistant", "tool", "assistant", "user", "assistant", "tool"]
    assert roles == ["system", "user", *turns]
    assert traj.messages[-1]["content"] == "submitted"
    assert traj.usage["prompt_tokens"] == 300 and traj.mode == "tools"
    assert traj.tools and traj.sampling["temperature"] == 1.0


def test_strict_mode_ends_at_the_first_format_error(serve) -> None:
    client = serve([completion_body("just text")], mode="text")
    agent = AgentConfig(strict_format=True)
    traj = run_episode(FakeEnv(), ChatPolicy(client), "demo/x", agent=agent)
    assert traj.truncated and not traj.terminated
    assert traj.truncation == "format_error" and traj.turns == 1 and traj.format_errors == 1
    assert "No tool call found" in traj.messages[-1]["content"]


def test_context_overflow_from_the_server_truncates(serve) -> None:
    overflow = Reply({"error": {"message": "maximum context length is 10 tokens"}}, status=400)
    client = serve([completion_body("<tool: bash>\nls\n</tool>"), overflow], mode="text")
    traj = run_episode(FakeEnv(), ChatPolicy(client), "demo/x", agent=AgentConfig())
    assert traj.truncated and traj.truncation == "context" and traj.turns == 1
    assert traj.status == "ok"
    assert traj.messages[-1] == {"role": "user", "content": "ran ls"}


def test_long_observations_are_cut_for_the_model(serve) -> None:
    class Loud(FakeEnv):
        def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
            obs, r, term, trunc, info = super().step(action)
            return obs + "z" * 50_000, r, term, trunc, info

    client = serve([completion_body("<tool: bash>\nls\n</tool>")], mode="text")
    agent = AgentConfig(max_observation_tokens=500)
    traj = run_episode(Loud(max_turns=2), ChatPolicy(client), "demo/x", agent=agent)
    seen = client.server.requests[1]["messages"][-1]["content"]  # type: ignore[attr-defined]
    assert "characters cut" in seen and len(seen) < 2600
    assert traj.steps[0].observation == seen
    assert traj.truncation == "max_turns"


# -- retries, unexpected errors, the local runner (stand-in environment) ---------------------


class Scripted:
    """A policy without a model: bash, then submit."""

    name = "scripted"
    model = ""

    def __init__(self, task: Any = None) -> None:
        self.turn = 0

    def act(self, observation: str, info: dict) -> dict:
        self.turn += 1
        if self.turn == 1:
            return {"name": "bash", "arguments": {"command": "ls"}}
        return {"name": "submit", "arguments": {}}


def test_infra_faults_are_retried_then_masked() -> None:
    from swe_env.errors import SandboxError
    from swe_env.rollout.episode import run_with_retries

    failures = [SandboxError("container vanished")]

    class Flaky(FakeEnv):
        def reset(self, **kw: Any) -> tuple[str, dict]:
            if failures:
                raise failures.pop()
            return super().reset(**kw)

    traj = run_with_retries(Flaky, Scripted, "demo/x", sample=3, backoff=0)
    assert traj.status == "ok" and traj.terminated and traj.sample == 3
    assert traj.infra_errors == ["SandboxError: container vanished"]

    class Broken(FakeEnv):
        def reset(self, **kw: Any) -> tuple[str, dict]:
            raise SandboxError("daemon gone")

    masked = run_with_retries(Broken, Scripted, "demo/x", retries=2, backoff=0)
    assert masked.status == "infra_error" and masked.reward == 0.0 and not masked.resolved
    assert len(masked.infra_errors) == 3


def test_unexpected_errors_become_infra_error_records() -> None:
    from swe_env.rollout.local import run_job
    from swe_env.tasks import load_suite

    class Buggy(FakeEnv):
        def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
            raise KeyError("oops")

    task = load_suite("demo")[0]
    traj = run_job(Buggy, task, Scripted, 1)
    assert traj.status == "infra_error" and traj.task_id == task.full_id and traj.sample == 1
    assert traj.infra_errors[0].startswith("unexpected KeyError")


def test_local_runner_reuses_one_env_per_thread(tmp_path) -> None:
    from swe_env.env import SWEEnvConfig
    from swe_env.rollout.local import run_local
    from swe_env.tasks import load_suite

    made: list[FakeEnv] = []

    class Counted(FakeEnv):
        closed = 0

        def __init__(self, config: Any) -> None:
            super().__init__()
            made.append(self)

        def close(self) -> None:
            self.closed += 1

    tasks = load_suite("demo")[:3]
    results = run_local(
        SWEEnvConfig(suite="demo"), tasks, Scripted, tmp_path, samples=2, concurrency=2,
        make_env=Counted,
    )  # fmt: skip
    assert len(results) == 6 and all(t.status == "ok" for t in results)
    lines = (tmp_path / "trajectories.jsonl").read_text().splitlines()
    assert len(lines) == 6
    assert 1 <= len(made) <= 2
    assert sum(env.closed for env in made) == 6 + len(made)  # after each episode, and at the end


def test_factory_builds_one_client_under_concurrent_first_use(monkeypatch) -> None:
    """Threads that ask a fresh factory for its client at once must share one client."""
    import threading

    import swe_env.policy.chat as chat
    from swe_env.policy import ChatPolicyFactory

    built: list[object] = []

    class SlowClient:
        def __init__(self, config: Any) -> None:
            time.sleep(0.05)  # widen the window between the check and the assignment
            built.append(self)

    monkeypatch.setattr(chat, "OpenAIPolicyClient", SlowClient)
    factory = ChatPolicyFactory(PolicyConfig(model="m"))
    gate = threading.Barrier(8)
    seen: list[object] = []

    def first_use() -> None:
        gate.wait()
        seen.append(factory.client)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1, f"{len(built)} clients built"
    assert all(c is built[0] for c in seen) and len(seen) == 8


def test_a_non_policy_is_refused_before_any_episode_starts() -> None:
    """An object without ``act`` (or ``model``) must not start a container-backed episode."""
    resets: list[Any] = []

    class Counting(FakeEnv):
        def reset(self, **kw: Any) -> tuple[str, dict]:
            resets.append(kw)
            return super().reset(**kw)

    class NoAct:
        name, model = "broken", ""

    class NoModel:
        name = "broken"

        def act(self, observation: str, info: dict) -> dict:
            return {"name": "submit", "arguments": {}}

    for bad in (NoAct(), NoModel()):
        with pytest.raises(TypeError, match="not a Policy"):
            run_episode(Counting(), bad, "demo/x")  # type: ignore[arg-type]
    assert resets == []


def test_half_a_conversation_capability_is_not_trusted() -> None:
    """A policy with ``observe`` but no history must get its messages rebuilt by the loop."""

    class HalfChat(Scripted):
        def observe(self, observation: str, info: dict | None = None) -> None:
            raise AssertionError("observe called on a policy that keeps no conversation")

    traj = run_episode(FakeEnv(), HalfChat(), "demo/x")
    assert traj.terminated and traj.mode is None
    assert [m["role"] for m in traj.messages] == ["user", "assistant", "tool", "assistant", "tool"]


def test_infra_retries_wait_by_the_shared_retry_policy(monkeypatch) -> None:
    """The runner's infra retries back off exponentially, capped, via swe_env.retry."""

    from swe_env.errors import SandboxError
    from swe_env.rollout.episode import INFRA_RETRY, run_with_retries

    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)

    class Broken(FakeEnv):
        def reset(self, **kw: Any) -> tuple[str, dict]:
            raise SandboxError("daemon gone")

    masked = run_with_retries(Broken, Scripted, "demo/x", retries=7, backoff=1.0)
    assert masked.status == "infra_error" and len(masked.infra_errors) == 8
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, INFRA_RETRY.max_wait, INFRA_RETRY.max_wait]


def test_factory_ships_without_its_client_and_works_after(serve) -> None:
    """A pickled factory (sent to a Ray actor) carries no client or lock and builds its own."""
    import pickle

    from swe_env.policy import ChatPolicyFactory

    server = serve([completion_body("hi")]).server
    factory = ChatPolicyFactory(PolicyConfig(base_url=server.url, model="m"), AgentConfig())
    first = factory.client
    copy = pickle.loads(pickle.dumps(factory))
    assert copy._client is None and copy.client is not first
    assert copy(None).act("Fix it.", {}) == {"role": "assistant", "content": "hi", "tool_calls": []}
    copy.close()
    factory.close()
    assert factory._client is None
