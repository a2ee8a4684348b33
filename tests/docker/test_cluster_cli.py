"""``swe-env cluster`` on bad input: one clear line and a non-zero exit, no traceback."""

from __future__ import annotations

import pytest
from support.cli import swe_env

pytestmark = pytest.mark.docker


def test_status_of_a_cluster_that_is_not_running() -> None:
    done = swe_env("cluster", "status", "--name", "swe-env-nothing-here")
    assert done.returncode == 1
    assert "no cluster named 'swe-env-nothing-here' is running" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_cluster_name_is_refused() -> None:
    done = swe_env("cluster", "down", "--name", "Bad_Name!")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error:") and "Traceback" not in done.stderr


def test_help_explains_the_cluster() -> None:
    group = swe_env("cluster", "--help")
    assert group.returncode == 0
    assert all(command in group.stdout for command in ("up", "down", "status", "load"))
    done = swe_env("cluster", "up", "--help")
    assert done.returncode == 0
    assert "--workers" in done.stdout and "--storage-driver" in done.stdout
