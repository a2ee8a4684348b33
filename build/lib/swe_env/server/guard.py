"""The service's front door: bearer-token auth and the request body cap (pure ASGI).

Both checks run before any route reads the body, so an unauthenticated request gets
401 whatever it carries, and an oversized one 413 without being read in full.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from swe_env.server.models import ServiceError

OPEN_PATHS = frozenset({"/healthz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
"""Paths answered without a token: the health check (for orchestrators) and the API docs."""

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


async def _answer(send: Send, error: ServiceError) -> None:
    body = json.dumps(error.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (error.headers or {}).items()]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: 401 without the bearer token, 413 past ``max_body`` bytes.

    ``on_error(kind)`` is called for every rejection (the service counts them).
    """

    def __init__(
        self,
        app: Any,
        token: str | None,
        max_body: int,
        on_error: Callable[[str], None] = lambda kind: None,
    ) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.max_body = max_body
        self.on_error = on_error

    def _authorized(self, scope: Scope) -> bool:
        if self.expected is None or scope["path"] in OPEN_PATHS:
            return True
        for name, value in scope["headers"]:
            if name == b"authorization":
                return hmac.compare_digest(value, self.expected)
        return False

    def _too_large(self) -> ServiceError:
        return ServiceError(
            413, "body_too_large", f"the request body is over {self.max_body} bytes"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._authorized(scope):
            self.on_error("unauthorized")
            error = ServiceError(
                401,
                "unauthorized",
                "a valid bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await _answer(send, error)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                self.on_error("body_too_large")
                await _answer(send, self._too_large())
                return
        seen = 0

        async def limited() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    # FastAPI re-raises HTTPExceptions from the body read; the app's
                    # handler answers 413 (and counts it).
                    raise self._too_large()
            return message

        await self.app(scope, limited, send)
