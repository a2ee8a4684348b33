"""File transfer for the docker sandbox: the private tool shell first, Docker's archive
API when that shell is unavailable or answers oddly.

Small files travel through the private shell (a few ms; the archive API costs about
80 ms a call on this engine). Writes use only bash builtins (``printf`` with escapes,
redirection), so a replaced ``base64`` or ``cat`` cannot corrupt them; reads use
``base64`` and are checked (valid encoding, the size ``stat`` reported) before they are
trusted. Errors the agent can cause (a missing file, a name too long, a parent that is
a file, a full disk) are raised as the matching :class:`OSError` subclass, never as an
infrastructure fault.
"""

from __future__ import annotations

import base64
import errno
import io
import os
import posixpath
import re
import tarfile
import time
from collections.abc import Callable
from typing import Any

import docker.errors
import requests.exceptions

from swe_env.errors import SandboxError
from swe_env.sandbox.framing import ansi_c_quote
from swe_env.sandbox.session import RawResult

SHELL_READ_LIMIT = 16 * 1024 * 1024
SHELL_WRITE_LIMIT = 32 * 1024

Run = Callable[[str, int], RawResult]
"""Runs a command in the private shell: ``run(command, max_output)``."""

_STRERROR = {os.strerror(code).lower(): code for code in sorted(errno.errorcode)}
_PRINTF_SAFE = frozenset(range(0x20, 0x7F)) - {ord("\\"), ord("%"), ord("'")}


def os_error(message: str, path: str) -> OSError | None:
    """The :class:`OSError` (with errno) whose text ends ``message`` (as in
    ``bash: /x: File name too long`` or the engine's ``...: file name too long``)."""
    tail = message.strip().rstrip("\")'").lower()
    for text, code in sorted(_STRERROR.items(), key=lambda item: -len(item[0])):
        if text and tail.endswith(text):
            return OSError(code, os.strerror(code), path)
    return None


def printf_format(data: bytes) -> str:
    """``data`` as a single-quoted bash ``printf`` format that prints exactly ``data``.
    Bytes >= 0x80 stay raw (as lone surrogates: encode the command with
    ``surrogateescape``); other non-printable bytes, quotes and backslashes become
    ``\\xHH``, ``%`` becomes ``%%``."""
    out = []
    for byte in data:
        if byte in _PRINTF_SAFE:
            out.append(chr(byte))
        elif byte >= 0x80:
            out.append(chr(0xDC00 + byte))
        elif byte == ord("%"):
            out.append("%%")
        else:
            out.append(f"\\x{byte:02x}")
    return "'" + "".join(out) + "'"


def read_via_shell(run: Run, path: str, limit: int) -> bytes | None:
    """Read ``path`` through the private shell; ``None`` means "ask the engine".

    Raises:
        FileNotFoundError, IsADirectoryError, PermissionError, ValueError (over ``limit``).
    """
    small = min(limit, SHELL_READ_LIMIT)
    q = ansi_c_quote(path)
    raw = run(
        f"f={q}; if [[ ! -e $f ]]; then printf E:NOENT; elif [[ -d $f ]]; then printf E:ISDIR; "
        "elif [[ ! -f $f ]]; then printf E:NOTREG; "
        f'elif [[ ! -r $f ]]; then printf E:ACCES; elif s=$(command stat -L -c %s -- "$f"); '
        f'then if (( s > {small} )); then printf E:BIG:%s "$s"; else printf S:%s: "$s"; '
        f'command base64 -w0 < "$f"; fi; else printf E:STAT; fi',
        small * 4 // 3 + 128,
    )
    if raw.exit_code != 0 or raw.output.cut:
        return None
    out = raw.output.bytes()
    if out == b"E:NOENT":
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    if out == b"E:ISDIR":
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    if out == b"E:ACCES":
        raise PermissionError(errno.EACCES, "Permission denied", path)
    if out == b"E:NOTREG":  # a FIFO or a device would block or never end
        raise OSError(errno.EINVAL, "Not a regular file", path)
    big = re.fullmatch(rb"E:BIG:(\d+)", out)
    if big:
        if int(big.group(1)) > limit:
            raise ValueError(f"{path} is {int(big.group(1))} bytes, over the {limit}-byte limit")
        return None
    found = re.fullmatch(rb"S:(\d+):([A-Za-z0-9+/=]*)", out)
    if not found:
        return None
    try:
        data = base64.b64decode(found.group(2), validate=True)
    except ValueError:
        return None
    return data if len(data) == int(found.group(1)) else None


def write_via_shell(run: Run, path: str, data: bytes, mode: int | None) -> bool:
    """Write ``data`` (at most :data:`SHELL_WRITE_LIMIT` bytes) through the private shell
    with builtins only. ``False`` means "ask the engine".

    Raises:
        OSError: the write failed for a reason the path explains (errno set).
    """
    q, parent = ansi_c_quote(path), ansi_c_quote(posixpath.dirname(path) or "/")
    chmod = f' && command chmod {mode:o} -- "$f"' if mode is not None else ""
    raw = run(
        f"f={q}; if [[ -d $f ]]; then printf E:ISDIR; elif [[ -e $f && ! -f $f ]]; "
        "then printf E:NOTREG; "
        f"elif ! {{ [[ -d {parent} ]] || command mkdir -p -- {parent}; }} 2>&1; "
        "then printf '\\nE:FAIL'; "
        f'elif ! {{ \\builtin printf {printf_format(data)} > "$f"; }} 2>&1; '
        "then printf '\\nE:FAIL'; "
        f"elif ! {{ :{chmod}; }} >/dev/null 2>&1; then printf E:CHMOD; else printf OK; fi",
        8192,
    )
    out = raw.output.bytes()
    if out == b"E:ISDIR":
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    if out == b"E:NOTREG":
        raise OSError(errno.EINVAL, "Not a regular file", path)
    if raw.exit_code == 0 and out == b"OK":
        return True
    if out.endswith(b"\nE:FAIL"):  # mkdir's or the redirection's message, then the tag
        error = os_error(out[: -len(b"\nE:FAIL")].decode("utf-8", "replace"), path)
        if error is not None:
            raise error
    return False


def _archive_error(exc: Exception, path: str) -> Exception:
    """An answer of the engine about the path becomes the matching OSError; anything
    else (no answer, an unknown failure) is an infrastructure fault. (``requests``'
    connection errors are OSErrors too: they must not pass for the agent's.)"""
    if isinstance(exc, docker.errors.APIError):
        error = os_error(str(exc), path)
        if error is not None:
            return error
        if isinstance(exc, docker.errors.NotFound):
            return FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    return SandboxError(f"{path}: {exc}")


def read_via_archive(container: Any, path: str, limit: int) -> tuple[bytes | None, str | None]:
    """Read ``path`` with ``get_archive``. Returns ``(data, None)`` or, for a symbolic
    link, ``(None, target)`` for the caller to follow.

    Raises:
        OSError subclasses and ValueError as :meth:`Sandbox.read_file`; SandboxError.
    """
    try:
        stream, stat = container.get_archive(path)
        if stat.get("mode", 0) & (1 << 31):  # Go's os.ModeDir
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        if stat.get("size", 0) > limit:
            raise ValueError(f"{path} is {stat['size']} bytes, over the {limit}-byte limit")
        data = b"".join(stream)
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        raise _archive_error(exc, path) from exc
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.next()
        if member is not None and member.issym():
            target = posixpath.join(posixpath.dirname(path), member.linkname)
            return None, posixpath.normpath(target)
        if member is None or not member.isfile():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        fh = tar.extractfile(member)
        return (fh.read() if fh else b""), None


def write_via_archive(container: Any, path: str, data: bytes, mode: int) -> None:
    """Write ``path`` with ``put_archive`` (parents are created).

    Raises:
        OSError subclasses for path problems; SandboxError when the engine fails.
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name=path.lstrip("/"))
        info.size = len(data)
        info.mode = mode
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    try:
        ok = container.put_archive("/", buf.getvalue())
    except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
        raise _archive_error(exc, path) from exc
    if not ok:
        raise SandboxError(f"writing {path}: the engine refused the archive")
