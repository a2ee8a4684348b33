"""A lean httpx transport: keep-alive sockets (one per thread and origin), one write per
request, a small HTTP/1.1 response reader.

httpx's default transport parses HTTP in pure Python through several layers, and
``http.client`` writes a request's headers and body in two sends and parses headers
with the email package; on a small machine each costs more than the whole service-side
step. :class:`KeepAliveTransport` keeps httpx's client API (and its
proxy mounts, which still take precedence) and only replaces the wire. A connection the
server closed while idle is replaced and the request resent once: it never arrived.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from typing import Any

import httpx

_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
_SKIP = {b"transfer-encoding", b"content-length", b"connection"}


def _head(request: httpx.Request, body: bytes) -> bytes:
    """The request line and headers (framed by Content-Length) of ``request``."""
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    lines += [b"%s: %s" % (k, v) for k, v in request.headers.raw if k.lower() not in _SKIP]
    if body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n"


class KeepAliveTransport(httpx.BaseTransport):
    """Sync httpx transport over persistent sockets, one per (thread, origin). Thread-safe."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._ssl = ssl_context

    def _socket(self, url: httpx.URL, timeout: float | None) -> tuple[socket.socket, bool]:
        """This thread's socket to ``url``'s origin, and whether it was open already."""
        socks: dict[tuple[str, str, int | None], socket.socket]
        socks = self._local.__dict__.setdefault("socks", {})
        key = (url.scheme, url.host, url.port)
        sock = socks.get(key)
        reused = sock is not None
        if sock is None:
            port = url.port or (443 if url.scheme == "https" else 80)
            sock = socket.create_connection((url.host, port), timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if url.scheme == "https":
                context = self._ssl or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=url.host)
            socks[key] = sock
            with self._lock:
                self._open.add(sock)
        sock.settimeout(timeout)
        return sock, reused

    def _drop(self, url: httpx.URL) -> None:
        sock = self._local.__dict__.get("socks", {}).pop((url.scheme, url.host, url.port), None)
        if sock is not None:
            with self._lock:
                self._open.discard(sock)
            sock.close()

    def _exchange(self, request: httpx.Request, timeout: float | None) -> httpx.Response:
        body = request.read()
        sock, reused = self._socket(request.url, timeout)
        try:
            sock.sendall(_head(request, body) + body)
            status, headers, content, close = _Reader(sock).response(request.method)
        except _STALE:
            self._drop(request.url)
            if reused:
                raise _Stale from None  # closed while idle: the request never arrived
            raise
        if close:
            self._drop(request.url)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        timeout = timeouts.get("read") or timeouts.get("connect")
        try:
            try:
                return self._exchange(request, timeout)
            except _Stale:
                return self._exchange(request, timeout)
        except TimeoutError as exc:
            self._drop(request.url)
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except (ConnectionRefusedError, socket.gaierror) as exc:
            self._drop(request.url)
            raise httpx.ConnectError(str(exc), request=request) from exc
        except (OSError, http.client.HTTPException) as exc:
            self._drop(request.url)
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc

    def close(self) -> None:
        with self._lock:
            socks, self._open = self._open, set()
        for sock in socks:
            sock.close()


class _Reader:
    """Reads one HTTP/1.1 response from a socket (Content-Length, chunked, or to EOF)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def until(self, marker: bytes) -> bytes:
        while (end := self.buf.find(marker)) < 0:
            if not self._fill():
                raise http.client.RemoteDisconnected("the server closed the connection")
        out = bytes(self.buf[:end])
        del self.buf[: end + len(marker)]
        return out

    def exactly(self, size: int) -> bytes:
        while len(self.buf) < size:
            if not self._fill():
                raise http.client.IncompleteRead(bytes(self.buf), size - len(self.buf))
        out = bytes(self.buf[:size])
        del self.buf[:size]
        return out

    def response(self, method: str) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
        """(status, headers, body, whether the server will close the connection)."""
        status_line, *lines = self.until(b"\r\n\r\n").split(b"\r\n")
        version, code, *_ = status_line.split(b" ", 2)
        if not version.startswith(b"HTTP/") or not code.isdigit():
            raise http.client.BadStatusLine(status_line.decode("latin-1"))
        status = int(code)
        headers = [(k.strip(), v.strip()) for k, _, v in (x.partition(b":") for x in lines)]
        fields = {k.lower(): v for k, v in headers}
        tokens = fields.get(b"connection", b"").lower()
        close = b"close" in tokens or (version == b"HTTP/1.0" and b"keep-alive" not in tokens)
        if method == "HEAD" or status in (204, 304) or status < 200:
            return status, headers, b"", close
        if fields.get(b"transfer-encoding", b"").lower().endswith(b"chunked"):
            parts = []
            while size := int(self.until(b"\r\n").split(b";")[0], 16):
                parts.append(self.exactly(size))
                self.exactly(2)
            while self.until(b"\r\n"):  # trailers, up to the blank line
                pass
            return status, headers, b"".join(parts), close
        if b"content-length" in fields:
            return status, headers, self.exactly(int(fields[b"content-length"])), close
        while self._fill():
            pass
        return status, headers, bytes(self.buf), True


class _Stale(Exception):
    """A reused socket turned out closed by the server."""
