"""The multi-node test cluster (swe_env.cluster.local), started once per session.

A Ray head and two worker nodes, each worker with its own Docker engine, on a private
network; the test process is the driver (Ray client). Traffic goes only to those private
hosts. SWE_ENV_KEEP_CLUSTER=1 leaves it running after the session (faster reruns);
SWE_ENV_TEST_CLUSTER names it (default swe-env-test).
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def test_cluster(docker_client):
    import ray

    from swe_env.cluster.local import ClusterConfig, LocalCluster

    name = os.environ.get("SWE_ENV_TEST_CLUSTER", "swe-env-test")
    cluster = LocalCluster(ClusterConfig(name=name, workers=2), client=docker_client)
    cluster.up(timeout=600)
    yield cluster
    if ray.is_initialized():
        ray.shutdown()
    if not os.environ.get("SWE_ENV_KEEP_CLUSTER"):
        cluster.down()
