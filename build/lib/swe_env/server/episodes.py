"""Episodes of the service: create, step, delete, reap idle ones, shut down.

Every environment call blocks (Docker I/O), so it runs in a thread pool; the event loop
only waits. Steps of one episode are serialized by an ``asyncio.Lock``. Step answers are
remembered per ``Idempotency-Key``: a resent step gets the first answer, and its action
does not run again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from swe_env.env import SWEEnvConfig
from swe_env.errors import ImageBuildError, SweEnvError, TaskError
from swe_env.server.backend import Backend
from swe_env.server.catalog import TaskCatalog
from swe_env.server.config import ServerConfig
from swe_env.server.containers import Janitor
from swe_env.server.metrics import Metrics
from swe_env.server.models import (
    CreateEpisode,
    EpisodeConfig,
    EpisodeCreated,
    EpisodeState,
    GradeRequest,
    ServiceError,
    StepResult,
    invalid,
)
from swe_env.server.state import (
    Episode,
    close_quietly,
    fault,
    fingerprint,
    key_reused,
    shutting_down,
    too_many,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Ending = Literal["deleted", "expired", "shutdown"]
TOMBSTONES = 10_000


class EpisodeManager:
    """Owns the open episodes, the worker threads and the service's limits."""

    def __init__(
        self,
        config: ServerConfig,
        backend: Backend,
        metrics: Metrics,
        janitor: Janitor | None = None,
    ) -> None:
        self.config = config
        self.backend = backend
        self.metrics = metrics
        self.janitor = janitor
        self.catalog = TaskCatalog()
        self.pool = ThreadPoolExecutor(config.thread_count, thread_name_prefix="swe-env-serve")
        self.episodes: dict[str, Episode] = {}
        self.closing = False
        self._ended: OrderedDict[str, str] = OrderedDict()
        self._creating = 0
        self._grading = 0
        self._created: OrderedDict[str, tuple[str, EpisodeCreated]] = OrderedDict()
        self._pending: dict[str, tuple[str, asyncio.Future[EpisodeCreated]]] = {}
        self._reaper: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        metrics.active_episodes.set_function(lambda: len(self.episodes) + self._creating)

    # -- plumbing -------------------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call in the worker pool."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _close_later(self, env: Any) -> Callable[[Future], None]:
        def done(_: Future) -> None:
            try:
                self.pool.submit(close_quietly, env)
            except RuntimeError:  # the pool is shut down: close here
                close_quietly(env)

        return done

    def _close_opened(self, future: Future) -> None:
        """Close an env whose creation finished after its request gave up."""
        if not future.cancelled() and future.exception() is None:
            self._close_later(future.result()[0])(future)

    def _gone(self, episode_id: str) -> ServiceError:
        how = self._ended.get(episode_id)
        detail = f" (it was {how})" if how else ""
        return ServiceError(404, "unknown_episode", f"no episode {episode_id!r}{detail}")

    def lookup(self, episode_id: str) -> Episode:
        ep = self.episodes.get(episode_id)
        if ep is None:
            raise self._gone(episode_id)
        return ep

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Remove containers left by an earlier run of this service; start the reaper."""
        if self.janitor is not None:
            removed = await self.run(self.janitor.remove_orphans)
            if removed:
                log.warning("removed %d container(s) left by an earlier service run", removed)
        self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())

    async def shutdown(self) -> None:
        """Close every episode and remove every container of this service instance."""
        self.closing = True
        if self._reaper is not None:
            self._reaper.cancel()
        await asyncio.gather(
            *(self._retire(ep, "shutdown") for ep in list(self.episodes.values())),
            return_exceptions=True,
        )
        if self.janitor is not None:
            await self.run(self.janitor.remove_own)
        self.pool.shutdown(wait=False, cancel_futures=True)

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.reaper_period)
            try:
                await self.reap_idle()
            except Exception:
                log.exception("the idle reaper failed; it runs again next period")

    async def reap_idle(self) -> int:
        """Close episodes idle past the TTL; returns how many."""
        now = time.monotonic()
        stale = [
            ep
            for ep in self.episodes.values()
            if not ep.lock.locked() and now - ep.last_used > self.config.idle_ttl
        ]
        await asyncio.gather(*(self._retire(ep, "expired") for ep in stale))
        return len(stale)

    async def _retire(self, ep: Episode, how: Ending) -> None:
        if ep.closed:
            return
        ep.closed = True
        self.episodes.pop(ep.id, None)
        self._ended[ep.id] = how
        while len(self._ended) > TOMBSTONES:
            self._ended.popitem(last=False)
        self.metrics.episodes.labels(event=how).inc()
        await self._free(ep)

    async def _free(self, ep: Episode) -> None:
        """Remove the episode's containers now; close its env once no step runs in it."""
        if ep.freed:
            return
        ep.freed = True
        running = ep.running
        if running is not None and not running.done():
            if self.janitor is not None:
                await self.run(self.janitor.remove_episode, ep.id)
            running.add_done_callback(self._close_later(ep.env))
        else:
            await self.run(close_quietly, ep.env)

    # -- episodes -------------------------------------------------------------------
    def episode_config(self, requested: EpisodeConfig | None) -> SWEEnvConfig:
        """The client's settings, with the server's sandbox under the client's choices."""
        if requested is None:
            return SWEEnvConfig(sandbox=self.config.sandbox)
        chosen = requested.sandbox.model_dump(exclude_none=True)
        sandbox = self.config.sandbox.model_copy(update=chosen)
        return SWEEnvConfig(**requested.model_dump(exclude={"sandbox"}), sandbox=sandbox)

    def _check_request(self, config: SWEEnvConfig, task_id: str | None) -> str | None:
        """Blocking: the suite, ``task_ids`` and ``task_id`` exist. Returns the task id."""
        self.catalog.suite(config.suite)
        allowed = {self.catalog.task(t, config.suite).full_id for t in config.task_ids or []}
        if not task_id:
            return None
        full_id = self.catalog.task(task_id, config.suite).full_id
        if allowed and full_id not in allowed:
            raise ServiceError(404, "unknown_task", f"{task_id!r} is not in config.task_ids")
        return full_id

    async def create(self, req: CreateEpisode, key: str | None = None) -> EpisodeCreated:
        """Open an episode (reset). With ``key``, a resent request gets the first answer;
        the same key with a different body answers 422."""
        digest = fingerprint(req.model_dump(mode="json")) if key is not None else ""
        if key is not None:
            known = self._created.get(key) or self._pending.get(key)
            if known is not None:
                if known[0] != digest:
                    raise key_reused(key)
                answer = known[1]
                if isinstance(answer, EpisodeCreated):
                    return answer
                return await asyncio.shield(answer)
        if self.closing:
            raise shutting_down()
        config = self.episode_config(req.config)
        task_id = await self.run(self._check_request, config, req.task_id)
        if len(self.episodes) + self._creating >= self.config.max_episodes:
            raise too_many(
                "too_many_episodes",
                f"{self.config.max_episodes} episodes are open; delete one or retry later",
                self.config.retry_after,
            )
        pending: asyncio.Future[EpisodeCreated] = asyncio.get_running_loop().create_future()
        pending.add_done_callback(lambda f: f.cancelled() or f.exception())
        if key is not None:
            self._pending[key] = (digest, pending)
        self._creating += 1
        try:
            options = {"task_id": task_id, "snapshot": req.snapshot}
            created = await self._open(config, options, req.seed)
        except asyncio.CancelledError:
            pending.cancel()
            raise
        except Exception as exc:
            pending.set_exception(exc)
            raise
        finally:
            self._creating -= 1
            if key is not None:
                self._pending.pop(key, None)
        pending.set_result(created)
        if key is not None:
            self._created[key] = (digest, created)
            while len(self._created) > 4 * self.config.max_episodes:
                self._created.popitem(last=False)
        return created

    def _open_blocking(
        self, eid: str, config: SWEEnvConfig, options: dict[str, Any], seed: int | None
    ) -> tuple[Any, str, dict[str, Any]]:
        env = self.backend.make_env(config, eid)
        try:
            obs, info = env.reset(seed=seed, options={k: v for k, v in options.items() if v})
        except BaseException:
            close_quietly(env)
            raise
        return env, obs, info

    async def _open(
        self, config: SWEEnvConfig, options: dict[str, Any], seed: int | None
    ) -> EpisodeCreated:
        eid = uuid.uuid4().hex
        started = time.perf_counter()
        future = self.pool.submit(self._open_blocking, eid, config, options, seed)
        try:
            env, obs, info = await asyncio.wait_for(
                asyncio.wrap_future(future), self.config.reset_timeout
            )
        except SweEnvError as exc:
            raise fault(exc, not isinstance(exc, TaskError | ImageBuildError)) from exc
        except TimeoutError:
            future.add_done_callback(self._close_opened)
            if self.janitor is not None:
                self._spawn(self.run(self.janitor.remove_episode, eid))
            raise ServiceError(
                504,
                "reset_timeout",
                f"creating the episode took over {self.config.reset_timeout:g}s",
                retryable=True,
            ) from None
        except ValueError as exc:
            raise invalid(("body",), str(exc)) from exc
        self.metrics.reset_seconds.observe(time.perf_counter() - started)
        if self.closing:
            await self.run(close_quietly, env)
            raise shutting_down()
        ep = Episode(eid, env, str(info.get("task_id", options["task_id"] or "")))
        self.episodes[eid] = ep
        self.metrics.episodes.labels(event="created").inc()
        return EpisodeCreated(episode_id=eid, observation=obs, info=info)

    async def step(
        self, episode_id: str, action: dict[str, Any] | str, key: str | None = None
    ) -> tuple[StepResult, bool]:
        """Run one action. Returns (result, replayed).

        Raises:
            ServiceError: 404 unknown episode, 409 episode over or failed, 422 an
                Idempotency-Key already used with another action, 503 an
                infrastructure fault (the episode fails), 504 the step deadline.
        """
        ep = self.lookup(episode_id)
        digest = fingerprint(action) if key is not None else ""
        async with ep.lock:
            if key is not None and key in ep.replies:
                ep.replies.move_to_end(key)
                first, reply = ep.replies[key]
                if first != digest:
                    raise key_reused(key)
                replayed = True
            else:
                reply = await self._step_locked(ep, action)
                replayed = False
                if key is not None:
                    ep.replies[key] = (digest, reply)
                    while len(ep.replies) > self.config.idempotency_entries:
                        ep.replies.popitem(last=False)
        if isinstance(reply, ServiceError):
            raise reply
        return reply, replayed

    async def _step_locked(self, ep: Episode, action: dict[str, Any] | str) -> Any:
        if ep.closed:
            raise self._gone(ep.id)  # deleted while this request waited for the lock
        if ep.status != "running":
            kind = "episode_over" if ep.status == "done" else "episode_failed"
            return ServiceError(409, kind, f"episode {ep.id} is {ep.status}; create a new one")
        ep.last_used = time.monotonic()
        started = time.perf_counter()
        ep.steps += 1
        future = ep.running = self.pool.submit(ep.env.step, action)
        try:
            obs, reward, terminated, truncated, info = await asyncio.wait_for(
                asyncio.wrap_future(future), self.config.step_timeout
            )
        except SweEnvError as exc:
            return await self._fail(ep, fault(exc, retryable=False))
        except TimeoutError:
            timeout = self.config.step_timeout
            msg = f"the step took over {timeout:g}s; the episode failed and its containers are gone"
            return await self._fail(ep, ServiceError(504, "step_timeout", msg))
        except Exception as exc:
            log.exception("step of episode %s failed", ep.id)
            return await self._fail(ep, ServiceError(500, "internal", f"{type(exc).__name__}"))
        finally:
            ep.last_used = time.monotonic()
            self.metrics.step_seconds.observe(time.perf_counter() - started)
        if terminated or truncated:
            ep.status = "done"
        return StepResult(
            observation=obs,
            reward=float(reward),
            terminated=bool(terminated),
            truncated=bool(truncated),
            info=info,
        )

    async def _fail(self, ep: Episode, error: ServiceError) -> ServiceError:
        ep.status, ep.failure = "failed", f"{error.kind}: {error.message}"
        self.metrics.episodes.labels(event="failed").inc()
        self._spawn(self._free(ep))
        return error

    def state(self, episode_id: str) -> EpisodeState:
        return self.lookup(episode_id).state()

    async def delete(self, episode_id: str) -> None:
        """Close the episode and remove its containers (a running step is cut short)."""
        await self._retire(self.lookup(episode_id), "deleted")

    # -- grading --------------------------------------------------------------------
    async def grade(self, req: GradeRequest) -> Any:
        """Grade a patch in a fresh container (no episode needed)."""
        if self.closing:
            raise shutting_down()
        task = await self.run(self.catalog.task, req.task_id, req.suite)
        if self._grading >= self.config.max_grades:
            raise too_many(
                "too_many_grades",
                f"{self.config.max_grades} gradings are running; retry later",
                self.config.retry_after,
            )
        gid = f"grade-{uuid.uuid4().hex}"
        self._grading += 1
        future = self.pool.submit(self.backend.grade, task, req.patch, req.timeout, gid)
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), req.timeout + self.config.grade_slack
            )
        except SweEnvError as exc:
            raise fault(exc, not isinstance(exc, TaskError | ImageBuildError)) from exc
        except TimeoutError:
            if self.janitor is not None:
                self._spawn(self.run(self.janitor.remove_episode, gid))
            raise ServiceError(504, "grade_timeout", "grading overran", retryable=True) from None
        finally:
            self._grading -= 1
