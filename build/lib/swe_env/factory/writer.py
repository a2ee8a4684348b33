"""Write a kept mutation as a native task directory (see tasks/demo/README.md).

``repo/`` is the *mutated* repository (no bytecode, caches or .git: nothing of the original
code), ``hidden/`` holds the repository's test files (visible in ``repo/`` too, restored at
grading time), ``gold.patch`` is the reverse diff.
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import yaml

from swe_env.factory.mutators import Mutation
from swe_env.images.build import SKIP_PARTS
from swe_env.tasks.spec import EnvironmentSpec

_TEST_FILE = re.compile(r"(^|/)(tests?|testing)/.*\.py$|(^|/)test_[^/]*\.py$|_tests?\.py$")
_CONFTEST = "conftest.py"


def diff(path: str, old: str, new: str) -> str:
    """A git-style unified diff of one file (both texts end with a newline)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        f"a/{path}",
        f"b/{path}",
        n=3,
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(lines)


def find_test_files(repo: Path) -> list[str]:
    """Repo-relative paths of the test modules and conftest files."""
    found = []
    for p in sorted(repo.rglob("*.py")):
        rel = p.relative_to(repo).as_posix()
        if SKIP_PARTS.intersection(p.relative_to(repo).parts):
            continue
        if _TEST_FILE.search(rel) or p.name == _CONFTEST:
            found.append(rel)
    return found


def copy_clean(src: Path, dest: Path) -> None:
    """``src`` without version control, caches or bytecode."""
    ignore = shutil.ignore_patterns(*SKIP_PARTS, "*.pyc", "*.pyo", "*.egg-info")
    shutil.copytree(src, dest, symlinks=True, ignore=ignore)


def write_task(
    task_dir: Path,
    repo: Path,
    mutation: Mutation,
    env: EnvironmentSpec,
    statement: str,
    broken: list[str],
    still_passing: list[str],
) -> None:
    """One task directory for ``mutation`` of ``repo`` (which holds the original code)."""
    original = (repo / mutation.path).read_text()
    copy_clean(repo, task_dir / "repo")
    (task_dir / "repo" / mutation.path).write_text(mutation.source)
    for rel in find_test_files(repo):
        target = task_dir / "hidden" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / rel, target)
    (task_dir / "gold.patch").write_text(diff(mutation.path, mutation.source, original))
    spec = {
        "id": task_dir.name,
        "problem_statement": statement,
        "source": {"type": "dir", "path": "repo"},
        "environment": {k: v for k, v in env.model_dump(mode="json").items() if v},
        "hidden_tests": "hidden",
        "gold_patch": "gold.patch",
        "FAIL_TO_PASS": broken,
        "PASS_TO_PASS": still_passing,
        "metadata": {
            "factory": "mutate",
            "kind": mutation.kind,
            "mutation": mutation.detail,
            "function": f"{mutation.path}::{mutation.function}",
            "statement": "template",
        },
    }
    (task_dir / "task.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, width=100))
