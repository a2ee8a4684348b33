"""Median time to build one demo instance image from scratch (its env image present),
against `docker run --rm ENV_IMAGE true` through the SDK. ratio = baseline / value.

"From scratch": each build gets a repository with a fresh marker file, so its tag is new
and no cached layer can serve it. The images it builds are removed afterwards.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import median_time, report

from swe_env.images.build import build_instance, ensure_images, env_tag
from swe_env.sandbox.docker import docker_client
from swe_env.tasks import load_suite
from swe_env.tasks.spec import DirSource

N = 5
TASK = "demo/minicache-ttl-expiry"


def main() -> None:
    client = docker_client()
    task = next(t for t in load_suite("demo") if t.full_id == TASK)
    ensure_images([task], client)  # the env image (not timed)
    env_image = env_tag(task.environment)
    built: list[str] = []
    with tempfile.TemporaryDirectory(prefix="swe-env-bench-") as tmp:

        def fresh_build() -> None:
            repo = Path(tmp, uuid.uuid4().hex)
            shutil.copytree(task.source.path, repo)
            (repo / ".bench-marker").write_text(repo.name)
            fresh = task.model_copy(update={"source": DirSource(path=str(repo))})
            built.append(build_instance(fresh, client, lambda tag, msg: None))

        try:
            value = median_time(fresh_build, n=N, warmup=1)
        finally:
            for tag in built:
                client.images.remove(tag, force=True)
    baseline = median_time(lambda: client.containers.run(env_image, ["true"], remove=True), N, 1)
    print(f"instance image from scratch: {value:.3f} s; docker run --rm true: {baseline:.3f} s")
    report("image_build", value, "s", baseline, baseline / value)


if __name__ == "__main__":
    main()
