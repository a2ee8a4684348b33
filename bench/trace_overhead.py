"""What tracing costs: a demo task's test run under the tracer (test mode, the default
limits) against the same run untraced, in the same container, on the gold state.

value: median seconds of the traced run (the tracer put in, run, output read back, removed);
baseline: median seconds of the same pytest command untraced; ratio: value / baseline.
Also events per second (frames recorded, over the traced run's time), the same over the time
tracing added (traced minus untraced), and the number of traces.
"""

from __future__ import annotations

import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from swe_env.images.build import ensure_images, instance_tag
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import docker_client
from swe_env.sandbox.provider import SandboxProvider
from swe_env.tasks import find_task
from swe_env.traces.collect import _prepare, pytest_args, run_tracer

TASK = "demo/calcexpr-multi-arg-functions"
N = 5


def main() -> None:
    client = docker_client()
    task = find_task(TASK)
    ensure_images([task], client)
    config = DockerSandboxConfig(command_timeout=600)
    args = pytest_args(task.environment.test_cmd)
    plain = f"cd /testbed && python -m pytest {shlex.join(args)} > /tmp/bench.log 2>&1"
    untraced, traced, events, traces = [], [], [], []
    with SandboxProvider(config, client=client) as provider:
        sb = provider.acquire(instance_tag(task), config, task=task.full_id)
        try:
            _prepare(sb, task, "gold")
            sb.run(plain)  # warm the file caches once, for both
            for _ in range(N):  # interleaved: a slow moment hits both alike
                t0 = time.perf_counter()
                sb.run(plain)
                untraced.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                run = run_tracer(sb, ["test", "--", *args])
                traced.append(time.perf_counter() - t0)
                events.append(sum(len(r["events"]) for r in run.records))
                traces.append(len(run.records))
        finally:
            provider.release(sb)
    value, baseline = statistics.median(traced), statistics.median(untraced)
    rate = statistics.median(e / t for e, t in zip(events, traced, strict=True))
    marginal = events[0] / max(value - baseline, 1e-9)
    print(
        f"traced {value:.3f}s, untraced {baseline:.3f}s ({value / baseline:.2f}x); "
        f"{traces[0]} traces, {events[0]} events, {rate:,.0f} events/s "
        f"({marginal:,.0f} per second of added time)"
    )
    report(
        "trace_overhead", value, "s", baseline, value / baseline,
        events_per_second=round(rate), events_per_added_second=round(marginal),
        events=events[0], traces=traces[0], task=TASK,
    )  # fmt: skip


if __name__ == "__main__":
    main()
