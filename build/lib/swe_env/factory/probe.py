"""The repository's suite run in a container: which tests pass (twice, flaky ones dropped)
and which source functions the tests call (a cheap call trace, no coverage package).

Runs go through the grader (:func:`rewards.grade.grade`) on a probe task whose repository is
the one the factory works on: the same fresh container, hardened harness and report parsing
that will later grade the produced tasks.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewards.grade import grade, is_protected
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks.spec import DirSource, EnvironmentSpec, TaskSpec

PROBE_TEST = "factory::probe"
"""A stand-in FAIL_TO_PASS id: a TaskSpec needs one, the probe reads every test's status."""
_TRACER = """\
import json, os, sys, threading
seen = set()
root = os.getcwd() + "/"
def tracer(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_filename.startswith(root):
        seen.add((code.co_filename[len(root):], code.co_firstlineno, code.co_name))
    return None
sys.path.insert(0, os.getcwd())
import pytest
sys.settrace(tracer); threading.settrace(tracer)
try:
    code = pytest.main(sys.argv[1:])
finally:
    sys.settrace(None)
    with open(sys.argv[0] + ".json", "w") as out:
        json.dump(sorted(seen), out)
sys.exit(code)
"""


@dataclass
class SuiteRun:
    """One run of the suite: every test's status and the log."""

    status: str
    tests: dict[str, str]
    log: str
    seconds: float
    error: str | None = None

    def passed(self) -> set[str]:
        return {t for t, s in self.tests.items() if s == "PASSED"}


@dataclass
class Baseline:
    """The tests that pass at HEAD in every run, and those that disagreed between runs."""

    passing: list[str]
    flaky: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    seconds: float = 0.0
    """How long one run took (the first)."""
    error: str | None = None
    """Why the first run did not work (the grader's error), if it did not."""


def probe_task(repo: Path, env: EnvironmentSpec, name: str) -> TaskSpec:
    """A task whose repository is ``repo`` as it is (the image every candidate runs on)."""
    return TaskSpec(
        id=f"factory-{name}",
        source=DirSource(path=str(Path(repo).resolve())),
        problem_statement="(factory probe)",
        environment=env,
        FAIL_TO_PASS=(PROBE_TEST,),
        metadata={"factory": "probe"},
    )


def run_suite(task: TaskSpec, image: str, client: Any, patch: str = "", timeout=900.0) -> SuiteRun:
    """The suite on ``image`` with ``patch`` applied, in a fresh container."""
    result = grade(task, patch, image=image, client=client, timeout=timeout, confirm_env=False)
    tests = {t: s for t, s in result.tests.items() if t != PROBE_TEST}
    seconds = result.timings.get("total", 0.0)
    return SuiteRun(result.status, tests, result.log, seconds, result.error)


def baseline(task: TaskSpec, image: str, client: Any, runs: int = 2) -> Baseline:
    """Run the suite ``runs`` times; a test passes when it passed every time."""
    results = [run_suite(task, image, client) for _ in range(max(1, runs))]
    names = set().union(*(r.tests for r in results))
    statuses = {t: {r.tests.get(t, "MISSING") for r in results} for t in names}
    flaky = sorted(t for t, s in statuses.items() if len(s) > 1)
    passing = sorted(t for t, s in statuses.items() if s == {"PASSED"})
    failing = sorted(set(names) - set(flaky) - set(passing))
    first = results[0]
    error = first.error or (None if first.tests else f"no test ran ({first.status})")
    return Baseline(passing, flaky, failing, first.seconds, error)


def covered_functions(task: TaskSpec, image: str, client: Any) -> set[tuple[str, int, str]]:
    """(path, first line, name) of every non-test function under /testbed the suite calls."""
    config = DockerSandboxConfig(command_timeout=900)
    args = shlex.split(task.environment.test_cmd)
    if args[:3] != ["python", "-m", "pytest"]:
        return set()
    script = "/tmp/.factory-trace.py"
    with SandboxProvider(config, client=client) as provider:
        sb = provider.acquire(image, config, task=task.full_id)
        try:
            sb.write_file(script, _TRACER.encode())
            sb.run(f"cd /testbed && python {script} {shlex.join(args[3:])} -q", timeout=900)
            raw = json.loads(sb.read_file(script + ".json"))
        finally:
            provider.release(sb)
    return {(p, n, f) for p, n, f in raw if p.endswith(".py") and not is_protected(p)}
