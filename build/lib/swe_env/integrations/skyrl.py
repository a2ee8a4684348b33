"""SkyRL adapter: swe-env as a ``skyrl_gym`` text environment, and swe-env trajectories
as SkyRL's generator output.

Two ways in, one per side of SkyRL's generator:

* **SkyRL drives the model** (its ``SkyRLGymGenerator``): :class:`SWETextEnv` is a
  ``skyrl_gym`` ``BaseTextEnv`` over :class:`~swe_env.env.SWEEnv`, registered as
  ``"swe_env"`` by :func:`register`. SkyRL tokenises the observations itself.
* **swe-env drives the model** (its runners, against the policy server): a custom
  generator hands the recorded :class:`~swe_env.rollout.trajectory.Trajectory` records
  to :func:`generator_output`, which builds ``GeneratorOutput`` from the ids the server
  returned (:func:`~swe_env.integrations.tokens.flatten`), never re-tokenising.

``skyrl_gym`` is imported only when the class is first used (module ``__getattr__``),
so importing this module needs no SkyRL. Install it with the ``skyrl`` extra.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from swe_env.integrations.rows import plain_config, task_id_of
from swe_env.integrations.tokens import flatten

__all__ = [
    "ENV_ID",
    "SWETextEnvMixin",
    "generator_output",
    "register",
    "text_env_class",
]

ENV_ID = "swe_env"
"""The id :func:`register` gives the environment in ``skyrl_gym``'s registry."""

ENTRY_POINT = "swe_env.integrations.skyrl:SWETextEnv"

Message = dict[str, str]


def _env_settings(env_config: Any, extras: Mapping[str, Any]) -> dict[str, Any]:
    """SWEEnvConfig fields: the env config, then the row's ``max_turns``. Text actions
    (CWM tags) are the default, since SkyRL hands the env the model's decoded text."""
    settings = {"tool_format": "text", **plain_config(env_config)}
    if extras.get("max_turns"):
        settings["max_turns"] = int(extras["max_turns"])
    return settings


class SWETextEnvMixin:
    """One swe-env episode as a SkyRL text environment (mixed into ``BaseTextEnv`` by
    :func:`text_env_class`, so this module imports no SkyRL).

    ``env_config`` holds :class:`~swe_env.env_config.SWEEnvConfig` fields (SkyRL passes
    ``environment.skyrl_gym.swe_env`` from its config); ``extras`` is the dataset row,
    whose ``task_id`` (or ``extra_info.task_id``) picks the task. ``env`` injects a
    ready :class:`~swe_env.env.SWEEnv` (its own settings then apply).
    """

    turns: int
    max_turns: int

    def __init__(
        self, env_config: Any = None, extras: dict[str, Any] | None = None, env: Any = None
    ) -> None:
        super().__init__()
        extras = extras or {}
        if env is None:
            from swe_env.env import SWEEnv

            env = SWEEnv(**_env_settings(env_config, extras))
        self.env = env
        self.max_turns = env.config.max_turns
        self.task_id = task_id_of(extras)
        self.reward = 0.0
        self.info: dict[str, Any] = {}

    def init(self, prompt: list[Message]) -> tuple[list[Message], dict[str, Any]]:
        """Start the episode: the prompt's system messages, then the task as the user's
        message (the row's own user text is a placeholder)."""
        options = {"task_id": self.task_id} if self.task_id else None
        observation, info = self.env.reset(options=options)
        system = [m for m in prompt or [] if m.get("role") == "system"]
        metadata = {k: info[k] for k in ("task_id", "base_commit", "image") if k in info}
        return [*system, {"role": "user", "content": observation}], metadata

    def step(self, action: str) -> dict[str, Any]:
        """Run the model's text as one tool call: a ``BaseTextEnvStepOutput`` whose
        observation is the user's next message, or none when the episode is over."""
        self.turns += 1
        observation, reward, terminated, truncated, info = self.env.step(action)
        done = bool(terminated or truncated)
        self.reward, self.info = float(reward), info
        return {
            "observations": [] if done else [{"role": "user", "content": observation}],
            "reward": float(reward),
            "done": done,
            "metadata": info,
            "postprocessed_action": None,
        }

    def get_metrics(self) -> dict[str, Any]:
        resolved = bool((self.info.get("grade") or {}).get("resolved", False))
        return {"turns": self.turns, "reward": self.reward, "resolved": float(resolved)}

    def close(self) -> None:
        self.env.close()


@functools.cache
def text_env_class() -> type:
    """``SWETextEnv``: :class:`SWETextEnvMixin` on ``skyrl_gym``'s ``BaseTextEnv``
    (imported here, on first use; built once)."""
    from skyrl_gym.envs.base_text_env import BaseTextEnv

    return type(
        "SWETextEnv",
        (SWETextEnvMixin, BaseTextEnv),
        {"__module__": __name__, "__doc__": SWETextEnvMixin.__doc__},
    )


def __getattr__(name: str) -> Any:
    if name == "SWETextEnv":
        return text_env_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(env_id: str = ENV_ID) -> None:
    """Register the environment with ``skyrl_gym`` under ``env_id`` (idempotent). Call
    it in every process that runs ``skyrl_gym.make`` (SkyRL's entrypoint)."""
    import skyrl_gym

    if env_id not in skyrl_gym.registry:
        skyrl_gym.register(id=env_id, entry_point=ENTRY_POINT)


def generator_output(trajectories: Sequence[Any]) -> dict[str, Any]:
    """SkyRL's ``GeneratorOutput`` for ``trajectories``, from their recorded token ids.

    Per trajectory: ``prompt_token_ids`` is the first turn's prompt; ``response_ids``
    every later id (sampled: ``loss_masks`` 1; environment: 0); ``rollout_logprobs``
    the sampled logprobs (0.0 on environment tokens), or ``None`` for the batch when
    some turn has none. ``rewards`` is one float per trajectory (outcome reward).

    Raises:
        MissingTokens, RetokenizedHistory: from :func:`flatten`.
    """
    flats = [flatten(t.steps) for t in trajectories]
    logprobs = [f.logprobs for f in flats]
    return {
        "prompt_token_ids": [f.prompt_ids for f in flats],
        "response_ids": [f.completion_ids for f in flats],
        "rewards": [float(t.reward) for t in trajectories],
        "loss_masks": [f.env_mask for f in flats],
        "stop_reasons": [_stop_reason(t) for t in trajectories],
        "rollout_metrics": _metrics(trajectories),
        "rollout_logprobs": None if any(lp is None for lp in logprobs) else logprobs,
    }


def _stop_reason(trajectory: Any) -> str:
    """``length`` when the episode ran out of budget, else the last turn's reason."""
    if trajectory.truncated:
        return "length"
    last = trajectory.steps[-1] if trajectory.steps else None
    return (last.finish_reason if last is not None else None) or "stop"


def _metrics(trajectories: Sequence[Any]) -> dict[str, float]:
    n = max(1, len(trajectories))
    return {
        "swe_env/resolved": sum(bool(t.resolved) for t in trajectories) / n,
        "swe_env/turns": sum(t.turns for t in trajectories) / n,
    }
