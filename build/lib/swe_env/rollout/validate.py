"""Validate tasks (gold resolves, empty does not, FAIL_TO_PASS fails at the base) and build
their images on demand, so that grading ready tasks overlaps building the others.

:class:`ImageCache` builds each env image once per distinct spec (and each base once per
Python), under a lock per tag, and each instance image when a worker first needs it; a
failed build is remembered, so tasks sharing a broken env image fail at once with its
error. Both ``swe-env tasks validate`` and ``swe-env evaluate`` use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from swe_env.errors import ImageBuildError, SweEnvError
from swe_env.tasks.spec import TaskSpec

__all__ = ["ImageCache", "Validation", "validate_task", "validate_tasks"]


class ImageCache:
    """Images made ready on demand, each tag built at most once (thread-safe)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._locks: dict[str, threading.Lock] = {}
        self._failed: dict[str, ImageBuildError] = {}
        self._ready: set[str] = set()
        self._guard = threading.Lock()
        self.built: list[str] = []
        """Tags this cache built (the others existed)."""

    def _once(self, tag: str, build: Callable[[], object]) -> None:
        from swe_env.images.build import image_exists

        with self._guard:
            lock = self._locks.setdefault(tag, threading.Lock())
        with lock:
            if tag in self._ready:
                return
            if tag in self._failed:
                raise self._failed[tag]
            if not image_exists(self.client, tag):
                try:
                    build()
                except ImageBuildError as exc:
                    self._failed[tag] = exc
                    raise
                self.built.append(tag)
            self._ready.add(tag)

    def ready(self, task: TaskSpec) -> str:
        """The task's instance image tag, once it and its env and base images exist.

        Raises:
            ImageBuildError: a build of one of them failed (now or earlier).
        """
        from swe_env.images.build import (
            base_tag,
            build_env,
            build_instance,
            ensure_base,
            env_tag,
            instance_tag,
        )

        env, quiet = task.environment, lambda *a: None
        self._once(base_tag(env.python), lambda: ensure_base(env.python, self.client))
        self._once(env_tag(env), lambda: build_env(env, self.client, quiet))
        tag = instance_tag(task)
        self._once(tag, lambda: build_instance(task, self.client, quiet))
        return tag


@dataclass
class Validation:
    """One task's validation. ``reason`` says why it is broken (``None``: it is sound)."""

    task_id: str
    reason: str | None = None
    empty: str = ""
    gold: str = ""
    f2p_passing_at_base: list[str] = field(default_factory=list)
    infra: bool = False
    """The check itself hit an infrastructure fault: retry, do not quarantine."""

    @property
    def ok(self) -> bool:
        return self.reason is None


def validate_task(task: TaskSpec, client: Any, images: ImageCache, timeout: float) -> Validation:
    """Gold must resolve, the empty patch must not, and every FAIL_TO_PASS test must fail
    at the base. An environment failure (``env_error``) or a failed build is a reason."""
    from rewards.grade import grade

    result = Validation(task.full_id)
    try:
        image = images.ready(task)
    except ImageBuildError as exc:
        result.reason = f"image build failed: {str(exc)[:300]}"
        return result
    try:
        empty = grade(task, "", image=image, client=client, timeout=timeout)
        result.empty = empty.status
        result.f2p_passing_at_base = list(empty.fail_to_pass.passed)
        if empty.status == "env_error":
            result.reason = f"env_error at the base state: {empty.error}"
            return result
        gold = grade(task, task.gold_patch, image=image, client=client, timeout=timeout)
        result.gold = gold.status if task.gold_patch else "missing"
    except SweEnvError as exc:
        result.reason, result.infra = f"infrastructure fault: {exc}", True
        return result
    result.reason = _reason(task, empty, gold)
    return result


def _reason(task: TaskSpec, empty: Any, gold: Any) -> str | None:
    if empty.fail_to_pass.passed:
        return "FAIL_TO_PASS passes at the base: " + ", ".join(empty.fail_to_pass.passed[:5])
    if empty.resolved:
        return "the empty patch resolves"
    if not task.gold_patch:
        return "no gold patch"
    if not gold.resolved:
        failed = [*gold.fail_to_pass.failed, *gold.pass_to_pass.failed][:5]
        detail = gold.error or "failing: " + ", ".join(failed)
        return f"the gold patch does not resolve ({gold.status}): {detail[:300]}"
    return None


def validate_tasks(
    tasks: Iterable[TaskSpec],
    client: Any,
    *,
    workers: int = 2,
    timeout: float = 600.0,
    on_done: Callable[[Validation], None] = lambda v: None,
) -> list[Validation]:
    """Validate every task, ``workers`` at a time, building images as each is reached."""
    images = ImageCache(client)
    results: list[Validation] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(validate_task, t, client, images, timeout) for t in tasks]
        for future in as_completed(futures):
            results.append(future.result())
            on_done(results[-1])
    return sorted(results, key=lambda v: v.task_id)
