"""One persistent bash over a Docker exec stream, framed by sentinels.

Each command is sent as a single line:

    eval $'<command, every unsafe byte as \\xHH>' </dev/null 2>&1; printf '<sentinel>%d:' $?

``eval`` runs in the shell itself, so ``cd`` and ``export`` persist; ANSI-C quoting makes
the command one line whatever it contains, and a syntax error in it is an ordinary
non-zero exit rather than a shell waiting for more input. (No ``{ …; }`` around the
``eval``: after a syntax error inside a group, bash misparses the next line it reads.)
Nothing forks on the way, which keeps a round trip near the stream's own latency.

The stream is Docker's multiplexed format (``tty=False``): 8-byte frame headers, then
payload. Output is kept as head + tail with a count of what was cut, so endless output
costs bounded memory.
"""

from __future__ import annotations

import contextlib
import secrets
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-./,:=+@%^")


def ansi_c_quote(command: str) -> str:
    """Quote ``command`` as a bash ``$'…'`` string with no newlines or quotes left raw."""
    data = command.encode("utf-8", errors="surrogateescape")
    return "$'" + "".join(chr(b) if b in _SAFE else f"\\x{b:02x}" for b in data) + "'"


class OutputBuffer:
    """Keep the first ``head`` and last ``tail`` bytes of a stream, counting the rest."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]

    @property
    def cut(self) -> int:
        return self.total - len(self.head) - len(self.tail)

    def text(self) -> str:
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if self.cut:
            return f"{head}\n[... {self.cut} bytes of output cut ...]\n{tail}"
        return (bytes(self.head) + bytes(self.tail)).decode("utf-8", errors="replace")


@dataclass
class RawResult:
    output: OutputBuffer
    exit_code: int | None
    """``None`` if the sentinel never came (timeout or the shell died)."""
    eof: bool
    """The stream ended: the shell is gone."""


class ShellSession:
    """A bash process reached over a connected socket speaking Docker's stream framing.

    ``sock`` is the raw socket returned by ``exec_start(socket=True)``. The session does
    no Docker calls itself; the owner restarts it when :attr:`alive` turns false.
    """

    def __init__(self, sock: socket.socket, max_output: int) -> None:
        self._sock = sock
        self._sock.setblocking(False)
        self._max_output = max_output
        self._pending = b""  # undecoded frame bytes
        self._carry = b""  # payload not yet consumed
        self.alive = True
        self.pid: int | None = None
        self._counter = 0
        self._tag = secrets.token_hex(8)

    # -- framing ----------------------------------------------------------------
    def _recv_payload(self, deadline: float) -> bytes | None:
        """Return the next payload bytes, b"" on timeout, None on EOF."""
        while True:
            while len(self._pending) >= 8:
                size = struct.unpack(">I", self._pending[4:8])[0]
                if len(self._pending) < 8 + size:
                    break
                payload = self._pending[8 : 8 + size]
                self._pending = self._pending[8 + size :]
                if payload:
                    return payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b""
            try:
                ready, _, _ = select.select([self._sock], [], [], remaining)
            except (ValueError, OSError):  # the socket was closed under us
                self.alive = False
                return None
            if not ready:
                return b""
            try:
                chunk = self._sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.alive = False
                return None
            self._pending += chunk

    def send(self, text: str) -> None:
        data = text.encode("utf-8", errors="surrogateescape")
        view = memoryview(data)
        while view:
            try:
                sent = self._sock.send(view)
            except BlockingIOError:
                select.select([], [self._sock], [], 1.0)
                continue
            except OSError:
                self.alive = False
                return
            view = view[sent:]

    # -- commands ---------------------------------------------------------------
    def _sentinel(self) -> bytes:
        self._counter += 1
        return f"__SWEENV_{self._tag}_{self._counter}_RC=".encode()

    def start(self, timeout: float = 10.0) -> None:
        """Prepare the shell (merge stderr, no prompts) and learn its pid."""
        self.send("exec 2>&1; unset HISTFILE PROMPT_COMMAND; PS1=''; PS2=''\n")
        result = self.execute("echo $$", timeout)
        if result.exit_code is None:
            raise OSError("the shell did not answer its first command")
        self.pid = int(result.output.text().strip())

    def execute(self, command: str, timeout: float, max_output: int | None = None) -> RawResult:
        """Run one command; stop reading at ``timeout`` (the caller handles recovery)."""
        sentinel = self._sentinel()
        line = f"eval {ansi_c_quote(command)} </dev/null 2>&1; printf '{sentinel.decode()}%d:' $?\n"
        self.send(line)
        return self.read_until(sentinel, time.monotonic() + timeout, max_output)

    def read_until(
        self, sentinel: bytes, deadline: float, max_output: int | None = None
    ) -> RawResult:
        out = OutputBuffer(max_output or self._max_output)
        buf = self._carry
        self._carry = b""
        keep = len(sentinel) + 12
        while True:
            idx = buf.find(sentinel)
            if idx >= 0:
                end = buf.find(b":", idx + len(sentinel))
                if end >= 0:
                    out.feed(buf[:idx])
                    code = int(buf[idx + len(sentinel) : end])
                    self._carry = buf[end + 1 :]
                    return RawResult(out, code, eof=False)
            elif len(buf) > keep:
                out.feed(buf[:-keep])
                buf = buf[-keep:]
            payload = self._recv_payload(deadline)
            if payload is None:
                out.feed(buf)
                return RawResult(out, None, eof=True)
            if not payload:
                out.feed(buf)
                return RawResult(out, None, eof=False)
            buf += payload

    def drain(self, sentinel: bytes, wait: float) -> RawResult:
        """After a kill, wait up to ``wait`` s for the pending sentinel."""
        return self.read_until(sentinel, time.monotonic() + wait)

    def discard_pending(self, quiet: float = 0.2, limit: float = 3.0) -> int:
        """Read and drop stray output (from killed background jobs) until ``quiet`` s pass
        with nothing arriving. Returns the number of bytes dropped."""
        dropped = len(self._carry)
        self._carry = b""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            payload = self._recv_payload(min(end, time.monotonic() + quiet))
            if not payload:
                break
            dropped += len(payload)
        return dropped

    @property
    def last_sentinel(self) -> bytes:
        return f"__SWEENV_{self._tag}_{self._counter}_RC=".encode()

    def close(self, on_close: Callable[[], None] | None = None) -> None:
        self.alive = False
        with contextlib.suppress(OSError):
            self._sock.close()
        if on_close:
            on_close()
