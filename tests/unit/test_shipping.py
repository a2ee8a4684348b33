"""Task trees travel with Ray jobs (swe_env.rollout.shipping): what a node unpacks has the
same content hash as the driver's copy, holds no hidden test, and nothing escapes."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from swe_env.images.build import instance_tag
from swe_env.rollout.shipping import pack, unpack
from swe_env.tasks import load_suite
from swe_env.tasks.spec import GitSource

TASK = next(t for t in load_suite("demo") if t.id == "inicfg-delimiter-in-value")


def test_unpacked_tree_has_the_same_image_tag(tmp_path) -> None:
    blob = pack(TASK)
    assert blob is not None
    shipped = unpack(TASK, blob, cache=tmp_path)
    assert shipped.source.path != TASK.source.path
    assert shipped.source.path.startswith(str(tmp_path))
    assert instance_tag(shipped) == instance_tag(TASK)
    assert shipped.hidden_tests == TASK.hidden_tests  # inline in the spec, not in the tree
    again = unpack(TASK, blob, cache=tmp_path)  # once per archive: the same copy
    assert again.source.path == shipped.source.path


def test_the_archive_holds_the_repository_only() -> None:
    with tarfile.open(fileobj=io.BytesIO(pack(TASK)), mode="r:gz") as tar:
        files = {m.name.removeprefix("repo/"): tar.extractfile(m).read() for m in tar if m.isfile()}
    root = Path(TASK.source.path)
    assert files == {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    for path, content in TASK.hidden_tests.items():  # a hidden test never rides along
        assert files.get(path) != content.encode()


def test_other_sources_travel_as_they_are(tmp_path) -> None:
    task = TASK.model_copy(update={"source": GitSource(url="https://example.invalid/r.git")})
    assert pack(task) is None
    assert unpack(task, None, cache=tmp_path) is task


def test_a_member_outside_the_tree_is_refused(tmp_path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"x"
        info = tarfile.TarInfo("../escaped")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises((ValueError, tarfile.TarError)):
        unpack(TASK, buf.getvalue(), cache=tmp_path / "cache")
    assert not (tmp_path / "escaped").exists()
