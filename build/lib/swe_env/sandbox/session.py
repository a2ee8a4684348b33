"""One persistent bash over Docker exec streams; the framing is in :mod:`.framing`.

The session writes command lines to the shell's stdin (the exec connection it was
started on) and reads the shell's output from its *current* stream. The stream is
Docker's multiplexed format (``tty=False``): 8-byte frame headers, then payload. Output
is kept as head + tail with a count of what was cut, so endless output costs bounded
memory.

**Background output.** A background job keeps the stdout it was started with. When the
health block says that another process still holds the shell's stdout, the owner gives
the next command a fresh stream (:meth:`ShellSession.execute` with ``switch``): the
shell moves its stdout and stderr there, and the old stream is *retired*: still read
while commands run (so a job printing into it does not die of SIGPIPE), but its bytes
are dropped. Bytes that arrive on the current stream between two commands are dropped
too. Guaranteed: the output of a job started with ``&`` (the check runs whenever bash's
``$!`` changed) never shows in a later command's observation; a process that detached
itself otherwise (a double fork, a daemon) is found by the full check, which runs every
few commands, and stops showing from then on. What a job prints while its own command
is still running is that command's output, as in a terminal.

The session does no Docker calls itself: the owner creates streams, restarts the shell
when :attr:`ShellSession.alive` turns false, and passes a ``watchdog`` that looks at the
shell from outside while a command runs.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from swe_env.sandbox.framing import Health, ansi_c_quote, find_ending, frame_command, setup_line

__all__ = ["OutputBuffer", "RawResult", "ShellSession", "Watchdog", "ansi_c_quote"]

Watchdog = Callable[[], str | None]
"""Called now and then while a command runs. Returns ``None`` (busy: keep waiting),
``"idle"`` (the shell is back at its prompt but printed no end marker) or a verdict that
ends the wait (``"gone"``, ``"replaced"``), which becomes :attr:`RawResult.status`."""

WATCH_TIMES = (1.0, 2.5, 5.0)
"""Seconds into a command at which the watchdog runs; then every 5 s."""
IDLE_GRACE = 0.3
"""After the watchdog says "idle", how long the end marker may still take."""
MAX_RETIRED = 8
"""Retired streams read and dropped at most; older ones are closed."""
FORK_FAILURE = b"Resource temporarily unavailable"
"""What bash (and most programs) print when fork fails: EAGAIN, the pids limit is full."""
DROP_BUDGET = 0.2
"""Seconds spent at most dropping stray output before a command."""
_TAIL_WINDOW = 1024  # bytes held back from the output while looking for the health block


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

    def bytes(self) -> bytes:
        """Head and tail joined (without the cut marker)."""
        return bytes(self.head) + bytes(self.tail)

    def text(self) -> str:
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if self.cut:
            return f"{head}\n[... {self.cut} bytes of output cut ...]\n{tail}"
        return self.bytes().decode("utf-8", errors="replace")


@dataclass
class RawResult:
    output: OutputBuffer
    exit_code: int | None
    """``None`` unless the end marker came with a numeric status."""
    status: str
    """``"exit"`` (the end marker came), ``"timeout"``, ``"eof"`` (the shell's stream
    ended), ``"malformed"`` (an end marker without a valid status), ``"unresponsive"``
    (back at the prompt, but no end marker), or a watchdog verdict."""
    health: Health | None = None

    @property
    def eof(self) -> bool:
        """The stream ended: the shell is gone."""
        return self.status == "eof"


class _Stream:
    """One exec connection: demultiplexes Docker's 8-byte frame headers."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pending = b""
        self.eof = False

    def payloads(self, chunk: bytes) -> bytes:
        self.pending += chunk
        out = []
        while len(self.pending) >= 8:
            size = struct.unpack(">I", self.pending[4:8])[0]
            if len(self.pending) < 8 + size:
                break
            out.append(self.pending[8 : 8 + size])
            self.pending = self.pending[8 + size :]
        return b"".join(out)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class ShellSession:
    """A bash reached over a connected socket speaking Docker's stream framing.

    ``sock`` is the raw socket returned by ``exec_start(socket=True)``; commands are
    always written to it. ``scan`` enables the background-holder check (the agent's
    shell); a private tool shell leaves it off.
    """

    def __init__(self, sock: socket.socket, max_output: int, scan: bool = True) -> None:
        sock.setblocking(False)
        self._in = _Stream(sock)
        self._out = self._in
        self._retired: list[_Stream] = []
        self._max_output = max_output
        self._scan = scan
        self.alive = True
        self.pid: int | None = None
        self.keeper: int | None = None
        """Pid of the process whose stdout is the shell's current stream, if switched."""
        self.baseline: dict[str, int | None] = {}
        """Resource limits when the shell started (see :mod:`.framing`)."""
        self.holders = False
        """The last health block said another process holds the shell's stdout."""
        self.last_marker = b""
        self.stdin_ino: str | None = None
        """Inode of the shell's stdin (from /proc), for the watchdog; ``None`` if unknown."""
        self._own_tasks: int | None = None

    @property
    def open_keepers(self) -> int:
        """Keeper streams still open (each keeper is a process in the container)."""
        return sum(s is not self._in for s in [self._out, *self._retired])

    # -- transport --------------------------------------------------------------------
    def _streams(self) -> list[_Stream]:
        found = [self._out, *self._retired]
        return found if self._in in found else [*found, self._in]

    def _recv(self, deadline: float) -> bytes | None:
        """Next payload of the current stream; b"" on timeout; None when the shell's
        stream ends. Retired streams are read and dropped on the way. A ``deadline`` of
        0 polls once without waiting."""
        while True:
            if self._out.eof or self._in.eof:
                self.alive = False
                return None
            remaining = max(0.0, deadline - time.monotonic()) if deadline else 0.0
            streams = [s for s in self._streams() if not s.eof]
            try:
                ready, _, _ = select.select([s.sock for s in streams], [], [], remaining)
            except (ValueError, OSError):  # a socket was closed under us
                self.alive = False
                return None
            if not ready:
                return b""
            got = b""
            polling = not deadline
            for stream in streams:
                if stream.sock not in ready:
                    continue
                try:
                    chunk = stream.sock.recv(1 << 20)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    stream.eof = True
                    if stream is self._out or stream is self._in:
                        self.alive = False
                        return None
                    self._retired.remove(stream)
                    stream.close()
                    continue
                payload = stream.payloads(chunk)
                if stream is self._out:
                    got += payload
            if got or polling:
                return got

    def drop_pending(self, budget: float = DROP_BUDGET) -> int:
        """Read and drop whatever is waiting on the streams now, for at most ``budget``
        seconds (a background job that prints without end never lets them go quiet);
        returns the byte count."""
        dropped = 0
        give_up = time.monotonic() + budget
        while time.monotonic() < give_up:
            data = self._recv(0.0)
            if not data:
                break
            dropped += len(data)
        return dropped

    def send(self, text: str) -> None:
        data = text.encode("utf-8", errors="surrogateescape")
        view = memoryview(data)
        while view:
            try:
                sent = self._in.sock.send(view)
            except BlockingIOError:
                select.select([], [self._in.sock], [], 1.0)
                continue
            except OSError:
                self.alive = False
                return
            view = view[sent:]

    # -- commands ---------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Set the shell up, learn its pid and its starting resource limits.

        Raises:
            OSError: the shell did not answer.
        """
        self.send(setup_line(self._scan))
        result = self.execute('echo "$$ $_swe_i"', timeout, full=True)
        fields = (result.output.text().strip().splitlines() or [""])[-1].split()
        if result.exit_code != 0 or result.health is None or not fields or not fields[0].isdigit():
            raise OSError(f"the shell did not answer its first command ({result.status})")
        self.pid = int(fields[0])
        self.stdin_ino = fields[1] if len(fields) > 1 else None
        self.baseline = dict(result.health.limits)

    def execute(
        self,
        command: str,
        timeout: float,
        max_output: int | None = None,
        *,
        watchdog: Watchdog | None = None,
        switch: tuple[socket.socket, int] | None = None,
        own_tasks: int | None = None,
        full: bool = False,
        on_fork_failure: Callable[[], None] | None = None,
    ) -> RawResult:
        """Run one command; stop reading at ``timeout`` (the caller handles recovery).

        ``switch``: a new stream (socket, pid of the process whose stdout it is) that
        the shell moves its output to before running the command. ``own_tasks`` and
        ``full``: see :func:`~swe_env.sandbox.framing.frame_command` (``own_tasks`` is
        sent only when it changes). ``on_fork_failure``: see :meth:`read_until`.
        """
        self.drop_pending()
        if own_tasks == self._own_tasks:
            own_tasks = None
        else:
            self._own_tasks = own_tasks
        frame = frame_command(
            command, full=full, switch_to=switch[1] if switch else None, own_tasks=own_tasks
        )
        self.last_marker = frame.marker
        self.send(frame.line)
        if switch is not None:
            self._switch(*switch)
        deadline = time.monotonic() + timeout
        return self.read_until(frame.marker, deadline, max_output, watchdog, on_fork_failure)

    def _switch(self, sock: socket.socket, keeper: int) -> None:
        sock.setblocking(False)
        self._retired.append(self._out)  # still read (and dropped); the exec connection stays
        self._out = _Stream(sock)
        self.keeper = keeper
        self.holders = False
        while len(self._retired) > MAX_RETIRED:
            oldest = next((s for s in self._retired if s is not self._in), None)
            if oldest is None:
                break
            self._retired.remove(oldest)
            oldest.close()

    def read_until(
        self,
        marker: bytes,
        deadline: float,
        max_output: int | None = None,
        watchdog: Watchdog | None = None,
        on_fork_failure: Callable[[], None] | None = None,
    ) -> RawResult:
        """Collect output until ``marker``'s status line, the deadline, EOF, or a
        watchdog verdict. ``on_fork_failure`` is called once, as soon as the output shows
        that a fork failed (the pids limit is full: a fork bomb, most likely), so the
        owner can free it while bash still retries the fork."""
        out = OutputBuffer(max_output or self._max_output)
        buf = bytearray()
        started = time.monotonic()
        watch_times = list(WATCH_TIMES) if watchdog else []
        idle_since: float | None = None
        while True:
            if (ended := self._ended(buf, marker, out)) is not None:
                return ended
            if len(buf) > _TAIL_WINDOW + len(marker):
                cut = len(buf) - _TAIL_WINDOW - len(marker)
                out.feed(bytes(buf[:cut]))
                del buf[:cut]
            now = time.monotonic()
            if idle_since is not None and now - idle_since > IDLE_GRACE:
                out.feed(bytes(buf))
                return RawResult(out, None, "unresponsive")
            if watch_times and now - started >= watch_times[0]:
                watch_times.pop(0)
                if not watch_times:
                    watch_times.append(now - started + 5.0)
                verdict = watchdog() if watchdog else None
                if verdict == "idle":
                    idle_since = now
                elif verdict is not None:
                    out.feed(bytes(buf))
                    return RawResult(out, None, verdict)
            wake = deadline
            if watch_times:
                wake = min(wake, started + watch_times[0])
            if idle_since is not None:
                wake = min(wake, idle_since + IDLE_GRACE)
            payload = self._recv(wake)
            if payload is None:
                out.feed(bytes(buf))
                return RawResult(out, None, "eof")
            buf += payload
            if on_fork_failure is not None and FORK_FAILURE in buf[-len(payload) - 40 :]:
                on_fork_failure()
                on_fork_failure = None
            # Checked whether or not bytes came: endless output (``yes``) never lets
            # the stream go quiet, and the deadline must hold all the same.
            if time.monotonic() >= deadline and find_ending(buf, marker) is None:
                out.feed(bytes(buf))
                return RawResult(out, None, "timeout")

    def _ended(self, buf: bytearray, marker: bytes, out: OutputBuffer) -> RawResult | None:
        """The result when ``buf`` holds ``marker``'s status line (or a malformed one)."""
        ending = find_ending(buf, marker)
        if ending is False:
            out.feed(bytes(buf))
            return RawResult(out, None, "malformed")
        if ending is None:
            return None
        out.feed(bytes(buf[: ending.output_end]))
        if ending.health is not None:
            self.holders = ending.health.holders
        ok = ending.exit_code is not None and ending.health is not None
        return RawResult(out, ending.exit_code, "exit" if ok else "malformed", ending.health)

    def close(self, on_close: Callable[[], None] | None = None) -> None:
        self.alive = False
        for stream in {id(s): s for s in [self._in, self._out, *self._retired]}.values():
            stream.close()
        if on_close:
            on_close()
