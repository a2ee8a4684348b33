"""grade() against the real engine: verdicts, bad patches, and patches that try to cheat.

Every spoofing patch below leaves the bug unfixed, so none of them may resolve.
"""

from __future__ import annotations

import os

import pytest
from hack_patches import CONFTEST_FORCE_PASS, TASK_ID, base_file, make_patch

from rewards.grade import grade
from swe_env.images.build import ensure_images
from swe_env.sandbox.docker import LABEL_PREFIX
from swe_env.tasks import find_task

pytestmark = pytest.mark.docker

F2P_TEST = "test_url_value_with_equals_delimiter"


@pytest.fixture(scope="module")
def task(docker_client):
    task = find_task(TASK_ID)
    ensure_images([task], docker_client)
    return task


def test_gold_resolves_and_empty_does_not(task, docker_client):
    gold = grade(task, task.gold_patch, client=docker_client)
    assert gold.resolved and gold.status == "resolved" and gold.report == "harness"
    assert sorted(gold.fail_to_pass.passed) == sorted(task.fail_to_pass)
    assert gold.apply_method == "git apply"
    empty = grade(task, "", client=docker_client)
    assert not empty.resolved and empty.status == "empty_patch"
    assert sorted(empty.fail_to_pass.failed) == sorted(task.fail_to_pass)
    assert empty.pass_to_pass.failed == []


def test_patch_that_does_not_apply_is_a_grade(task, docker_client):
    bad = "diff --git a/nope.py b/nope.py\n--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-x\n+y\n"
    result = grade(task, bad, client=docker_client)
    assert result.status == "patch_failed" and not result.resolved
    assert "git apply" in result.apply_log and "patch --fuzz" in result.apply_log


def test_fuzzy_patch_applies_through_the_chain(task, docker_client):
    # Line numbers off by a lot and no index line: plain git apply may refuse, the chain copes.
    shifted = task.gold_patch.replace("@@ -24,7 +24,7 @@", "@@ -30,7 +30,7 @@")
    result = grade(task, shifted, client=docker_client)
    assert result.resolved, result.apply_log


def test_spoof_fake_passed_lines(task, tmp_path, docker_client):
    init = base_file(task, "inicfg/__init__.py")
    lines = "".join(f"PASSED {t}\\n" for t in task.fail_to_pass)
    # Printed at exit, after pytest stops capturing, right under its own summary.
    fake = f"import atexit, os\natexit.register(os.write, 1, b'{lines}')\n"
    patch = make_patch(task, tmp_path, {"inicfg/__init__.py": init + fake})
    result = grade(task, patch, client=docker_client)
    assert "PASSED tests/test_issue.py" in result.log  # the lines were printed…
    assert not result.resolved  # …and did not count


def test_spoof_conftest_forcing_passes(task, tmp_path, docker_client):
    patch = make_patch(
        task,
        tmp_path,
        {"conftest.py": CONFTEST_FORCE_PASS, "tests/conftest.py": CONFTEST_FORCE_PASS},
    )
    result = grade(task, patch, client=docker_client)
    assert {"conftest.py", "tests/conftest.py"} <= set(result.restored)
    assert not result.resolved


def test_spoof_deleting_and_emptying_tests(task, tmp_path, docker_client):
    patch = make_patch(task, tmp_path, {"tests/test_config.py": None, "tests/test_parser.py": ""})
    result = grade(task, patch, client=docker_client)
    assert not result.resolved
    assert result.pass_to_pass.failed == []  # restored P2P tests ran and passed
    assert "tests/test_config.py" in result.restored


def test_spoof_editing_hidden_test_paths(task, tmp_path, docker_client):
    fake = "".join(f"def {t.split('::')[1]}():\n    pass\n\n" for t in task.fail_to_pass)
    patch = make_patch(task, tmp_path, {"tests/test_issue.py": fake})
    result = grade(task, patch, client=docker_client)
    assert not result.resolved
    assert sorted(result.fail_to_pass.failed) == sorted(task.fail_to_pass)


SITECUSTOMIZE = """
import _pytest.reports
_orig = _pytest.reports.TestReport.__init__
def _init(self, *a, **k):
    _orig(self, *a, **k)
    self.outcome = "passed"
_pytest.reports.TestReport.__init__ = _init
"""


def test_spoof_sitecustomize_and_pth(task, tmp_path, docker_client):
    changes = {"sitecustomize.py": SITECUSTOMIZE, "evil.pth": "import sitecustomize\n"}
    result = grade(task, make_patch(task, tmp_path, changes), client=docker_client)
    assert {"sitecustomize.py", "evil.pth"} <= set(result.restored)
    assert not result.resolved


def test_spoof_pytest_addopts_plugin(task, tmp_path, docker_client):
    pyproject = base_file(task, "pyproject.toml")
    pyproject += '\n[tool.pytest.ini_options]\naddopts = "-p forcepass"\n'
    changes = {"pyproject.toml": pyproject, "forcepass.py": CONFTEST_FORCE_PASS}
    result = grade(task, make_patch(task, tmp_path, changes), client=docker_client)
    assert "pyproject.toml" in result.restored
    assert not result.resolved


def test_spoof_exit_zero_early(task, tmp_path, docker_client):
    init = "import os\nos._exit(0)\n" + base_file(task, "inicfg/__init__.py")
    result = grade(
        task, make_patch(task, tmp_path, {"inicfg/__init__.py": init}), client=docker_client
    )
    assert result.exit_code == 0
    assert not result.resolved
    assert result.tests == {}  # no report was written, so nothing passed


def test_spoof_hanging_test_run(task, tmp_path, docker_client):
    init = "import time\ntime.sleep(100000)\n" + base_file(task, "inicfg/__init__.py")
    patch = make_patch(task, tmp_path, {"inicfg/__init__.py": init})
    result = grade(task, patch, client=docker_client, timeout=8)
    assert result.status == "timeout" and not result.resolved
    assert result.timings["total"] < 40
    leftovers = docker_client.containers.list(
        all=True,
        filters={
            "label": [
                f"{LABEL_PREFIX}.task={task.full_id}",
                f"{LABEL_PREFIX}.owner-pid={os.getpid()}",
            ]
        },
    )
    assert leftovers == []


def test_gold_plus_cheating_still_judged_on_the_real_tests(task, tmp_path, docker_client):
    # The real fix plus a conftest that would hide failures: restored, still resolved.
    fixed = base_file(task, "inicfg/parser.py").replace(
        "pos = max(positions)", "pos = min(positions)"
    )
    patch = make_patch(
        task, tmp_path, {"inicfg/parser.py": fixed, "conftest.py": CONFTEST_FORCE_PASS}
    )
    result = grade(task, patch, client=docker_client)
    assert result.resolved and "conftest.py" in result.restored


FAKE_PYTEST = """
import sys
for arg in sys.argv:
    if arg.startswith("--junitxml="):
        cases = "".join(
            f'<testcase classname="{c}" name="{n}" file="{f}"/>'
            for f, c, n in CASES
        )
        xml = f"<testsuites><testsuite>{cases}</testsuite></testsuites>"
        open(arg.split("=", 1)[1], "w").write(xml)
print("all passed")
sys.exit(0)
"""


def test_spoof_shadowing_pytest_from_the_repository_root(task, tmp_path, docker_client):
    cases = []
    for test in (*task.fail_to_pass, *task.pass_to_pass):
        path, name = test.split("::")
        cases.append((path, path[:-3].replace("/", "."), name))
    fake = f"CASES = {cases!r}\n" + FAKE_PYTEST
    patch = make_patch(task, tmp_path, {"pytest.py": fake, "_pytest/__init__.py": ""})
    result = grade(task, patch, client=docker_client)
    assert {"pytest.py", "_pytest/__init__.py"} <= set(result.restored)
    assert not result.resolved


def test_spoof_monkeypatching_pytest_from_the_package(task, tmp_path, docker_client):
    init = base_file(task, "inicfg/__init__.py") + SITECUSTOMIZE
    result = grade(
        task, make_patch(task, tmp_path, {"inicfg/__init__.py": init}), client=docker_client
    )
    assert result.status == "tampered" and not result.resolved
    assert any("inicfg/__init__.py" in f and "_pytest" in f for f in result.tampering)
