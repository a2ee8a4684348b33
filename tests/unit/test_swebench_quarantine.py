"""The quarantine file: what it holds, how load_suite skips it, and what it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from swe_env.errors import TaskError
from swe_env.tasks.native import load_suite, suite_dir
from swe_env.tasks.quarantine import FILE, read_quarantine, update_quarantine


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    dest = tmp_path / "demo"
    shutil.copytree(suite_dir("demo"), dest)
    return dest


def test_quarantined_tasks_are_skipped_unless_asked(suite: Path) -> None:
    every = [t.id for t in load_suite(str(suite))]
    victim = every[0]
    update_quarantine(suite, {victim: "the gold patch does not resolve"})
    assert read_quarantine(suite) == {victim: "the gold patch does not resolve"}
    assert [t.id for t in load_suite(str(suite))] == every[1:]
    assert [t.id for t in load_suite(str(suite), include_quarantined=True)] == every


def test_update_merges_clears_and_removes_the_empty_file(suite: Path) -> None:
    update_quarantine(suite, {"a": "x", "b": "y"})
    assert update_quarantine(suite, {"c": "z"}, cleared=["a"]) == {"b": "y", "c": "z"}
    assert update_quarantine(suite, {}, cleared=["b", "c"]) == {}
    assert not (suite / FILE).exists()


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", '{"a": 3}'])
def test_a_malformed_quarantine_is_an_error_not_an_empty_one(suite: Path, text: str) -> None:
    (suite / FILE).write_text(text)
    with pytest.raises(TaskError, match=FILE):
        load_suite(str(suite))
