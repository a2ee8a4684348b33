"""Build ``swe-env/base:py3.X`` with no registry: mmdebstrap (or debootstrap) + docker import.

The Debian mirror, pip index and CA bundle come from the host (see :mod:`hostcfg`).
Where a registry works, :func:`bootstrap_from_image` builds the same base from an
image such as ``python:3.11-slim`` instead.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from swe_env.errors import ImageBuildError
from swe_env.images.hostcfg import DEBIAN_SUITES, debian_mirror, write_image_overlay

BASE_REPO = "swe-env/base"
PACKAGES = [
    "python3", "python3-pip", "python3-venv", "python3-dev", "git", "patch",
    "build-essential", "ca-certificates", "procps",
]  # fmt: skip
IMAGE_CHANGES = [
    "ENV LANG=C.UTF-8 LC_ALL=C.UTF-8 PIP_CONFIG_FILE=/etc/pip.conf",
    'CMD ["/bin/bash"]',
    "WORKDIR /",
]
RECIPES = Path(__file__).resolve().parents[2] / "images"

Progress = Callable[[str], None]


def base_tag(python: str) -> str:
    return f"{BASE_REPO}:py{python}"


def _labels(python: str, how: str) -> list[str]:
    return [
        f'LABEL swe-env.base="1" swe-env.python="{python}" swe-env.bootstrap="{how}"',
        f'LABEL swe-env.created="{time.time():.0f}"',
    ]


def _ensure_host_tool() -> str:
    """Return ``mmdebstrap`` or ``debootstrap``, installing one with apt if we are root."""
    for tool in ("mmdebstrap", "debootstrap"):
        if shutil.which(tool):
            return tool
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        done = subprocess.run(
            ["apt-get", "install", "-y", "-qq", "mmdebstrap"], env=env, capture_output=True
        )
        if done.returncode == 0 and shutil.which("mmdebstrap"):
            return "mmdebstrap"
    raise ImageBuildError(
        "building the base image needs mmdebstrap or debootstrap on the host: "
        "run `sudo apt-get install mmdebstrap`, or use `--from python:3.11-slim` "
        "where a registry can be reached"
    )


def _stream_lines(proc: subprocess.Popen, progress: Progress, log: list[str]) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        line = raw.decode(errors="replace").rstrip()
        if line:
            log.append(line)
            progress(line[-120:])


def bootstrap_debian(
    python: str, client: docker.DockerClient, progress: Progress = lambda _: None
) -> str:
    """Build the base image from the host's Debian mirror and ``docker import`` it."""
    suite = DEBIAN_SUITES[python]
    mirror = debian_mirror()
    tool = _ensure_host_tool()
    tag = base_tag(python)
    log: list[str] = []
    with tempfile.TemporaryDirectory(prefix="swe-env-base-") as tmp:
        overlay = Path(tmp, "overlay")
        overlay.mkdir()
        write_image_overlay(overlay)
        if tool == "mmdebstrap":
            cmd = [
                "mmdebstrap", "--variant=minbase", "--mode=auto", "--format=tar",
                "--include=" + ",".join(PACKAGES),
                f"--customize-hook=sync-in {overlay} /",
                "--customize-hook=rm -rf $1/var/lib/apt/lists/* $1/var/cache/apt/*",
                suite, "-", mirror,
            ]  # fmt: skip
            progress(f"mmdebstrap {suite} from {mirror}")
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            tar_stream = proc.stdout
        else:
            root = Path(tmp, "rootfs")
            cmd = [
                "debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES),
                suite, str(root), mirror,
            ]  # fmt: skip
            progress(f"debootstrap {suite} from {mirror}")
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _stream_lines(proc, progress, log)
            if proc.wait() != 0:
                raise ImageBuildError(f"debootstrap {suite} failed", "\n".join(log[-50:]))
            shutil.copytree(overlay, root, dirs_exist_ok=True)
            proc = subprocess.Popen(
                ["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            tar_stream = proc.stdout
        changes = IMAGE_CHANGES + _labels(python, tool)
        reader = threading.Thread(target=_stream_lines, args=(proc, progress, log), daemon=True)
        reader.start()
        try:
            repo, _, version = tag.partition(":")
            client.api.import_image_from_stream(tar_stream, repo, version, changes)
        except docker.errors.APIError as exc:
            log.append(str(exc))
        finally:
            if tar_stream is not None:
                tar_stream.close()
            rc = proc.wait()
            reader.join(timeout=10)
        if rc != 0 or not _image_exists(client, tag):
            raise ImageBuildError(f"building {tag} from {suite} failed", "\n".join(log[-50:]))
    progress(f"imported {tag}")
    return tag


def bootstrap_from_image(
    python: str,
    source: str,
    client: docker.DockerClient,
    progress: Progress = lambda _: None,
    tag: str | None = None,
) -> str:
    """Build the base from an image (e.g. ``python:3.11-slim``) with apt inside.

    ``source`` may be any image the engine has or can pull; ``tag`` defaults to the base tag.
    """
    tag = tag or base_tag(python)
    recipe = (RECIPES / "base" / "Dockerfile.from").read_text()
    context = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(fileobj=context, mode="w") as tar:
        overlay = Path(tmp, "overlay")
        overlay.mkdir()
        write_image_overlay(overlay)
        tar.add(overlay, arcname="overlay")
        dockerfile = recipe.replace("@PACKAGES@", " ".join(PACKAGES))
        dockerfile += "\n" + "\n".join(c for c in IMAGE_CHANGES + _labels(python, "from"))
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    progress(f"docker build FROM {source}")
    try:
        for chunk in client.api.build(
            fileobj=context, custom_context=True, tag=tag, buildargs={"SOURCE": source},
            decode=True, rm=True, forcerm=True,
        ):  # fmt: skip
            if "stream" in chunk and chunk["stream"].strip():
                progress(chunk["stream"].strip()[-120:])
            if "error" in chunk:
                raise ImageBuildError(f"building {tag} from {source} failed", chunk["error"])
    except docker.errors.APIError as exc:
        raise ImageBuildError(f"building {tag} from {source} failed: {exc}") from exc
    return tag


def _image_exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_base(
    python: str,
    client: docker.DockerClient,
    *,
    force: bool = False,
    source: str | None = None,
    progress: Progress = lambda _: None,
) -> tuple[str, bool]:
    """Make sure ``swe-env/base:py<python>`` exists. Returns (tag, built_now)."""
    if python not in DEBIAN_SUITES:
        raise ValueError(f"python {python} is not offered; choose one of {sorted(DEBIAN_SUITES)}")
    tag = base_tag(python)
    if not force and _image_exists(client, tag):
        return tag, False
    if source:
        bootstrap_from_image(python, source, client, progress)
    else:
        bootstrap_debian(python, client, progress)
    return tag, True
