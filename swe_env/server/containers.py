"""The service's containers: labelled at creation, so that only its own are removed.

Every container the service starts (episode sandboxes and grading containers) carries,
besides the usual ``swe-env.*`` owner labels, three more:

- ``swe-env.service``: the service name (``ServerConfig.service_name``);
- ``swe-env.service-instance``: one id per service process;
- ``swe-env.service-episode``: the episode (or grading call) it belongs to.

Shutdown removes this instance's containers. Start-up removes those of earlier instances
of the same service name whose owner is proven dead (see :func:`swe_env.sandbox.gc.owner_of`):
a service still running elsewhere under the same name keeps its containers. A service
that runs in a container is pid 1 after every restart; its pid is then judged "reused"
because the new process started after the old containers were created.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import docker.errors
import requests.exceptions

from swe_env.sandbox.docker import LABEL_PREFIX
from swe_env.sandbox.gc import Orphan, owner_of, remove_orphans

LABEL_SERVICE = f"{LABEL_PREFIX}.service"
LABEL_INSTANCE = f"{LABEL_PREFIX}.service-instance"
LABEL_EPISODE = f"{LABEL_PREFIX}.service-episode"

log = logging.getLogger(__name__)


class _LabellingContainers:
    """``client.containers`` whose ``create`` adds fixed labels."""

    def __init__(self, containers: Any, labels: dict[str, str]) -> None:
        self._containers = containers
        self._labels = labels

    def create(self, image: str, command: Any = None, **kwargs: Any) -> Any:
        kwargs["labels"] = {**(kwargs.get("labels") or {}), **self._labels}
        return self._containers.create(image, command, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._containers, name)


class LabellingClient:
    """A docker client whose new containers carry ``labels``; all else is delegated.

    SWEEnv, the sandbox and grading take a client; handing them this one labels every
    container they start without their knowing about the service.
    """

    def __init__(self, client: Any, labels: dict[str, str]) -> None:
        self._client = client
        self.containers = _LabellingContainers(client.containers, labels)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class Janitor:
    """Finds and removes the service's containers by label."""

    def __init__(self, client: Any, service: str, instance: str) -> None:
        self.client = client
        self.service = service
        self.instance = instance

    def labels(self, episode: str) -> dict[str, str]:
        """The labels of a container started for ``episode``."""
        return {LABEL_SERVICE: self.service, LABEL_INSTANCE: self.instance, LABEL_EPISODE: episode}

    def labelled(self, episode: str) -> LabellingClient:
        """A client whose containers belong to ``episode``."""
        return LabellingClient(self.client, self.labels(episode))

    def _list(self, label: str) -> list[dict[str, Any]]:
        """Containers with ``label`` as the engine lists them (one call, no inspects)."""
        try:
            return self.client.api.containers(all=True, filters={"label": label})
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            log.warning("listing containers (%s) failed: %s", label, exc)
            return []

    def _remove(self, containers: list[dict[str, Any]], reason: str) -> int:
        orphans = [
            Orphan(
                c["Id"],
                (c.get("Names") or [""])[0].lstrip("/"),
                reason,
                (c.get("Labels") or {}).get(f"{LABEL_PREFIX}.task", ""),
            )
            for c in containers
        ]
        with contextlib.suppress(docker.errors.APIError, requests.exceptions.RequestException):
            return remove_orphans(self.client, orphans)
        return 0

    def remove_episode(self, episode: str) -> int:
        """Force-remove every container of ``episode`` (its sandbox, a running grading)."""
        return self._remove(self._list(f"{LABEL_EPISODE}={episode}"), "episode ended")

    def remove_own(self) -> int:
        """Force-remove every container of this service instance (shutdown)."""
        return self._remove(self._list(f"{LABEL_INSTANCE}={self.instance}"), "service shutdown")

    def remove_orphans(self) -> int:
        """Remove containers of earlier instances of this service whose owner is proven
        dead (start-up). Those of a live owner, or of another host, are left alone."""
        stale = []
        for c in self._list(f"{LABEL_SERVICE}={self.service}"):
            labels = c.get("Labels") or {}
            if labels.get(LABEL_INSTANCE) == self.instance:
                continue
            owner = owner_of(labels, c.get("Created"))
            if owner.state == "dead":
                stale.append(c)
            else:
                log.info(
                    "keeping container %s of service %s: %s",
                    c["Id"][:12],
                    self.service,
                    owner.reason,
                )
        return self._remove(stale, "left by a dead instance of this service")

    def count_alive(self) -> int:
        """Containers of this instance that exist now (running or not)."""
        return len(self._list(f"{LABEL_INSTANCE}={self.instance}"))
