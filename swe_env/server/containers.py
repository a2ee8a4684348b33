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

import logging
import threading
from typing import TYPE_CHECKING, Any

import docker.errors
import requests.exceptions

from swe_env.sandbox.docker import LABEL_PREFIX

if TYPE_CHECKING:
    from swe_env.sandbox.provider import SandboxProvider

LABEL_SERVICE = f"{LABEL_PREFIX}.service"
LABEL_INSTANCE = f"{LABEL_PREFIX}.service-instance"
LABEL_EPISODE = f"{LABEL_PREFIX}.service-episode"
POOL = "pool"
"""The episode label of warm-pool containers (no episode had them yet)."""

log = logging.getLogger(__name__)
_ENGINE_ERRORS = (docker.errors.APIError, requests.exceptions.RequestException)


class Janitor:
    """The service's containers by label: labelled providers, removal, counts.

    Removal goes through the provider (and so :mod:`swe_env.sandbox.gc`); engine errors
    are logged and count as nothing removed.
    """

    def __init__(self, provider: SandboxProvider, service: str, instance: str) -> None:
        self.provider = provider
        self.service = service
        self.instance = instance
        self._given: dict[str, set[str]] = {}
        """Containers handed to each episode from the warm pool (labelled ``pool``)."""
        self._lock = threading.Lock()

    def labels(self, episode: str) -> dict[str, str]:
        """The labels of a container started for ``episode``."""
        return {LABEL_SERVICE: self.service, LABEL_INSTANCE: self.instance, LABEL_EPISODE: episode}

    def labelled(self, episode: str) -> SandboxProvider:
        """A provider whose containers belong to ``episode``."""
        return self.provider.labelled(**self.labels(episode))

    def pooled(self, episode: str) -> SandboxProvider:
        """A provider for ``episode``'s sandboxes that takes a ready one from the service's
        warm pool when there is one: those were started before any episode asked, so they
        carry the episode label ``pool``; one started on demand carries ``episode``. Every
        container handed to ``episode`` is recorded for :meth:`remove_episode`. Shutdown
        and start-up clean-up find them by the service labels like the rest."""
        if self.provider.pool is None:
            return self.labelled(episode)
        child = self.labelled(episode)
        child.pool_labels = {**self.provider.labels, **self.labels(POOL)}
        child.background_release = False  # DELETE answers once the containers are gone

        def given(sandbox: Any) -> None:
            with self._lock:
                self._given.setdefault(episode, set()).add(sandbox.id)

        child.on_acquire = given
        return child

    def _remove(self, reason: str, label: str, value: str) -> int:
        try:
            return self.provider.remove_labelled(reason, **{label: value})
        except _ENGINE_ERRORS as exc:
            log.warning("removing containers (%s=%s) failed: %s", label, value, exc)
            return 0

    def remove_episode(self, episode: str) -> int:
        """Force-remove every container of ``episode`` (its sandbox, a running grading),
        those taken from the warm pool included."""
        with self._lock:
            given = self._given.pop(episode, set())
        removed = 0
        for cid in given:
            try:
                self.provider.client.containers.get(cid).remove(force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
            except _ENGINE_ERRORS as exc:
                log.warning("removing container %s of %s failed: %s", cid[:12], episode, exc)
        return removed + self._remove("episode ended", LABEL_EPISODE, episode)

    def remove_own(self) -> int:
        """Force-remove every container of this service instance (shutdown)."""
        return self._remove("service shutdown", LABEL_INSTANCE, self.instance)

    def remove_orphans(self) -> int:
        """Remove containers of this service whose owner is proven dead (start-up):
        those of earlier instances. Those of a live owner (this instance included), or
        of another host, are left alone."""
        try:
            return self.provider.remove_orphans(**{LABEL_SERVICE: self.service})
        except _ENGINE_ERRORS as exc:
            log.warning("removing orphans of service %s failed: %s", self.service, exc)
            return 0

    def count_alive(self) -> int:
        """Containers of this instance that exist now (running or not)."""
        try:
            return self.provider.count_labelled(**{LABEL_INSTANCE: self.instance})
        except _ENGINE_ERRORS as exc:
            log.warning("counting containers failed: %s", exc)
            return 0
