"""How a node that lacks a task's image gets it, on the multi-node test cluster: built
from the content-hashed recipe by its own engine, or streamed from the host's engine
(``docker save | docker load``, no registry). Both nodes start with the base image only.

Build: ``ensure_instance_image`` against worker 1's engine (the env image: venv + pip
install of the task's test dependencies from the index, then the instance layer).
Transfer: ``copy_image`` of the same instance image from the host into worker 2's engine
(the whole image: base, env and instance layers, since ``docker save`` sends them all).

value: seconds by transfer; baseline: seconds by build; ratio = transfer / build (below
1: transfer is faster). Extras: bytes sent and seconds per GB.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import docker.errors
from _common import report

from swe_env.cluster.local import ClusterConfig, LocalCluster
from swe_env.images.build import ensure_images, ensure_instance_image, env_tag, instance_tag
from swe_env.images.transfer import copy_image
from swe_env.tasks import load_suite


def drop(client, tags: list[str]) -> None:
    for tag in tags:
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            client.images.remove(tag, force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default="swe-env-bench", help="the cluster (started if down)")
    parser.add_argument("--task", default="inicfg-delimiter-in-value")
    args = parser.parse_args()
    cluster = LocalCluster(ClusterConfig(name=args.name, workers=2))
    cluster.up(progress=lambda line: print(line[-120:], flush=True), timeout=900)
    task = next(t for t in load_suite("demo") if t.id == args.task)
    tags = [instance_tag(task), env_tag(task.environment)]
    ensure_images([task], cluster.client)  # the host has it (the transfer's source)
    first, second = (cluster.engine(n, timeout=900) for n in cluster.worker_names)
    drop(first, tags)
    drop(second, tags)
    started = time.monotonic()
    ensure_instance_image(task, first)
    build = time.monotonic() - started
    moved = copy_image(cluster.client, second, tags[0])
    per_gb = moved.seconds / (moved.bytes / 1e9)
    print(f"build on the node: {build:.1f} s")
    print(f"save|load from the host: {moved.seconds:.1f} s, {moved.bytes / 1e6:.0f} MB")
    print(f"  = {per_gb:.1f} s per GB")
    report(
        "image_transfer", moved.seconds, "s", build, moved.seconds / build,
        bytes=moved.bytes, seconds_per_gb=round(per_gb, 2), task=task.full_id,
    )  # fmt: skip


if __name__ == "__main__":
    main()
