"""The trajectory viewer: runs, episodes and a service's live episodes in the browser.

:mod:`~swe_env.viewer.source` reads runs (JSONL indexed by offset, Parquet exports),
:mod:`~swe_env.viewer.summary` and :mod:`~swe_env.viewer.episode` prepare what the pages
show, and :mod:`~swe_env.viewer.web` serves them (Jinja2 templates rendered on the server):
``viewer_router`` for a service, ``create_viewer_app`` for ``swe-env view``. It reads
records only: no Docker, no sandbox.
"""
