"""Grade a patch against a task's hidden tests in a fresh container.

Only the diff comes from the agent. Grading starts a new container from the instance
image (network off), applies the diff through a fallback chain, restores every test
file and test-harness hook the diff touched to its canonical content, adds the hidden
tests and runs the test command under a timeout. Pytest runs write JUnit XML to a path
chosen at random at grading time, and that report — not the printed log — decides.

Of swe_env this uses only the lower floors: tasks, images and the sandbox.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shlex
import threading
import time
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from rewards import env_failure, harness
from rewards.harness import GIT
from rewards.parsers import TestStatus
from rewards.swebench_parsers import resolve_parser
from rewards.tamper import scan_patch
from rewards.verdict import TestBreakdown, decide
from swe_env.images.build import instance_tag
from swe_env.patch import refusals, touched_paths
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks.spec import TaskSpec

if TYPE_CHECKING:
    import docker

    from swe_env.sandbox.pool import SandboxPool

REPO = "/testbed"
Status = Literal[
    "resolved", "unresolved", "empty_patch", "patch_failed", "timeout", "tampered", "error",
    "env_error",
]  # fmt: skip
_BASE_CHECKS: dict[tuple[str, str, str], str | None] = {}
"""(image, task, test command) -> the base state's environment failure (None: it runs)."""
_BASE_LOCK = threading.Lock()

# Paths a patch may not change for grading: tests and the hooks that run before them.
_PROTECTED_NAMES = {
    "conftest.py", "sitecustomize.py", "usercustomize.py", "pytest.ini", "tox.ini",
    ".pytest.ini", "setup.cfg", "noxfile.py",
}  # fmt: skip
# Top-level modules a patch could shadow from the repository root (``python -m pytest`` puts
# the working directory first on sys.path): a fake ``pytest.py`` could write a perfect report.
_SHADOWED = {
    "pytest", "_pytest", "py", "pluggy", "iniconfig", "unittest", "junitparser", "xml",
    "site", "runpy", "importlib", "encodings", "os", "sys", "io", "json", "tomllib",
}  # fmt: skip
_TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_tests?\.py$")

_PURGE_BYTECODE = (
    "find . -path ./.git -prune -o \\( -name __pycache__ -type d -prune -exec rm -rf {} + \\) "
    "-o \\( -name '*.py[co]' -type f -exec rm -f {} + \\)"
)

APPLY_CHAIN = (
    ("git apply", f"{GIT} apply --verbose {{p}}"),
    ("git apply --3way", f"{GIT} apply --verbose --3way {{p}}"),
    ("git apply --reject", f"{GIT} apply --verbose --reject {{p}}"),
    ("patch --fuzz", "patch --batch --fuzz=5 -p1 -i {p}"),
)


class Grade(BaseModel):
    """The outcome of grading one patch. ``resolved`` is what binary rewards use."""

    task_id: str
    resolved: bool
    status: Status
    tests: dict[str, str] = Field(default_factory=dict)
    """Every test id the report named, with its status."""
    fail_to_pass: TestBreakdown = Field(default_factory=TestBreakdown)
    pass_to_pass: TestBreakdown = Field(default_factory=TestBreakdown)
    apply_method: str | None = None
    apply_log: str = ""
    restored: list[str] = Field(default_factory=list)
    tampering: list[str] = Field(default_factory=list)
    """Lines of the patch that reach into the test harness (see ``rewards.tamper``)."""
    """Protected paths the patch touched, put back to their canonical content."""
    exit_code: int | None = None
    report: Literal["harness", "log", "none"] = "none"
    log: str = ""
    error: str | None = None
    env_failure: str | None = None
    """Why the test harness could not run (status ``env_error``: not the agent's failure)."""
    timings: dict[str, float] = Field(default_factory=dict)


def is_protected(path: str) -> bool:
    """Test files and pre-test hooks a submitted patch cannot change for grading."""
    p = PurePosixPath(path)
    top = p.parts[0] if p.parts else ""
    shadows = (top[:-3] if len(p.parts) == 1 and top.endswith(".py") else top) in _SHADOWED
    return (
        p.name in _PROTECTED_NAMES or p.suffix == ".pth" or shadows or bool(_TEST_FILE.search(path))
    )


def _is_pytest(cmd: str) -> bool:
    return bool(re.search(r"(^|[\s/])(py\.test|pytest)(\s|$)", cmd))


def grade(
    task: TaskSpec,
    patch: str,
    *,
    image: str | None = None,
    timeout: float = 600.0,
    client: docker.DockerClient | None = None,
    sandbox_config: DockerSandboxConfig | None = None,
    pool: SandboxPool | None = None,
    provider: SandboxProvider | None = None,
    confirm_env: bool = True,
) -> Grade:
    """Grade ``patch`` for ``task``. Agent-caused failures are a Grade, never an exception.

    The fresh container comes from ``provider`` (pre-started when it has a pool, then
    removed in the background), labelled as the provider labels its containers.
    Without one, a provider is made for this call from ``client`` and ``pool`` (both
    optional, both left open) and closed afterwards.

    A run in which the harness itself could not work (:mod:`rewards.env_failure`) grades
    ``env_error`` only when the base state fails the same way: with ``confirm_env`` that is
    checked in another fresh container (once per image and task), unless the patch is empty.

    Raises:
        SweEnvError: infrastructure faults (engine gone, image missing) — retry those.
    """
    started = time.monotonic()
    grade_ = Grade(task_id=task.full_id, resolved=False, status="error")
    if not task.metadata.get("allow_test_harness_code"):
        grade_.tampering = scan_patch(patch, is_protected)
    if refused := refusals(patch):
        # Refused before any container starts: nothing of it is ever applied.
        grade_.status = "tampered"
        grade_.error = "the patch was refused before it was applied: " + "; ".join(refused)
        grade_.tampering = [*refused, *grade_.tampering]
        return _fail_all(grade_, task, {"total": time.monotonic() - started})
    if not patch.strip():
        grade_.status = "empty_patch"
    config = sandbox_config or DockerSandboxConfig(command_timeout=timeout)
    image = image or instance_tag(task)
    with contextlib.ExitStack() as stack:
        if provider is None:
            provider = stack.enter_context(SandboxProvider(config, client=client, pool=pool))
        sb = provider.acquire(image, config, task=task.full_id)
        try:
            _grade_in(sb, task, patch, image, timeout, grade_, started)
        finally:
            provider.release(sb)
        if grade_.env_failure is not None and confirm_env and patch.strip():
            grade_.env_failure = _base_failure(task, image, timeout, config, provider)
    if grade_.env_failure is not None:
        grade_.status, grade_.error = "env_error", grade_.env_failure
    if grade_.status in {"timeout", "error", "patch_failed", "env_error"}:
        return _fail_all(grade_, task, {**grade_.timings, "total": time.monotonic() - started})
    _decide(grade_, task)
    grade_.timings["total"] = time.monotonic() - started
    return grade_


def _grade_in(sb, task: TaskSpec, patch, image: str, timeout, grade_: Grade, started) -> None:
    """Apply → restore → add hidden tests → run, in the fresh container ``sb``."""
    timings = grade_.timings
    timings["start"] = time.monotonic() - started
    work = f"/tmp/.grade-{secrets.token_hex(8)}"
    sb.run(f"mkdir -m 711 {work}")
    hardened = _hardened(task)
    plugins = harness.env_plugins(sb, image) if hardened else []
    if patch.strip() and not _apply(sb, work, patch, grade_):
        grade_.status = "patch_failed"
        return
    timings["apply"] = time.monotonic() - started - timings["start"]
    grade_.restored = _restore_protected(sb, task, patch)
    # Source is the truth: a compiled cache from the patch (an unchecked-hash .pyc runs
    # whatever it was compiled from) must not stand in for the files the tests read.
    sb.run(f"cd {REPO} && {_PURGE_BYTECODE}", timeout=120)
    if not _add_hidden_tests(sb, work, task, grade_):
        return
    t0 = time.monotonic()
    if hardened:
        _run_hardened(sb, work, task, timeout, plugins, grade_)
    else:
        _run_tests(sb, work, task, timeout, grade_)
    timings["tests"] = time.monotonic() - t0
    if grade_.status in {"unresolved", "empty_patch"}:
        grade_.env_failure = _env_suspect(sb, grade_)


def _env_suspect(sb, grade_: Grade) -> str | None:
    """Whether the run looks like the environment's failure (see rewards.env_failure)."""
    names = env_failure.missing_modules(grade_.log)[:20]
    outside: list[str] = []
    if names:  # which of them no import from the repository can find (not executed)
        res = sb.run(env_failure.unfindable_command(REPO, names), timeout=60)
        outside = [n for n in res.output.split() if n in names]
    return env_failure.suspect(grade_.log, grade_.exit_code, grade_.tests, outside)


def _base_failure(
    task: TaskSpec, image: str, timeout: float, config, provider: SandboxProvider
) -> str | None:
    """The base state's environment failure, or ``None`` when its tests run (cached)."""
    key = (image, task.full_id, task.environment.test_cmd)
    with _BASE_LOCK:
        known, found = key in _BASE_CHECKS, _BASE_CHECKS.get(key)
    if not known:
        base = grade(
            task, "", image=image, timeout=timeout, sandbox_config=config, provider=provider
        )
        found = base.env_failure if base.status == "env_error" else None
        if base.status in {"env_error", "unresolved", "resolved", "empty_patch"}:
            with _BASE_LOCK:
                _BASE_CHECKS[key] = found
    return None if found is None else f"{found} (the base state fails the same way)"


def _hardened(task: TaskSpec) -> bool:
    """Strict pytest runs use the hardened harness (rewards.harness)."""
    return task.grading == "strict" and _is_pytest(task.environment.test_cmd)


def _decide(grade_: Grade, task: TaskSpec) -> None:
    verdict = decide(
        {k: TestStatus(v) for k, v in grade_.tests.items()},
        list(task.fail_to_pass),
        list(task.pass_to_pass),
        semantics=task.grading,
    )
    grade_.resolved = verdict.resolved
    grade_.fail_to_pass = verdict.fail_to_pass
    grade_.pass_to_pass = verdict.pass_to_pass
    if grade_.status == "tampered":
        grade_.resolved = False
        return
    if grade_.status != "empty_patch":
        grade_.status = "resolved" if verdict.resolved else "unresolved"
    if grade_.tampering and task.grading == "strict":
        grade_.resolved = False
        grade_.status = "tampered"


def _fail_all(grade_: Grade, task: TaskSpec, timings: dict[str, float]) -> Grade:
    grade_.resolved = False
    grade_.fail_to_pass = TestBreakdown(failed=list(task.fail_to_pass))
    grade_.pass_to_pass = TestBreakdown(failed=list(task.pass_to_pass))
    grade_.timings = timings
    return grade_


def _apply(sb, work: str, patch: str, grade_: Grade) -> bool:
    path = f"{work}/submitted.patch"
    data = patch if patch.endswith("\n") else patch + "\n"
    sb.write_file(path, data.encode("utf-8", errors="surrogateescape"))
    logs = []
    for name, template in APPLY_CHAIN:
        res = sb.run(f"cd {REPO} && {template.format(p=path)}", timeout=120)
        logs.append(f"$ {name}\n{res.output}")
        if res.exit_code == 0:
            grade_.apply_method = name
            grade_.apply_log = "\n".join(logs)[-20000:]
            return True
        sb.run(f"cd {REPO} && {GIT} checkout -q -- . && {GIT} clean -fdq", timeout=120)
    grade_.apply_log = "\n".join(logs)[-20000:]
    grade_.error = "the patch does not apply"
    return False


def _restore_protected(sb, task: TaskSpec, patch: str) -> list[str]:
    """Reset test files and hooks the patch touched: tracked ones to HEAD, new ones removed."""
    owned = set(task.test_paths())
    touched = touched_paths(patch)
    restored = [p for p in touched if is_protected(p) or p in owned]
    if "pyproject.toml" in touched and _pytest_config_changed(sb):
        restored.append("pyproject.toml")
    # Files the patch deleted or emptied among the hidden tests' paths are also restored
    # below when the hidden tests are written.
    for path in restored:
        q = shlex.quote(path)
        sb.run(
            f"cd {REPO} && ({GIT} cat-file -e HEAD:{q} 2>/dev/null "
            f"&& {GIT} checkout -q HEAD -- {q} || rm -rf -- {q})",
            timeout=60,
        )
    return restored


def _pytest_config_changed(sb) -> bool:
    """Whether the patch changed pyproject.toml's ``[tool.pytest…]`` (addopts could load a
    plugin that forces passes). Unparseable counts as changed."""
    import tomllib

    def pytest_table(text: str) -> object:
        return tomllib.loads(text).get("tool", {}).get("pytest")

    before = sb.run(f"cd {REPO} && {GIT} show HEAD:pyproject.toml", timeout=60)
    try:
        now = sb.read_file(f"{REPO}/pyproject.toml").decode()
        base = before.output if before.exit_code == 0 else ""
        return pytest_table(now) != pytest_table(base)
    except (FileNotFoundError, UnicodeDecodeError, tomllib.TOMLDecodeError, IsADirectoryError):
        return True


def _add_hidden_tests(sb, work: str, task: TaskSpec, grade_: Grade) -> bool:
    for rel, content in task.hidden_tests.items():
        sb.write_file(f"{REPO}/{rel}", content.encode())
    if task.test_patch:
        path = f"{work}/tests.patch"
        sb.write_file(path, task.test_patch.encode())
        for path_ in task.test_paths():
            q = shlex.quote(path_)
            sb.run(f"cd {REPO} && ({GIT} checkout -q HEAD -- {q} 2>/dev/null || rm -rf -- {q})")
        res = sb.run(f"cd {REPO} && {GIT} apply --verbose {path}", timeout=120)
        if res.exit_code != 0:
            grade_.status = "error"
            grade_.error = f"the task's test patch does not apply: {res.output[-2000:]}"
            return False
    return True


def _read_log(sb, log_path: str, fallback: str) -> str:
    try:
        data = sb.read_file(log_path, max_bytes=64 * 1024 * 1024)
    except (FileNotFoundError, IsADirectoryError, ValueError):
        return fallback  # the test run removed or replaced its own log: agent-caused
    return data.decode("utf-8", "replace")


def _run_logged(sb, script: str, log_path: str, timeout: float, grade_: Grade) -> bool:
    """Run the test script; keep its log and exit code. False when it timed out."""
    res = sb.run(script, timeout=timeout)
    grade_.log = _read_log(sb, log_path, res.output)[-200_000:]
    grade_.exit_code = res.exit_code
    if res.timed_out:
        grade_.status = "timeout"
        grade_.error = f"the tests did not finish within {timeout:g}s"
        return False
    return True


def _run_tests(sb, work: str, task: TaskSpec, timeout: float, grade_: Grade) -> None:
    """The test command as the task gives it, as root; the log parser decides."""
    cmd = task.environment.test_cmd
    log_path = f"{work}/test.log"
    if not _run_logged(sb, f"cd {REPO} && ( {cmd} ) > {log_path} 2>&1", log_path, timeout, grade_):
        return
    parser = resolve_parser(task.log_parser)
    if parser is None:
        grade_.status = "error"
        grade_.error = f"unknown log parser {task.log_parser!r}"
        return
    grade_.tests = {k: str(v) for k, v in parser(grade_.log).items()}
    grade_.report = "log"
    if grade_.status == "error":
        grade_.status = "unresolved"


def _run_hardened(sb, work, task: TaskSpec, timeout: float, plugins, grade_: Grade) -> None:
    """pytest as an unprivileged user; results only from the plugin's one-frame channel."""
    run = harness.HarnessRun(work=work)
    sb.write_file(f"{run.plugin_dir}/{run.module}.py", harness.plugin_source())
    sb.write_file(run.nonce_file, run.nonce.encode(), mode=0o600)
    target = harness.canary_target(list(task.test_paths()))
    if target and harness.wants_canary(task.environment.test_cmd):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, ValueError):
            source = sb.read_file(f"{REPO}/{target}")
            sb.write_file(f"{REPO}/{target}", harness.canary(run, source))
            run.canary_file = target
    log_path = f"{work}/test.log"
    script = harness.command(run, task.environment.test_cmd, plugins, REPO, log_path)
    if not _run_logged(sb, script, log_path, timeout, grade_):
        return
    try:
        data = sb.read_file(run.results)
    except FileNotFoundError:
        data = b""
    report = harness.parse(data, run, not task.metadata.get("allow_test_harness_code"))
    grade_.tests = {k: str(v) for k, v in report.tests.items()}
    grade_.report = "harness" if report.found else "none"
    if report.problems:
        grade_.tampering = [*report.problems, *grade_.tampering]
        grade_.status = "tampered"
    elif grade_.status == "error":
        grade_.status = "unresolved"
