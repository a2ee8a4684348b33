"""Env and instance images: base → env (deps, by content hash) → instance (repo, leak-free).

Tags carry content hashes, so an unchanged suite builds nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import docker
import docker.errors

from swe_env.errors import ImageBuildError, TaskError
from swe_env.images.bootstrap import base_tag, ensure_base
from swe_env.images.layer import WorkContainer, image_config, load_layer, repo_tar
from swe_env.tasks.spec import DirSource, EnvironmentSpec, GitSource, MirrorSource, TaskSpec

RECIPE_VERSION = "2"
SKIP_PARTS = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".tox"}
Progress = Callable[[str, str], None]  # (image tag, message)
_IMAGE_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_IMAGE_LOCKS_GUARD = threading.Lock()


def env_tag(env: EnvironmentSpec) -> str:
    return f"swe-env/env:py{env.python}-{env.env_key()}"


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if SKIP_PARTS.intersection(rel.parts) or path.suffix == ".pyc" or not path.is_file():
            continue
        digest.update(f"{rel.as_posix()}\0{path.stat().st_mode & 0o111}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_key(task: TaskSpec) -> str:
    src = task.source
    if isinstance(src, DirSource):
        return "dir:" + _tree_hash(Path(src.path))
    if isinstance(src, MirrorSource):
        return f"mirror:{src.repo}@{task.base_commit}"
    return f"git:{src.url}@{task.base_commit}"


def instance_key(task: TaskSpec) -> str:
    payload = [
        RECIPE_VERSION,
        task.environment.env_key(),
        list(task.environment.install),
        source_key(task),
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]


def instance_tag(task: TaskSpec) -> str:
    name = re.sub(r"[^a-z0-9_.-]+", "-", task.full_id.lower()).strip("-.")[:100]
    return f"swe-env/instance:{name}-{instance_key(task)}"


def image_exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


# -- repository trees ---------------------------------------------------------------------
def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ImageBuildError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def export_commit(git_dir: Path, commit: str, dest: Path) -> None:
    """Write the tree of ``commit`` into ``dest`` with no history (read-tree + checkout-index;
    ``git archive`` would apply export-subst and change files)."""
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp, "index")
        env_prefix = ["-c", "core.autocrlf=false", f"--git-dir={git_dir}", f"--work-tree={dest}"]
        dest.mkdir(parents=True, exist_ok=True)
        cmd = ["git", *env_prefix, "read-tree", commit]
        env = {"GIT_INDEX_FILE": str(index), "PATH": "/usr/bin:/bin:/usr/local/bin"}
        for step in (cmd, ["git", *env_prefix, "checkout-index", "-a", "-f"]):
            done = subprocess.run(step, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                raise ImageBuildError(f"exporting {commit} from {git_dir}: {done.stderr.strip()}")


def materialize_repo(task: TaskSpec, dest: Path) -> None:
    """Write the repository's base state (files only, no .git) into ``dest``."""
    src = task.source
    if isinstance(src, DirSource):
        shutil.copytree(
            src.path, dest, symlinks=True, ignore=shutil.ignore_patterns(*SKIP_PARTS, "*.pyc")
        )
        return
    if task.base_commit is None:
        raise TaskError(f"{task.full_id}: a {src.type} source needs base_commit")
    if isinstance(src, MirrorSource):
        from swe_env.tasks.swebench import mirror_git_dir

        export_commit(mirror_git_dir(Path(src.mirror), src.repo), task.base_commit, dest)
        return
    assert isinstance(src, GitSource)
    with tempfile.TemporaryDirectory() as tmp:
        _git("clone", "--quiet", "--bare", "--filter=blob:none", src.url, tmp + "/r.git")
        export_commit(Path(tmp, "r.git"), task.base_commit, dest)


# -- builds ---------------------------------------------------------------------------------
ENV_VARS = {
    "VIRTUAL_ENV": "/opt/venv",
    "PATH": "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "PIP_NO_CACHE_DIR": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
"""What every env image sets before the task's own variables (which may override them)."""

BASE_COMMIT = (
    "git init -q && git add -A"
    ' && GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"'
    ' git commit -q --no-verify -m "base"'
    " && git reflog expire --expire=now --all && git gc -q --prune=now"
)
"""The tree becomes the single commit of a fresh repository: no remotes, no other refs,
an expired reflog and a gc'd object store (the leak-free guarantee)."""


def env_steps(env: EnvironmentSpec) -> list[str]:
    """The commands that make an env image from the base: venv, pre-install, pip."""
    steps = ["python3 -m venv /opt/venv", *env.pre_install]
    if env.pip_packages:
        steps.append("pip install --quiet " + " ".join(shlex.quote(p) for p in env.pip_packages))
    return steps


def build_env(env: EnvironmentSpec, client: docker.DockerClient, progress: Progress) -> str:
    """The env image: the base plus the task's dependencies, as one committed layer."""
    tag = env_tag(env)
    base = base_tag(env.python)
    variables = {**ENV_VARS, **env.env_vars}
    labels = {"swe-env.kind": "env", "swe-env.env-key": env.env_key(), "swe-env.python": env.python}
    config = image_config(client, base, labels=labels, env=variables)
    with WorkContainer(client, base, tag, progress, environment=variables) as work:
        for step in env_steps(env):
            work.sh(step)
        work.commit(config)
    return tag


def build_instance(task: TaskSpec, client: docker.DockerClient, progress: Progress) -> str:
    """The instance image: the env image plus ``/testbed`` (the repository's base state,
    leak-free), as one layer. Only the repository's tree enters the work container, never
    hidden tests or the gold patch. With no install command, ``/testbed`` is all that
    changed, so its tar is loaded as the layer; install commands may write anywhere (an
    editable install touches site-packages), so then the container is committed."""
    tag = instance_tag(task)
    parent = env_tag(task.environment)
    with tempfile.TemporaryDirectory(prefix="swe-env-ctx-") as tmp:
        progress(tag, "exporting the repository")
        materialize_repo(task, Path(tmp, "repo"))
        tree = repo_tar(Path(tmp, "repo"), "testbed")
    labels = {
        "swe-env.kind": "instance",
        "swe-env.task": task.full_id,
        "swe-env.instance-key": instance_key(task),
    }
    config = image_config(client, parent, labels=labels, workdir="/testbed")
    with WorkContainer(client, parent, tag, progress) as work:
        work.put(tree)
        for step in [*task.environment.install, BASE_COMMIT]:
            work.sh(step, workdir="/testbed")
        if task.environment.install:
            work.commit(config)
        else:
            load_layer(client, parent, work.tar_of("/testbed"), config, tag)
    return tag


def ensure_images(
    tasks: list[TaskSpec],
    client: docker.DockerClient,
    *,
    workers: int | None = None,
    progress: Progress = lambda tag, msg: None,
    on_done: Callable[[str, bool], None] = lambda tag, built: None,
) -> dict[str, str]:
    """Build whatever is missing (bases, envs, instances); returns task full_id → image tag.

    ``workers`` builds run at once (default: the core count).

    Raises:
        ImageBuildError: a build failed (the others still finish first).
    """
    for python in sorted({t.environment.python for t in tasks}):
        ensure_base(python, client, progress=lambda line, py=python: progress(base_tag(py), line))
    envs = {env_tag(t.environment): t.environment for t in tasks}
    result = {t.full_id: instance_tag(t) for t in tasks}
    errors: list[ImageBuildError] = []

    def run(jobs: dict[str, Callable[[], str]]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, workers or os.cpu_count() or 1)) as pool:
            futures = {pool.submit(fn): tag for tag, fn in jobs.items()}
            for future in as_completed(futures):
                try:
                    future.result()
                    on_done(futures[future], True)
                except ImageBuildError as exc:
                    errors.append(exc)
                    on_done(futures[future], False)

    env_jobs = {}
    for tag, env in envs.items():
        if image_exists(client, tag):
            on_done(tag, False)
        else:
            env_jobs[tag] = lambda env=env: build_env(env, client, progress)
    run(env_jobs)
    if errors:
        raise errors[0]
    inst_jobs = {}
    for task in tasks:
        tag = result[task.full_id]
        if image_exists(client, tag):
            on_done(tag, False)
        elif tag not in inst_jobs:
            inst_jobs[tag] = lambda task=task: build_instance(task, client, progress)
    run(inst_jobs)
    if errors:
        raise errors[0]
    return result


def _image_lock(tag: str) -> threading.Lock:
    """The process-wide lock under which image ``tag`` is checked and built."""
    with _IMAGE_LOCKS_GUARD:
        return _IMAGE_LOCKS[tag]


def ensure_instance_image(task: TaskSpec, client: docker.DockerClient) -> str:
    """The instance image of ``task``, built first if missing.

    Concurrent calls for one image in this process build it once.

    Raises:
        ImageBuildError: the build failed.
    """
    tag = instance_tag(task)
    with _image_lock(tag):
        if not image_exists(client, tag):
            ensure_images([task], client)
    return tag
