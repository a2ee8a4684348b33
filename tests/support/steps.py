"""Trajectory steps with token ids, for the adapters' tests."""

from __future__ import annotations

from swe_env.rollout.trajectory import Step


def token_step(
    turn: int, prompt: list[int], sampled: list[int], logprobs: list[float] | None = None
) -> Step:
    """A turn whose prompt and sampled ids are given; ``logprobs`` default to -0.1, -0.2, …"""
    if logprobs is None:
        logprobs = [-0.1 * (i + 1) for i in range(len(sampled))]
    return Step(
        turn=turn,
        action="x",
        observation="y",
        prompt_token_ids=prompt,
        token_ids=sampled,
        logprobs=logprobs,
    )
