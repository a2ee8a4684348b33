"""Base images: the --from path (with a local image standing in for a registry one)."""

from __future__ import annotations

import contextlib

import docker.errors
import pytest

from swe_env.images.bootstrap import bootstrap_from_image
from swe_env.images.hostcfg import IMAGE_CA_BUNDLE
from swe_env.sandbox.docker import DockerSandbox

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TAG = "swe-env/base-from-test:py3.11"


def test_bootstrap_from_an_image(docker_client, base_image):
    try:
        tag = bootstrap_from_image("3.11", base_image, docker_client, tag=TAG)
        assert tag == TAG
        image = docker_client.images.get(TAG)
        assert image.labels["swe-env.bootstrap"] == "from"
        with DockerSandbox(TAG, client=docker_client, task="bootstrap-test") as sb:
            check = sb.run("python3 --version && git --version && patch --version | head -1")
            assert check.exit_code == 0 and "Python 3.11" in check.output
            assert sb.run("python3 -m venv /tmp/v && echo venv-ok").output.strip() == "venv-ok"
            conf = sb.run("cat /etc/pip.conf").output
            assert "[global]" in conf
            if "cert =" in conf:
                assert IMAGE_CA_BUNDLE in conf
    finally:
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(TAG, force=True)
