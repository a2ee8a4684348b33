"""The task factory on a real project: a PyPI sdist with its tests (downloaded once per
session through pip, the registry being the only network these tests use).

Environment inference runs the suite; mutate-fix makes validated tasks whose instance
images hold nothing of the original code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from swe_env.factory.history import fetch_sdist
from swe_env.factory.infer import infer_environment
from swe_env.factory.mutate import make_tasks
from swe_env.tasks.native import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]
PROJECT = ("more-itertools", "10.5.0")
MAX_CANDIDATES = 12
"""Small enough for CI (the 20-task measure is in the README)."""


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's sdist, unpacked (its tests included)."""
    name, version = PROJECT
    return fetch_sdist(name, Version(version), tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="module")
def made(project: Path, tmp_path_factory: pytest.TempPathFactory, docker_client):
    out = tmp_path_factory.mktemp("suite") / "mutated"
    summary = make_tasks(
        project, out, docker_client, max_candidates=MAX_CANDIDATES, seed=0, workers=2
    )
    return out, summary


def test_environment_inference_picks_python_and_pytest(project: Path) -> None:
    inference = infer_environment(project)
    assert inference.spec is not None, inference.reason
    assert inference.spec.python == "3.11"
    assert inference.spec.test_cmd.endswith("tests")


def test_mutate_makes_validated_tasks(made) -> None:
    out, summary = made
    assert summary.kept <= summary.candidates == MAX_CANDIDATES
    assert summary.validated >= 5, summary
    assert sum(summary.drops.values()) == summary.candidates - summary.validated
    tasks = load_suite(str(out))
    assert sorted(t.id for t in tasks) == summary.tasks
    for task in tasks:
        assert 1 <= len(task.fail_to_pass) <= 10 and task.pass_to_pass
        assert (
            task.metadata["factory"] == "mutate" and task.metadata["statement_source"] == "template"
        )
        assert task.metadata["function"].split("::")[1] in task.problem_statement
        for test_path, text in task.hidden_tests.items():
            body = [line for line in text.splitlines() if len(line.strip()) > 30]
            assert not any(line in task.problem_statement for line in body[:200]), test_path


def _blob(text: str) -> str:
    done = subprocess.run(
        ["git", "hash-object", "--stdin"], input=text.encode(), capture_output=True, check=True
    )
    return done.stdout.decode().strip()


def test_instance_images_hold_no_trace_of_the_original(made, docker_client) -> None:
    from swe_env.images.build import instance_tag
    from swe_env.sandbox.docker import DockerSandbox

    out, _ = made
    for task in load_suite(str(out))[:3]:
        path = task.metadata["function"].split("::")[0]
        task_dir = out / task.id
        mutated = (task_dir / "repo" / path).read_text()
        original_blob = _blob(
            subprocess.run(
                ["patch", "-o", "-", str(task_dir / "repo" / path), str(task_dir / "gold.patch")],
                capture_output=True, text=True, check=True,
            ).stdout
        )  # fmt: skip
        with DockerSandbox(instance_tag(task), client=docker_client, task="factory") as sb:
            assert sb.read_file(f"/testbed/{path}").decode() == mutated
            assert sb.run("cd /testbed && git rev-list --all | wc -l").output.strip() == "1"
            found = sb.run(f"cd /testbed && git cat-file -e {original_blob}; echo $?").output
            assert found.strip().endswith("1"), "the original file's blob is in the image"
            pyc = sb.run("find /testbed -name '*.pyc' -o -name __pycache__").output
            assert not pyc.strip()
            backups = sb.run("find /testbed -name '*.orig' -o -name '*.rej' -o -name '*~'").output
            assert not backups.strip()


def test_a_rerun_resumes_and_runs_no_candidate_again(made, project: Path, docker_client) -> None:
    out, summary = made
    messages: list[str] = []
    again = make_tasks(
        project, out, docker_client, max_candidates=MAX_CANDIDATES, seed=0, workers=2,
        on_progress=messages.append,
    )  # fmt: skip
    assert again.resumed == again.candidates == summary.candidates
    assert again.tasks == summary.tasks and again.drops == summary.drops
    assert any("running 0" in m for m in messages)
    assert not any(m.startswith("[") for m in messages)  # no candidate's progress line
