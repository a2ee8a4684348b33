"""The line that runs one command in the persistent bash, and how its answer is read.

The agent's commands run in the same bash that frames them, so what the framing relies
on must survive whatever a command leaves behind: options (``set -x``, ``-v``, ``-e``,
``-u``), functions and aliases named like the builtins it calls, traps (``DEBUG``,
``RETURN``, ``ERR``), ``BASH_XTRACEFD``, ``PS4``, a redirected or closed stdout or
stderr. The design:

- **One short line per command.** bash reads a pipe one byte at a time (about 0.75 us
  a byte here), so the per-command text is about 120 bytes plus the command::

      \\builtin eval $'<cmd>' </dev/null >&2 2>&1;POSIXLY_CORRECT=$?;\\set +vx;
      \\trap - DEBUG RETURN ERR;\\_swe_q <half> <half>

  The rest lives in two *readonly* functions defined when the shell starts (``_swe_q``,
  and ``_swe_f`` for the periodic full check): the agent can read them but can neither
  redefine nor unset them.
- **Posix mode beats shadowing.** Assigning ``POSIXLY_CORRECT`` (an assignment, which no
  function or alias can intercept) switches posix mode on; there special builtins
  (``set``, ``trap``, ``unset``, ``eval``...) are found before functions. The line turns
  tracing off and clears the traps; the function removes a function named ``builtin``,
  turns ``-e``/``-u`` off (like ``-x``/``-v``, they last for the command that set them:
  a later failing command would otherwise end the shell), unsets ``BASH_XTRACEFD``, and
  switches posix mode off again, which also turns alias expansion off before the next
  line is parsed. Every word of the line is quoted (``\\builtin``): aliases never apply.
- **Redirections are undone.** The command's redirections (``</dev/null >&2 2>&1``) make
  bash save and restore fds 0, 1 and 2 around it: ``exec >/dev/null`` or ``exec 2>&-``
  inside a command does not outlive it. Its stdin is ``/dev/null``.
- **An end marker no command can print.** The marker is a 64-bit nonce, fresh for every
  command, sent as two halves that only the function's ``printf`` joins: it never
  appears in the input line (``set -v``), in a trace (``set -x`` is off before the call,
  so ``PS4`` cannot run either), or in ``BASH_COMMAND`` while an agent's trap can still
  run (traps are cleared before the call). It is parsed strictly: nonce, space, status,
  newline. Everything the framing prints after the command is one ``printf``, one write.
- **Health.** Just before the marker comes a health block: whether another process
  still holds the shell's stdout (a background job that could print into a later
  observation: the owner then gives the shell a fresh stream). The quick check runs
  when ``$!`` changed (a job was started with ``&``); the full check ``_swe_f`` (every
  few commands, and after any command that mentions ``ulimit``/``prlimit``) also looks
  at the container's task count, catching double forks and daemons, and reports the
  shell's resource limits: a lowered hard limit cannot be raised again without
  privileges, so the owner restarts the shell.

What the framing cannot survive (the shell exits, stops answering, replaces itself with
``exec``, or ``enable -n`` disabled the builtins it calls) is detected by the owner and
answered with a restart; see :mod:`swe_env.sandbox.agent_shell`. A command that runs
agent code *inside* the framing on purpose (a signal trap fired by a background job at
the right moment, a trap that reads the shell's memory, ``enable -n trap``) can forge
its own observation; nothing else trusts it: the tools use a private shell and the
reward comes from the diff, graded elsewhere.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-./,:=+@%^")

HEALTH_TAG = b"\x1f_swe_health "
"""Starts the health block printed just before the end marker."""

LIMITS = ("Sn", "Hn", "Hu", "Hv", "Hf", "Ht")
"""Limits the full check reports (S/H = soft/hard, then the ``ulimit`` option letter)."""

MIN_FDS = 64
"""Below this soft fd limit bash cannot save fds for the framing's redirections."""

_SANITIZE = "\\set +eu;\\unset -f builtin;\\unset BASH_XTRACEFD;_swe_r=$POSIXLY_CORRECT;_swe_h=0;"
# Does a process other than the shell (and the current stream's keeper) hold the
# shell's stdout? `-ef` compares the pipe inodes behind /proc/<pid>/fd/<n>; no fork.
_SCAN = (
    "_swe_g=;if [[ :$BASHOPTS: = *:failglob:* ]];then _swe_g=1;\\builtin shopt -u failglob;fi;"
    "for _swe_p in /proc/[1-9]*;do case ${_swe_p#/proc/} in "
    '1|$$|"$_swe_k")continue;;esac;for _swe_x in "$_swe_p"/fd/*;do '
    "if [[ $_swe_x -ef /dev/fd/1 ]];then _swe_h=1;break 2;fi;done;done;"
    "if [[ $_swe_g ]];then \\builtin shopt -s failglob;fi;"
)
_QUICK = (
    _SANITIZE + 'if [[ $! != "$_swe_j" ]];then _swe_j=$!;' + _SCAN + "fi;"
    "\\unset POSIXLY_CORRECT;"
    '\\builtin printf \'\\037_swe_health %s\\n%s%s %s\\n\' "$_swe_h" "$1" "$2" "$_swe_r";'
)
# The full check also counts the container's tasks (the pids cgroup) against the owner's
# own (`_swe_b`) and adds five lines of /proc/$$/limits: cpu time, file size,
# processes, open files, address space.
_FULL = (
    _SANITIZE + "_swe_j=$!;"
    'if ! { \\builtin read -r _swe_n <"$_swe_c"; } 2>/dev/null||((_swe_n>_swe_b));then '
    + _SCAN
    + "fi;_swe_l=();\\builtin mapfile -t _swe_l </proc/$$/limits;"
    "\\unset POSIXLY_CORRECT;"
    "\\builtin printf '\\037_swe_health %s\\n%s\\n%s\\n%s\\n%s\\n%s\\n%s%s %s\\n' \"$_swe_h\" "
    '"${_swe_l[1]}" "${_swe_l[2]}" "${_swe_l[7]}" "${_swe_l[8]}" "${_swe_l[10]}" '
    '"$1" "$2" "$_swe_r";'
)
_LIMIT_LINE = re.compile(
    r"^Max (cpu time|file size|processes|open files|address space)\s+(\S+)\s+(\S+)"
)
_LIMIT_NAMES = {"cpu time": "t", "file size": "f", "processes": "u", "open files": "n"}
_LIMIT_NAMES["address space"] = "v"


def ansi_c_quote(command: str) -> str:
    """Quote ``command`` as a bash ``$'…'`` string with no newlines or quotes left raw."""
    data = command.encode("utf-8", errors="surrogateescape")
    return "$'" + "".join(chr(b) if b in _SAFE else f"\\x{b:02x}" for b in data) + "'"


def setup_line(scan: bool = True) -> str:
    """The first line a new shell reads: stderr to stdout, no prompts, the inode of its
    stdin in ``_swe_i``, the readonly functions ``_swe_q`` and ``_swe_f``.

    Without ``scan`` (a private tool shell, which starts no background jobs) the
    functions skip the background-holder check.
    """
    quick = _QUICK if scan else _QUICK.replace(_SCAN, ":;")
    full = _FULL if scan else _FULL.replace(_SCAN, ":;")
    return (
        "exec 2>&1; unset HISTFILE PROMPT_COMMAND; PS1=''; PS2=''; _swe_k=; _swe_i=; "
        "_swe_b=; _swe_j=; _swe_c=/sys/fs/cgroup/pids.current; [[ -r $_swe_c ]] || "
        "_swe_c=/sys/fs/cgroup/pids/pids.current; "
        # The inode of the shell's stdin: a watchdog compares it with /proc/<pid>/fdinfo/0
        # to tell "back at the prompt" from "running a command" (stdin is /dev/null then).
        "{ while read -r -u 3 _swe_a _swe_x; do [[ $_swe_a = ino: ]] && _swe_i=$_swe_x; "
        "done 3</proc/$$/fdinfo/0; } 2>/dev/null; "
        f"_swe_q() {{ {quick} }}; _swe_f() {{ {full} }}; readonly -f _swe_q _swe_f\n"
    )


@dataclass(frozen=True, slots=True)
class Frame:
    """One command's framing: its line and the end marker to wait for."""

    line: str
    marker: bytes


def frame_command(
    command: str,
    *,
    full: bool = False,
    switch_to: int | None = None,
    own_tasks: int | None = None,
) -> Frame:
    """Build the line that runs ``command`` and the marker that ends its output.

    ``full`` runs the full check (task count, limits) instead of the quick one.
    ``switch_to``: the pid of a keeper process whose stdout becomes the shell's stdout
    and stderr before the command runs (a fresh output stream; see
    :mod:`swe_env.sandbox.session`). ``own_tasks``: how many of the container's tasks
    are the owner's (init, main process, shells, keepers).
    """
    nonce = secrets.token_hex(8)
    head, tail = nonce[:8], nonce[8:]
    prefix = "" if own_tasks is None else f"_swe_b={int(own_tasks)};"
    if switch_to is not None:
        prefix += (
            f"_swe_k={int(switch_to)};POSIXLY_CORRECT=1;"
            f"\\exec 1>/proc/{int(switch_to)}/fd/1 2>&1;\\unset POSIXLY_CORRECT;"
        )
    check = "_swe_f" if full else "_swe_q"
    line = (
        f"{prefix}\\builtin eval {ansi_c_quote(command)} </dev/null >&2 2>&1;"
        f"POSIXLY_CORRECT=$?;\\set +vx;\\trap - DEBUG RETURN ERR;\\{check} {head} {tail}\n"
    )
    return Frame(line=line, marker=nonce.encode())


_END = re.compile(rb" (\d{1,3})?\n")


@dataclass(frozen=True, slots=True)
class Health:
    """What the health block said."""

    holders: bool
    """Another process holds the shell's stdout (a background job)."""
    limits: dict[str, int | None]
    """Soft fd limit and hard limits (``None`` = unlimited), keyed like :data:`LIMITS`;
    empty after a quick check."""


@dataclass(frozen=True, slots=True)
class Ending:
    """A parsed end of output: where the command's own output stops, and the rest."""

    output_end: int
    """Offset in the buffer where the command's output ends (the health block starts)."""
    exit_code: int | None
    """``None`` if the status field was empty (the framing did not run)."""
    health: Health | None
    """``None`` if the health block was missing or malformed."""


def find_ending(buf: bytes | bytearray, marker: bytes) -> Ending | bool | None:
    """Look for ``marker`` and its status line in ``buf``.

    Returns the :class:`Ending`, ``None`` when more bytes are needed, or ``False`` when
    the marker is there but what follows it is malformed.
    """
    idx = buf.find(marker)
    if idx < 0:
        return None
    rest = bytes(buf[idx + len(marker) : idx + len(marker) + 6])
    if b"\n" not in rest:
        return None if len(rest) < 6 else False
    match = _END.match(rest)
    if match is None:
        return False
    code = match.group(1)
    start = buf.rfind(HEALTH_TAG, 0, idx)
    health = parse_health(bytes(buf[start + len(HEALTH_TAG) : idx])) if start >= 0 else None
    return Ending(
        output_end=start if start >= 0 else idx,
        exit_code=int(code) if code else None,
        health=health,
    )


def parse_health(block: bytes) -> Health | None:
    """Parse ``<holders>\\n`` and, after a full check, five lines of /proc/<pid>/limits."""
    lines = block.decode("ascii", "replace").split("\n")
    if len(lines) not in (2, 7) or lines[-1] or lines[0] not in ("0", "1"):
        return None
    limits: dict[str, int | None] = {}
    for line in lines[1:-1]:
        found = _LIMIT_LINE.match(line)
        if found is None:
            return None
        letter = _LIMIT_NAMES[found.group(1)]
        for kind, value in (("S", found.group(2)), ("H", found.group(3))):
            if value == "unlimited":
                limits[kind + letter] = None
            elif value.isdigit():
                limits[kind + letter] = int(value)
            else:
                return None
    return Health(holders=lines[0] == "1", limits=limits)


def lowered_limits(baseline: dict[str, int | None], now: dict[str, int | None]) -> list[str]:
    """The ``ulimit`` options whose hard limit fell below ``baseline``, plus ``-n`` when
    the soft fd limit is too low for the framing. Soft limits can be raised again by the
    agent; hard ones cannot, so the shell is beyond repair."""
    if not now or not baseline:
        return []
    lowered = []
    for name in LIMITS[1:]:
        before, after = baseline.get(name), now.get(name)
        if after is not None and (before is None or after < before):
            lowered.append(f"-{name[1]}")
    soft = now.get("Sn")
    if soft is not None and soft < MIN_FDS and "-n" not in lowered:
        lowered.append("-n")
    return lowered
