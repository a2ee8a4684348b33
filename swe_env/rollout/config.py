"""The configs of a rollout, in one module that imports no runner backend (no Ray).

:class:`RolloutConfig` is a whole run: the environment, the agent loop, the policy and
the runner. The CLI, YAML files and Python build the same model; ``swe-env rollout``
writes it next to the trajectories (``OUT/config.yaml``) so a run can be reproduced
with ``swe-env rollout --config OUT/config.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from swe_env.env_config import SWEEnvConfig
from swe_env.policy.config import AgentConfig, PolicyConfig

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class LocalRunnerConfig(BaseModel):
    """Episodes in threads on this machine."""

    model_config = _STRICT

    type: Literal["local"] = "local"
    """Selects this runner."""
    concurrency: int = Field(4, ge=1)
    """Episodes at once."""
    warm_pool: bool = True
    """Start the next jobs' containers while the current episodes run (each used once,
    unused ones removed at the end): resets become hand-overs (p50 1.1 ms instead of
    about 0.5 s here) while the policy thinks."""


class RayRunnerConfig(BaseModel):
    """Where the cluster is and how much each node runs."""

    model_config = _STRICT

    type: Literal["ray"] = "ray"
    """Selects this runner."""
    address: str | None = None
    """Join this cluster (e.g. ``ray://head:10001`` or ``auto``); None starts a local one."""
    per_node: int = Field(4, ge=1)
    """Episodes at once on each node (the node's actor's thread count)."""
    node_resource: str | None = None
    """Only nodes that have this custom resource run episodes (start them with e.g.
    ``ray start --resources='{"swe_env": 1}'``); None uses every alive node."""
    num_cpus: int = Field(2, ge=1)
    """CPUs of the local cluster (only when ``address`` is None)."""
    object_store_mb: int = Field(256, ge=64)
    """Object store of the local cluster, in MB (trajectories are small)."""
    max_attempts: int = Field(3, ge=1)
    """Worker deaths a job survives before it is recorded as an infra error."""
    max_respawns: int = Field(20, ge=0)
    """New workers started over the run to replace dead ones."""
    poll_seconds: float = Field(0.2, gt=0)
    """How often the driver looks for finished episodes, in seconds."""
    start_timeout: float = Field(120.0, gt=0)
    """Seconds a new worker may take to come up before its node is skipped."""
    warm_pool: bool = True
    """Each worker reserves its next ``per_node`` jobs and starts their containers while
    its current episodes run (images the node has already built), so their resets take
    over a started container."""


RunnerConfig = Annotated[LocalRunnerConfig | RayRunnerConfig, Field(discriminator="type")]


class ReplayPolicyConfig(BaseModel):
    """Replays each task's gold patch through the tools (needs no model)."""

    model_config = _STRICT

    type: Literal["replay"] = "replay"
    """Selects this policy."""


class OpenAIPolicyConfig(PolicyConfig):
    """A model behind an OpenAI-compatible server (vLLM, SGLang, ...)."""

    type: Literal["openai"] = "openai"
    """Selects this policy."""


PolicySpec = Annotated[OpenAIPolicyConfig | ReplayPolicyConfig, Field(discriminator="type")]


class RolloutConfig(BaseModel):
    """A whole run: environment, agent loop, policy, runner, samples and retries."""

    model_config = _STRICT

    env: SWEEnvConfig = Field(default_factory=SWEEnvConfig)
    """The episodes (suite, task ids, budgets, reward, sandbox)."""
    agent: AgentConfig = Field(default_factory=AgentConfig)
    """The agent loop's rules (context budget, format strictness)."""
    policy: PolicySpec = Field(default_factory=ReplayPolicyConfig)
    """Who acts: ``type: openai`` (a served model) or ``type: replay``."""
    runner: RunnerConfig = Field(default_factory=LocalRunnerConfig)
    """Where episodes run: ``type: local`` or ``type: ray``."""
    samples: int = Field(1, ge=1)
    """Episodes per task (a GRPO group)."""
    retries: int = Field(2, ge=0)
    """Reruns of an episode hit by an infrastructure fault."""

    @model_validator(mode="after")
    def _tool_format_follows_the_policy(self) -> RolloutConfig:
        text = isinstance(self.policy, OpenAIPolicyConfig) and self.policy.mode == "text"
        want = "text" if text else "openai"
        if "tool_format" not in self.env.model_fields_set:
            self.env = self.env.model_copy(update={"tool_format": want})
        elif self.env.tool_format != want:
            raise ValueError(f"env.tool_format {self.env.tool_format!r} does not suit the policy")
        return self

    def dump(self) -> dict[str, Any]:
        """The config as plain data, without secrets (the API key comes from the
        environment when the config is loaded again)."""
        data = self.model_dump(mode="json", exclude={"policy": {"api_key"}})
        data["policy"] = {"type": data["policy"].pop("type"), **data["policy"]}
        return data

    def write(self, path: Path) -> None:
        """Write :meth:`dump` as YAML to ``path``."""
        path.write_text(yaml.safe_dump(self.dump(), sort_keys=False, allow_unicode=True))


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """The mapping at the top of a YAML file (an empty file is an empty mapping).

    Raises:
        ValueError: the file is not UTF-8, not YAML, or not a mapping.
        OSError: the file cannot be read.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"must be a mapping (env, agent, policy, runner), not {type(data).__name__}"
        )
    return data
