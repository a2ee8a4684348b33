"""The test cluster's node image: our base, Debian's docker.io, Ray and the project's wheel.

Built from the checkout (``images/node``) with no registry. The tag carries a content hash
of the wheel, the recipe, the Ray version and the base image, so an unchanged project
builds nothing the second time.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from swe_env.errors import ImageBuildError
from swe_env.images.bootstrap import base_tag, ensure_base
from swe_env.images.hostcfg import proxy_env

PROJECT = Path(__file__).resolve().parents[2]
RECIPE = PROJECT / "images" / "node"
NODE_REPO = "swe-env/node"

Progress = Callable[[str], None]


def build_wheel(dest: Path) -> Path:
    """The project's wheel, built from the checkout into ``dest``.

    Raises:
        ImageBuildError: no checkout here (an installed package cannot rebuild itself),
            or the build failed.
    """
    if not (PROJECT / "pyproject.toml").is_file() or not RECIPE.is_dir():
        raise ImageBuildError(
            f"the node image is built from a source checkout; none at {PROJECT} "
            "(clone the repository and run swe-env from it)"
        )
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = dest / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("swe_env", "rewards"):
        shutil.copytree(PROJECT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT / name, source / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
    done = subprocess.run([*cmd, "-w", str(dest), str(source)], capture_output=True, text=True)
    wheels = sorted(dest.glob("swe_env-*.whl"))
    if done.returncode != 0 or not wheels:
        raise ImageBuildError("building the project's wheel failed", done.stderr[-4000:])
    return wheels[-1]


def ray_spec() -> str:
    """The Ray the nodes get: the driver's own version (a cluster needs one version)."""
    import ray

    return f"ray[client]=={ray.__version__}"


def node_digest(wheel: Path, base_id: str, spec: str) -> str:
    """Content hash of what the node image is built from: the wheel's modules (not its
    metadata, which carries the README) and scripts, the requirements, the recipe."""
    digest = hashlib.sha256(f"{base_id}\0{requirements(spec)}\0".encode())
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            if not name.endswith(("/RECORD", "/METADATA")):
                digest.update(name.encode() + b"\0" + zf.read(name))
    for path in sorted(RECIPE.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def requirements(spec: str) -> str:
    """The node's requirements: the project's dependencies, with Ray pinned to ``spec``."""
    import tomllib

    deps = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    return "\n".join([spec, *(d for d in deps if not d.startswith("ray"))]) + "\n"


def _context(wheel: Path, spec: str) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in sorted(RECIPE.iterdir()):
            tar.add(path, arcname=path.name)
        tar.add(wheel, arcname=f"wheels/{wheel.name}")
        data = requirements(spec).encode()
        info = tarfile.TarInfo("requirements.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def ensure_node_image(
    client: docker.DockerClient, python: str = "3.11", progress: Progress = lambda _: None
) -> str:
    """The node image's tag, built first if missing (the base too).

    Raises:
        ImageBuildError: the wheel or the image build failed.
    """
    base, _ = ensure_base(python, client, progress=progress)
    spec = ray_spec()
    with tempfile.TemporaryDirectory(prefix="swe-env-node-") as tmp:
        wheel = build_wheel(Path(tmp))
        tag = f"{NODE_REPO}:py{python}-{node_digest(wheel, client.images.get(base).id, spec)}"
        try:
            client.images.get(tag)
            return tag
        except docker.errors.ImageNotFound:
            pass
        progress(f"building {tag}")
        args = {"BASE": base_tag(python), **proxy_env()}
        try:
            for chunk in client.api.build(
                fileobj=_context(wheel, spec), custom_context=True, tag=tag, buildargs=args,
                decode=True, rm=True, forcerm=True, labels={"swe-env.node-key": tag},
            ):  # fmt: skip
                if chunk.get("stream", "").strip():
                    progress(chunk["stream"].strip()[-120:])
                if "error" in chunk:
                    raise ImageBuildError(f"building {tag} failed", chunk["error"])
        except docker.errors.APIError as exc:
            raise ImageBuildError(f"building {tag} failed: {exc}") from exc
    return tag
