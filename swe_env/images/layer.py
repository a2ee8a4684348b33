"""One-layer images: a work container from a parent image, then one new layer out of it.

Why not a Dockerfile: on slow storage drivers (fuse-overlayfs, common in nested and
rootless setups) the engine makes each step's layer by walking the whole file system and
comparing it with the parent's, so every step costs seconds (about 6 s here, whatever its
size; a five-step build took 38 s). An image here gets exactly one new layer, made one of
two ways:

- **commit** (:meth:`WorkContainer.commit`): one walk, for builds whose commands may write
  anywhere (env images; instances with install commands);
- **load** (:func:`load_layer`): when all that changed is one directory (an instance with
  no install command: ``/testbed``), its tar from the container becomes the one new layer
  of an image archive that names the parent's layers by digest. The engine keeps the
  layers it already has and stores only the new one: no walk at all (about 0.3 s).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors

from swe_env.errors import ImageBuildError
from swe_env.images.hostcfg import proxy_env
from swe_env.sandbox.docker import owner_labels

WORK_SECONDS = 6 * 3600
"""A work container removes itself after this long, even when its builder was killed."""


class WorkContainer:
    """A started container of ``image`` that runs build steps; removed on exit.

    Its own settings never reach the image: the proxy settings go to each step only,
    and :meth:`commit` writes the config it is given.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        image: str,
        tag: str,
        progress: Callable[[str, str], None],
        environment: dict[str, str] | None = None,
    ) -> None:
        self.client, self.image, self.tag, self.progress = client, image, tag, progress
        self.environment = environment or {}
        self.container: Any = None
        # Owner labels, so that `swe-env gc` removes the container of a killed build;
        # commit() blanks them (a commit copies the container's labels into the image).
        self.labels = owner_labels(task=f"build {tag}")

    def __enter__(self) -> WorkContainer:
        try:
            self.container = self.client.containers.run(
                self.image,
                ["sleep", str(WORK_SECONDS)],
                detach=True,
                auto_remove=True,
                init=True,
                environment=self.environment,
                labels=self.labels,
            )
        except docker.errors.APIError as exc:
            raise ImageBuildError(f"building {self.tag}: no work container: {exc}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.container.remove(force=True)

    def put(self, tar: bytes) -> None:
        """Extract ``tar`` at ``/``."""
        self.container.put_archive("/", tar)

    def sh(self, command: str, workdir: str | None = None) -> None:
        """Run ``command`` with ``/bin/sh -c`` (as a Dockerfile's RUN does).

        Raises:
            ImageBuildError: it exited non-zero (its output is the error's log).
        """
        self.progress(self.tag, command[:100])
        code, output = self.container.exec_run(
            ["/bin/sh", "-c", command], workdir=workdir, environment=proxy_env()
        )
        if code != 0:
            log = output.decode(errors="replace")
            raise ImageBuildError(f"building {self.tag}: `{command}` exited {code}", log)

    def tar_of(self, path: str) -> bytes:
        """The tar of ``path`` in the container (entries named ``basename(path)/…``)."""
        stream, _ = self.container.get_archive(path)
        return b"".join(stream)

    def commit(self, config: dict[str, Any]) -> None:
        """Make the image ``tag``: the container's changes as one layer, with ``config``."""
        self.progress(self.tag, "commit")
        repository, _, tag = self.tag.rpartition(":")
        labels = config.get("Labels") or {}
        try:
            self.client.api.commit(
                self.container.id,
                repository,
                tag,
                message=f"swe-env: one layer for {self.tag}",
                # Nothing runs in the work container by now, so nothing to freeze; a
                # paused one whose engine dies mid-commit stays frozen (seen on a test
                # cluster's node killed while building: the node could not exit).
                pause=False,
                conf={**config, "Labels": {**dict.fromkeys(self.labels, ""), **labels}},
            )
        except docker.errors.APIError as exc:
            raise ImageBuildError(f"building {self.tag}: commit failed: {exc}") from exc


def image_config(
    client: docker.DockerClient,
    parent: str,
    *,
    labels: dict[str, str],
    env: dict[str, str] | None = None,
    workdir: str | None = None,
) -> dict[str, Any]:
    """The config of ``parent`` with ``labels`` and ``env`` added (by key) and ``workdir``."""
    config = dict(client.api.inspect_image(parent)["Config"])
    variables = dict(item.partition("=")[::2] for item in config.get("Env") or [])
    variables.update(env or {})
    config["Env"] = [f"{key}={value}" for key, value in variables.items()]
    config["Labels"] = {**(config.get("Labels") or {}), **labels}
    if workdir is not None:
        config["WorkingDir"] = workdir
    return config


def repo_tar(root: Path, arcname: str) -> bytes:
    """The tree at ``root`` as a tar named ``arcname/…``, owned by root (as a Dockerfile's
    COPY would make it: the unprivileged test user must not own the repository)."""

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if info.name == arcname:
            info.mode = 0o755
        return info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(root, arcname=arcname, filter=owned_by_root)
    return buf.getvalue()


def _history(client: docker.DockerClient, parent: str, layers: int) -> list[dict[str, Any]]:
    """The parent's history in image-config form, or ``[]`` when its layers can't be told
    from its empty steps (the history only labels ``docker history``; nothing reads it)."""
    entries = []
    for item in reversed(client.api.history(parent)):
        entry = {
            "created": datetime.fromtimestamp(item["Created"], UTC).isoformat(),
            "created_by": item.get("CreatedBy") or "",
        }
        if item.get("Comment"):
            entry["comment"] = item["Comment"]
        if not item.get("Size"):
            entry["empty_layer"] = True
        entries.append(entry)
    return entries if sum(not e.get("empty_layer") for e in entries) == layers else []


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def load_layer(
    client: docker.DockerClient, parent: str, layer: bytes, config: dict[str, Any], tag: str
) -> None:
    """Make the image ``tag``: ``parent`` plus ``layer`` (an uncompressed tar), with ``config``.

    The archive holds only the new layer; the parent's are named by their digests, which
    the engine already has.

    Raises:
        ImageBuildError: the engine refused the archive.
    """
    info = client.api.inspect_image(parent)
    diff_ids = [*info["RootFS"]["Layers"], "sha256:" + hashlib.sha256(layer).hexdigest()]
    now = datetime.now(UTC).isoformat()
    history = _history(client, parent, len(diff_ids) - 1)
    history.append({"created": now, "created_by": f"swe-env: one layer for {tag}"})
    image: dict[str, Any] = {
        "architecture": info["Architecture"],
        "os": info["Os"],
        "created": now,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    if info.get("Variant"):
        image["variant"] = info["Variant"]
    blob = json.dumps(image).encode()
    names = [f"{i}/layer.tar" for i in range(len(diff_ids))]
    manifest = [{"Config": "config.json", "RepoTags": [tag], "Layers": names}]
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        _add(tar, "config.json", blob)
        _add(tar, "manifest.json", json.dumps(manifest).encode())
        _add(tar, names[-1], layer)
    try:
        for chunk in client.api.load_image(archive.getvalue()):
            if "error" in chunk:
                raise ImageBuildError(f"building {tag}: load failed: {chunk['error']}")
    except docker.errors.APIError as exc:
        raise ImageBuildError(f"building {tag}: load failed: {exc}") from exc
