"""Sandboxes: the container runtime. Knows no task, tool or environment.

Backends are imported lazily (see :mod:`swe_env.sandbox.config`), so importing this
package does not import the docker SDK.
"""

from swe_env.sandbox.base import CommandResult, Sandbox
from swe_env.sandbox.config import BACKENDS, DockerSandboxConfig, SandboxConfig, backend_class

__all__ = [
    "BACKENDS",
    "CommandResult",
    "DockerSandboxConfig",
    "Sandbox",
    "SandboxConfig",
    "backend_class",
]
