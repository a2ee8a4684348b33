"""The viewer's pages as a FastAPI router (Jinja2 templates rendered on the server, plain
CSS, a little vanilla JS). ``swe-env view`` serves it alone (:func:`create_viewer_app`);
``swe-env serve`` mounts it under ``/ui`` with its live episodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from swe_env.viewer import summary
from swe_env.viewer.episode import episode_view
from swe_env.viewer.source import Run, open_runs

HERE = Path(__file__).parent
STATIC = {"viewer.css": "text/css", "viewer.js": "text/javascript"}
PER_PAGE = 50


class LiveSource(Protocol):
    """The episodes a service has open right now."""

    def episodes(self) -> list[dict[str, Any]]:
        """One dict per open episode: episode_id, task_id, status, steps, created, failure."""
        ...

    def episode(self, episode_id: str) -> dict[str, Any] | None:
        """The episode so far, shaped like a trajectory record; None if unknown."""
        ...


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: f"{100 * float(v):.1f}%"
    env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else f"{float(v):,.1f}"
    env.filters["secs"] = lambda v: f"{float(v):.2f}s"
    return env


class Pages:
    """Renders the pages of ``runs`` (and of ``live``, when a service gives one)."""

    def __init__(self, runs: dict[str, Run], live: LiveSource | None, base: str) -> None:
        self.runs, self.live, self.base = runs, live, base.rstrip("/")
        self.env = _environment()
        self._overviews: dict[str, tuple[list[Any], dict[str, Any]]] = {}

    def render(self, template: str, **context: Any) -> HTMLResponse:
        page = self.env.get_template(template)
        html = page.render(base=self.base, live=self.live is not None, **context)
        return HTMLResponse(html)

    def run(self, name: str) -> Run:
        run = self.runs.get(name)
        if run is None:
            raise HTTPException(404, f"no run named {name!r}")
        return run

    def index(self) -> HTMLResponse:
        rows = [
            (name, self.overview(name, run.entries())["head"]) for name, run in self.runs.items()
        ]
        live = self.live.episodes() if self.live is not None else []
        return self.render("index.html", rows=rows, live_episodes=live)

    def overview(self, name: str, entries: list[Any]) -> dict[str, Any]:
        """The run's numbers, plots, groups and errors; computed again only when the run's
        entries changed (its reader hands back the same list until then)."""
        cached = self._overviews.get(name)
        if cached is not None and cached[0] is entries:
            return cached[1]
        view = {
            "head": summary.headline(entries),
            "plots": summary.distributions(entries),
            "mixed": [g for g in summary.groups(entries) if g.mixed],
            "infra": [e for e in entries if e.status != "ok"],
        }
        self._overviews[name] = (entries, view)
        return view

    def run_page(self, name: str, task: str, status: str, q: str, page: int) -> HTMLResponse:
        run = self.run(name)
        entries = run.entries()
        chosen = summary.select(entries, task=task, status=status, text=q, matching=run.matching)
        return self.render(
            "run.html",
            name=name,
            path=str(run.path),
            **self.overview(name, entries),
            page=summary.paginate(chosen, page, PER_PAGE),
            filters={"task": task, "status": status, "q": q},
            statuses=summary.STATUSES,
        )

    def episode(self, name: str, episode_id: str) -> HTMLResponse:
        rec = self.run(name).record(episode_id)
        if rec is None:
            raise HTTPException(404, f"no episode {episode_id!r} in run {name!r}")
        return self.render("episode.html", run=name, ep=episode_view(rec), live_view=False)

    def compare(self, a: str, b: str) -> HTMLResponse:
        cmp = summary.compare(self.run(a).entries(), self.run(b).entries())
        return self.render("compare.html", a=a, b=b, cmp=cmp)

    def live_list(self) -> HTMLResponse:
        if self.live is None:
            raise HTTPException(404, "this viewer has no live episodes (swe-env serve has)")
        return self.render("live.html", live_episodes=self.live.episodes())

    def live_episode(self, episode_id: str) -> HTMLResponse:
        rec = self.live.episode(episode_id) if self.live is not None else None
        if rec is None:
            raise HTTPException(404, f"no live episode {episode_id!r}")
        return self.render("episode.html", run=None, ep=episode_view(rec), live_view=True)


def viewer_router(
    runs: dict[str, Run], live: LiveSource | None = None, base: str = ""
) -> APIRouter:
    """The viewer's routes under ``base`` (``""`` or a path such as ``/ui``)."""
    pages = Pages(runs, live, base)
    router = APIRouter(prefix=pages.base, include_in_schema=False)
    html = {"response_class": HTMLResponse}

    if pages.base:

        @router.get("", **html)
        def bare() -> RedirectResponse:
            return RedirectResponse(f"{pages.base}/", status_code=307)

    router.get("/", **html)(pages.index)
    router.get("/compare", **html)(pages.compare)
    router.get("/live", **html)(pages.live_list)
    router.get("/live/{episode_id}", **html)(pages.live_episode)
    router.get("/run/{name}/episode/{episode_id}", **html)(pages.episode)

    @router.get("/run/{name}", **html)
    def run_page(
        name: str,
        task: str = "",
        status: str = "any",
        q: str = "",
        page: int = Query(1, ge=1),
    ) -> HTMLResponse:
        return pages.run_page(name, task, status, q, page)

    @router.get("/static/{file}")
    def static(file: str) -> FileResponse:
        if file not in STATIC:
            raise HTTPException(404, f"no static file {file!r}")
        return FileResponse(HERE / "static" / file, media_type=STATIC[file])

    return router


def create_viewer_app(paths: list[Path]) -> FastAPI:
    """The viewer alone, over the runs at ``paths`` (run dirs, JSONL or Parquet files).

    Raises:
        ValueError: a path holds no run.
    """
    app = FastAPI(title="swe-env viewer", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(viewer_router(open_runs(paths)))
    return app
