"""Helpers shared by the bench scripts: the JSON contract and the base image."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable


def report(
    name: str, value: float, unit: str, baseline: float | None, ratio: float | None, **extra: object
) -> None:
    """Print the one-line JSON result (last line of stdout)."""
    record = {
        "name": name,
        "value": round(value, 6),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 6),
        "ratio": None if ratio is None else float(f"{ratio:.3g}"),
        **extra,
    }
    print(json.dumps(record))


def median_time(fn: Callable[[], object], n: int, warmup: int = 3) -> float:
    """Median wall time of ``fn`` in seconds over ``n`` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def base_image() -> tuple[object, str]:
    from swe_env.images.bootstrap import ensure_base
    from swe_env.sandbox.docker import docker_client

    client = docker_client()
    tag, _ = ensure_base("3.11", client)
    return client, tag
