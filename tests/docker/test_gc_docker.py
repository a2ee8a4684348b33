"""gc on a real engine: containers whose owner died are found and removed.

(The tools' scenarios on a real container live in tests/conformance, run against every
sandbox backend.)
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from swe_env.sandbox.docker import LABEL_MANAGED, LABEL_PREFIX, DockerSandbox
from swe_env.sandbox.gc import find_orphans, remove_orphans

pytestmark = pytest.mark.docker


def test_gc_finds_containers_whose_owner_died(docker_client, base_image):
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = {
        LABEL_MANAGED: "1",
        f"{LABEL_PREFIX}.owner-pid": str(dead.pid),
        f"{LABEL_PREFIX}.owner-host": os.uname().nodename,
        f"{LABEL_PREFIX}.created": f"{time.time():.0f}",
        f"{LABEL_PREFIX}.task": "gc-test",
    }
    orphan = docker_client.containers.create(base_image, ["sleep", "60"], labels=labels)
    with DockerSandbox(base_image, client=docker_client, task="gc-alive") as alive:
        found = {o.id: o for o in find_orphans(docker_client, ttl=None)}
        assert orphan.id in found and "dead" in found[orphan.id].reason
        assert alive.id not in found
        assert remove_orphans(docker_client, [found[orphan.id]]) == 1
    old = docker_client.containers.create(
        base_image,
        ["sleep", "60"],
        labels={
            **labels,
            f"{LABEL_PREFIX}.owner-pid": str(os.getpid()),
            f"{LABEL_PREFIX}.created": "1000",
        },
    )
    aged = [o for o in find_orphans(docker_client, ttl=3600) if o.id == old.id]
    assert aged and "older" in aged[0].reason
    remove_orphans(docker_client, aged)
