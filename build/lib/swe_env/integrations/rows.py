"""What the trainers hand an adapter: a dataset row and an environment config.

Shared by the SkyRL and verl adapters: both read the task id from the row and
:class:`~swe_env.env_config.SWEEnvConfig` fields from an OmegaConf config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["plain_config", "task_id_of"]


def plain_config(config: Any) -> dict[str, Any]:
    """``config`` (None, a mapping, or an OmegaConf ``DictConfig``) as a plain dict."""
    if config is None:
        return {}
    try:
        from omegaconf import OmegaConf

        if OmegaConf.is_config(config):
            return dict(OmegaConf.to_container(config, resolve=True))  # type: ignore[arg-type]
    except ImportError:
        pass
    return dict(config)


def task_id_of(row: Mapping[str, Any]) -> str | None:
    """The task id of a dataset row: ``task_id`` at the top or in ``extra_info``."""
    extra_info = row.get("extra_info") or {}
    return row.get("task_id") or extra_info.get("task_id")
