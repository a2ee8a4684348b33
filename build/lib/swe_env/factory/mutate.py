"""Mutate-fix: tasks from a repository's own passing tests (issue 13, after CWM).

The suite runs twice at HEAD (flaky tests dropped) with a call trace, which names the
source functions the tests reach. Mutations of those functions (:mod:`.mutators`) run in
parallel, each in a fresh container from the one image of the original repository (the
grader applies the mutation as a patch). A mutation is kept when it breaks between 1 and
``k`` passing tests and the run itself worked; the same function breaking the same tests
is kept once. Each kept mutation becomes a native task (:mod:`.writer`), and every task is
validated as ``swe-env tasks validate`` does it: the broken ones are quarantined.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swe_env.errors import TaskError
from swe_env.factory import mutators, probe
from swe_env.factory.infer import infer_environment
from swe_env.factory.statement import write_statement
from swe_env.factory.writer import diff, write_task
from swe_env.tasks.spec import TaskSpec

MAX_PASS_TO_PASS = 50


@dataclass
class Outcome:
    """One candidate's run: the tests it broke, or why it was not kept."""

    mutation: mutators.Mutation
    broken: list[str] = field(default_factory=list)
    drop: str | None = None
    log: str = ""


@dataclass
class Summary:
    """candidates → kept → validated, with the drop reasons counted."""

    candidates: int = 0
    kept: int = 0
    validated: int = 0
    drops: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    baseline_seconds: float = 0.0
    """One plain run of the suite (the first baseline run)."""
    tasks: list[str] = field(default_factory=list)
    """Ids of the validated tasks."""


@dataclass
class Plan:
    """What a mutate run works on: the probe task, its image and the passing tests."""

    task: TaskSpec
    image: str
    passing: list[str]
    baseline_seconds: float


def prepare(repo: Path, name: str, client: Any, images: Any) -> Plan:
    """Infer the environment, build the image, run the suite twice.

    Raises:
        TaskError: the repository is not supported (one line saying why).
    """
    inference = infer_environment(repo)
    if inference.spec is None:
        raise TaskError(f"{repo}: {inference.reason}")
    task = probe.probe_task(repo, inference.spec, name)
    image = images.ready(task)
    base = probe.baseline(task, image, client)
    if not base.passing:
        why = f": {base.error}" if base.error else ""
        raise TaskError(f"{repo}: no test passes at HEAD with `{inference.spec.test_cmd}`{why}")
    return Plan(task, image, base.passing, base.seconds)


def candidates(plan: Plan, client: Any, n: int, seed: int) -> list[mutators.Mutation]:
    """Up to ``n`` mutations of the functions the passing tests call."""
    repo = Path(plan.task.source.path)  # type: ignore[union-attr]
    covered: dict[str, set[int]] = {}
    for path, line, _ in probe.covered_functions(plan.task, plan.image, client):
        covered.setdefault(path, set()).add(line)
    sources = {path: (repo / path).read_text() for path in sorted(covered)}
    sites = [
        site
        for path, text in sources.items()
        if text.endswith("\n")
        for site in mutators.sites_of(text, path, covered[path])
    ]
    return mutators.choose(sources, sites, n, seed)


def run_candidate(plan: Plan, mutation: mutators.Mutation, client: Any, k: int) -> Outcome:
    """Run the suite with ``mutation`` applied; keep it when it breaks 1..k passing tests."""
    original = (Path(plan.task.source.path) / mutation.path).read_text()  # type: ignore[union-attr]
    run = probe.run_suite(
        plan.task, plan.image, client, diff(mutation.path, original, mutation.source)
    )
    outcome = Outcome(mutation, log=run.log)
    if run.status not in {"resolved", "unresolved"}:
        outcome.drop = f"run {run.status}"
        return outcome
    outcome.broken = sorted(set(plan.passing) - run.passed())
    if not outcome.broken:
        outcome.drop = "breaks no test"
    elif len(outcome.broken) > k:
        outcome.drop = f"breaks more than {k} tests"
    return outcome


def _task_name(outcome: Outcome, used: set[str]) -> str:
    raw = f"{outcome.mutation.function}-{outcome.mutation.kind}"
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).lstrip("_.-") or outcome.mutation.kind
    name, i = base, 2
    while name in used:
        name, i = f"{base}-{i}", i + 1
    used.add(name)
    return name


def run_all(
    plan: Plan,
    chosen: list[mutators.Mutation],
    client: Any,
    k: int,
    workers: int,
    on_progress: Callable[[str], None],
) -> list[Outcome]:
    """Every candidate's outcome, in the order given (``workers`` at a time)."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(run_candidate, plan, m, client, k) for m in chosen]
        for done, future in enumerate(as_completed(futures), 1):
            o, verdict = future.result(), future.result().drop or "kept"
            on_progress(
                f"[{done}/{len(chosen)}] {o.mutation.function} {o.mutation.kind}: {verdict}"
            )
    return [f.result() for f in futures]


def keep(outcomes: list[Outcome], summary: Summary) -> list[Outcome]:
    """The kept outcomes, one per (function, broken tests); drop reasons counted."""
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    kept = []
    for o in outcomes:
        key = (o.mutation.path, o.mutation.function, tuple(o.broken))
        if o.drop is None and key in seen:
            o.drop = "duplicate (same function, same broken tests)"
        if o.drop is not None:
            summary.drops[o.drop] += 1
            continue
        seen.add(key)
        kept.append(o)
    return kept


def write_all(plan: Plan, kept: list[Outcome], out: Path, seed: int) -> list[str]:
    """Write each kept outcome as a task under ``out``; returns the new task ids."""
    repo = Path(plan.task.source.path)  # type: ignore[union-attr]
    used = {p.name for p in out.iterdir()} if out.is_dir() else set()
    out.mkdir(parents=True, exist_ok=True)
    ids = []
    for o in kept:
        name = _task_name(o, used)
        rest = sorted(set(plan.passing) - set(o.broken))
        p2p = sorted(random.Random(f"{seed}:{name}").sample(rest, min(len(rest), MAX_PASS_TO_PASS)))
        m = o.mutation
        statement = write_statement(m.function, m.path, o.broken, o.log)
        write_task(out / name, repo, m, plan.task.environment, statement, o.broken, p2p)
        ids.append(name)
    return ids


def validate_written(
    out: Path, ids: list[str], client: Any, workers: int, summary: Summary
) -> None:
    """Validate the new tasks; quarantine the broken ones and count why."""
    from swe_env.rollout.validate import validate_tasks
    from swe_env.tasks.native import load_suite
    from swe_env.tasks.quarantine import update_quarantine

    wanted = set(ids)
    tasks = [t for t in load_suite(str(out), include_quarantined=True) if t.id in wanted]
    results = validate_tasks(tasks, client, workers=workers)
    bad = {v.task_id.rpartition("/")[2]: v.reason for v in results if v.reason and not v.infra}
    update_quarantine(out, bad, [v.task_id.rpartition("/")[2] for v in results if v.ok])  # type: ignore[arg-type]
    for v in results:
        if not v.ok:
            summary.drops["validation: " + (v.reason or "").split(":")[0]] += 1
    summary.tasks = sorted(v.task_id.rpartition("/")[2] for v in results if v.ok)
    summary.validated = len(summary.tasks)


def make_tasks(
    repo: Path,
    out: Path,
    client: Any,
    *,
    max_candidates: int = 40,
    seed: int = 0,
    workers: int = 2,
    k: int = 10,
    on_progress: Callable[[str], None] = lambda message: None,
) -> Summary:
    """Mutate-fix over ``repo``: tasks written under ``out``, validated, summarised.

    Raises:
        TaskError: the repository is not supported (one line saying why).
    """
    from swe_env.rollout.validate import ImageCache

    started, summary = time.monotonic(), Summary()
    on_progress("inferring the environment and running the suite twice")
    plan = prepare(repo, out.name, client, ImageCache(client))
    summary.baseline_seconds = plan.baseline_seconds
    chosen = candidates(plan, client, max_candidates, seed)
    summary.candidates = len(chosen)
    on_progress(f"{len(plan.passing)} passing tests; running {len(chosen)} candidates")
    outcomes = run_all(plan, chosen, client, k, workers, on_progress)
    kept = keep(outcomes, summary)
    summary.kept = len(kept)
    on_progress(f"{len(kept)} kept; writing and validating")
    ids = write_all(plan, kept, out, seed)
    if ids:
        validate_written(out, ids, client, workers, summary)
    summary.seconds = time.monotonic() - started
    return summary
