"""Env and instance images: base → env (deps, by content hash) → instance (repo, leak-free).

Tags carry content hashes, so an unchanged suite builds nothing the second time.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import docker
import docker.errors

from swe_env.errors import ImageBuildError, TaskError
from swe_env.images.bootstrap import RECIPES, base_tag, ensure_base
from swe_env.images.hostcfg import proxy_env
from swe_env.tasks.spec import DirSource, EnvironmentSpec, GitSource, MirrorSource, TaskSpec

RECIPE_VERSION = "1"
SKIP_PARTS = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".tox"}
Progress = Callable[[str, str], None]  # (image tag, message)
_IMAGE_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_IMAGE_LOCKS_GUARD = threading.Lock()


def _recipe(name: str) -> str:
    return (RECIPES / name / "Dockerfile").read_text()


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
def _build(client: docker.DockerClient, context: bytes, tag: str, args: dict, progress) -> None:
    log: list[str] = []
    try:
        stream = client.api.build(
            fileobj=io.BytesIO(context),
            custom_context=True,
            tag=tag,
            buildargs={**proxy_env(), **args},
            decode=True,
            rm=True,
            forcerm=True,
        )
        for chunk in stream:
            if chunk.get("stream", "").strip():
                line = chunk["stream"].strip()
                log.append(line)
                progress(tag, line[-100:])
            if "error" in chunk:
                log.append(chunk["error"])
                raise ImageBuildError(f"building {tag} failed: {chunk['error']}", "\n".join(log))
    except docker.errors.APIError as exc:
        raise ImageBuildError(f"building {tag} failed: {exc}", "\n".join(log)) from exc


def _context(dockerfile: str, repo: Path | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        if repo is not None:
            tar.add(repo, arcname="repo")
    return buf.getvalue()


def _run_lines(commands: Iterable[str]) -> str:
    lines = [f"RUN {cmd}" for cmd in commands]
    return "\n".join(lines)


def build_env(env: EnvironmentSpec, client: docker.DockerClient, progress: Progress) -> str:
    tag = env_tag(env)
    env_lines = "\n".join(f"ENV {k}={json.dumps(v)}" for k, v in sorted(env.env_vars.items()))
    pip = (
        "RUN pip install --quiet " + " ".join(shlex.quote(p) for p in env.pip_packages)
        if env.pip_packages
        else ""
    )
    dockerfile = (
        _recipe("env")
        .replace("@ENV_VARS@", env_lines)
        .replace("@PRE_INSTALL@", _run_lines(env.pre_install))
        .replace("@PIP_INSTALL@", pip)
        .replace("@ENV_KEY@", env.env_key())
        .replace("@PYTHON@", env.python)
    )
    _build(client, _context(dockerfile), tag, {"BASE": base_tag(env.python)}, progress)
    return tag


def build_instance(task: TaskSpec, client: docker.DockerClient, progress: Progress) -> str:
    tag = instance_tag(task)
    with tempfile.TemporaryDirectory(prefix="swe-env-ctx-") as tmp:
        repo = Path(tmp, "repo")
        progress(tag, "exporting the repository")
        materialize_repo(task, repo)
        dockerfile = (
            _recipe("instance")
            .replace("@INSTALL@", _run_lines(task.environment.install))
            .replace("@TASK@", task.full_id)
            .replace("@KEY@", instance_key(task))
        )
        context = _context(dockerfile, repo)
    _build(client, context, tag, {"ENV_IMAGE": env_tag(task.environment)}, progress)
    return tag


def ensure_images(
    tasks: list[TaskSpec],
    client: docker.DockerClient,
    *,
    workers: int = 2,
    progress: Progress = lambda tag, msg: None,
    on_done: Callable[[str, bool], None] = lambda tag, built: None,
) -> dict[str, str]:
    """Build whatever is missing (bases, envs, instances); returns task full_id → image tag.

    Raises:
        ImageBuildError: a build failed (the others still finish first).
    """
    for python in sorted({t.environment.python for t in tasks}):
        ensure_base(python, client, progress=lambda line, py=python: progress(base_tag(py), line))
    envs = {env_tag(t.environment): t.environment for t in tasks}
    result = {t.full_id: instance_tag(t) for t in tasks}
    errors: list[ImageBuildError] = []

    def run(jobs: dict[str, Callable[[], str]]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
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
