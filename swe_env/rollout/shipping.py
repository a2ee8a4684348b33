"""Task data travels with the job: a node needs no checkout of ``tasks/``.

A :class:`TaskSpec` already carries its hidden tests and gold patch inline. Only a ``dir``
source points at files on the driver's disk, so the driver packs that tree once per task
(a gzip'd tar, put in Ray's object store once and passed by reference with every job of
the task) and the node unpacks it into a cache keyed by the archive's hash. The unpacked
tree has the same contents, so the instance image's content-hashed tag is the same on
every node. Only the repository travels in the archive: the hidden tests stay in the
spec, which the grader reads, and never enter the agent's container.

``git`` and ``mirror`` sources travel as they are: a node then needs the instance image
(``swe-env cluster load``), the mirror, or the network.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from swe_env.images.build import SKIP_PARTS
from swe_env.tasks.spec import DirSource, TaskSpec

CACHE = Path(os.environ.get("SWE_ENV_SHIP_CACHE", Path.home() / ".cache/swe-env/shipped"))


def _skip(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    parts = set(Path(info.name).parts)
    if SKIP_PARTS.intersection(parts) or info.name.endswith(".pyc"):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def pack(task: TaskSpec) -> bytes | None:
    """The repository tree of a ``dir`` task as a gzip'd tar; ``None`` for other sources."""
    if not isinstance(task.source, DirSource):
        return None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(task.source.path, arcname="repo", filter=_skip)
    return buf.getvalue()


def _extract(tar: tarfile.TarFile, dest: Path) -> None:
    """Extract with the ``data`` filter where this Python has it (3.11.4+); before that,
    refuse members that would land outside ``dest`` (absolute, ``..``, or links)."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
        return
    for member in tar.getmembers():
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or member.islnk() or member.isdev():
            raise ValueError(f"refusing {member.name!r} in a shipped task tree")
        if member.issym() and (
            member.linkname.startswith("/") or ".." in Path(member.linkname).parts
        ):
            raise ValueError(f"refusing the link {member.name!r} in a shipped task tree")
    tar.extractall(dest)  # members checked above


def unpack(task: TaskSpec, blob: bytes | None, cache: Path | None = None) -> TaskSpec:
    """``task`` with its ``dir`` source pointing at this node's copy of ``blob``.

    Unpacked once per archive (into a temporary directory, then renamed), so concurrent
    episodes of one task on a node share the copy.
    """
    if blob is None or not isinstance(task.source, DirSource):
        return task
    root = Path(cache or CACHE)
    dest = root / hashlib.sha256(blob).hexdigest()[:24]
    if not (dest / "repo").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=root))
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            _extract(tar, tmp)
        try:
            tmp.rename(dest)
        except OSError:  # another episode unpacked it first
            shutil.rmtree(tmp, ignore_errors=True)
    return task.model_copy(update={"source": DirSource(path=str(dest / "repo"))})
