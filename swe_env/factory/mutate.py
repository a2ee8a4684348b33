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

import hashlib
import json
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swe_env.errors import TaskError
from swe_env.factory import mutators, probe
from swe_env.factory.common import Summary, free_name, record_validation, slug, validate_written
from swe_env.factory.infer import infer_environment
from swe_env.factory.model import ModelWriter, statement
from swe_env.factory.state import Ledger
from swe_env.factory.statement import facts
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


def candidate_id(mutation: mutators.Mutation) -> str:
    """A stable id of a mutation: its file and its whole new text."""
    payload = f"{mutation.path}\0{mutation.source}".encode()
    return "m-" + hashlib.sha256(payload).hexdigest()[:16]


def _key(o: Outcome) -> list:
    return [o.mutation.path, o.mutation.function, o.broken]


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


def keep(outcomes: list[Outcome], ledger: Ledger) -> list[Outcome]:
    """The kept outcomes, one per (function, broken tests) counting those kept by earlier
    runs; every dropped candidate is recorded in ``ledger``."""
    seen = ledger.keys()
    kept = []
    for o in outcomes:
        key = json.dumps(_key(o))
        if o.drop is None and key in seen:
            o.drop = "duplicate (same function, same broken tests)"
        if o.drop is not None:
            ledger.record(candidate_id(o.mutation), o.drop)
            continue
        seen.add(key)
        kept.append(o)
    return kept


def write_all(
    plan: Plan,
    kept: list[Outcome],
    out: Path,
    seed: int,
    ledger: Ledger,
    writer: ModelWriter | None = None,
) -> dict[str, tuple[str, Any]]:
    """Write each kept outcome as a task under ``out``: name → (candidate id, dedup key)."""
    repo = Path(plan.task.source.path)  # type: ignore[union-attr]
    out.mkdir(parents=True, exist_ok=True)
    used, written = ledger.names(), {}
    for o in kept:
        m, cid = o.mutation, candidate_id(o.mutation)
        name = free_name(out, slug(f"{m.function}-{m.kind}", m.kind), cid, used)
        rest = sorted(set(plan.passing) - set(o.broken))
        p2p = sorted(random.Random(f"{seed}:{name}").sample(rest, min(len(rest), MAX_PASS_TO_PASS)))
        text = statement(facts(m.function, m.path, o.broken, o.log), writer)
        write_task(out / name, repo, m, plan.task.environment, text, o.broken, p2p, cid)
        written[name] = (cid, _key(o))
    return written


def make_tasks(
    repo: Path,
    out: Path,
    client: Any,
    *,
    max_candidates: int = 40,
    seed: int = 0,
    workers: int = 2,
    k: int = 10,
    writer: ModelWriter | None = None,
    on_progress: Callable[[str], None] = lambda message: None,
) -> Summary:
    """Mutate-fix over ``repo``: tasks written under ``out``, validated, summarised. A
    candidate an earlier run on ``out`` decided (:mod:`.state`) is not run again.

    Raises:
        TaskError: the repository is not supported (one line saying why).
    """
    from swe_env.rollout.validate import ImageCache

    started, summary, ledger = time.monotonic(), Summary(), Ledger(out)
    on_progress("inferring the environment and running the suite twice")
    plan = prepare(repo, out.name, client, ImageCache(client))
    summary.baseline_seconds = plan.baseline_seconds
    chosen = candidates(plan, client, max_candidates, seed)
    pending = [m for m in chosen if not ledger.decided(candidate_id(m))]
    summary.resumed = len(chosen) - len(pending)
    on_progress(
        f"{len(plan.passing)} passing tests; {len(chosen)} candidates, "
        f"{summary.resumed} decided by an earlier run, running {len(pending)}"
    )
    outcomes = run_all(plan, pending, client, k, workers, on_progress)
    kept = keep(outcomes, ledger)
    on_progress(f"{len(kept)} kept; writing and validating")
    written = write_all(plan, kept, out, seed, ledger, writer)
    if written:
        record_validation(ledger, validate_written(out, list(written), client, workers), written)
    summary.count(ledger, [candidate_id(m) for m in chosen])
    summary.seconds = time.monotonic() - started
    return summary
