"""One episode's turns as one token sequence: the model's tokens to train on, the
environment's tokens masked.

A multi-turn episode is, to the trainer, one prompt and one long completion. The prompt
is the first turn's prompt ids. The completion is, turn by turn, the ids the model
sampled (mask 1, with their logprobs) and then whatever the chat template put between
that and the next turn's prompt: the end of the assistant message, the tool
observation, the next header (mask 0, logprob 0.0). Nothing is re-tokenised: every id
is one the server reported.

That only works when each turn's prompt ids *extend* the previous prompt plus its
completion. A chat template that rewrites history (drops reasoning from earlier
assistant messages, re-tokenises a message differently in context) breaks this, and
training on such data silently teaches the model tokens it never produced. So a
mismatch fails loudly, naming the turn and the first differing position
(:class:`RetokenizedHistory`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from swe_env.errors import SweEnvError

__all__ = ["FlatEpisode", "MissingTokens", "RetokenizedHistory", "flatten"]


class RetokenizedHistory(SweEnvError, ValueError):
    """A turn's prompt ids do not extend the previous prompt and completion."""

    def __init__(self, turn: int, position: int, expected: int | None, got: int | None) -> None:
        super().__init__(
            f"turn {turn}: its prompt ids do not extend the previous turn's prompt and "
            f"completion (first difference at token {position}: expected {expected}, got "
            f"{got}). The chat template re-tokenised or rewrote the history (e.g. it drops "
            "earlier reasoning), so the sampled ids are not what the trainer would see; "
            "use a template that keeps history verbatim"
        )
        self.turn = turn
        self.position = position


class MissingTokens(SweEnvError, ValueError):
    """A turn carries no prompt or completion ids (the server did not return them)."""


@dataclass
class FlatEpisode:
    """One episode as ``prompt_ids`` + ``completion_ids``, with a mask and logprobs."""

    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    """1: a token the model sampled (trained on); 0: a token of the environment."""
    logprobs: list[float] | None = field(default_factory=list)
    """The sampled logprob of each completion id (0.0 for environment tokens); ``None``
    when the server returned no logprobs for some turn."""
    turns: int = 0

    @property
    def model_tokens(self) -> int:
        return sum(self.env_mask)


def _ids(step: Any, name: str) -> list[int]:
    ids = getattr(step, name, None)
    if not ids:
        raise MissingTokens(
            f"turn {step.turn} has no {name}: serve the policy with vLLM and set "
            "vllm_token_ids (the adapters never re-tokenise text)"
        )
    return list(ids)


def _first_difference(history: list[int], prompt: list[int]) -> int:
    for i, (a, b) in enumerate(zip(history, prompt, strict=False)):
        if a != b:
            return i
    return min(len(history), len(prompt))


def flatten(steps: Sequence[Any]) -> FlatEpisode:
    """Flatten ``steps`` (:class:`~swe_env.rollout.trajectory.Step`, or anything with
    ``turn``, ``prompt_token_ids``, ``token_ids`` and ``logprobs``) into one sequence.

    Raises:
        MissingTokens: a turn has no prompt or completion ids.
        RetokenizedHistory: a turn's prompt does not extend the previous one's prompt
            and completion.
    """
    if not steps:
        raise MissingTokens("the episode has no turns")
    first = steps[0]
    flat = FlatEpisode(prompt_ids=_ids(first, "prompt_token_ids"))
    history = list(flat.prompt_ids)
    logprobs: list[float] | None = []
    for step in steps:
        prompt, sampled = _ids(step, "prompt_token_ids"), _ids(step, "token_ids")
        if step is not first:
            if prompt[: len(history)] != history:
                at = _first_difference(history, prompt)
                expected = history[at] if at < len(history) else None
                raise RetokenizedHistory(
                    step.turn, at, expected, prompt[at] if at < len(prompt) else None
                )
            glue = prompt[len(history) :]
            flat.completion_ids += glue
            flat.env_mask += [0] * len(glue)
            if logprobs is not None:
                logprobs += [0.0] * len(glue)
        flat.completion_ids += sampled
        flat.env_mask += [1] * len(sampled)
        step_lp = getattr(step, "logprobs", None)
        if logprobs is not None and step_lp is not None and len(step_lp) == len(sampled):
            logprobs += [float(x) for x in step_lp]
        else:
            logprobs = None
        history = prompt + sampled
        flat.turns += 1
    flat.logprobs = logprobs
    return flat
