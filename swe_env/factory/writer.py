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
    """``src`` without version control, caches or bytecode. An sdist's ``*.egg-info`` stays:
    a package that reads its own version (importlib.metadata) finds it there, as the
    probe's image of the original repository does."""
    ignore = shutil.ignore_patterns(*SKIP_PARTS, "*.pyc", "*.pyo")
    shutil.copytree(src, dest, symlinks=True, ignore=ignore)


def task_yaml(
    task_dir: Path,
    env: EnvironmentSpec,
    statement: str,
    broken: list[str],
    still_passing: list[str],
    metadata: dict,
) -> None:
    """Write ``task_dir/task.yaml`` (``repo/``, ``hidden/`` and ``gold.patch`` beside it)."""
    spec = {
        "id": task_dir.name,
        "problem_statement": statement,
        "source": {"type": "dir", "path": "repo"},
        "environment": {k: v for k, v in env.model_dump(mode="json").items() if v},
        "hidden_tests": "hidden",
        "gold_patch": "gold.patch",
        "FAIL_TO_PASS": broken,
        "PASS_TO_PASS": still_passing,
        "metadata": metadata,
    }
    (task_dir / "task.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, width=100))


def candidate_of(task_dir: Path) -> str | None:
    """The factory candidate id a task directory was written for (``None``: not ours)."""
    try:
        raw = yaml.safe_load((task_dir / "task.yaml").read_text())
        return str(raw["metadata"]["candidate"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return None


def write_task(
    task_dir: Path,
    repo: Path,
    mutation: Mutation,
    env: EnvironmentSpec,
    statement: tuple[str, str],
    broken: list[str],
    still_passing: list[str],
    candidate: str = "",
) -> None:
    """One task directory for ``mutation`` of ``repo`` (which holds the original code);
    ``statement`` is (text, how it was written)."""
    original = (repo / mutation.path).read_text()
    copy_clean(repo, task_dir / "repo")
    (task_dir / "repo" / mutation.path).write_text(mutation.source)
    for rel in find_test_files(repo):
        target = task_dir / "hidden" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / rel, target)
    (task_dir / "gold.patch").write_text(diff(mutation.path, mutation.source, original))
    metadata = {
        "factory": "mutate",
        "candidate": candidate,
        "kind": mutation.kind,
        "mutation": mutation.detail,
        "function": f"{mutation.path}::{mutation.function}",
        "statement_source": statement[1],
    }
    task_yaml(task_dir, env, statement[0], broken, still_passing, metadata)
