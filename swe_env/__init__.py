"""swe-env: software-engineering tasks as reinforcement-learning environments.

Importing the package has no side effects: no Docker connection, no registration.
Call :func:`swe_env.register_envs` (or import :mod:`swe_env.env`) to register the
Gymnasium ids ``swe_env/SWE-v0`` and ``swe_env/Trace-v0``.
"""

__version__ = "0.1.0"


def register_envs() -> None:
    """Register ``swe_env/SWE-v0`` and ``swe_env/Trace-v0`` with Gymnasium (idempotent)."""
    from swe_env.env import register
    from swe_env.traces.trace_env import register as register_trace

    register()
    register_trace()
