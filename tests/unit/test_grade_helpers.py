"""Unit tests for grading's pure helpers: protected paths, touched paths, pytest detection.

Patches come from real ``git diff --binary`` runs in temporary repositories.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rewards.grade import _is_pytest, is_protected, touched_paths

# -- is_protected ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_x.py",
        "tests/helpers.py",
        "tests/data/input.txt",
        "test/unit/helpers.py",
        "testing/utils.py",
        "pkg/tests/__init__.py",
        "src/pkg/tests/fixtures/a.json",
        "test_top.py",
        "pkg/test_module.py",
        "pkg/module_test.py",
        "pkg/module_tests.py",
        "conftest.py",
        "pkg/conftest.py",
        "src/deep/er/conftest.py",
        "sitecustomize.py",
        "src/sitecustomize.py",
        "usercustomize.py",
        "lib/usercustomize.py",
        "evil.pth",
        "site-packages/x.pth",
        "pytest.ini",
        ".pytest.ini",
        "sub/pytest.ini",
        "tox.ini",
        "setup.cfg",
        "pkg/setup.cfg",
        "noxfile.py",
    ],
)
def test_protected(path: str) -> None:
    assert is_protected(path)


@pytest.mark.parametrize(
    "path",
    [
        "src/pkg/module.py",
        "README.md",
        "pkg/__init__.py",
        "pyproject.toml",  # checked separately: only its [tool.pytest] table matters
        "setup.py",
        "docs/testing.md",
        "pkg/contest.py",
        "pkg/latest.py",
        "pkg/attestation.py",
        "mytests/helper.py",
        "pkg/testutils.py",
        "pkg/test_data.json",
        "pkg/conftest.py.orig",
        "pth.py",
        "tox.ini.bak",
    ],
)
def test_not_protected(path: str) -> None:
    assert not is_protected(path)


# -- touched_paths ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed base repository, built once and copied for each test."""
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    files = {
        "pkg/mod.py": "X = 1\n",
        "pkg/gone.py": "GONE = 1\n",
        "tests/test_a.py": "def test_a():\n    assert X == 1\n",
        "old name.py": "".join(f"line {i}\n" for i in range(20)),
        "img.bin": "\x00\x01\x02\x03",
        "run.sh": "echo hi\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode())
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))


def git(root: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@localhost",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@localhost",
    }
    out = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout


def diff(root: Path) -> str:
    git(root, "add", "-A")
    return git(root, "diff", "--cached", "--binary", "HEAD")


def test_modified_added_deleted(repo: Path) -> None:
    (repo / "pkg/mod.py").write_text("X = 2\n")
    (repo / "pkg/new.py").write_text("NEW = 1\n")
    (repo / "pkg/gone.py").unlink()
    assert touched_paths(diff(repo)) == ["pkg/gone.py", "pkg/mod.py", "pkg/new.py"]


def test_deleted_test_file(repo: Path) -> None:
    (repo / "tests/test_a.py").unlink()
    paths = touched_paths(diff(repo))
    assert paths == ["tests/test_a.py"]
    assert is_protected(paths[0])  # the conftest.py under a non-ASCII directory


def test_renamed_file_gives_both_sides(repo: Path) -> None:
    git(repo, "mv", "tests/test_a.py", "pkg/a.py")
    paths = touched_paths(diff(repo))
    assert paths == ["pkg/a.py", "tests/test_a.py"]
    assert is_protected("tests/test_a.py")


def test_renamed_and_edited_file_with_spaces(repo: Path) -> None:
    git(repo, "mv", "old name.py", "new name.py")
    text = (repo / "new name.py").read_text().replace("line 5", "LINE 5")
    (repo / "new name.py").write_text(text)
    patch = diff(repo)
    assert "rename from old name.py" in patch
    assert touched_paths(patch) == ["new name.py", "old name.py"]


def test_modified_file_with_spaces(repo: Path) -> None:
    (repo / "old name.py").write_text("changed\n")
    assert touched_paths(diff(repo)) == ["old name.py"]


def test_binary_files(repo: Path) -> None:
    (repo / "img.bin").write_bytes(b"\x00\xff\xfe")
    (repo / "new.bin").write_bytes(b"\x00" * 10)
    patch = diff(repo)
    assert "GIT binary patch" in patch
    assert touched_paths(patch) == ["img.bin", "new.bin"]


def test_deleted_binary_file(repo: Path) -> None:
    (repo / "img.bin").unlink()
    assert touched_paths(diff(repo)) == ["img.bin"]


def test_mode_change_only(repo: Path) -> None:
    (repo / "run.sh").chmod(0o755)
    patch = diff(repo)
    assert "new mode 100755" in patch
    assert touched_paths(patch) == ["run.sh"]


def test_added_hooks_are_touched_and_protected(repo: Path) -> None:
    for rel in ("conftest.py", "pkg/sitecustomize.py", "zz.pth", "pytest.ini"):
        (repo / rel).write_text("import os\n")
    paths = touched_paths(diff(repo))
    assert paths == ["conftest.py", "pkg/sitecustomize.py", "pytest.ini", "zz.pth"]
    assert is_protected(paths[0])  # the conftest.py under a non-ASCII directory


def test_everything_at_once(repo: Path) -> None:
    (repo / "pkg/mod.py").write_text("X = 2\n")
    (repo / "pkg/gone.py").unlink()
    (repo / "img.bin").write_bytes(b"\x00\xff")
    (repo / "tests/conftest.py").write_text("")
    git(repo, "mv", "old name.py", "renamed.py")
    assert touched_paths(diff(repo)) == [
        "img.bin",
        "old name.py",
        "pkg/gone.py",
        "pkg/mod.py",
        "renamed.py",
        "tests/conftest.py",
    ]


def test_empty_and_garbage_patches() -> None:
    assert touched_paths("") == []
    assert touched_paths("not a diff at all\n") == []
    assert touched_paths("@@ -1 +1 @@\n-a\n+b\n") == []


def test_hand_written_patch_without_git_header() -> None:
    patch = "--- a/pkg/x.py\n+++ b/pkg/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert touched_paths(patch) == ["pkg/x.py"]


def test_non_ascii_paths_are_unquoted(repo: Path) -> None:
    (repo / "pkg/é").mkdir()
    (repo / "pkg/é/conftest.py").write_text("import os\n")
    (repo / "tést_x.py").write_text("")
    patch = diff(repo)
    assert '"b/pkg/\\303\\251/conftest.py"' in patch  # git's default core.quotePath
    paths = touched_paths(patch)
    assert paths == ["pkg/é/conftest.py", "tést_x.py"]
    assert is_protected(paths[0])  # the conftest.py under a non-ASCII directory


# -- _is_pytest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd",
    [
        "pytest",
        "pytest -rA tests",
        "python -m pytest -rA -p no:cacheprovider tests",
        "py.test tests/test_x.py",
        "/opt/venv/bin/pytest -q",
        "cd sub && pytest",
        "PYTHONPATH=. pytest\ttests",
    ],
)
def test_is_pytest(cmd: str) -> None:
    assert _is_pytest(cmd)


@pytest.mark.parametrize(
    "cmd",
    [
        "tox -e py311",
        "python -m unittest discover",
        "python runtests.py",
        "make test",
        "mypytest tests",
        "pytest-benchmark run",
        "python -m pytest_custom",
        "./tests/runtests.py --verbosity 2",
        "",
    ],
)
def test_is_not_pytest(cmd: str) -> None:
    assert not _is_pytest(cmd)
