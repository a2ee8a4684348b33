"""The hardened pytest run for strict grading: who runs the tests, and how results leave.

The test process must not be able to reach its own verdict. For native (strict) tasks whose
test command is pytest, the grader:

1. runs the test command as an unprivileged user (``setpriv``; the container keeps SETUID
   and SETGID for this), so the code under test cannot change the repository, the hidden
   tests, the installed packages, the grading plugin or the results;
2. turns plugin autoloading off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) and loads, by module
   name, only the pytest plugins the environment had *before* the patch was applied (a
   ``*.dist-info`` or ``*.egg-info`` in the patch cannot register one);
3. keeps the repository behind the standard library on ``sys.path`` (``PYTHONSAFEPATH`` on
   3.11+, and the plugin's own reordering; on 3.9 a shadowing module is caught afterwards);
4. loads :mod:`rewards.harness_plugin` under a random name from a root-only directory; it
   writes one report frame to an inherited pipe whose reader is root. A second frame, or
   none, is a broken channel, never a pass;
5. adds a canary test that must fail. A report in which it passes was forged wholesale.

Every git command of the grader runs with hooks and fsmonitor off (:data:`GIT`).
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rewards.parsers import TestStatus

GIT = "git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c core.untrackedCache=false"
"""The grader's git: no hook, fsmonitor or untracked cache can run code of the patch's."""

TEST_UID = 65534
"""The unprivileged user (``nobody``) the hardened test run uses."""

MAGIC = b"\n@@swe-env-grade-report@@\n"
_PLUGIN_SOURCE = Path(__file__).with_name("harness_plugin.py")
_PYTEST_M = re.compile(r"(^|\s)-m\s+pytest(\s|$)")
_NO_CANARY = re.compile(
    r"(^|\s)(-k|-x|--exitfirst|--maxfail|--deselect|--lf|--last-failed|--sw|--stepwise)(\s|=|$)"
    r"|(^|\s)-m\s+(?!pytest(\s|$))"
)

_ENV_PLUGINS: dict[str, list[str]] = {}
_ENV_PLUGINS_LOCK = threading.Lock()

_LIST_PLUGINS = (
    "import importlib.metadata as m, json\n"
    "eps = m.entry_points()\n"
    "sel = eps.select(group='pytest11') if hasattr(eps, 'select') else eps.get('pytest11', [])\n"
    "print(json.dumps(sorted({e.value.split(':')[0].strip() for e in sel})))\n"
)


@dataclass
class HarnessRun:
    """The files and names of one hardened run, chosen at random at grading time."""

    work: str
    module: str = field(default_factory=lambda: f"swe_grade_{secrets.token_hex(6)}")
    canary_name: str = field(default_factory=lambda: f"test_{secrets.token_hex(5)}")
    canary_file: str | None = None

    @property
    def plugin_dir(self) -> str:
        return f"{self.work}/plugin"

    nonce: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def results(self) -> str:
        return f"{self.work}/results.bin"

    @property
    def nonce_file(self) -> str:
        return f"{self.work}/nonce"

    @property
    def canary_id(self) -> str | None:
        return f"{self.canary_file}::{self.canary_name}" if self.canary_file else None


def plugin_source() -> bytes:
    return _PLUGIN_SOURCE.read_bytes()


def env_plugins(sb, image_key: str) -> list[str]:
    """Module names of the pytest11 entry points installed in the image, read before the
    patch is applied (so the patch cannot add one). Cached per image."""
    with _ENV_PLUGINS_LOCK:
        if image_key in _ENV_PLUGINS:
            return _ENV_PLUGINS[image_key]
    res = sb.run(f"cd / && python -I -c {shlex.quote(_LIST_PLUGINS)}", timeout=60)
    try:
        names = [n for n in json.loads(res.output.strip().splitlines()[-1]) if n]
    except (ValueError, IndexError):
        names = []
    with _ENV_PLUGINS_LOCK:
        _ENV_PLUGINS[image_key] = names
    return names


def canary(run: HarnessRun, source: bytes) -> bytes:
    """``source`` (a hidden test module) with a test appended that must fail. It sits among
    the real hidden tests under a random name, so a forgery cannot tell it apart by place."""
    a, b = secrets.randbelow(1000), 1000 + secrets.randbelow(1000)
    body = f"\n\ndef {run.canary_name}():\n    value = {a}\n    assert value == {b}\n"
    return source.rstrip(b"\n") + b"\n" + body.encode()


def canary_target(hidden_paths: list[str]) -> str | None:
    """The hidden test module that receives the canary."""
    tests = sorted(p for p in hidden_paths if PurePosixPath(p).name.startswith("test"))
    tests = [p for p in tests if p.endswith(".py")]
    return tests[0] if tests else None


def wants_canary(test_cmd: str) -> bool:
    """Canaries only where every collected test runs (no selection or early stop)."""
    return not _NO_CANARY.search(test_cmd)


def command(run: HarnessRun, test_cmd: str, plugins: list[str], repo: str, log: str) -> str:
    """The shell text of the hardened run. Exits with the test command's status."""
    env = {
        "HOME": f"{run.work}-home",
        "SWE_GRADE_FD": "3",
        "SWE_GRADE_NONCE_FD": "4",
        "SWE_GRADE_REPO": repo,
        "SWE_GRADE_CWD_ON_PATH": "1" if _PYTEST_M.search(test_cmd) else "0",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTEST_PLUGINS": ",".join(plugins),
        "PYTHONSAFEPATH": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    assign = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    extra = f" -p {run.module}"
    as_user = f"setpriv --reuid={TEST_UID} --regid={TEST_UID} --clear-groups"
    fifo = f"{run.work}/results.fifo"
    inner = shlex.quote(f"{test_cmd}{extra}")
    return (
        f"( mkfifo -m 600 {fifo} && mkdir -p -m 700 {env['HOME']} && "
        f"chown {TEST_UID}:{TEST_UID} {env['HOME']} && "
        f"{{ cat {fifo} > {run.results} & }} && reader=$! && "
        f"( cd {repo} && exec 3>{fifo} 4<{run.nonce_file} && "
        f"PYTHONPATH={run.plugin_dir}${{PYTHONPATH:+:$PYTHONPATH}} "
        f"{assign} exec {as_user} /bin/sh -c {inner} ) > {log} 2>&1; rc=$?; "
        f"{as_user} kill -9 -1 2>/dev/null; wait $reader; exit $rc )"
    )


@dataclass
class HarnessReport:
    tests: dict[str, TestStatus]
    problems: list[str]
    """Reasons the run cannot be trusted (tampering); empty when it can."""
    found: bool
    """A report arrived at all (False: the run died before pytest finished)."""


def parse(data: bytes, run: HarnessRun, check_harness: bool = True) -> HarnessReport:
    """Read the results channel. Exactly one well-formed frame, or the run is not trusted."""
    if not data:
        return HarnessReport({}, [], found=False)
    frames = data.split(MAGIC)
    problems: list[str] = []
    nonce, _, body = frames[-1].partition(b"\n")
    if frames[0] or len(frames) != 2 or nonce != run.nonce.encode():
        problems.append(
            f"the results channel carried {len(frames) - 1} report(s), stray bytes or a "
            "report without the run's nonce"
        )
        return HarnessReport({}, problems, found=True)
    try:
        doc = json.loads(body.decode("utf-8"))
        tests = {str(k): TestStatus(v) for k, v in doc["tests"].items()}
        foreign = [str(m) for m in doc.get("foreign", [])]
    except (ValueError, KeyError, TypeError, AttributeError):
        return HarnessReport({}, ["the results channel carried a malformed report"], True)
    if foreign and check_harness:
        problems.append("harness modules loaded from the repository: " + ", ".join(foreign[:5]))
    canary_id = run.canary_id
    if canary_id is not None:
        outcome = tests.pop(canary_id, None)
        if outcome in (TestStatus.PASSED, TestStatus.XPASS):
            problems.append("a canary test that must fail was reported as passing")
    return HarnessReport(tests, problems, found=True)
