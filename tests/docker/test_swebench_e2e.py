"""A SWE-bench-format instance, end to end: import, build images, grade in Docker.

The instance is a small project made in a temporary directory (see the unit tests'
helpers). Every verdict is compared with the official harness (swebench 4.1.0's pytest
log parser, ``get_eval_tests_report`` and ``get_resolution_status``) on the same log.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.swebench_helpers import H

from rewards.grade import Grade, grade
from rewards.parsers import PARSERS
from rewards.swebench_parsers import resolve_parser
from swe_env.images.build import ensure_images
from swe_env.tasks.native import load_suite
from swe_env.tasks.spec import TaskSpec
from swe_env.tasks.swebench import import_swebench

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("swebench")


@pytest.fixture(scope="module")
def breaks_add(root: Path, task: TaskSpec) -> str:
    """A patch that fixes ``power`` but breaks ``add``: FAIL_TO_PASS passes, PASS_TO_PASS not."""
    work = root / "work"
    H.git(work, "checkout", "-q", task.base_commit)
    ops = (work / "calc/ops.py").read_text()
    ops = ops.replace("a + b", "a + b + 1").replace("a * b", "a**b")
    (work / "calc/ops.py").write_text(ops)
    patch = H.git(work, "diff") + "\n"
    H.git(work, "checkout", "-q", "--", ".")
    return patch


@pytest.fixture(scope="module")
def task(root: Path, docker_client) -> TaskSpec:
    mirror, info = H.make_calc_mirror(root)
    data = H.write_jsonl(root / "calc.jsonl", [H.calc_record(info)])
    specs = root / "specs.json"
    specs.write_text(json.dumps(H.SPECS))
    from swe_env.tasks.swebench import load_spec_file

    report = import_swebench(
        data,
        root / "suite",
        mirror=mirror,
        git_url_template=None,
        specs=load_spec_file(specs),
    )
    assert report.imported == [H.IID], report
    (loaded,) = load_suite(str(root / "suite"))
    ensure_images([loaded], docker_client)
    return loaded


def official_resolved(result: Grade, task: TaskSpec) -> bool:
    from swebench.harness.constants import FAIL_TO_PASS, PASS_TO_PASS, ResolvedStatus
    from swebench.harness.grading import get_eval_tests_report, get_resolution_status
    from swebench.harness.log_parsers.python import parse_log_pytest

    status_map = parse_log_pytest(result.log, None)
    gold = {FAIL_TO_PASS: list(task.fail_to_pass), PASS_TO_PASS: list(task.pass_to_pass)}
    report = get_eval_tests_report(status_map, gold)
    return get_resolution_status(report) == ResolvedStatus.FULL.value


@pytest.mark.parametrize(
    ("which", "resolved", "status"),
    [
        ("gold", True, "resolved"),
        ("empty", False, "empty_patch"),
        ("breaks_add", False, "unresolved"),
    ],
)
def test_grade_matches_the_official_harness(
    task, breaks_add, docker_client, which, resolved, status
):
    patch = {"gold": task.gold_patch or "", "empty": "", "breaks_add": breaks_add}[which]
    result = grade(task, patch, client=docker_client, timeout=300)
    assert result.status == status, (result.error, result.log[-3000:])
    assert result.resolved is resolved
    assert result.report == "log"  # swebench grading reads the log, as the harness does
    assert official_resolved(result, task) is resolved
    if which == "breaks_add":
        assert result.pass_to_pass.failed == ["tests/test_ops.py::test_add"]


def test_grade_with_the_official_parser_by_name(task, docker_client, monkeypatch):
    """``swebench:<repo>`` parser names, resolved through ``rewards.swebench_parsers``.

    Until ``rewards.grade`` resolves such names itself, the test registers the name.
    """
    name = "swebench:pytest-dev/pytest"
    monkeypatch.setitem(PARSERS, name, resolve_parser(name))
    official = task.model_copy(update={"log_parser": name})
    for patch, resolved in ((task.gold_patch or "", True), ("", False)):
        result = grade(official, patch, client=docker_client, timeout=300)
        assert result.resolved is resolved, (result.error, result.log[-3000:])
        assert official_resolved(result, official) is resolved
