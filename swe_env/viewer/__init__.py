"""The trajectory viewer: runs, episodes and a service's live episodes in the browser.

:mod:`~swe_env.viewer.source` reads runs (JSONL indexed by offset, Parquet exports),
:mod:`~swe_env.viewer.summary` and :mod:`~swe_env.viewer.episode` prepare what the pages
show, and :mod:`~swe_env.viewer.web` serves them (Jinja2 templates rendered on the server).
It reads records only: no Docker, no sandbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swe_env.viewer.web import LiveSource, create_viewer_app, viewer_router

__all__ = ["LiveSource", "create_viewer_app", "viewer_router"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from swe_env.viewer import web

        return getattr(web, name)
    raise AttributeError(name)
