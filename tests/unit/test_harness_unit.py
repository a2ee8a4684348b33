"""Patch refusal and the hardened harness's report channel, without Docker."""

from __future__ import annotations

import json

import pytest

from rewards import harness
from rewards.parsers import TestStatus
from swe_env.patch import refusals, unsafe_path


def _new_file(path: str, body: str = "+x\n", mode: str = "100644") -> str:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode {mode}\n--- /dev/null\n"
        f"+++ b/{path}\n@@ -0,0 +1 @@\n{body}"
    )


@pytest.mark.parametrize(
    "path",
    [".git/config", ".git/hooks/pre-commit", "sub/.git/config", ".GIT/config", "/etc/passwd"],
)
def test_paths_into_git_or_outside_are_refused(path):
    assert unsafe_path(path.lstrip("/") if not path.startswith("/") else path) is not None
    assert refusals(_new_file(path))


@pytest.mark.parametrize("path", ["../x", "a/../../x", "src/../../etc/x"])
def test_dotdot_paths_are_refused(path):
    assert refusals(_new_file(path))


@pytest.mark.parametrize(
    "path", ["src/pkg/mod.py", ".gitignore", ".github/workflows/ci.yml", "docs/.gitkeep"]
)
def test_ordinary_paths_pass(path):
    assert refusals(_new_file(path)) == []


def test_plain_unified_diff_into_git_is_refused():
    patch = "--- /dev/null\n+++ b/.git/hooks/post-merge\n@@ -0,0 +1 @@\n+touch /x\n"
    assert refusals(patch)


def test_quoted_git_path_is_unquoted_before_the_check():
    patch = (
        'diff --git "a/.git/hooks/\\303\\251" "b/.git/hooks/\\303\\251"\nnew file mode 100644\n'
        '--- /dev/null\n+++ "b/.git/hooks/\\303\\251"\n@@ -0,0 +1 @@\n+x\n'
    )
    assert refusals(patch)


@pytest.mark.parametrize(
    ("target", "refused"),
    [(".git/hooks", True), ("../../etc", True), ("/etc", True), ("..", True), ("other.py", False)],
)
def test_symlink_targets(target, refused):
    patch = _new_file("pkg/link", body=f"+{target}\n\\ No newline at end of file\n", mode="120000")
    assert bool(refusals(patch)) is refused


NONCE = "n" * 32


def _run() -> harness.HarnessRun:
    return harness.HarnessRun(work="/tmp/w", nonce=NONCE)


def _frame(tests: dict[str, str], foreign=(), nonce: str = NONCE) -> bytes:
    doc = {"version": 1, "tests": tests, "exitstatus": 0, "foreign": list(foreign)}
    return harness.MAGIC + nonce.encode() + b"\n" + json.dumps(doc).encode() + b"\n"


def test_one_frame_is_read():
    run = _run()
    report = harness.parse(_frame({"t.py::a": "PASSED", "t.py::b": "FAILED"}), run)
    assert report.found and report.problems == []
    assert report.tests == {"t.py::a": TestStatus.PASSED, "t.py::b": TestStatus.FAILED}


@pytest.mark.parametrize(
    "data",
    [
        _frame({"t.py::a": "FAILED"}) + _frame({"t.py::a": "PASSED"}),  # appended at exit
        _frame({"t.py::a": "PASSED"}) + _frame({"t.py::a": "FAILED"}),  # forged first
        b"junk" + _frame({"t.py::a": "PASSED"}),
        _frame({"t.py::a": "PASSED"}, nonce="guessed"),  # forged, then the process ended
        harness.MAGIC + NONCE.encode() + b"\n{not json",
        harness.MAGIC + NONCE.encode() + b'\n{"tests": {"t.py::a": "GREAT"}}',
    ],
)
def test_a_channel_with_anything_but_one_good_frame_is_tampering(data):
    report = harness.parse(data, _run())
    assert report.problems and report.tests == {}


def test_no_frame_means_nothing_passed():
    report = harness.parse(b"", _run())
    assert not report.found and report.tests == {} and report.problems == []


def test_passing_canary_is_tampering_and_is_never_a_test():
    run = _run()
    target = harness.canary_target(["tests/test_z.py", "tests/data.txt", "tests/test_a.py"])
    assert target == "tests/test_a.py"
    source = harness.canary(run, b"def test_real():\n    pass\n")
    assert source.startswith(b"def test_real():") and run.canary_name.encode() in source
    ns: dict = {}
    exec(compile(source, target, "exec"), ns)
    ns["test_real"]()
    with pytest.raises(AssertionError):
        ns[run.canary_name]()
    run.canary_file = target
    ok = harness.parse(_frame({run.canary_id: "FAILED", "tests/t.py::a": "PASSED"}), run)
    assert ok.problems == [] and run.canary_id not in ok.tests
    bad = harness.parse(_frame({run.canary_id: "PASSED", "tests/t.py::a": "PASSED"}), run)
    assert bad.problems and "canary" in bad.problems[0]


def test_foreign_harness_modules_are_tampering_unless_allowed():
    run = _run()
    data = _frame({"t.py::a": "PASSED"}, foreign=["shlex: /testbed/shlex.py"])
    assert harness.parse(data, run).problems
    assert harness.parse(data, run, check_harness=False).problems == []


@pytest.mark.parametrize(
    ("cmd", "wanted"),
    [
        ("python -m pytest -rA tests", True),
        ("pytest -x tests", False),
        ("pytest -k 'not slow' tests", False),
        ("pytest --maxfail=2 tests", False),
        ("pytest tests/test_mark.py", True),
    ],
)
def test_canary_only_where_every_test_runs(cmd, wanted):
    assert harness.wants_canary(cmd) is wanted


def test_command_drops_privileges_and_hides_the_channel():
    run = harness.HarnessRun(work="/tmp/.grade-1")
    script = harness.command(run, "python -m pytest tests", ["xdist.plugin"], "/testbed", "/l")
    assert f"setpriv --reuid={harness.TEST_UID}" in script
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1" in script and "PYTEST_PLUGINS=xdist.plugin" in script
    assert "mkfifo -m 600" in script and "exec 3>" in script and f"4<{run.nonce_file}" in script
    assert f"-p {run.module}" in script and script.startswith("(") and script.endswith(")")
    assert "SWE_GRADE_CWD_ON_PATH=1" in script
