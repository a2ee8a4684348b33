"""Mutate-fix on a project whose tests are unittest classes (semantic_version 2.10.0, its
sdist fetched with pip), run by pytest: the test ids are pytest's ``path::Class::method``
and the tasks validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.version import Version

from swe_env.factory.history import fetch_sdist
from swe_env.factory.infer import infer_environment
from swe_env.factory.mutate import make_tasks
from swe_env.tasks.native import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]
PROJECT = ("semantic_version", "2.10.0")
MAX_CANDIDATES = 8
_UNITTEST_ID = re.compile(r"^tests/test_\w+\.py::\w+(TestCase|Tests)::test_\w+$")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    name, version = PROJECT
    return fetch_sdist(name, Version(version), tmp_path_factory.mktemp("sdist"))


def test_unittest_classes_give_validated_tasks(project: Path, tmp_path: Path, docker_client):
    source = (project / "tests" / "test_base.py").read_text()
    assert "unittest.TestCase" in source and "import pytest" not in source
    inference = infer_environment(project)
    assert inference.spec is not None and "pytest" in inference.spec.test_cmd
    out = tmp_path / "semver"
    summary = make_tasks(project, out, docker_client, max_candidates=MAX_CANDIDATES, seed=1)
    assert summary.validated >= 1, summary
    assert sum(summary.drops.values()) == summary.candidates - summary.validated
    for task in load_suite(str(out)):
        assert task.fail_to_pass and task.pass_to_pass
        for test in [*task.fail_to_pass, *task.pass_to_pass]:
            assert _UNITTEST_ID.match(test), test
        assert task.metadata["function"].split("::")[1] in task.problem_statement
