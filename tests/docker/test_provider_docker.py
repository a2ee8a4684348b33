"""SandboxProvider on a real engine: labels, removal by label, owner labels that hold."""

from __future__ import annotations

import os
import uuid

import pytest

from swe_env.sandbox.docker import LABEL_PREFIX
from swe_env.sandbox.provider import SandboxProvider

pytestmark = pytest.mark.docker

MARK = f"{LABEL_PREFIX}.pytest-provider"


def test_labelled_sandboxes_carry_the_labels_but_never_a_forged_owner(docker_client, base_image):
    tag = uuid.uuid4().hex[:8]
    forged = {f"{LABEL_PREFIX}.owner-pid": "1", f"{LABEL_PREFIX}.owner-host": "elsewhere"}
    with SandboxProvider(client=docker_client) as root:
        child = root.labelled(**{MARK: tag}, **forged)
        with child.acquire(base_image, task="provider") as sandbox:
            labels = docker_client.api.inspect_container(sandbox.id)["Config"]["Labels"]
            assert labels[MARK] == tag
            assert labels[f"{LABEL_PREFIX}.owner-pid"] == str(os.getpid())
            assert labels[f"{LABEL_PREFIX}.owner-host"] != "elsewhere"
            assert root.count_labelled(**{MARK: tag}) == 1
            other = root.labelled(**{MARK: "someone-else"}).acquire(base_image)
            try:
                assert root.remove_labelled("test", **{MARK: tag}) == 1
                assert root.count_labelled(**{MARK: tag}) == 0
                assert root.count_labelled(**{MARK: "someone-else"}) == 1
            finally:
                other.close()
            sandbox.close()  # already removed: closing is still fine


def test_reap_removes_only_the_given_pids_containers(docker_client, base_image):
    with (
        SandboxProvider(client=docker_client) as provider,
        provider.acquire(base_image, task="provider-reap") as mine,
    ):
        assert provider.reap([2**22 + 17]) == 0  # no such owner: nothing of ours goes
        assert docker_client.api.inspect_container(mine.id)["State"]["Running"]


def test_a_pooled_provider_hands_out_fresh_labelled_sandboxes(docker_client, base_image):
    tag = uuid.uuid4().hex[:8]
    with SandboxProvider(client=docker_client, pool_size=1) as root:
        provider = root.labelled(**{MARK: tag})
        first = provider.acquire(base_image, task="provider-pool")
        second = provider.acquire(base_image, task="provider-pool")
        assert first.id != second.id
        for sandbox in (first, second):
            labels = docker_client.api.inspect_container(sandbox.id)["Config"]["Labels"]
            assert labels[MARK] == tag
            provider.release(sandbox)
    assert root.count_labelled(**{MARK: tag}) == 0, "closing the pool removes what is left"
