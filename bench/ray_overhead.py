"""The Ray runner against the local runner on the same workload.

Workload: as bench/rollout_scaling.py (a scripted server answering after 200 ms with a
``bash true`` call; ``STEPS`` turns, truncated, no grading), ``EPISODES`` episodes,
``CONCURRENCY`` at a time: local threads, or one Ray worker on this node with as many
threads. The local cluster is started before timing (a one-time cost, reported as an
extra); the Ray figure includes starting its worker actor.

value: Ray episodes/min; baseline: local episodes/min; ratio = value / baseline
(goal >= 0.9).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))  # support.scripted_server
import ray
from _common import report
from support.scripted_server import Reply, ScriptedChatServer, completion_body, tool_call

from swe_env.env import SWEEnvConfig
from swe_env.images.build import ensure_images
from swe_env.policy import AgentConfig, ChatPolicyFactory, PolicyConfig
from swe_env.rollout.local import run_local
from swe_env.rollout.ray_runner import RayRunner, RayRunnerConfig
from swe_env.sandbox.docker import docker_client
from swe_env.tasks import load_suite


def reply(request: dict) -> Reply:
    body = completion_body(None, [tool_call("bash", command="true")], token_ids=list(range(12)))
    return Reply(body, delay=0.2)


def check(results: list, steps: int) -> None:
    bad = [t for t in results if t.status != "ok" or t.turns != steps]
    if bad:
        raise SystemExit(f"{len(bad)} episode(s) failed: {bad[0].infra_errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--episodes", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    tasks = load_suite("demo")
    ensure_images(tasks, docker_client())
    per_task = -(-args.episodes // len(tasks))
    config = SWEEnvConfig(suite="demo", max_turns=args.steps)
    with ScriptedChatServer(reply) as server:
        make = ChatPolicyFactory(
            PolicyConfig(base_url=server.url, model="scripted", timeout=60), AgentConfig()
        )
        with tempfile.TemporaryDirectory() as out:  # warm-up
            run_local(config, tasks[:2], make, Path(out), concurrency=2, retries=0)
        with tempfile.TemporaryDirectory() as out:
            started = time.monotonic()
            local = run_local(
                config,
                tasks,
                make,
                Path(out),
                samples=per_task,
                concurrency=args.concurrency,
                retries=0,
            )
            local_rate = len(local) / (time.monotonic() - started) * 60
        check(local, args.steps)
        make.close()
        print(f"local: {local_rate:.1f} episodes/min", flush=True)

        t0 = time.monotonic()
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            object_store_memory=128 * 1024 * 1024,
            log_to_driver=False,
        )
        init_seconds = time.monotonic() - t0
        try:
            runner = RayRunner(
                config,
                make,
                retries=0,
                ray_config=RayRunnerConfig(per_node=args.concurrency),
            )
            with tempfile.TemporaryDirectory() as out:
                started = time.monotonic()
                remote = runner.run(tasks, Path(out), samples=per_task)
                ray_rate = len(remote) / (time.monotonic() - started) * 60
            check(remote, args.steps)
        finally:
            ray.shutdown()
    print(f"ray:   {ray_rate:.1f} episodes/min (cluster start {init_seconds:.1f}s, untimed)")
    report(
        "ray_overhead",
        ray_rate,
        "episodes/min",
        local_rate,
        ray_rate / local_rate,
        episodes=len(remote),
        concurrency=args.concurrency,
        steps=args.steps,
        ray_init_seconds=round(init_seconds, 2),
    )


if __name__ == "__main__":
    main()
