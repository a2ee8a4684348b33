"""Trainer adapters: swe-env episodes as the rollouts that RL trainers expect.

Every adapter passes through the token ids and logprobs the policy server returned for
each turn (:class:`~swe_env.rollout.trajectory.Step`), never re-tokenises, and masks the
environment's tokens (tool observations, chat-template glue) out of the loss. The shared
part is :mod:`.tokens`; each trainer's module imports its trainer lazily, behind an
extra, so ``import swe_env.integrations`` costs nothing.
"""

from __future__ import annotations

from swe_env.integrations.tokens import FlatEpisode, RetokenizedHistory, flatten

__all__ = ["FlatEpisode", "RetokenizedHistory", "flatten"]
