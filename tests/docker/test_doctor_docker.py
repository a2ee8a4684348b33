"""``swe-env doctor`` against the real engine."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from swe_env.cli import app
from swe_env.cli import doctor_checks as dc

pytestmark = pytest.mark.docker

NAMES = ["engine", "storage", "base image", "env images", "disk", "pip index", "pythons"]


@pytest.mark.slow
def test_doctor_reports_every_check_and_its_exit_code_follows_them(
    docker_client, base_image
) -> None:
    result = CliRunner().invoke(app, ["doctor"])
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == len(NAMES), result.stdout
    for line, name in zip(lines, NAMES, strict=True):
        assert f" {name}: " in line, line
    assert lines[0].split()[1] == "ok"  # after the mark: the engine answers
    driver = docker_client.info()["Driver"]
    assert f"driver {driver}" in lines[1]
    assert "ok   base image: swe-env/base:py3.11" in lines[2]
    required_failed = any(
        line.split()[1] == "fail" and not line.endswith("[optional]") for line in lines
    )
    assert result.exit_code == (1 if required_failed else 0), result.stdout


def test_the_storage_check_matches_what_the_engine_does(docker_client, base_image) -> None:
    check = dc.check_storage(docker_client, base_image)
    assert check.status in ("ok", "warn")
    assert check.detail.startswith(f"driver {docker_client.info()['Driver']}")


@pytest.mark.slow
def test_the_pip_probe_leaves_no_container(docker_client, base_image) -> None:
    check = dc.check_pip_index(docker_client, base_image)
    assert check.status in ("ok", "fail")
    left = docker_client.containers.list(
        all=True,
        filters={"label": ["swe-env.task=doctor pip probe", f"swe-env.owner-pid={os.getpid()}"]},
    )
    assert left == []
