"""What the service runs episodes and gradings on: the Docker backend.

The episode manager needs two blocking calls, :meth:`Backend.make_env` and
:meth:`Backend.grade`; tests can hand it any object that has them.
"""

from __future__ import annotations

from typing import Any, Protocol

from swe_env.env import SWEEnv, SWEEnvConfig
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.server.containers import Janitor
from swe_env.tasks.spec import TaskSpec


class Backend(Protocol):
    """Blocking factories the service calls from its worker threads."""

    def make_env(self, config: SWEEnvConfig, episode: str) -> Any:
        """A Gymnasium-style env (reset/step/close) for one episode."""
        ...

    def grade(self, task: TaskSpec, patch: str, timeout: float, episode: str) -> Any:
        """Grade ``patch`` for ``task``; returns a ``rewards.grade.Grade``."""
        ...


class DockerBackend:
    """Episodes and gradings on the Docker engine, every container labelled by episode."""

    def __init__(self, janitor: Janitor, sandbox: DockerSandboxConfig) -> None:
        self.janitor = janitor
        self.sandbox = sandbox

    def make_env(self, config: SWEEnvConfig, episode: str) -> SWEEnv:
        return SWEEnv(config, provider=self.janitor.pooled(episode))

    def grade(self, task: TaskSpec, patch: str, timeout: float, episode: str) -> Any:
        from rewards.grade import grade
        from swe_env.images.build import ensure_instance_image

        provider = self.janitor.labelled(episode)
        ensure_instance_image(task, provider.client)
        config = self.sandbox.model_copy(update={"network": False})
        return grade(task, patch, timeout=timeout, sandbox_config=config, provider=provider)
