"""Disk budgets: how much of the host's disk one container may take.

Three layers, from strongest to weakest:

1. **Quota.** Containers are created with ``storage_opt={"size": budget}``. Drivers
   that support it (overlay2 on xfs with pquota, btrfs, zfs, devicemapper) then fail
   writes past the budget with ENOSPC. Engines that refuse the option (fuse-overlayfs,
   overlay2 on ext4) are remembered per engine, and later containers skip the attempt.
2. **Watcher.** Without a quota, one thread per process (:class:`_Watcher`) measures the
   writable layer of every guarded container. When the engine is local, it walks the
   container's ``GraphDriver.UpperDir`` (and its volumes) from the host: only the files
   the container changed are walked. When those paths are not reachable (remote
   engine), it runs ``du`` in the container and subtracts the size measured at start.
   In a container found over budget every process is killed except init and the
   container's main process, the shell included (the sandbox's reaper, through one
   ``docker exec``; if that fails, the container itself is killed). The next ``run``
   starts a new shell. **Nothing is deleted**: the layer keeps at most budget +
   overshoot until the container is removed. The guard stays marked
   :attr:`DiskGuard.exceeded` for the rest of the container's life.
3. **Limits on create** (with any driver): RLIMIT_FSIZE = budget, so a single file
   cannot outgrow the budget between two polls; RLIMIT_CORE = 0, so crashes write no
   core files; and the ``none`` log driver, so writes to ``/proc/1/fd/1`` do not
   land in a log file on the host.

Overshoot without a quota is write speed x (time to notice + time to stop). Noticing:
the watcher polls every 0.1 s, and sooner as the headroom shrinks (half the time it
would last at the faster of the measured rate and 4 GiB/s; every 10 ms near the
budget). Stopping: on a local engine the writers are first killed from the host (one
``docker top``, about 15 ms; only processes this host's /proc shows in the container's
cgroup), then the reaper's ``docker exec`` (0.1-0.4 s) gets whatever is left. Measured
past a 200 MiB budget (``bench/disk_overshoot.py``) on a host whose writes run at
1.8-2.3 GB/s: 52-84 MiB worst with one writer, 56-63 MiB with four, 17-50 MiB with
64 KiB files (155 and 309 MiB before the host-side kill and the headroom-based polls).
The tests allow what the writer writes in 0.25 s, and at least 128 MiB. tmpfs mounts
(``/dev/shm``, ``/dev``, and ``/sys/fs/cgroup`` on cgroup v1) are not on disk: their
pages are charged to the container's memory limit, which bounds them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from swe_env.sandbox.disk_meter import (
    BLOCK,
    ExecMeter,
    HostMeter,
    Meter,
    Mode,
    kill_from_host,
    make_meter,
    tree_usage,
)

__all__ = [
    "BLOCK",
    "DiskGuard",
    "DiskStatus",
    "ExecMeter",
    "HostMeter",
    "Meter",
    "create_container",
    "guard",
    "kill_from_host",
    "make_meter",
    "tree_usage",
    "watcher_thread",
]

log = logging.getLogger(__name__)

WATCHER_NAME = "swe-env-disk-watcher"
MIN_POLL = 0.01
"""The shortest interval between two measurements of one container."""
FAST_WRITES = 4 * 2**30
"""Bytes per second a writer is assumed able to reach (2.9 GB/s was measured here with
four ``dd``), whatever rate was measured so far: a writer starting between two polls has
no measured rate yet."""
MAX_DUTY = 0.25
"""A guard is measured at most this fraction of the time: a layer that takes 50 ms to
walk (about 5,000 changed files) is walked every 200 ms at most, whatever the poll
interval."""


# Per engine: does it accept ``storage_opt={"size": …}``? Filled by the first create.
_QUOTA_SUPPORT: dict[str, bool] = {}


def engine_key(client: Any) -> str:
    """An identifier of the engine ``client`` talks to (URL and socket path)."""
    api = client.api
    adapter = getattr(api, "_custom_adapter", None)
    return f"{api.base_url}|{getattr(adapter, 'socket_path', '')}"


def _refuses_storage_opt(exc: Exception) -> bool:
    text = str(exc).lower()
    return "storage-opt" in text or "storage opt" in text or "storageopt" in text


def create_options(budget: int | None) -> dict[str, Any]:
    """``containers.create`` keyword arguments that hold with any storage driver."""
    ulimits = [{"name": "core", "soft": 0, "hard": 0}]
    if budget is not None:
        ulimits.append({"name": "fsize", "soft": budget, "hard": budget})
    return {"ulimits": ulimits, "log_config": {"type": "none"}}


def create_container(
    client: Any, image: str, budget: int | None, **kwargs: Any
) -> tuple[Any, bool]:
    """``client.containers.create(image, **kwargs)`` under a disk budget.

    Returns the container and whether the engine enforces the budget as a quota.

    Raises:
        docker.errors.APIError: as ``containers.create`` does, except for a refused
            ``storage_opt``, which is retried without it.
    """
    import docker.errors

    kwargs = {**kwargs, **create_options(budget)}
    key = engine_key(client)
    if budget is not None and _QUOTA_SUPPORT.get(key, True):
        try:
            container = client.containers.create(image, storage_opt={"size": str(budget)}, **kwargs)
        except docker.errors.APIError as exc:
            if not _refuses_storage_opt(exc):
                raise
            log.info("engine %s refuses --storage-opt size (%s); using the watcher", key, exc)
            _QUOTA_SUPPORT[key] = False
        else:
            _QUOTA_SUPPORT[key] = True
            return container, True
    return client.containers.create(image, **kwargs), False


# -- guarding -------------------------------------------------------------------------
@dataclass(frozen=True)
class DiskStatus:
    """What a guard knows about its container's disk use."""

    budget: int
    mode: Mode
    used: int
    """The last measurement, in bytes (0 under a quota, which is not measured)."""
    peak: int
    exceeded: bool
    kills: int
    """How many times the container was killed for writing past the budget."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


class DiskGuard:
    """Keeps one container within its disk budget; see the module docstring."""

    def __init__(
        self,
        container: Any,
        budget: int,
        meter: Meter | None,
        poll: float,
        stop_writers: Callable[[], bool] | None = None,
        kill_fast: Callable[[], int] | None = None,
    ) -> None:
        """``stop_writers`` kills the container's processes and says whether it could;
        without it, or when it fails, the container is killed. ``kill_fast``, with a
        host-side meter, first kills them from the host (:func:`kill_from_host`)."""
        self.container = container
        self.stop_writers = stop_writers
        self.kill_fast = kill_fast
        self.budget = budget
        self.meter = meter
        self.mode: Mode = meter.mode if meter is not None else "quota"
        self.poll = poll
        self.used = self.peak = self.kills = 0
        self.exceeded = False
        self.cost = 0.0
        """Seconds the last measurement took."""
        self.due = 0.0
        self._last = (time.monotonic(), 0)
        self._killed_at = 0
        self._lock = threading.Lock()
        self._stopping = False
        self._stopped = False

    def status(self) -> DiskStatus:
        """The state as of the last measurement (no new measurement)."""
        return DiskStatus(self.budget, self.mode, self.used, self.peak, self.exceeded, self.kills)

    def check(self, max_cost: float | None = None) -> DiskStatus:
        """Measure now and enforce the budget, then return the status.

        With ``max_cost``, skip the measurement when the last one took longer than that
        (the watcher keeps measuring in the background)."""
        if max_cost is None or self.cost <= max_cost:
            self._measure()
        return self.status()

    def message(self) -> str | None:
        """A sentence for the agent once the budget was crossed, else ``None``."""
        if not self.exceeded:
            return None
        return (
            f"disk budget exceeded: the container's files grew to {_mib(self.peak)}, over "
            f"its {_mib(self.budget)} budget. Every process in the container was killed "
            "(the files were kept)"
        )

    def _measure(self) -> None:
        if self.meter is None or self._stopped:
            return
        with self._lock:
            started = time.monotonic()
            try:
                used = self.meter.measure()
            except OSError as exc:
                log.debug("disk measurement of %s failed: %s", self.container.id[:12], exc)
                self.due = time.monotonic() + max(self.poll, self.cost / MAX_DUTY)
                return
            now = time.monotonic()
            self.cost = now - started
            self.due = now + self._interval(used, now)
            self._last = (now, used)
            self.used, self.peak = used, max(self.peak, used)
            if used > self.budget and used > self._killed_at and not self._stopped:
                self.exceeded = True
                if not self._stopping:
                    self._killed_at = used + BLOCK * 256  # again only after 1 MiB more
                    self._kill()

    def _interval(self, used: int, now: float) -> float:
        """Seconds to the next measurement: the poll interval, or sooner: half the time
        the headroom lasts at the faster of the measured rate and :data:`FAST_WRITES`
        (never busier than :data:`MAX_DUTY`). A layer far from its budget is polled at
        the poll interval; one that could fill its headroom in 0.1 s, every 10 ms; one
        over budget that stopped growing, at the poll interval again."""
        floor = max(MIN_POLL, self.cost / MAX_DUTY)
        then, before = self._last
        rate = (used - before) / (now - then) if before < used and now > then else 0.0
        headroom = max(0, self.budget - used)
        if not headroom and not rate:  # over budget, writers stopped: back to the poll
            return max(floor, self.poll)
        return max(floor, min(self.poll, 0.5 * headroom / max(rate, FAST_WRITES)))

    def _kill(self) -> None:
        """Stop the writers in a short-lived thread, so that a slow engine does not hold
        up the measurements of other containers. One stop at a time."""
        self._stopping = True
        self.kills += 1
        name = f"swe-env-disk-stop-{self.container.id[:12]}"
        threading.Thread(target=self._stop_writers, name=name, daemon=True).start()

    def _stop_writers(self) -> None:
        try:
            if self.kill_fast is not None and self.mode == "host" and not self._stopped:
                with contextlib.suppress(OSError):
                    self.kill_fast()  # the writers die now; the reaper gets what is left
            if not self._stopped and not self._reaped():
                self._kill_container()
            # What was written while the stop ran is not a new overrun.
            with contextlib.suppress(OSError), self._lock:
                assert self.meter is not None
                self._killed_at = max(self._killed_at, self.meter.measure() + BLOCK * 256)
        finally:
            self._stopping = False

    def _reaped(self) -> bool:
        try:
            return self.stop_writers is not None and self.stop_writers()
        except Exception as exc:
            log.debug("the reaper of %s failed: %s", self.container.id[:12], exc)
            return False

    def _kill_container(self) -> None:
        import docker.errors
        import requests.exceptions

        try:
            self.container.kill()
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            # Already stopped (a restart in progress) or being removed.
            log.debug("killing %s over its disk budget: %s", self.container.id[:12], exc)

    def stop(self) -> None:
        """Stop guarding (the container is being removed). Idempotent."""
        self._stopped = True
        _WATCHER.remove(self)


class _Watcher:
    """One thread that measures every guarded container, started on demand; it exits
    when the last guard is removed."""

    def __init__(self) -> None:
        self._guards: set[DiskGuard] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, guard: DiskGuard) -> None:
        with self._lock:
            self._guards.add(guard)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=WATCHER_NAME, daemon=True)
                self._thread.start()
        self._wake.set()

    def remove(self, guard: DiskGuard) -> None:
        with self._lock:
            self._guards.discard(guard)
        self._wake.set()

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def _loop(self) -> None:
        while True:
            self._wake.clear()
            with self._lock:
                if not self._guards:
                    self._thread = None
                    return
                guards = list(self._guards)
            for guard in guards:
                if guard.due <= time.monotonic():
                    with contextlib.suppress(Exception):  # one bad guard must not stop the rest
                        guard._measure()
            next_due = min(g.due for g in guards)
            self._wake.wait(max(0.0, next_due - time.monotonic()))


_WATCHER = _Watcher()


def watcher_thread() -> threading.Thread | None:
    """The watcher's thread, or ``None`` when no container is guarded."""
    return _WATCHER.thread


def guard(
    container: Any,
    budget: int | None,
    quota: bool,
    poll: float,
    *,
    stop_writers: Callable[[], bool] | None = None,
    kill_fast: Callable[[], int] | None = None,
    local: bool | None = None,
) -> DiskGuard | None:
    """Start guarding a started ``container``; ``None`` when there is no budget.

    Under a quota the engine enforces the budget and nothing is watched. Otherwise the
    guard is measured once now (the baseline for ``du``) and then by the watcher. See
    :class:`DiskGuard` for ``stop_writers`` and ``kill_fast``."""
    if budget is None:
        return None
    if quota:
        return DiskGuard(container, budget, None, poll)
    try:
        meter = make_meter(container, local=local)
    except OSError as exc:
        # A remote engine and an image without ``du``: only RLIMIT_FSIZE holds.
        log.warning("the disk use of %s cannot be measured: %s", container.id[:12], exc)
        unmeasured = DiskGuard(container, budget, None, poll)
        unmeasured.mode = "unmeasured"
        return unmeasured
    g = DiskGuard(container, budget, meter, poll, stop_writers, kill_fast)
    g.check()
    _WATCHER.add(g)
    return g
