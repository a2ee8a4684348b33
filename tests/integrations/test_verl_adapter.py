"""The verl agent loop against the installed verl (its agent-loop module imports on CPU)
and a scripted server manager: verl's own ``LLMServerClient`` with ``generate`` scripted."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from integrations.fixtures.chatml import ChatMLTokenizer
from integrations.fixtures.scripted_env import ScriptedEnv
from integrations.fixtures.verl_server import ScriptedServerManager, build_loop
from verl.experimental.agent_loop import agent_loop as verl_agent_loop
from verl.workers.rollout.llm_server import LLMServerClient

from swe_env.integrations import verl as adapter

SUBMIT = "<tool: submit>\n</tool>"


def run(loop: Any, **row: Any) -> Any:
    return asyncio.run(loop.run({"temperature": 1.0}, **row))


def untyped(fn: Any) -> inspect.Signature:
    """``fn``'s signature without annotations (verl writes ``Optional[...]``, we ``| None``)."""
    sig = inspect.signature(fn)
    params = [p.replace(annotation=p.empty) for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=sig.empty)


def test_the_loop_is_an_agent_loop_registered_as_swe_env(loop_class: type) -> None:
    assert issubclass(loop_class, verl_agent_loop.AgentLoopBase)
    target = verl_agent_loop._agent_loop_registry["swe_env"]["_target_"]
    assert target == "swe_env.integrations.verl.SWEAgentLoop"
    assert adapter.SWEAgentLoop is loop_class  # hydra's _locate finds it by that path
    assert inspect.iscoroutinefunction(loop_class.run)


def test_the_scripted_server_follows_verls_generate_signature() -> None:
    assert untyped(ScriptedServerManager.generate) == untyped(LLMServerClient.generate)


def test_an_episode_passes_the_servers_ids_through_and_masks_observations(
    loop_class: type,
) -> None:
    tok, env = ChatMLTokenizer(), ScriptedEnv()
    server = ScriptedServerManager(tok, ["<tool: bash>\nls\n</tool>", SUBMIT])
    out = run(build_loop(loop_class, server, env), task_id="demo/x", raw_prompt=[])
    assert isinstance(out, verl_agent_loop.AgentLoopOutput)
    assert env.options == {"task_id": "demo/x"} and env.closed
    assert env.actions == ["<tool: bash>\nls\n</tool>", SUBMIT]  # decoded, specials dropped
    first, second = server.returned
    glue = adapter.observation_ids(tok, "ran: <tool: bash>\nls\n</tool>")
    assert out.response_ids == first + glue + second
    assert out.response_mask == [1] * len(first) + [0] * len(glue) + [1] * len(second)
    assert len(out.response_logprobs) == len(out.response_ids)
    assert all(
        lp == 0.0 for lp, m in zip(out.response_logprobs, out.response_mask, strict=True) if not m
    )
    # token in, token out: each turn's prompt is the previous prompt plus what came back
    assert server.prompts[0] == out.prompt_ids
    assert server.prompts[1] == out.prompt_ids + first + glue
    assert out.reward_score == 1.0 and out.extra_fields["resolved"] is True


def test_the_observation_tokens_are_the_templates_next_turn(loop_class: type) -> None:
    tok = ChatMLTokenizer()
    text = tok.decode(adapter.observation_ids(tok, "hello"))
    assert text == "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"


def test_the_response_is_cut_to_response_length(loop_class: type) -> None:
    tok = ChatMLTokenizer()
    server = ScriptedServerManager(tok, ["<tool: bash>\nls\n</tool>"] * 50)
    out = run(build_loop(loop_class, server, ScriptedEnv(), response_length=64), task_id="t")
    assert len(out.response_ids) == len(out.response_mask) == 64
    assert out.reward_score == 0.0
