"""Unit tests for task loading: the bundled ``demo`` suite, task-file errors, TaskSpec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from swe_env.errors import TaskError
from swe_env.tasks import (
    DirSource,
    EnvironmentSpec,
    TaskSpec,
    find_task,
    list_suites,
    load_suite,
    load_task,
    tasks_root,
)
from swe_env.tasks.native import TASKS_DIR

DEMO_IDS = sorted(p.parent.name for p in (TASKS_DIR / "demo").glob("*/task.yaml"))


@pytest.fixture(scope="module")
def demo() -> list[TaskSpec]:
    return load_suite(str(TASKS_DIR / "demo"))  # whatever SWE_ENV_TASKS says


@pytest.fixture(autouse=True)
def _default_tasks_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWE_ENV_TASKS", raising=False)


# -- the bundled suite -----------------------------------------------------------------


def test_demo_suite_has_fourteen_tasks(demo: list[TaskSpec]) -> None:
    assert len(demo) == 14
    assert [t.id for t in demo] == DEMO_IDS  # sorted by id
    assert len({t.id for t in demo}) == 14


@pytest.mark.parametrize("task_id", DEMO_IDS)
def test_demo_task_is_complete(demo: list[TaskSpec], task_id: str) -> None:
    task = next(t for t in demo if t.id == task_id)
    assert task.suite == "demo"
    assert task.full_id == f"demo/{task_id}"
    assert task.fail_to_pass, "FAIL_TO_PASS is empty"
    assert task.hidden_tests, "no hidden tests"
    assert all(content for content in task.hidden_tests.values())
    assert not any("__pycache__" in p for p in task.hidden_tests)
    assert task.gold_patch and task.gold_patch.startswith("diff --git ")
    assert task.problem_statement.strip()
    assert isinstance(task.source, DirSource)
    source = Path(task.source.path)
    assert source.is_absolute() and source.is_dir()
    assert source == (TASKS_DIR / "demo" / task_id / "repo").resolve()
    # F2P / P2P ids name files that exist once the hidden tests are added.
    for test_id in (*task.fail_to_pass, *task.pass_to_pass):
        file = test_id.split("::")[0]
        assert file in task.hidden_tests or (source / file).is_file(), test_id
    assert not set(task.fail_to_pass) & set(task.pass_to_pass)


def test_demo_tasks_share_one_env_key(demo: list[TaskSpec]) -> None:
    keys = {t.environment.env_key() for t in demo}
    assert len(keys) == 1


def test_list_suites_includes_demo() -> None:
    assert "demo" in list_suites()


def test_find_task_by_full_id_and_bare_id() -> None:
    task_id = DEMO_IDS[0]
    by_full = find_task(f"demo/{task_id}")
    by_bare = find_task(task_id)
    by_suite = find_task(task_id, suite="demo")
    assert by_full == by_bare == by_suite
    assert by_full.id == task_id
    assert by_full.suite == "demo"


def test_find_task_unknown_raises_task_error() -> None:
    with pytest.raises(TaskError, match="no-such-task"):
        find_task("demo/no-such-task")
    with pytest.raises(TaskError, match="no-such-task"):
        find_task("no-such-task")


def test_unknown_suite_raises_task_error_listing_known() -> None:
    with pytest.raises(TaskError, match="demo"):
        load_suite("no-such-suite")


def test_load_suite_accepts_a_directory() -> None:
    tasks = load_suite(str(TASKS_DIR / "demo"))
    assert [t.id for t in tasks] == DEMO_IDS
    assert {t.suite for t in tasks} == {"demo"}


# -- bad task files --------------------------------------------------------------------

VALID: dict[str, Any] = {
    "id": "t1",
    "problem_statement": "Fix the bug.",
    "source": {"type": "dir", "path": "repo"},
    "environment": {"python": "3.11", "pip_packages": ["pytest"], "test_cmd": "pytest"},
    "hidden_tests": "hidden",
    "gold_patch": "gold.patch",
    "FAIL_TO_PASS": ["tests/test_x.py::test_a"],
    "PASS_TO_PASS": ["tests/test_x.py::test_b"],
}


def make_task(task_dir: Path, data: dict[str, Any] | str | None = None) -> Path:
    """A minimal valid task directory; ``data`` replaces task.yaml's content."""
    (task_dir / "repo" / "pkg").mkdir(parents=True)
    (task_dir / "repo" / "pkg" / "mod.py").write_text("X = 1\n")
    (task_dir / "hidden" / "tests").mkdir(parents=True)
    (task_dir / "hidden" / "tests" / "test_x.py").write_text("def test_a(): pass\n")
    (task_dir / "gold.patch").write_text("diff --git a/pkg/mod.py b/pkg/mod.py\n")
    if data is None:
        data = VALID
    text = data if isinstance(data, str) else yaml.safe_dump(data)
    (task_dir / "task.yaml").write_text(text)
    return task_dir / "task.yaml"


def with_changes(**changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in VALID.items() if k not in changes or changes[k] is not ...}
    data.update({k: v for k, v in changes.items() if v is not ...})
    return data


def test_minimal_task_loads(tmp_path: Path) -> None:
    make_task(tmp_path / "t1")
    task = load_task(tmp_path / "t1", "mine")
    assert task.full_id == "mine/t1"
    assert task.hidden_tests == {"tests/test_x.py": "def test_a(): pass\n"}
    assert task.gold_patch == "diff --git a/pkg/mod.py b/pkg/mod.py\n"
    assert task.fail_to_pass == ("tests/test_x.py::test_a",)
    assert task.test_paths() == ["tests/test_x.py"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param(with_changes(problem_statement=...), "problem_statement", id="missing"),
        pytest.param(with_changes(FAIL_TO_PASS="tests/x.py::t"), "FAIL_TO_PASS", id="f2p-str"),
        pytest.param(with_changes(FAIL_TO_PASS=5), "FAIL_TO_PASS", id="f2p-int"),
        pytest.param(with_changes(FAIL_TO_PASS=[]), "FAIL_TO_PASS", id="f2p-empty"),
        pytest.param(with_changes(bogus_key=1), "bogus_key", id="unknown-key"),
        pytest.param(
            with_changes(environment={"python": "3.10", "test_cmd": "pytest"}),
            "environment.python",
            id="bad-python",
        ),
        pytest.param(
            with_changes(environment={"python": "3.11"}), "environment.test_cmd", id="no-test-cmd"
        ),
        pytest.param(with_changes(id="bad id!"), "id", id="bad-id"),
        pytest.param(with_changes(source={"type": "svn", "path": "x"}), "source", id="bad-source"),
    ],
)
def test_invalid_field_names_file_and_field(tmp_path: Path, data: dict, field: str) -> None:
    yaml_path = make_task(tmp_path / "t1", data)
    with pytest.raises(TaskError) as exc:
        load_task(tmp_path / "t1")
    message = str(exc.value)
    assert str(yaml_path) in message
    assert repr(field) in message or field in message


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    yaml_path = make_task(tmp_path / "t1", "id: t1\nproblem_statement: [unclosed\n")
    with pytest.raises(TaskError, match="not valid YAML") as exc:
        load_task(tmp_path / "t1")
    assert str(yaml_path) in str(exc.value)


def test_non_mapping_yaml_is_rejected(tmp_path: Path) -> None:
    yaml_path = make_task(tmp_path / "t1", "- a\n- b\n")
    with pytest.raises(TaskError, match="mapping") as exc:
        load_task(tmp_path / "t1")
    assert str(yaml_path) in str(exc.value)


def test_missing_task_yaml(tmp_path: Path) -> None:
    (tmp_path / "t1").mkdir()
    with pytest.raises(TaskError, match="no such file") as exc:
        load_task(tmp_path / "t1")
    assert str(tmp_path / "t1" / "task.yaml") in str(exc.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hidden_tests": "missing-dir"}, "hidden_tests"),
        ({"gold_patch": "missing.patch"}, "gold_patch"),
        ({"test_patch": "missing.patch"}, "test_patch"),
        ({"source": {"type": "dir", "path": "no-repo"}}, "source.path"),
    ],
)
def test_missing_referenced_path(tmp_path: Path, changes: dict, field: str) -> None:
    yaml_path = make_task(tmp_path / "t1", with_changes(**changes))
    with pytest.raises(TaskError) as exc:
        load_task(tmp_path / "t1")
    assert str(yaml_path) in str(exc.value)
    assert repr(field) in str(exc.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hidden_tests": "../outside"}, "hidden_tests"),
        ({"gold_patch": "../outside/x.patch"}, "gold_patch"),
        ({"test_patch": "../outside/x.patch"}, "test_patch"),
        ({"source": {"type": "dir", "path": "../outside"}}, "source.path"),
        ({"hidden_tests": str(Path("/") / "etc")}, "hidden_tests"),
    ],
)
def test_path_escaping_the_task_dir_is_rejected(tmp_path: Path, changes: dict, field: str) -> None:
    # The target exists, so only the containment check can reject it.
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.patch").write_text("diff --git a/x b/x\n")
    yaml_path = make_task(tmp_path / "t1", with_changes(**changes))
    with pytest.raises(TaskError) as exc:
        load_task(tmp_path / "t1")
    assert str(yaml_path) in str(exc.value)
    assert repr(field) in str(exc.value)


def test_symlink_escaping_the_task_dir_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "test_secret.py").write_text("SECRET = 1\n")
    make_task(tmp_path / "t1", with_changes(hidden_tests="link"))
    (tmp_path / "t1" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(TaskError, match="hidden_tests"):
        load_task(tmp_path / "t1")


def test_hidden_tests_skip_pycache(tmp_path: Path) -> None:
    make_task(tmp_path / "t1")
    cache = tmp_path / "t1" / "hidden" / "tests" / "__pycache__"
    cache.mkdir()
    (cache / "test_x.cpython-311.pyc").write_bytes(b"junk")
    assert list(load_task(tmp_path / "t1").hidden_tests) == ["tests/test_x.py"]


def test_task_error_is_a_value_error(tmp_path: Path) -> None:
    make_task(tmp_path / "t1", with_changes(problem_statement=...))
    with pytest.raises(ValueError):
        load_task(tmp_path / "t1")


# -- TaskSpec and EnvironmentSpec ------------------------------------------------------


def test_taskspec_is_frozen(demo: list[TaskSpec]) -> None:
    task = demo[0]
    with pytest.raises(ValidationError, match="frozen"):
        task.id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        task.environment.test_cmd = "true"  # type: ignore[misc]
    assert isinstance(task.fail_to_pass, tuple)
    hash(task.environment.pip_packages)


def test_taskspec_rejects_unknown_fields(demo: list[TaskSpec]) -> None:
    data = demo[0].model_dump(by_alias=True)
    data["surprise"] = True
    with pytest.raises(ValidationError, match="surprise"):
        TaskSpec.model_validate(data)


def test_taskspec_round_trips_through_json(demo: list[TaskSpec]) -> None:
    task = demo[0]
    again = TaskSpec.model_validate_json(task.model_dump_json(by_alias=True))
    assert again == task


def test_env_key_is_stable_and_content_addressed() -> None:
    a = EnvironmentSpec(pip_packages=("pytest==8.3.3",), test_cmd="pytest")
    b = EnvironmentSpec(pip_packages=("pytest==8.3.3",), test_cmd="pytest")
    assert a.env_key() == b.env_key()
    assert len(a.env_key()) == 16
    int(a.env_key(), 16)
    # The test command and instance-level installs do not go into the env image.
    assert a.env_key() == a.model_copy(update={"test_cmd": "python -m pytest"}).env_key()
    assert a.env_key() == a.model_copy(update={"install": ("pip install -e .",)}).env_key()
    # What the env image is built from does.
    changed = {
        EnvironmentSpec(pip_packages=("pytest==8.3.4",), test_cmd="pytest").env_key(),
        EnvironmentSpec(pip_packages=("pytest==8.3.3", "attrs"), test_cmd="pytest").env_key(),
        EnvironmentSpec(pip_packages=(), test_cmd="pytest").env_key(),
        EnvironmentSpec(
            python="3.13", pip_packages=("pytest==8.3.3",), test_cmd="pytest"
        ).env_key(),
        a.model_copy(update={"pre_install": ("apt-get install -y git",)}).env_key(),
        a.model_copy(update={"env_vars": {"LANG": "C.UTF-8"}}).env_key(),
    }
    assert a.env_key() not in changed
    assert len(changed) == 6


def test_env_key_is_the_same_in_another_process() -> None:
    spec = EnvironmentSpec(
        pip_packages=("pytest==8.3.3", "attrs"), env_vars={"B": "2", "A": "1"}, test_cmd="pytest"
    )
    code = (
        "from swe_env.tasks.spec import EnvironmentSpec as E;"
        "print(E(pip_packages=('pytest==8.3.3', 'attrs'), env_vars={'A': '1', 'B': '2'},"
        " test_cmd='x').env_key())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == spec.env_key()


# -- SWE_ENV_TASKS ----------------------------------------------------------------------


def test_swe_env_tasks_moves_the_tasks_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tasks_root() == TASKS_DIR
    make_task(tmp_path / "mysuite" / "t1")
    monkeypatch.setenv("SWE_ENV_TASKS", str(tmp_path))
    assert tasks_root() == tmp_path
    assert list_suites() == ["mysuite"]
    assert [t.full_id for t in load_suite("mysuite")] == ["mysuite/t1"]
    assert find_task("mysuite/t1").id == "t1"
    assert find_task("t1").suite == "mysuite"
    with pytest.raises(TaskError):
        load_suite("demo")
    monkeypatch.delenv("SWE_ENV_TASKS")
    assert tasks_root() == TASKS_DIR


def test_missing_tasks_root_is_a_task_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWE_ENV_TASKS", str(tmp_path / "typo"))
    with pytest.raises(TaskError, match="typo"):
        load_suite("demo")
