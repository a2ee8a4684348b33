"""The viewer under ``/ui``: the service's live episodes (and any runs it was given).

A browser cannot send the bearer header, so ``/ui/login`` takes the token once in a form
and keeps it in an HttpOnly, SameSite=Strict cookie that :class:`~swe_env.server.guard.Guard`
accepts on ``/ui`` pages only; an unauthenticated page request is sent to that form.
"""

from __future__ import annotations

import hmac
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from swe_env.viewer.source import open_runs
from swe_env.viewer.web import viewer_router

UI = "/ui"
LOGIN = f"{UI}/login"
COOKIE = "swe_env_token"

LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>swe-env viewer: sign in</title><link rel="stylesheet" href="{ui}/static/viewer.css">
</head><body><main><h1>swe-env viewer</h1>{error}
<form class="filters" method="post" action="{login}">
<label>service token <input type="password" name="token" autofocus></label>
<button>open</button></form>
<p class="muted">The token <code>swe-env serve</code> printed or read at start.</p>
</main></body></html>"""


class ManagerLive:
    """The viewer's :class:`~swe_env.viewer.web.LiveSource` over the app's episodes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def _episodes(self) -> dict[str, Any]:
        manager = getattr(self.app.state, "manager", None)
        return dict(manager.episodes) if manager is not None else {}

    def episodes(self) -> list[dict[str, Any]]:
        now = time.time()
        return [
            {
                "episode_id": ep.id,
                "task_id": ep.task_id,
                "status": ep.status,
                "steps": ep.steps,
                "age": max(0.0, now - ep.created),
                "failure": ep.failure,
            }
            for ep in sorted(self._episodes().values(), key=lambda e: -e.created)
        ]

    def episode(self, episode_id: str) -> dict[str, Any] | None:
        ep = self._episodes().get(episode_id)
        if ep is None:
            return None
        grade = ep.outcome.get("grade")
        return {
            "episode_id": ep.id,
            "task_id": ep.task_id,
            "policy": "a client of this service",
            "status": ep.status,
            "problem_statement": ep.statement,
            "steps": list(ep.history),
            "turns": len(ep.history),
            "seconds": max(0.0, time.time() - ep.created),
            "reward": ep.outcome.get("reward", 0.0),
            "resolved": bool(grade and grade.get("resolved")),
            "truncation": ep.outcome.get("truncation"),
            "patch": ep.outcome.get("patch", ""),
            "grade": grade,
            "infra_errors": [ep.failure] if ep.failure else [],
        }


def _login_routes(token: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(error: str = "", status: int = 200) -> HTMLResponse:
        shown = f'<p class="bad-text">{error}</p>' if error else ""
        return HTMLResponse(LOGIN_PAGE.format(ui=UI, login=LOGIN, error=shown), status)

    @router.get(LOGIN, response_class=HTMLResponse)
    def login_form() -> HTMLResponse:
        return page()

    @router.post(LOGIN, response_class=HTMLResponse)
    async def login(request: Request) -> Any:
        body = (await request.body()).decode("utf-8", errors="replace")
        given = (parse_qs(body).get("token") or [""])[0].strip()
        if token is not None and not hmac.compare_digest(given.encode(), token.encode()):
            return page("That is not the service's token.", 401)
        answer = RedirectResponse(f"{UI}/", status_code=303)
        if token is not None:
            answer.set_cookie(COOKIE, token, httponly=True, samesite="strict", path=UI)
        return answer

    return router


def mount_ui(app: FastAPI, token: str | None, runs: list[Path] | None = None) -> None:
    """Include the viewer under ``/ui``, with the live episodes of ``app``'s manager.

    Raises:
        ValueError: a path of ``runs`` holds no run.
    """
    app.include_router(_login_routes(token))
    app.include_router(viewer_router(open_runs(runs or []), ManagerLive(app), base=UI))
