"""Environment failures grade ``env_error``, never ``unresolved``; a patch cannot fake one.

Tiny tasks made here (a dir source, built on the real engine): one whose environment lacks
the test runner, one whose package needs a module the environment lacks, and one that
works, on which patches try to pass their own breakage off as the environment's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rewards.grade import grade
from swe_env.images.build import ensure_images
from swe_env.tasks.spec import DirSource, EnvironmentSpec, TaskSpec

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUGGY = "def add(a, b):\n    return a - b\n"
TESTS = {
    "tests/test_calc.py": (
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_zero():\n    assert add(0, 0) == 0\n"
    )
}
F2P = ("tests/test_calc.py::test_add",)
P2P = ("tests/test_calc.py::test_zero",)


def _diff(root: Path, changes: dict[str, str | None]) -> str:
    """A git diff of the repository at ``root`` with ``changes`` (None deletes a file)."""
    work = root.parent / (root.name + "-patch")
    subprocess.run(["cp", "-r", str(root), str(work)], check=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(work)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    for rel, text in changes.items():
        if text is None:
            (work / rel).unlink()
        else:
            (work / rel).write_text(text)
    subprocess.run([*git, "add", "-A"], check=True)
    done = subprocess.run([*git, "diff", "--cached"], check=True, capture_output=True, text=True)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    return done.stdout


def _task(root: Path, name: str, init: str, *, pytest_installed: bool, **kw) -> TaskSpec:
    repo = root / name
    (repo / "calc").mkdir(parents=True)
    (repo / "calc/__init__.py").write_text(init)
    gold = _diff(repo, {"calc/__init__.py": init.replace("a - b", "a + b")})
    env = EnvironmentSpec(
        pip_packages=("pytest==8.3.5",) if pytest_installed else (),
        test_cmd=kw.pop("test_cmd", "python -m pytest -rA tests/test_calc.py"),
    )
    return TaskSpec(
        id=f"envfail-{name}",
        source=DirSource(path=str(repo)),
        problem_statement="add() subtracts.",
        environment=env,
        hidden_tests=TESTS,
        FAIL_TO_PASS=F2P,
        PASS_TO_PASS=P2P,
        gold_patch=gold,
        **kw,
    )


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory, docker_client) -> dict[str, TaskSpec]:
    root = tmp_path_factory.mktemp("envfail")
    made = {
        "no-runner": _task(root, "no-runner", BUGGY, pytest_installed=False),
        "no-runner-swebench": _task(
            root,
            "no-runner-swebench",
            BUGGY,
            pytest_installed=False,
            test_cmd="pytest -rA tests/test_calc.py",
            grading="swebench",
        ),
        "missing-dep": _task(
            root, "missing-dep", "import yaml_xq_not_installed\n" + BUGGY, pytest_installed=True
        ),
        "works": _task(root, "works", BUGGY, pytest_installed=True),
    }
    made["lib-layout"] = _lib_layout_task(root)
    ensure_images(list(made.values()), docker_client)
    return made


def _lib_layout_task(root: Path) -> TaskSpec:
    """The package lives in ``lib/`` (installed editable); the hidden test imports a module
    the gold patch adds, so at the base every test errors with ``No module named``."""
    repo = root / "lib-layout"
    (repo / "lib/calc").mkdir(parents=True)
    (repo / "lib/calc/__init__.py").write_text(BUGGY)
    setup = "from setuptools import setup\n\nsetup(name='calc', version='1', "
    (repo / "setup.py").write_text(setup + "package_dir={'': 'lib'}, packages=['calc'])\n")
    extra = "def double(x):\n    return 2 * x\n"
    gold = _diff(repo, {"lib/calc/extra.py": extra})
    test = "from calc.extra import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    return TaskSpec(
        id="envfail-lib-layout",
        source=DirSource(path=str(repo)),
        problem_statement="Add calc.extra.double.",
        environment=EnvironmentSpec(
            pip_packages=("pytest==8.3.5",),
            install=("python -m pip install -e .",),
            test_cmd="python -m pytest -rA tests/test_extra.py",
        ),
        hidden_tests={"tests/test_extra.py": test},
        FAIL_TO_PASS=("tests/test_extra.py::test_double",),
        gold_patch=gold,
    )


@pytest.mark.parametrize("name", ["no-runner", "no-runner-swebench"])
def test_missing_test_runner_is_env_error(tasks, docker_client, name: str) -> None:
    task = tasks[name]
    for patch in ("", task.gold_patch):
        result = grade(task, patch or "", client=docker_client)
        assert result.status == "env_error", (result.status, result.log[-500:])
        assert not result.resolved and result.env_failure
        assert "could not" in (result.error or "")


def test_dependency_missing_at_collection_is_env_error(tasks, docker_client) -> None:
    task = tasks["missing-dep"]
    result = grade(task, task.gold_patch or "", client=docker_client)
    assert result.status == "env_error", (result.status, result.log[-500:])
    assert "yaml_xq_not_installed" in (result.error or "")
    assert "base state" in (result.error or "")  # confirmed on the base state


def test_the_working_environment_still_grades(tasks, docker_client) -> None:
    task = tasks["works"]
    assert grade(task, task.gold_patch or "", client=docker_client).status == "resolved"
    assert grade(task, "", client=docker_client).status == "empty_patch"


@pytest.mark.parametrize(
    "init",
    [
        "import yaml_xq_not_installed\n" + BUGGY,  # an import of a dependency nobody installed
        "import os\nos._exit(3)\n",  # the test process dies at collection: nothing parsed
        "import sys\nraise SystemExit(4)\n",  # pytest's usage-error status, no result
    ],
)
def test_a_patch_cannot_pass_its_breakage_off_as_the_environment(
    tasks, docker_client, tmp_path: Path, init: str
) -> None:
    task = tasks["works"]
    patch = _diff(Path(task.source.path), {"calc/__init__.py": init})
    result = grade(task, patch, client=docker_client)
    assert result.status == "unresolved", (result.status, result.error, result.log[-400:])
    assert result.env_failure is None


def test_deleting_the_package_is_the_agents_failure(tasks, docker_client) -> None:
    task = tasks["works"]
    patch = _diff(Path(task.source.path), {"calc/__init__.py": None})
    result = grade(task, patch, client=docker_client)
    assert result.status == "unresolved", (result.status, result.error)


def test_evaluate_reports_env_errors_apart_and_survives_a_failed_build(
    tasks, docker_client, tmp_path: Path
) -> None:
    from swe_env.rollout.evaluate import Prediction, evaluate

    broken = tasks["works"].model_copy(
        update={
            "id": "envfail-unbuildable",
            "environment": tasks["works"].environment.model_copy(
                update={"pre_install": ("exit 3",)}
            ),
        }
    )
    chosen = {t.id: t for t in (tasks["no-runner"], tasks["works"], broken)}
    preds = [Prediction(i, "m", t.gold_patch or "", n) for n, (i, t) in enumerate(chosen.items())]
    report = evaluate(chosen, preds, tmp_path / "run", workers=2, client=docker_client)
    assert report["env_error_ids"] == ["envfail-no-runner"]
    assert report["resolved_ids"] == ["envfail-works"]
    assert report["error_ids"] == ["envfail-no-runner", "envfail-unbuildable"]
    record = (tmp_path / "run/envfail-unbuildable/grade.json").read_text()
    assert "build" in record


def test_a_module_the_fix_adds_is_no_missing_dependency(tasks, docker_client) -> None:
    task = tasks["lib-layout"]
    assert grade(task, task.gold_patch or "", client=docker_client).status == "resolved"
    empty = grade(task, "", client=docker_client)
    assert empty.status == "empty_patch" and empty.env_failure is None, empty.error
    wrong = _diff(Path(task.source.path), {"lib/calc/__init__.py": BUGGY + "# wrong\n"})
    result = grade(task, wrong, client=docker_client)
    assert result.status == "unresolved", (result.status, result.error)
