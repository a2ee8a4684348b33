"""Native task suites: ``tasks/<suite>/<task>/task.yaml``.

A task directory holds ``task.yaml``, the repository's base state (``repo/``), the
hidden tests (a directory mirrored onto the repository root) and ``gold.patch``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swe_env.errors import TaskError
from swe_env.tasks.spec import DirSource, EnvironmentSpec, RepoSource, TaskSpec

TASKS_DIR = Path(__file__).resolve().parents[2] / "tasks"
# libyaml's safe loader when available: loading the demo suite drops from ~180 ms to ~10 ms.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def tasks_root() -> Path:
    """Where suites live: ``SWE_ENV_TASKS`` or the repository's ``tasks/``."""
    return Path(os.environ.get("SWE_ENV_TASKS", TASKS_DIR))


class TaskFile(BaseModel):
    """The schema of ``task.yaml`` (paths relative to the task directory)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    problem_statement: str
    source: RepoSource
    base_commit: str | None = None
    environment: EnvironmentSpec
    hidden_tests: str | None = None
    """Directory mirrored onto the repository root at grading time."""
    test_patch: str | None = None
    """File holding a diff that adds the hidden tests."""
    gold_patch: str | None = None
    fail_to_pass: list[str] = Field(alias="FAIL_TO_PASS")
    pass_to_pass: list[str] = Field(default_factory=list, alias="PASS_TO_PASS")
    log_parser: str = "pytest"
    grading: str = "strict"
    metadata: dict[str, Any] = Field(default_factory=dict)


def _field_error(path: Path, exc: ValidationError) -> TaskError:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{path}: field {loc!r}: {err['msg']}")
    return TaskError("\n".join(lines))


def _read(task_dir: Path, rel: str, what: str, yaml_path: Path) -> Path:
    target = (task_dir / rel).resolve()
    if not target.is_relative_to(task_dir.resolve()) or not target.exists():
        raise TaskError(f"{yaml_path}: field {what!r}: {rel!r} does not exist in {task_dir}")
    return target


def _text(path: Path, what: str, yaml_path: Path) -> str:
    """The UTF-8 text of ``path``, or a TaskError naming the field and the file."""
    try:
        return path.read_bytes().decode()
    except UnicodeDecodeError as exc:
        raise TaskError(
            f"{yaml_path}: field {what!r}: {path} is not UTF-8 text (byte {exc.start})"
        ) from None
    except OSError as exc:
        raise TaskError(
            f"{yaml_path}: field {what!r}: cannot read {path}: {exc.strerror}"
        ) from None


def load_task(task_dir: Path, suite: str = "") -> TaskSpec:
    """Load one task directory.

    Raises:
        TaskError: the file is missing, not YAML, or a field is missing, mistyped or unknown.
    """
    yaml_path = task_dir / "task.yaml"
    try:
        raw = yaml.load(yaml_path.read_bytes().decode(), Loader=_SafeLoader)
    except FileNotFoundError:
        raise TaskError(f"{yaml_path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise TaskError(f"{yaml_path}: not UTF-8 text (byte {exc.start}); is it binary?") from None
    except OSError as exc:
        raise TaskError(f"{yaml_path}: cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise TaskError(f"{yaml_path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise TaskError(f"{yaml_path}: expected a mapping at the top level")
    try:
        spec = TaskFile.model_validate(raw)
    except ValidationError as exc:
        raise _field_error(yaml_path, exc) from None
    source = spec.source
    if isinstance(source, DirSource):
        source = DirSource(path=str(_read(task_dir, source.path, "source.path", yaml_path)))
    hidden: dict[str, str] = {}
    if spec.hidden_tests:
        root = _read(task_dir, spec.hidden_tests, "hidden_tests", yaml_path)
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            if "__pycache__" in file.parts:
                continue
            hidden[file.relative_to(root).as_posix()] = _text(file, "hidden_tests", yaml_path)
    test_patch = (
        _text(_read(task_dir, spec.test_patch, "test_patch", yaml_path), "test_patch", yaml_path)
        if spec.test_patch
        else None
    )
    gold = (
        _text(_read(task_dir, spec.gold_patch, "gold_patch", yaml_path), "gold_patch", yaml_path)
        if spec.gold_patch
        else None
    )
    data = spec.model_dump(by_alias=True, exclude={"hidden_tests", "test_patch", "gold_patch"})
    data.update(
        suite=suite, source=source, hidden_tests=hidden, test_patch=test_patch, gold_patch=gold
    )
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise _field_error(yaml_path, exc) from None


def suite_dir(suite: str) -> Path:
    path = Path(suite)
    if path.is_dir() and (path / "task.yaml").exists() is False and any(path.glob("*/task.yaml")):
        return path
    candidate = tasks_root() / suite
    if not tasks_root().is_dir():
        raise TaskError(f"the tasks root {tasks_root()} does not exist (check SWE_ENV_TASKS)")
    if not candidate.is_dir():
        known = sorted(p.name for p in tasks_root().iterdir() if p.is_dir())
        raise TaskError(f"no suite {suite!r} in {tasks_root()} (known: {', '.join(known)})")
    return candidate


def load_suite(suite: str, *, include_quarantined: bool = False) -> list[TaskSpec]:
    """Every task of ``suite`` (a name under the tasks root, or a directory), sorted by id;
    tasks in the suite's quarantine (:mod:`swe_env.tasks.quarantine`) only when asked."""
    from swe_env.tasks.quarantine import read_quarantine

    root = suite_dir(suite)
    name = root.name
    skip = set() if include_quarantined else set(read_quarantine(root))
    tasks = [load_task(d, name) for d in sorted(root.iterdir()) if (d / "task.yaml").is_file()]
    return [t for t in tasks if t.id not in skip]


def list_suites() -> list[str]:
    root = tasks_root()
    if not root.is_dir():
        raise TaskError(f"the tasks root {root} does not exist (check SWE_ENV_TASKS)")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*/task.yaml")))


def find_task(task_id: str, suite: str | None = None) -> TaskSpec:
    """Look a task up by ``suite/id`` or by ``id`` within ``suite`` (or any suite)."""
    if "/" in task_id and suite is None:
        suite, _, task_id = task_id.rpartition("/")
    suites = [suite] if suite else list_suites()
    for name in suites:
        candidate = suite_dir(name) / task_id
        if (candidate / "task.yaml").is_file():
            return load_task(candidate, suite_dir(name).name)
    raise TaskError(f"no task {task_id!r} in suite(s) {', '.join(suites)}")
