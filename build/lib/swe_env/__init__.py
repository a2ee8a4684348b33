"""swe-env: software-engineering tasks as reinforcement-learning environments.

Importing the package has no side effects: no Docker connection, no registration.
Call :func:`swe_env.register_envs` (or import :mod:`swe_env.env`) to register the
Gymnasium id ``swe_env/SWE-v0``.
"""

__version__ = "0.1.0"


def register_envs() -> None:
    """Register ``swe_env/SWE-v0`` with Gymnasium (idempotent; imports gymnasium)."""
    from swe_env.env import register

    register()
