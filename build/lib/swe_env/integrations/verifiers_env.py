"""verifiers (v1 API): swe-env tasks as a ``Taskset`` whose reward is ``rewards.grade``.

Each task points at the swe-env instance image of its task (the repository at its base
commit, in ``/testbed``); verifiers' container runtime starts it and its harness lets
the model work there. The reward reads the working tree's diff against the base commit
out of that container (the same diff ``submit`` computes) and grades it in a fresh
container with :func:`rewards.grade.grade`, like every swe-env reward: the agent's box
is never trusted with the verdict.

The classes live in :mod:`.verifiers_taskset`, which imports verifiers; this module's
``__getattr__`` imports it when a class (``SweEnvTaskset``, ``SweEnvTask``, ...) is
first used, so importing this module works without verifiers. Install it with the
``verifiers`` extra.
"""

from __future__ import annotations

from functools import cache
from typing import Any

CLASSES = (
    "SweEnvState",
    "SweEnvTaskData",
    "SweEnvTaskConfig",
    "SweEnvTask",
    "SweEnvTasksetConfig",
    "SweEnvTaskset",
)


@cache
def classes() -> dict[str, type]:
    """The verifiers classes (imports verifiers, through :mod:`.verifiers_taskset`)."""
    from swe_env.integrations import verifiers_taskset

    return {name: getattr(verifiers_taskset, name) for name in CLASSES}


def __getattr__(name: str) -> Any:
    if name in CLASSES:
        return classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
