"""Tasks mined from a repository's history (issue 13, as SWE-bench and SWE-Gym do it).

A candidate is a commit (with one parent) that changes source code and test code together.
Its task's base state is the parent commit; its hidden tests are the commit's test files;
its gold patch is the commit's non-test change. Both are run through the grader on the
base image: FAIL_TO_PASS is every test that fails (or is missing) at the base and passes
with the gold patch, PASS_TO_PASS every test that passes in both. A commit with no
FAIL_TO_PASS test is dropped; the others are written as native tasks and validated as
``swe-env tasks validate`` does. A history can also be built from release sdists
(:mod:`.history`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from rewards.grade import is_protected
from swe_env.errors import SweEnvError, TaskError
from swe_env.factory import probe
from swe_env.factory.common import Summary, free_name, record_validation, slug, validate_written
from swe_env.factory.infer import infer_environment
from swe_env.factory.model import ModelWriter, statement
from swe_env.factory.state import Ledger
from swe_env.factory.statement import facts
from swe_env.factory.writer import copy_clean, task_yaml
from swe_env.images.build import SKIP_PARTS, export_commit
from swe_env.tasks.native import load_task

_NOT_CODE = {"docs", "doc", "examples", "setup.py", "noxfile.py", "benchmarks"}


@dataclass
class Commit:
    """A candidate commit: its parent, and the test and source files it changes."""

    sha: str
    parent: str
    subject: str
    tests: list[str]
    sources: list[str]

    @property
    def id(self) -> str:
        return "c-" + self.sha


@dataclass
class Outcome:
    """One commit's run: its task's name and FAIL_TO_PASS tests, or why it was not kept."""

    commit: Commit
    name: str = ""
    fail_to_pass: list[str] = field(default_factory=list)
    drop: str | None = None


def git(repo: Path, *args: str) -> str:
    """``git`` in ``repo``.

    Raises:
        TaskError: git failed (one line).
    """
    cmd = ["git", "-c", "core.quotePath=false", "-C", str(repo), *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise TaskError(f"{repo}: git {args[0]}: {why}")
    return done.stdout


def _shipped(path: str) -> bool:
    """A path the task's repo/ keeps (copy_clean leaves version control and caches out)."""
    return not SKIP_PARTS.intersection(PurePosixPath(path).parts)


def changed(repo: Path, parent: str, sha: str) -> tuple[list[str], list[str]]:
    """(test files, source files) the commit changes: tests are what the grader protects
    (test modules, conftest…); sources are the other text files it ships."""
    tests, sources = [], []
    for line in git(repo, "diff", "--numstat", "--no-renames", parent, sha).splitlines():
        added, _, path = line.split("\t", 2)
        if not _shipped(path):
            continue
        if is_protected(path):
            tests.append(path)
        elif added != "-":  # "-": a binary file, which a text patch cannot carry
            sources.append(path)
    return tests, sources


def scan(
    repo: Path, since: str | None = None, limit: int | None = None
) -> tuple[int, list[Commit]]:
    """(commits scanned, candidates): first-parent commits after ``since`` (oldest first)
    changing Python tests and Python sources together; the newest ``limit`` of them.

    Raises:
        TaskError: ``repo`` is not a git repository, or ``since`` is unknown.
    """
    span = f"{since}..HEAD" if since else "HEAD"
    lines = git(repo, "rev-list", "--first-parent", "--reverse", "--parents", span).splitlines()
    found = []
    for line in lines:
        sha, *parents = line.split()
        if len(parents) != 1:
            continue
        tests, sources = changed(repo, parents[0], sha)
        if any(p.endswith(".py") for p in tests) and any(p.endswith(".py") for p in sources):
            subject = git(repo, "log", "-1", "--format=%s", sha).strip()
            found.append(Commit(sha, parents[0], subject, tests, sources))
    return len(lines), found[-limit:] if limit else found


def _write_base(repo: Path, c: Commit, task_dir: Path, after: Path) -> str:
    """repo/ (the parent's tree), hidden/ (the commit's test files); returns the gold patch."""
    with tempfile.TemporaryDirectory() as tmp:
        export_commit(repo / ".git", c.parent, Path(tmp, "base"))
        copy_clean(Path(tmp, "base"), task_dir / "repo")
    for rel in c.tests:
        if not (after / rel).is_file():
            continue  # deleted by the commit
        data = (after / rel).read_bytes()
        try:
            data.decode()
        except UnicodeDecodeError:
            continue  # hidden tests are text; a binary test file stays as it was at the base
        target = task_dir / "hidden" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    gold = git(repo, "diff", "--no-renames", "--no-ext-diff", c.parent, c.sha, "--", *c.sources)
    (task_dir / "gold.patch").write_text(gold)
    return gold


def _subject(c: Commit) -> tuple[str, str]:
    """(what the statement is about: the changed Python packages, where: the modules)."""
    py = [p for p in c.sources if p.endswith(".py") and p.split("/")[0] not in _NOT_CODE]
    tops = sorted({PurePosixPath(p).parts[1 if p.startswith("src/") else 0] for p in py})
    if not tops:
        return "the project", ", ".join(c.sources[:3])
    return ", ".join(t.removesuffix(".py") for t in tops[:3]), ", ".join(py[:3])


def run_commit(
    repo: Path, c: Commit, out: Path, name: str, run: tuple[Any, Any, ModelWriter | None]
) -> Outcome:
    """Write ``c``'s task as ``out/name`` and run its base and its gold patch; keep it when
    at least one test fails before and passes after (``run``: client, images, writer)."""
    client, images, writer = run
    outcome = Outcome(c, name)
    with tempfile.TemporaryDirectory() as tmp:
        after = Path(tmp, "after")
        try:
            export_commit(repo / ".git", c.sha, after)
            inference = infer_environment(after)
            gold = _write_base(repo, c, out / name, after) if inference.spec else ""
        except SweEnvError as exc:
            outcome.drop = f"export failed: {type(exc).__name__}"
            return outcome
    if inference.spec is None:
        outcome.drop = f"environment: {inference.reason}"
        return outcome
    meta: dict[str, Any] = {"factory": "mine", "candidate": c.id, "commit": c.sha}
    meta.update(parent=c.parent, subject=c.subject)
    task_yaml(out / name, inference.spec, "(being mined)", [probe.PROBE_TEST], [], meta)
    try:
        task = load_task(out / name, suite=out.name)
        image = images.ready(task)
        base = probe.run_suite(task, image, client)
        fixed = probe.run_suite(task, image, client, gold)
    except SweEnvError as exc:
        outcome.drop = f"run failed: {type(exc).__name__}"
        return outcome
    if fixed.status not in {"resolved", "unresolved"} or not fixed.tests:
        outcome.drop = f"gold run {fixed.status}"
        return outcome
    before = base.passed()
    outcome.fail_to_pass = sorted(fixed.passed() - before)
    if not outcome.fail_to_pass:
        outcome.drop = "no test fails before and passes after"
        return outcome
    text, source = statement(facts(*_subject(c), outcome.fail_to_pass, base.log, True), writer)
    meta["statement_source"] = source
    p2p = sorted(fixed.passed() & before)
    task_yaml(out / name, inference.spec, text, outcome.fail_to_pass, p2p, meta)
    return outcome


def run_all(
    repo: Path,
    todo: dict[str, Commit],
    out: Path,
    run: tuple[Any, Any, ModelWriter | None],
    workers: int,
    on_progress: Callable[[str], None],
) -> list[Outcome]:
    """Every commit's outcome (``todo``: task name → commit), ``workers`` at a time."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(run_commit, repo, c, out, n, run) for n, c in todo.items()]
        for done, future in enumerate(as_completed(futures), 1):
            o = future.result()
            on_progress(f"[{done}/{len(todo)}] {o.commit.sha[:10]} {o.commit.subject[:50]}: "
                        f"{o.drop or f'{len(o.fail_to_pass)} FAIL_TO_PASS'}")  # fmt: skip
    return [f.result() for f in futures]


def mine_tasks(
    repo: Path,
    out: Path,
    client: Any,
    *,
    since: str | None = None,
    max_candidates: int | None = None,
    workers: int = 2,
    writer: ModelWriter | None = None,
    on_progress: Callable[[str], None] = lambda message: None,
) -> Summary:
    """Mine ``repo``'s history into validated tasks under ``out``. A commit an earlier run
    on ``out`` decided (:mod:`.state`) is not run again.

    Raises:
        TaskError: ``repo`` is not a git repository (or ``since`` is unknown).
    """
    from swe_env.rollout.validate import ImageCache

    if not (Path(repo) / ".git").exists():
        raise TaskError(f"{repo}: not a git repository (try `swe-env tasks history` first)")
    started, summary, ledger = time.monotonic(), Summary(), Ledger(out)
    scanned, chosen = scan(repo, since, max_candidates)
    pending = [c for c in chosen if not ledger.decided(c.id)]
    summary.resumed = len(chosen) - len(pending)
    on_progress(f"{scanned} commits, {len(chosen)} change tests and code together; "
                f"{summary.resumed} decided by an earlier run, running {len(pending)}")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    used = ledger.names()
    base = slug(Path(repo).resolve().name, "repo")
    todo = {free_name(out, f"{base}-{c.sha[:10]}", c.id, used): c for c in pending}
    outcomes = run_all(repo, todo, out, (client, ImageCache(client), writer), workers, on_progress)
    for o in outcomes:
        if o.drop is not None:
            ledger.record(o.commit.id, o.drop)
            shutil.rmtree(out / o.name, ignore_errors=True)
    written = {o.name: (o.commit.id, None) for o in outcomes if o.drop is None}
    if written:
        on_progress(f"{len(written)} kept; validating")
        record_validation(ledger, validate_written(out, list(written), client, workers), written)
    summary.count(ledger, [c.id for c in chosen])
    summary.seconds = time.monotonic() - started
    return summary
