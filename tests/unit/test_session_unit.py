"""Unit tests for the persistent-shell session, without Docker.

``ShellSession`` reads Docker's multiplexed stream (8-byte frame headers: stream byte,
three zero bytes, big-endian payload size). Here a real local ``bash`` stands in for the
container: its stdin is one end of a socketpair, and a relay thread reads its stdout pipe
and writes framed chunks (optionally tiny, and split mid-frame) into that same socket.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import select
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from swe_env.sandbox.files import os_error, printf_format
from swe_env.sandbox.framing import (
    HEALTH_TAG,
    Ending,
    find_ending,
    frame_command,
    lowered_limits,
    parse_health,
)
from swe_env.sandbox.session import OutputBuffer, ShellSession, ansi_c_quote

pytestmark = [
    pytest.mark.timeout(30),
]

BASH_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": "/"}


# -- ansi_c_quote ----------------------------------------------------------------------


def bash_printf(*quoted: str) -> list[bytes]:
    """What bash makes of each quoted word (NUL-separated through printf)."""
    out = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", "printf '%s\\0' " + " ".join(quoted)],
        capture_output=True,
        check=True,
        env=BASH_ENV,
    ).stdout
    return out.split(b"\0")[:-1]


CASES = [
    "",
    "plain words and-dashes_under.score/slash,comma:colon=eq+plus@at%pct^caret",
    'it\'s a "quote"',
    "'",
    "''",
    "\\",
    "back\\slash\\n not a newline \\x41 \\u00e9 \\0",
    "line1\nline2\n\nline4\n",
    "\r\n\t\v\f\a\b",
    "$HOME ${PATH} $(echo hi) `echo hi` $'x' $\"y\"",
    "; rm -rf / # && || | & > < >> 2>&1 * ? [a-z] ~ ! !! {a,b} ( )",
    "héllo wörld ✓ 日本語 🐍 \u200b",
    "".join(chr(c) for c in range(1, 32)),
    "\x7f",
    "-n",
    "-e \\n",
    "%s %d %% %b",
    "trailing backslash \\",
    "x" * 5000,
]


@pytest.mark.parametrize("text", CASES, ids=range(len(CASES)))
def test_ansi_c_quote_round_trips_through_bash(text: str) -> None:
    quoted = ansi_c_quote(text)
    assert quoted.startswith("$'") and quoted.endswith("'")
    body = quoted[2:-1]
    assert body.isascii() and body.isprintable()
    assert "'" not in body and "\n" not in body
    assert bash_printf(quoted) == [text.encode()]


def test_ansi_c_quote_round_trips_random_strings() -> None:
    rng = random.Random(1234)
    alphabet = [chr(c) for c in range(1, 128)] + list("éß✓日本🐍\u00a0\u2028")
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 60))) for _ in range(300)]
    assert bash_printf(*map(ansi_c_quote, texts)) == [t.encode() for t in texts]


def test_ansi_c_quote_keeps_undecodable_bytes() -> None:
    raw = b"\xff\xfe bad \xc3 utf8 \x80"
    text = raw.decode("utf-8", errors="surrogateescape")
    assert bash_printf(ansi_c_quote(text)) == [raw]


def test_ansi_c_quote_leaves_safe_text_readable() -> None:
    assert ansi_c_quote("ls -la /testbed") == "$'ls -la /testbed'"
    assert ansi_c_quote("a'b") == "$'a\\x27b'"


# -- OutputBuffer ----------------------------------------------------------------------


def test_output_buffer_under_limit_is_exact() -> None:
    buf = OutputBuffer(100)
    for part in (b"hello ", b"", b"world", b"\n"):
        buf.feed(part)
    assert buf.cut == 0
    assert buf.total == 12
    assert buf.text() == "hello world\n"


def test_output_buffer_keeps_head_and_tail() -> None:
    data = bytes(range(48, 48 + 70))  # printable ASCII
    buf = OutputBuffer(20)
    for i in range(0, len(data), 3):
        buf.feed(data[i : i + 3])
    assert bytes(buf.head) == data[:10]
    assert bytes(buf.tail) == data[-10:]
    assert buf.cut == 50
    assert buf.total == 70
    text = buf.text()
    assert text.startswith(data[:10].decode())
    assert text.endswith(data[-10:].decode())
    assert "[... 50 bytes of output cut ...]" in text


def test_output_buffer_odd_limit() -> None:
    buf = OutputBuffer(11)
    buf.feed(b"a" * 5 + b"b" * 100 + b"c" * 6)
    assert bytes(buf.head) == b"aaaaa"
    assert bytes(buf.tail) == b"cccccc"
    assert buf.cut == 100


def test_output_buffer_single_big_feed() -> None:
    buf = OutputBuffer(8)
    buf.feed(b"0123456789abcdef")
    assert (bytes(buf.head), bytes(buf.tail), buf.cut) == (b"0123", b"cdef", 8)


@pytest.mark.parametrize("limit", [0, 1, 2, 7, 64, 1000])
def test_output_buffer_never_exceeds_its_limit(limit: int) -> None:
    rng = random.Random(limit)
    buf = OutputBuffer(limit)
    fed = bytearray()
    for _ in range(300):
        chunk = rng.randbytes(rng.randint(0, 50))
        buf.feed(chunk)
        fed += chunk
        assert len(buf.head) + len(buf.tail) <= limit
        assert buf.cut == len(fed) - len(buf.head) - len(buf.tail) >= 0
    assert bytes(buf.head) == fed[: limit // 2]
    if limit - limit // 2:
        assert bytes(buf.tail) == fed[-(limit - limit // 2) :]


def test_output_buffer_decodes_invalid_utf8_with_replacement() -> None:
    buf = OutputBuffer(100)
    buf.feed(b"ok \xff\xfe end \xc3")
    assert buf.text() == "ok \ufffd\ufffd end \ufffd"
    cut = OutputBuffer(4)
    cut.feed(b"\xffab" + b"x" * 10 + b"cd\xfe")
    text = cut.text()
    assert text.startswith("\ufffda")
    assert text.endswith("d\ufffd")


def test_output_buffer_multibyte_char_across_feeds() -> None:
    buf = OutputBuffer(100)
    data = "é✓🐍".encode()
    for i in range(len(data)):
        buf.feed(data[i : i + 1])
    assert buf.text() == "é✓🐍"


# -- ShellSession over a local bash ----------------------------------------------------


def frame(payload: bytes, stream: int = 1) -> bytes:
    return struct.pack(">BxxxI", stream, len(payload)) + payload


class LocalShell:
    """bash on a socketpair; a relay thread frames its stdout like Docker does."""

    def __init__(
        self,
        chunk: tuple[int, int] | None = None,
        split_frames: bool = False,
        empty_frames: bool = False,
        seed: int = 0,
    ) -> None:
        self.ours, self.theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=self.theirs.fileno(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=BASH_ENV,
            cwd="/",
        )
        self.chunk = chunk
        self.split_frames = split_frames
        self.empty_frames = empty_frames
        self.rng = random.Random(seed)
        self.relay = threading.Thread(target=self._relay, daemon=True)
        self.relay.start()

    def _send(self, data: bytes) -> None:
        if self.split_frames and len(data) > 1:
            cut = self.rng.randint(1, len(data) - 1)
            self.theirs.sendall(data[:cut])
            time.sleep(0.0002)
            data = data[cut:]
        self.theirs.sendall(data)

    def _relay(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        try:
            while data := os.read(fd, 65536):
                while data:
                    size = self.rng.randint(*self.chunk) if self.chunk else len(data)
                    if self.empty_frames:
                        self._send(frame(b"", stream=2))
                    self._send(frame(data[:size]))
                    data = data[size:]
            self.theirs.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        self.relay.join(5)
        self.ours.close()
        self.theirs.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def shell() -> Iterator[LocalShell]:
    sh = LocalShell()
    yield sh
    sh.close()


@pytest.fixture
def session(shell: LocalShell) -> ShellSession:
    sess = ShellSession(shell.ours, max_output=10_000)
    sess.start(timeout=5)
    return sess


def run(sess: ShellSession, command: str, timeout: float = 5.0) -> tuple[str, int | None]:
    result = sess.execute(command, timeout)
    return result.output.text(), result.exit_code


def test_start_learns_the_shell_pid(shell: LocalShell, session: ShellSession) -> None:
    assert session.pid == shell.proc.pid
    assert session.alive


def test_exit_codes(session: ShellSession) -> None:
    assert run(session, "true") == ("", 0)
    assert run(session, "false") == ("", 1)
    assert run(session, "(exit 42)") == ("", 42)
    assert run(session, "echo out; echo err >&2; (exit 3)") == ("out\nerr\n", 3)
    assert run(session, "no-such-command-xyz")[1] == 127
    assert run(session, "echo still alive") == ("still alive\n", 0)


def test_cwd_and_environment_persist(session: ShellSession, tmp_path) -> None:
    assert run(session, f"cd {tmp_path}") == ("", 0)
    assert run(session, "pwd") == (f"{tmp_path}\n", 0)
    assert run(session, "export SWE_X='a b'; Y=local") == ("", 0)
    assert run(session, 'echo "$SWE_X|$Y"') == ("a b|local\n", 0)
    assert run(session, "f() { echo fn $1; }") == ("", 0)
    assert run(session, "f 1") == ("fn 1\n", 0)


def test_multi_line_commands_and_quoting(session: ShellSession) -> None:
    command = (
        "cat <<'EOF'\nit's \"quoted\" $HOME `x`\nline 2\nEOF\nfor i in 1 2; do\n  echo $i\ndone"
    )
    assert run(session, command) == ('it\'s "quoted" $HOME `x`\nline 2\n1\n2\n', 0)
    assert run(session, "printf '%s' 'no newline'") == ("no newline", 0)
    assert run(session, "echo 'héllo ✓'") == ("héllo ✓\n", 0)
    assert run(session, r"printf 'a\377b'") == ("a\ufffdb", 0)


def test_syntax_error_is_a_nonzero_exit_and_the_shell_survives(session: ShellSession) -> None:
    out, code = run(session, "if then fi (")
    assert code == 2
    assert "syntax error" in out
    out, code = run(session, "echo 'unclosed")
    assert code == 2
    assert run(session, "echo ok") == ("ok\n", 0)


def test_commands_do_not_read_the_session_stream(session: ShellSession) -> None:
    # stdin is /dev/null: ``cat`` and ``read`` must not swallow the next command.
    assert run(session, "cat") == ("", 0)
    assert run(session, 'read x; echo "[$x]"') == ("[]\n", 0)
    assert run(session, "echo next") == ("next\n", 0)


def test_output_that_looks_like_a_sentinel(session: ShellSession) -> None:
    out, code = run(session, "echo __SWEENV_0_1_RC=7: ; echo __SWEENV_")
    assert (out, code) == ("__SWEENV_0_1_RC=7:\n__SWEENV_\n", 0)


def test_large_output_is_cut_with_the_exit_code_kept(shell: LocalShell) -> None:
    sess = ShellSession(shell.ours, max_output=1000)
    sess.start(timeout=5)
    result = sess.execute("seq 1 100000; (exit 4)", 10)
    assert result.exit_code == 4
    assert result.output.total == len(b"".join(b"%d\n" % i for i in range(1, 100001)))
    assert len(result.output.head) + len(result.output.tail) == 1000
    text = result.output.text()
    assert text.startswith("1\n2\n3\n")
    assert text.endswith("99999\n100000\n")
    assert "bytes of output cut" in text
    assert run(sess, "echo after") == ("after\n", 0)


@pytest.mark.parametrize("seed", range(4))
def test_sentinel_split_across_tiny_chunks(seed: int) -> None:
    sh = LocalShell(chunk=(1, 7), split_frames=True, empty_frames=seed % 2 == 0, seed=seed)
    try:
        sess = ShellSession(sh.ours, max_output=10_000)
        sess.start(timeout=5)
        assert sess.pid == sh.proc.pid
        for i in range(8):
            text = "x" * (i * 5) + "é:"  # lengths around the sentinel's size
            assert run(sess, f"printf '%s' '{text}'; (exit {i})") == (text, i)
        assert run(sess, "seq 1 100 | tr -d '\\n'")[0] == "".join(map(str, range(1, 101)))
        assert run(sess, "printf '%s' '__SWEENV_'; (exit 9)") == ("__SWEENV_", 9)
    finally:
        sh.close()


def test_timeout_returns_no_exit_code_then_drain_finds_the_sentinel(
    session: ShellSession,
) -> None:
    start = time.monotonic()
    result = session.execute("echo started; sleep 0.6; echo finished", 0.15)
    assert time.monotonic() - start < 0.5
    assert result.exit_code is None
    assert not result.eof
    assert result.output.text() == "started\n"
    assert session.alive
    late = session.read_until(session.last_marker, time.monotonic() + 5)
    assert late.exit_code == 0
    assert late.output.text() == "finished\n"
    assert run(session, "echo next") == ("next\n", 0)


def test_timeout_on_silent_command(session: ShellSession) -> None:
    result = session.execute("sleep 0.4", 0.05)
    assert (result.exit_code, result.eof, result.output.text()) == (None, False, "")
    assert session.read_until(session.last_marker, time.monotonic() + 5).exit_code == 0


def test_endless_output_still_times_out(session: ShellSession) -> None:
    """The stream never goes quiet under ``yes``: the deadline must hold anyway (it once
    waited for a quiet moment that never came, and a CI run hung for an hour)."""
    start = time.monotonic()
    result = session.execute("yes", 0.5)
    assert time.monotonic() - start < 3
    assert result.status == "timeout" and result.exit_code is None
    assert result.output.cut > 0
    assert session.alive


class EndlessFeeder:
    """Writes framed bytes into a socket without pause until stopped."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._feed, daemon=True)
        self.thread.start()

    def _feed(self) -> None:
        chunk = frame(b"y\n" * 4096)
        with contextlib.suppress(OSError):
            while not self.stop.is_set():
                self.sock.sendall(chunk)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


def test_dropping_stray_output_is_bounded_in_time() -> None:
    ours, theirs = socket.socketpair()
    feeder = EndlessFeeder(theirs)
    try:
        assert select.select([ours], [], [], 5)[0]  # the feeder has started writing
        sess = ShellSession(ours, max_output=1000)
        start = time.monotonic()
        dropped = sess.drop_pending(budget=0.3)
        assert time.monotonic() - start < 2
        assert dropped > 0
        start = time.monotonic()
        result = sess.read_until(b"never-comes", time.monotonic() + 0.3)
        assert time.monotonic() - start < 2
        assert result.status == "timeout" and result.output.cut > 0
    finally:
        feeder.close()
        ours.close()
        theirs.close()


def test_output_between_commands_is_dropped(session: ShellSession) -> None:
    assert run(session, "(sleep 0.1; echo late-output) &") == ("", 0)
    time.sleep(0.4)
    assert session.drop_pending() == len("late-output\n")
    assert run(session, "(sleep 0.1; echo late-again) &") == ("", 0)
    time.sleep(0.4)
    assert run(session, "echo clean") == ("clean\n", 0)  # execute drops it too


def test_eof_when_bash_exits(shell: LocalShell, session: ShellSession) -> None:
    result = session.execute("echo bye; exit 5", 5)
    assert result.eof
    assert result.exit_code is None
    assert result.output.text() == "bye\n"
    assert not session.alive
    assert shell.proc.wait(5) == 5


def test_eof_when_bash_is_killed(shell: LocalShell, session: ShellSession) -> None:
    shell.proc.kill()
    result = session.execute("echo never", 5)
    assert result.eof
    assert result.exit_code is None
    assert not session.alive


def test_close_is_idempotent_and_calls_back(session: ShellSession) -> None:
    calls = []
    session.close(on_close=lambda: calls.append(1))
    session.close()
    assert calls == [1]
    assert not session.alive


# -- what an agent's command may leave behind --------------------------------------

SHADOW_NAMES = ["builtin", "eval", "printf", "set", "trap", "unset", "exec", "command", "echo"]


@pytest.mark.parametrize(
    "hostile",
    [
        "set -x",
        "set -v",
        "set -xv; PS4='$(echo ps4 >&2)+ '",
        "exec 7>&1; BASH_XTRACEFD=7; set -x",
        "set -e",
        "set -u",
        "set -o posix",
        "shopt -s failglob nullglob",
        "trap 'echo TRAPPED' DEBUG RETURN ERR; set -T -E",
        "; ".join(f"{name}() {{ echo hijacked; }}" for name in SHADOW_NAMES),
        "shopt -s expand_aliases; alias builtin=: eval=: printf=: '{'=: case=: if=: for=:",
        "exec >/dev/null",
        "exec 2>&-",
        "exec 0<&-",
        "IFS=/0123456789; set -f",
        "unset PATH",
    ],
)
def test_the_framing_survives_the_shell_state_a_command_leaves(
    session: ShellSession, hostile: str
) -> None:
    first = session.execute(hostile, 5)
    assert first.status == "exit" and first.exit_code == 0, first.output.text()
    for code in (0, 3):
        # `printf` and `echo` may be the agent's functions now: their output is theirs.
        result = session.execute(f"builtin printf 'out-%s\\n' {code} >&2; (exit {code})", 5)
        assert result.status == "exit" and result.exit_code == code
        assert result.output.text() == f"out-{code}\n"
    late = session.execute("undefined_var_use=$NOPE_NOT_SET; false; builtin printf ok", 5)
    assert (late.status, late.exit_code, late.output.text()) == ("exit", 0, "ok")


def test_verbose_and_traced_lines_never_show_the_marker(session: ShellSession) -> None:
    session.execute("set -xv", 5)
    result = session.execute("true", 5)
    assert result.status == "exit"
    assert session.last_marker not in result.output.bytes()
    # The command that turns tracing on sees its own trace and two lines of the framing's.
    traced = session.execute("set -xv; builtin printf x", 5)
    assert traced.output.text() == "++ builtin printf x\nx+ POSIXLY_CORRECT=0\n+ set +vx\n"
    assert session.execute("builtin printf y", 5).output.text() == "y"


def test_a_debug_trap_cannot_forge_the_end_marker(session: ShellSession) -> None:
    forger = (
        "trap 'case $BASH_COMMAND in *printf*|*swe*) "
        'builtin eval "${BASH_COMMAND//\\$?/42}";; esac\' DEBUG'
    )
    first = session.execute(forger, 5)
    assert first.exit_code == 0
    assert session.last_marker not in first.output.bytes()
    result = session.execute("(exit 5)", 5)
    assert (result.status, result.exit_code, result.output.text()) == ("exit", 5, "")


def test_a_readonly_posixly_correct_is_reported_not_trusted(session: ShellSession) -> None:
    result = session.execute("readonly POSIXLY_CORRECT", 1)
    assert result.status in ("malformed", "timeout")
    assert result.exit_code is None


def test_the_stdin_inode_and_limits_are_learned_at_start(session: ShellSession) -> None:
    assert session.stdin_ino and session.stdin_ino.isdigit()
    assert set(session.baseline) >= {"Sn", "Hn", "Hu", "Hv", "Hf", "Ht"}


def test_a_full_check_reports_lowered_limits(session: ShellSession) -> None:
    result = session.execute("ulimit -v 500000", 5, full=True)
    assert result.status == "exit" and result.health is not None
    assert result.health.limits["Hv"] == 500000 * 1024
    assert lowered_limits(session.baseline, result.health.limits) == ["-v"]
    quick = session.execute("true", 5)
    assert quick.health is not None and quick.health.limits == {}


# -- framing helpers ------------------------------------------------------------------


def test_frame_command_hides_the_marker_and_quotes_every_word() -> None:
    frame = frame_command("echo hi", full=True, switch_to=42, own_tasks=5)
    assert frame.marker.decode() not in frame.line
    assert frame.line.count("\n") == 1 and frame.line.endswith("\n")
    assert "\\_swe_f " in frame.line and "_swe_b=5;" in frame.line
    assert "/proc/42/fd/1" in frame.line
    assert frame_command("x").marker != frame_command("x").marker


def test_find_ending_is_strict() -> None:
    marker = b"0123456789abcdef"
    health = HEALTH_TAG + b"0\n"
    assert find_ending(b"out" + health + marker[:5], marker) is None
    ending = find_ending(b"out" + health + marker + b" 7\n", marker)
    assert isinstance(ending, Ending) and ending.exit_code == 7 and ending.output_end == 3
    assert ending.health is not None and not ending.health.holders
    assert find_ending(b"out" + marker + b" 7x\n", marker) is False
    assert find_ending(b"out" + marker + b" %d:junk", marker) is False
    missing = find_ending(b"out" + marker + b" \n", marker)
    assert isinstance(missing, Ending) and missing.exit_code is None and missing.health is None
    # A forged health block before ours does not count: the last one does.
    forged = HEALTH_TAG + b"1\n" + b"text" + health + marker + b" 0\n"
    found = find_ending(forged, marker)
    assert isinstance(found, Ending) and found.health is not None and not found.health.holders


def test_parse_health_reads_proc_limits_lines() -> None:
    lines = [
        "Max cpu time              unlimited            unlimited            seconds",
        "Max file size             unlimited            unlimited            bytes",
        "Max processes             100                  200                  processes",
        "Max open files            1024                 4096                 files",
        "Max address space         unlimited            1000                 bytes",
    ]
    health = parse_health(("1\n" + "\n".join(lines) + "\n").encode())
    assert health is not None and health.holders
    assert health.limits == {
        "St": None, "Ht": None, "Sf": None, "Hf": None, "Su": 100, "Hu": 200,
        "Sn": 1024, "Hn": 4096, "Sv": None, "Hv": 1000,
    }  # fmt: skip
    assert parse_health(b"2\n") is None
    assert parse_health(b"0\n" + b"garbage\n" * 5) is None
    base = {"Sn": 1024, "Hn": 4096, "Hu": 200, "Hv": None, "Hf": None, "Ht": None}
    assert lowered_limits(base, health.limits) == ["-v"]
    assert lowered_limits(base, {**base, "Hn": 100, "Sn": 3}) == ["-n"]
    assert lowered_limits(base, {**base, "Sn": 10}) == ["-n"]
    assert lowered_limits(base, {}) == []


def test_printf_format_round_trips_every_byte() -> None:
    data = bytes(range(256)) * 2 + "é✓ 100% '\\ \\x41 %s".encode()
    out = subprocess.run(
        [
            "bash",
            "--noprofile",
            "--norc",
            "-c",
            f"printf {printf_format(data)}".encode("utf-8", "surrogateescape"),
        ],
        capture_output=True,
        check=True,
        env=BASH_ENV,
    ).stdout
    assert out == data


def test_os_error_maps_messages_to_errno() -> None:
    error = os_error("bash: line 1: /testbed/xxx: File name too long", "/p")
    assert isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG
    error = os_error("Error response from daemon: mkdir /a/b: not a directory", "/p")
    assert error is not None and error.errno == errno.ENOTDIR
    assert os_error("permission denied is in the path: /x/permission denied/y: boom", "/p") is None


def test_archive_errors_keep_infrastructure_faults_apart() -> None:
    import docker.errors
    import requests.exceptions

    from swe_env.errors import SandboxError
    from swe_env.sandbox.files import _archive_error

    daemon = docker.errors.APIError('500 Server Error ("mkdir /testbed/x: file name too long")')
    assert _archive_error(daemon, "/p").errno == errno.ENAMETOOLONG  # type: ignore[union-attr]
    refused = requests.exceptions.ConnectionError("[Errno 111] Connection refused")
    assert isinstance(refused, OSError)
    assert isinstance(_archive_error(refused, "/p"), SandboxError)
    unknown = docker.errors.APIError("500 Server Error: something odd")
    assert isinstance(_archive_error(unknown, "/p"), SandboxError)


def test_waiting_for_a_one_off_exec_is_bounded() -> None:
    from swe_env.sandbox.toolshell import wait_eof

    ours, theirs = socket.socketpair()
    try:
        start = time.monotonic()
        assert wait_eof(ours, 0.3) is False  # never ends: given up at the deadline
        assert time.monotonic() - start < 2
        theirs.sendall(frame(b"some output"))
        theirs.shutdown(socket.SHUT_WR)
        assert wait_eof(ours, 5) is True  # output drained, then EOF
    finally:
        ours.close()
        theirs.close()
