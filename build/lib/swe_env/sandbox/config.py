"""Sandbox configuration models. This module imports no backend.

Backends are resolved by name through :data:`BACKENDS`, a name → import-path map, so
that configs never import their backend and backends may import their config freely.
"""

from __future__ import annotations

import importlib
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(value: object) -> object:
    """Docker's size notation, binary units: ``"4g"`` and ``"4GiB"`` are 4 * 2**30 bytes,
    ``"200m"`` is 200 * 2**20, a bare number is bytes. Other values pass through."""
    if not isinstance(value, str):
        return value
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"not a size: {value!r} (use bytes or a number with k, m, g or t)")
    number, unit = match.groups()
    return int(float(number) * 1024 ** "_kmgt".index(unit.lower() or "_"))


class DockerSandboxConfig(BaseModel):
    """How a task container is started. The defaults are the safe ones."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    type: Literal["docker"] = "docker"
    network: bool = False
    """Give the container a network. Off by default: agents and hidden tests run offline."""
    memory: str = "2g"
    """Memory limit (swap is capped to the same value, so there is no swap)."""
    cpus: float = 1.0
    """CPU limit, in cores."""
    pids_limit: int = 512
    """Maximum number of processes; a fork bomb stops here."""
    command_timeout: float = 120.0
    """Default timeout of one shell command, in seconds."""
    max_output_bytes: int = 64 * 1024
    """Output kept per command (head and tail); the middle is cut with a marker."""
    max_read_bytes: int = 64 * 1024 * 1024
    """Largest file ``read_file`` returns."""
    workdir: str = "/testbed"
    """The shell's starting directory (created if missing)."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the shell."""
    disk: Annotated[Annotated[int, Field(gt=0)] | None, BeforeValidator(parse_size)] = 4 * 2**30
    """Disk budget of the container, in bytes or as a size (``"4g"``, ``"200m"``):
    its writable layer and volumes, enforced as a storage quota where the engine
    supports one and by :mod:`swe_env.sandbox.disk`'s watcher elsewhere. ``None``: no
    budget."""
    disk_poll: float = Field(0.1, gt=0)
    """Seconds between two measurements of the container's disk use (without a quota);
    sooner when the layer grows fast enough to reach the budget before then."""
    docker_host: str | None = None
    """Engine URL; ``None`` uses DOCKER_HOST or the local socket."""


SandboxConfig = Annotated[DockerSandboxConfig, Field(discriminator="type")]

BACKENDS: dict[str, str] = {"docker": "swe_env.sandbox.docker:DockerSandbox"}


def backend_class(name: str) -> type:
    """Import and return the sandbox class registered under ``name``."""
    try:
        module_name, _, attr = BACKENDS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown sandbox backend {name!r}; known: {sorted(BACKENDS)}") from None
    return getattr(importlib.import_module(module_name), attr)
