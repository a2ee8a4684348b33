"""uvicorn's HTTP protocol with deadlines for slow clients.

uvicorn closes a keep-alive connection that stays idle, but not one that sends a request
slowly: a client that opens a connection and sends nothing, or trickles its headers or
body a byte at a time, holds a connection (and the request's task) for ever. Nor does it
drop a client that stops reading its answer. :class:`DeadlineProtocol` adds both:

- **request deadline**: from the connection's start, and from the first byte of each
  later request, the whole request (headers and body) must arrive within
  ``request_timeout`` seconds; else the client gets ``408`` and the connection is closed;
- **write deadline**: an answer that cannot be written for ``request_timeout`` seconds
  (the client does not read it) aborts the connection.

A request fully received is not timed here: its work runs under the service's own step
and reset deadlines.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMEOUT_BODY = json.dumps(
    {
        "error": {
            "kind": "request_timeout",
            "message": "the request was not sent in time",
            "retryable": True,
        }
    }
).encode()
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY)
)
"""What a client that began a request but did not finish it in time receives."""


class DeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a request deadline and a write deadline (see the module)."""

    request_timeout: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._receiving = False

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self.request_timeout, self._request_overdue)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._receiving = True
        self._arm()

    def on_message_complete(self) -> None:
        self._receiving = False
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Idle until the next request: uvicorn's keep-alive timeout applies. Re-armed here
        # too, in case the keep-alive timeout is longer than ours.
        if not self.transport.is_closing():
            self._arm()

    def _request_overdue(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        answering = cycle is not None and not cycle.response_complete
        if not self._receiving:
            if not answering:
                self.transport.close()  # connected or idle, and silent: just close
            return
        if not answering or not cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        if answering:
            cycle.disconnected = True  # the app's next receive() sees http.disconnect
            cycle.message_event.set()
        self.transport.close()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.request_timeout, self._write_overdue)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _write_overdue(self) -> None:
        self._write_timer = None
        self.transport.abort()


def deadline_protocol(request_timeout: float) -> type[DeadlineProtocol]:
    """A :class:`DeadlineProtocol` class with ``request_timeout`` (uvicorn's ``http=``)."""
    return type("DeadlineProtocol", (DeadlineProtocol,), {"request_timeout": request_timeout})
