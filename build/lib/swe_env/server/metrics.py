"""Prometheus metrics of one service (its own registry, so several can live in a process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

STEP_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 120.0, 300.0, 600.0,
)  # fmt: skip


class Metrics:
    """The service's gauges, counters and histograms.

    ``containers_alive`` is read when scraped (it asks the engine), through ``count``.
    """

    def __init__(self, count_containers: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.active_episodes = Gauge(
            "swe_env_active_episodes", "Episodes open now (being created included).", registry=r
        )
        self.step_seconds = Histogram(
            "swe_env_step_seconds",
            "Time of one step inside the service (the environment's work and the thread hop).",
            buckets=STEP_BUCKETS,
            registry=r,
        )
        self.reset_seconds = Histogram(
            "swe_env_reset_seconds", "Time to create an episode.", buckets=STEP_BUCKETS, registry=r
        )
        self.errors = Counter(
            "swe_env_errors", "Error answers, by kind.", labelnames=("kind",), registry=r
        )
        self.episodes = Counter(
            "swe_env_episodes",
            "Episode events: created, failed, deleted, expired, shutdown.",
            labelnames=("event",),
            registry=r,
        )
        self.containers_alive = Gauge(
            "swe_env_containers_alive",
            "Containers of this service instance that exist (episodes and gradings).",
            registry=r,
        )
        if count_containers is not None:
            self.containers_alive.set_function(count_containers)

    def error(self, kind: str) -> None:
        """Count one error answer of ``kind``."""
        self.errors.labels(kind=kind).inc()

    def render(self) -> bytes:
        """The text exposition format (blocking: it may ask the engine)."""
        return generate_latest(self.registry)
