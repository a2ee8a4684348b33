"""The episode settings (:class:`SWEEnvConfig`) and the text space, without the environment.

Light on purpose: a client that only talks HTTP (:mod:`swe_env.client`) builds these
models without importing the tools, the task loaders or Docker.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rewards.functions import RewardName
from swe_env.sandbox.config import DockerSandboxConfig


class SWEEnvConfig(BaseModel):
    """Episode settings. The CLI, YAML, HTTP and Python all build this model."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    suite: str = "demo"
    """A suite name under the tasks root, or a suite directory."""
    task_ids: list[str] | None = None
    """Restrict the episodes to these task ids (default: the whole suite)."""
    tool_format: Literal["openai", "text"] = "openai"
    """How tools are described in the first observation: JSON function calls or CWM tags."""
    max_turns: int = Field(50, ge=1)
    """Steps before the episode is truncated."""
    max_seconds: float = Field(1800.0, gt=0)
    """Wall-clock budget of one episode, in seconds."""
    max_tokens: int | None = Field(None, ge=1)
    """Token budget over actions and observations (approximated as characters / 4)."""
    budget_note: bool = False
    """Append CWM's ``<budget>`` note (remaining turns and tokens) to each observation."""
    reward: RewardName = "binary"
    """binary (1/0), binary_pm1 (+1/-1), f2p_fraction, or similarity (gold-patch
    similarity when the tests fail)."""
    grade_on_truncation: bool = False
    """Grade the working tree when the episode is truncated (otherwise reward 0)."""
    grade_timeout: float = 600.0
    """Timeout of the hidden test run, in seconds."""
    build_images: bool = True
    """Build a missing instance image on reset."""
    sandbox: DockerSandboxConfig = Field(default_factory=DockerSandboxConfig)
