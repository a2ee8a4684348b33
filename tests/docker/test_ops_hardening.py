"""Operations on the real engine, with real processes: gc and the service only remove
containers whose owner is proven dead; Ctrl-C stops runs promptly and resumably.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker.errors
import httpx
import pytest

from swe_env.client import RemoteSWEEnv
from swe_env.sandbox.docker import LABEL_MANAGED, LABEL_PREFIX
from swe_env.sandbox.gc import find_orphans
from swe_env.server.containers import LABEL_SERVICE
from swe_env.server.live import free_port

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TOKEN = "ops-token"
TASKS = [
    "inicfg-delimiter-in-value",
    "textkit-slug-trailing-separator",
    "semverlite-prerelease-numeric-order",
    "datekit-century-leap-years",
]
TEST_LABEL = f"{LABEL_PREFIX}.pytest-ops"


def swe_env_argv(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "swe_env", *map(str, args)]


def ours(docker_client, **labels: str) -> list[dict]:
    wanted = [f"{k}={v}" for k, v in labels.items()]
    return docker_client.api.containers(all=True, filters={"label": wanted})


# -- gc ----------------------------------------------------------------------------------


@pytest.fixture
def make_container(docker_client, base_image) -> Iterator:
    """make_container(pid, host, created) -> id, tagged with this test's label."""
    tag = uuid.uuid4().hex[:12]
    made: list[str] = []

    def make(pid: int, host: str, created: float, **extra: str) -> str:
        labels = {
            **extra,
            LABEL_MANAGED: "1",
            f"{LABEL_PREFIX}.owner-pid": str(pid),
            f"{LABEL_PREFIX}.owner-host": host,
            f"{LABEL_PREFIX}.created": f"{created:.0f}",
            f"{LABEL_PREFIX}.task": "gc-ops",
            TEST_LABEL: tag,
        }
        made.append(docker_client.containers.create(base_image, ["true"], labels=labels).id)
        return made[-1]

    make.tag = tag  # type: ignore[attr-defined]
    yield make
    for cid in made:
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.api.remove_container(cid, force=True)


@pytest.fixture
def processes() -> Iterator:
    """live() -> a running process; dead() -> the pid of a reaped one."""
    procs: list[subprocess.Popen] = []

    def live() -> subprocess.Popen:
        procs.append(subprocess.Popen(["sleep", "300"]))
        return procs[-1]

    def dead() -> int:
        proc = subprocess.Popen(["true"])
        proc.wait()
        return proc.pid

    yield live, dead
    for proc in procs:
        proc.kill()
        proc.wait()


def test_gc_ttl_spares_live_owners_and_other_hosts(docker_client, make_container, processes):
    live, dead = processes
    here = socket.gethostname()
    owner = live()
    time.sleep(1.1)
    now = time.time()
    alive_old = make_container(owner.pid, here, now)  # made by a live owner
    foreign = make_container(1, "another-host.example", now - 30 * 86400)
    gone = make_container(dead(), here, now)
    time.sleep(2.5)  # every container is now older than the TTL below
    found = {o.id: o for o in find_orphans(docker_client, ttl=1.0)}
    assert alive_old not in found, "a container of a live owner is not an orphan by age"
    assert foreign not in found, "another host's container is never proven orphaned"
    assert gone in found and "dead" in found[gone].reason
    forced = {o.id for o in find_orphans(docker_client, ttl=1.0, include_live=True)}
    assert {alive_old, foreign, gone} <= forced
    with pytest.raises(ValueError):
        find_orphans(docker_client, include_live=True)


def test_gc_sees_a_reused_pid(docker_client, make_container, processes):
    from swe_env.sandbox.gc import owner_of

    live, _ = processes
    here = socket.gethostname()
    newcomer = live()  # started after the container below was "created": not its owner
    reused = make_container(newcomer.pid, here, time.time() - 600)
    found = {o.id: o for o in find_orphans(docker_client)}
    assert reused in found and "reused" in found[reused].reason
    labels = {
        f"{LABEL_PREFIX}.owner-pid": str(newcomer.pid),
        f"{LABEL_PREFIX}.owner-host": here,
        f"{LABEL_PREFIX}.created": f"{time.time() + 1:.0f}",
    }
    assert owner_of(labels).state == "alive"
    assert owner_of({**labels, f"{LABEL_PREFIX}.owner-host": "elsewhere"}).state == "foreign"
    assert owner_of({}).state == "unknown"


def test_gc_command_removes_dead_owners_only_unless_told(docker_client, make_container, processes):
    from swe_env.sandbox.gc import owner_of

    live, dead = processes
    here = socket.gethostname()
    owner = live()
    time.sleep(1.1)
    alive_old = make_container(owner.pid, here, time.time())
    foreign = make_container(1, "another-host.example", time.time() - 86400)
    gone = make_container(dead(), here, time.time())
    assert owner_of(docker_client.api.inspect_container(gone)["Config"]["Labels"]).state == "dead"
    scope = ["--label", f"{TEST_LABEL}={make_container.tag}"]
    time.sleep(2.5)
    done = subprocess.run(
        swe_env_argv("gc", "--ttl", "0.0005", *scope), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    left = {c["Id"] for c in ours(docker_client, **{TEST_LABEL: make_container.tag})}
    assert left == {alive_old, foreign}, done.stdout + done.stderr
    refused = subprocess.run(
        swe_env_argv("gc", "--include-live", *scope), capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "--ttl" in refused.stderr
    assert {c["Id"] for c in ours(docker_client, **{TEST_LABEL: make_container.tag})} == left
    forced = subprocess.run(
        swe_env_argv("gc", "--ttl", "0.0005", "--include-live", *scope),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert forced.returncode == 0, forced.stderr
    assert ours(docker_client, **{TEST_LABEL: make_container.tag}) == []


# -- the service -------------------------------------------------------------------------


class Serve:
    """``swe-env serve`` as a subprocess."""

    def __init__(self, tmp: Path, name: str, port: int | None = None) -> None:
        token = tmp / "token"
        token.write_text(TOKEN)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"serve-{uuid.uuid4().hex[:6]}.log"
        argv = swe_env_argv("serve", "--port", str(self.port), "--token-file", token)
        self.proc = subprocess.Popen(
            [*argv, "--service-name", name],
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != "SWE_ENV_TOKEN"},
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self) -> Serve:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("swe-env serve did not answer within 60 s\n" + self.log)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)


def test_service_start_up_removes_only_leftovers_of_dead_owners(
    docker_client, make_container, processes
):
    from swe_env.server.containers import LABEL_INSTANCE, Janitor

    live, dead = processes
    here, name = socket.gethostname(), f"pytest-janitor-{uuid.uuid4().hex[:8]}"
    running = live()
    time.sleep(1.1)

    def left_by(pid: int, host: str, created: float) -> str:
        return make_container(
            pid, host, created, **{LABEL_SERVICE: name, LABEL_INSTANCE: f"old-{pid}"}
        )

    alive = left_by(running.pid, here, time.time())  # a twin service still running
    foreign = left_by(running.pid, "another-host.example", time.time() - 86400)
    gone = left_by(dead(), here, time.time())  # a service that was killed
    restarted = left_by(live().pid, here, time.time() - 3600)  # pid reused by a restart
    from swe_env.sandbox.provider import SandboxProvider

    with SandboxProvider(client=docker_client) as provider:
        Janitor(provider, name, "new-instance").remove_orphans()
    left = {c["Id"] for c in ours(docker_client, **{LABEL_SERVICE: name})}
    assert left == {alive, foreign}, {"gone": gone, "restarted": restarted}


def test_a_second_service_of_the_same_name_leaves_the_first_ones_containers(
    docker_client, tmp_path
):
    name = f"pytest-twin-{os.getpid()}"
    first = Serve(tmp_path, name).wait_ready()
    twins: list[Serve] = []
    try:
        env = RemoteSWEEnv(first.url, token=TOKEN)
        env.reset(options={"task_id": f"demo/{TASKS[0]}"})
        before = [c["Id"] for c in ours(docker_client, **{LABEL_SERVICE: name})]
        assert len(before) == 1
        # Same port: it cannot listen, says so in one line, and touches nothing.
        twins.append(Serve(tmp_path, name, port=first.port))
        assert twins[-1].proc.wait(60) != 0
        assert "cannot listen" in twins[-1].log and "Traceback" not in twins[-1].log
        assert [c["Id"] for c in ours(docker_client, **{LABEL_SERVICE: name})] == before
        # Another port: it starts, and the first one's (live) container stays.
        twins.append(Serve(tmp_path, name).wait_ready())
        assert [c["Id"] for c in ours(docker_client, **{LABEL_SERVICE: name})] == before
        obs, *_ = env.step({"name": "bash", "arguments": {"command": "echo still-here"}})
        assert "still-here" in obs
        env.client.close()
    finally:
        for serve in [*twins, first]:
            serve.stop()
    assert ours(docker_client, **{LABEL_SERVICE: name}) == []


# -- Ctrl-C ------------------------------------------------------------------------------


def _records(out: Path) -> list[dict]:
    path = out / "trajectories.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _interrupt_when(proc: subprocess.Popen, ready, timeout: float = 300) -> float:
    """SIGINT ``proc`` once ``ready()``; returns the seconds it took to exit after."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("the run did not stop within 60 s of Ctrl-C") from None
    return time.monotonic() - sent


@pytest.mark.parametrize("command", ["run", "rollout"])
def test_ctrl_c_stops_a_run_promptly_and_it_resumes(docker_client, tmp_path, command):
    out = tmp_path / "out"
    argv = [command, "--policy", "replay", "--concurrency", "1", "--out", out]
    for task in TASKS:
        argv += ["--task", task]
    log = (tmp_path / "first.log").open("w")
    proc = subprocess.Popen(swe_env_argv(*argv), stdout=log, stderr=subprocess.STDOUT)
    took = _interrupt_when(proc, lambda: len(_records(out)) >= 1)
    text = (tmp_path / "first.log").read_text()
    assert took < 10, f"Ctrl-C took {took:.1f}s to stop the run\n{text}"  # 13-14 s before
    assert proc.returncode == 130, text
    assert "interrupted" in text and "Traceback" not in text, text
    kept = _records(out)
    assert 1 <= len(kept) < len(TASKS), "finished episodes are kept, the rest did not run"
    assert all(r["status"] == "ok" and r["resolved"] for r in kept), "no half-run record"
    assert ours(docker_client, **{f"{LABEL_PREFIX}.owner-pid": str(proc.pid)}) == []
    rerun = subprocess.run(swe_env_argv(*argv), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    final = _records(out)
    assert final[: len(kept)] == kept, "the first run's records are untouched"
    assert len(final) == len(TASKS), "the rerun ran only the rest"
    assert {r["task_id"] for r in final} == {f"demo/{t}" for t in TASKS}
    assert all(r["resolved"] for r in final)


def test_ctrl_c_stops_evaluate_promptly_and_it_resumes(docker_client, tmp_path):
    from swe_env.tasks import load_suite

    ids = [*TASKS, "argkit-env-var-fallback", "minicache-ttl-expiry"]
    gold = {t.id: t.gold_patch for t in load_suite("demo") if t.id in ids}
    preds = tmp_path / "preds.jsonl"
    preds.write_text(
        "".join(
            json.dumps({"instance_id": i, "model_patch": gold[i], "model_name_or_path": "gold"})
            + "\n"
            for i in ids
        )
    )
    report, logs = tmp_path / "report.json", tmp_path / "logs"
    argv = ["evaluate", "--predictions", preds, "--report", report, "--run-dir", logs]
    argv += ["--workers", "1"]

    def graded() -> list[Path]:
        return sorted(logs.glob("*/grade.json"))

    log = (tmp_path / "first.log").open("w")
    proc = subprocess.Popen(swe_env_argv(*argv), stdout=log, stderr=subprocess.STDOUT)
    took = _interrupt_when(proc, lambda: len(graded()) >= 1)
    text = (tmp_path / "first.log").read_text()
    assert took < 7.5, f"Ctrl-C took {took:.1f}s to stop grading\n{text}"  # 8.9 s before
    assert proc.returncode == 130 and "Traceback" not in text, text
    first = {p: p.stat().st_mtime_ns for p in graded()}
    assert 1 <= len(first) < len(ids)
    assert all(json.loads(p.read_text())["status"] == "resolved" for p in first)
    assert ours(docker_client, **{f"{LABEL_PREFIX}.owner-pid": str(proc.pid)}) == []
    rerun = subprocess.run(swe_env_argv(*argv), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert {p: p.stat().st_mtime_ns for p in first} == first, "finished gradings are kept"
    summary = json.loads(report.read_text())
    assert summary["resolved_instances"] == len(ids)
