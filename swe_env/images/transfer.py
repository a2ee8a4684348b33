"""Images from one engine to another with no registry: a ``docker save`` stream piped
into ``docker load``, chunk by chunk (never whole in memory).

A node that lacks an image gets it this way from an engine that has it (the driver's host
at cluster start, or a peer node), or builds it from the content-hashed recipe
(:func:`swe_env.images.build.ensure_instance_image`). docs/scaling.md holds what each
costs here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import docker.errors

from swe_env.errors import ImageBuildError


@dataclass(frozen=True)
class Transfer:
    tag: str
    bytes: int
    seconds: float
    skipped: bool = False
    """The destination had the image already: nothing was sent."""


def has_image(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def copy_image(
    src: docker.DockerClient, dst: docker.DockerClient, tag: str, *, force: bool = False
) -> Transfer:
    """Stream image ``tag`` from engine ``src`` into engine ``dst`` (save | load).

    Raises:
        ImageBuildError: ``src`` lacks the image, or ``dst`` refused the stream.
    """
    started = time.monotonic()
    if not force and has_image(dst, tag):
        return Transfer(tag, 0, time.monotonic() - started, skipped=True)
    try:
        image = src.images.get(tag)
    except docker.errors.ImageNotFound as exc:
        raise ImageBuildError(f"cannot copy {tag}: the source engine does not have it") from exc
    sent = [0]

    def chunks() -> Iterator[bytes]:
        for chunk in image.save(chunk_size=1 << 20, named=True):
            sent[0] += len(chunk)
            yield chunk

    try:
        for line in dst.api.load_image(chunks(), quiet=True):
            if isinstance(line, dict) and line.get("error"):
                raise ImageBuildError(f"loading {tag} failed", str(line["error"]))
    except docker.errors.APIError as exc:
        raise ImageBuildError(f"loading {tag} failed: {exc}") from exc
    if not has_image(dst, tag):
        raise ImageBuildError(f"loading {tag} failed: the destination does not list it")
    return Transfer(tag, sent[0], time.monotonic() - started)
