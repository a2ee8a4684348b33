"""``swe-env doctor``: its lines, its exit code, and each check's failure (fakes, no engine)."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace

import docker.errors
import pytest
from typer.testing import CliRunner

from swe_env.cli import app
from swe_env.cli import doctor as doctor_cmd
from swe_env.cli import doctor_checks as dc
from swe_env.cli.doctor import exit_code, format_line
from swe_env.cli.doctor_checks import Check

Usage = namedtuple("Usage", "total used free")


def test_an_ok_line_has_no_fix() -> None:
    line = format_line(Check("engine", "ok", "Docker 28", fix="never shown"))
    assert line == "ok   engine: Docker 28"


def test_a_failed_line_says_the_fix() -> None:
    line = format_line(Check("base image", "fail", "swe-env/base:py3.11 is missing", "bootstrap"))
    assert line == "fail base image: swe-env/base:py3.11 is missing (fix: bootstrap)"
    assert "\n" not in line


def test_a_warning_says_its_fix_and_an_optional_failure_says_so() -> None:
    assert format_line(Check("disk", "warn", "low", "free space", required=False)).endswith(
        "(fix: free space)"
    )
    line = format_line(Check("x", "fail", "broken", "mend", required=False))
    assert line.endswith("[optional]")


def test_only_a_required_failure_fails() -> None:
    ok = Check("a", "ok", "")
    assert exit_code([ok, Check("b", "warn", "", required=False), Check("c", "skip", "")]) == 0
    assert exit_code([ok, Check("d", "fail", "", required=False)]) == 0
    assert exit_code([ok, Check("e", "fail", "")]) == 1


def test_no_engine_is_one_failed_line_with_a_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    checks = dc.run_checks()
    assert [c.name for c in checks] == ["engine"]
    assert checks[0].failed and "DOCKER_HOST" in checks[0].fix


def test_the_command_prints_a_line_per_check_and_exits_1_on_a_required_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = [
        Check("engine", "ok", "Docker 28"),
        Check("base image", "fail", "swe-env/base:py3.11 is missing", "swe-env images bootstrap"),
    ]
    monkeypatch.setattr(doctor_cmd, "run_checks", lambda progress: checks)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "ok   engine: Docker 28" in result.stdout
    assert "fix: swe-env images bootstrap" in result.stdout


def test_the_command_exits_0_with_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = [Check("engine", "ok", "x"), Check("disk", "warn", "low", "free", required=False)]
    monkeypatch.setattr(doctor_cmd, "run_checks", lambda progress: checks)
    assert CliRunner().invoke(app, ["doctor"]).exit_code == 0


def fake_client(driver: str = "overlay2", create=None) -> SimpleNamespace:
    def refuse(*args, **kwargs):
        raise docker.errors.APIError("--storage-opt is supported only for overlay over xfs")

    container = SimpleNamespace(remove=lambda force: None)
    return SimpleNamespace(
        info=lambda: {"Driver": driver, "DockerRootDir": "/nonexistent-root"},
        containers=SimpleNamespace(create=create or refuse, run=refuse),
        _container=container,
    )


def test_a_refused_storage_quota_is_a_warning_naming_the_driver() -> None:
    check = dc.check_storage(fake_client("fuse-overlayfs"), "img")
    assert check.status == "warn" and not check.failed
    assert "fuse-overlayfs" in check.detail and "refused" in check.detail and check.fix


def test_a_slow_driver_is_a_warning_even_with_a_quota() -> None:
    client = fake_client("vfs", create=lambda *a, **k: SimpleNamespace(remove=lambda force: None))
    check = dc.check_storage(client, "img")
    assert check.status == "warn" and "vfs" in check.detail


def test_a_fast_driver_with_a_quota_is_ok() -> None:
    client = fake_client(create=lambda *a, **k: SimpleNamespace(remove=lambda force: None))
    assert dc.check_storage(client, "img").status == "ok"


@pytest.mark.parametrize(
    ("free", "status"),
    [(1 * 2**30, "fail"), (10 * 2**30, "warn"), (100 * 2**30, "ok")],
)
def test_disk_thresholds(monkeypatch: pytest.MonkeyPatch, free: int, status: str) -> None:
    monkeypatch.setattr(dc.shutil, "disk_usage", lambda path: Usage(2**40, 0, free))
    check = dc.check_disk(fake_client())
    assert check.status == status
    assert f"{free / 2**30:.1f} GiB free on /" in check.detail
    assert check.failed is (status == "fail")


def test_no_base_image_skips_the_checks_that_need_one() -> None:
    assert dc.check_pip_index(fake_client(), None).status == "skip"
    assert dc.check_storage(fake_client(), None).status == "skip"


def test_a_pip_probe_that_cannot_start_is_a_failure_with_a_fix() -> None:
    check = dc.check_pip_index(fake_client(), "img")
    assert check.failed and "not reachable" in check.detail and "pip.conf" in check.fix


def test_a_check_that_raises_is_its_own_failure_line() -> None:
    def broken() -> Check:
        raise docker.errors.APIError("engine said no")

    check = dc._guarded("disk", broken)
    assert check.name == "disk" and check.failed and "engine said no" in check.detail
