"""``swe-env view`` and ``swe-env serve --view`` as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from support.cli import swe_env
from test_cli_errors import assert_one_error_line

from swe_env.server.live import free_port

FIXTURE = Path(__file__).parents[1] / "ui" / "fixtures" / "demo-replay"


def test_view_refuses_a_path_without_a_run(tmp_path: Path) -> None:
    assert_one_error_line(swe_env("view", tmp_path / "missing"), "no such run directory")
    assert_one_error_line(swe_env("view", FIXTURE, tmp_path), "no trajectories.jsonl")
    done = swe_env("serve", "--view", tmp_path, "--port", str(free_port()))
    assert_one_error_line(done, "no trajectories.jsonl")


def test_view_help_explains_the_command() -> None:
    done = swe_env("view", "--help")
    assert done.returncode == 0
    for needle in ("run_dirs", "--port", "--host", "Parquet", "GRPO", "compared"):
        assert needle in done.stdout, needle


def test_view_serves_the_runs_until_interrupted() -> None:
    port = free_port()
    env = {**os.environ, "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "swe_env", "view", str(FIXTURE), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/run/demo-replay", timeout=10)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the viewer did not answer within 60 s"
                time.sleep(0.2)
        assert page.status_code == 200 and "3 of 3 episodes match" in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), err  # 130: the shell's code for SIGINT
    assert b"Traceback" not in err
    assert f"http://127.0.0.1:{port}/" in err.decode()
