"""Snapshot and fork on the real engine: forks are independent, a hostile episode forks
cleanly (no processes, the disk budget still holds), nothing is left after close, nor
after a killed run plus `swe-env gc`; the same over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import httpx
import pytest

from swe_env.env import SWEEnv
from swe_env.images.build import ensure_images
from swe_env.sandbox.snapshot import list_snapshots
from swe_env.server import ServerConfig, create_app
from swe_env.server.live import LiveServer
from swe_env.tasks import find_task

pytestmark = pytest.mark.docker

TASK = "demo/textkit-slug-trailing-separator"


def bash(command: str) -> dict:
    return {"name": "bash", "arguments": {"command": command}}


def out(env, command: str) -> str:
    return env.step(bash(command))[0].strip()


@pytest.fixture(scope="module", autouse=True)
def images(docker_client):
    ensure_images([find_task(TASK)], docker_client)


def snapshot_images(docker_client, pid: int) -> list[str]:
    return [s.id for s in list_snapshots(docker_client, **{"swe-env.owner-pid": str(pid)})]


def owned_containers(docker_client, pid: int) -> list[dict]:
    wanted = {"label": [f"swe-env.owner-pid={pid}", "swe-env.managed=1"]}
    return docker_client.api.containers(all=True, filters=wanted)


def test_forks_see_the_parent_and_keep_their_changes_to_themselves(docker_client):
    env = SWEEnv(suite="demo", task_ids=[TASK], max_turns=50)
    forks: list[SWEEnv] = []
    try:
        env.reset(options={"task_id": TASK})
        out(env, "mkdir -p sub && cd sub && export FORK_VAR='a b' && echo parent > f.txt")
        forks = env.fork(3)
        assert env.snapshots() and all(f.snapshots() == env.snapshots() for f in forks)
        for i, fork in enumerate(forks):
            seen = out(fork, 'pwd; echo "$FORK_VAR"; cat f.txt')
            assert seen.splitlines() == ["/testbed/sub", "a b", "parent"]
            assert fork.turn == 2  # counts on from the parent's turn
            out(fork, f"echo child{i} > f.txt; echo {i} > only{i}.txt")
        assert out(env, "cat f.txt; ls") == "parent\nf.txt"
        for i, fork in enumerate(forks):
            assert out(fork, "cat f.txt; ls") == f"child{i}\nf.txt\nonly{i}.txt"
        patch = forks[0].step({"name": "submit", "arguments": {}})[4]["patch"]
        assert "sub/f.txt" in patch and "+child0" in patch and "only0.txt" in patch
        again = SWEEnv(suite="demo", task_ids=[TASK])
        try:
            _, info = again.reset(options={"snapshot": env.snapshots()[0]})
            assert info["forked_from"] == {
                "snapshot": env.snapshots()[0],
                "episode": env.sandbox.labels["swe-env.episode"],
                "step": 1,
            }
            assert again.snapshots() == []  # handed an id: the caller's to keep
        finally:
            again.close()
    finally:
        close_all(docker_client, env, forks)


def close_all(docker_client, env: SWEEnv, forks: list[SWEEnv]) -> None:
    """Close the forks and their parent; then nothing of this process may be left."""
    for fork in forks:
        fork.close()
    env.close()
    assert snapshot_images(docker_client, os.getpid()) == []
    assert owned_containers(docker_client, os.getpid()) == []


def test_a_hostile_episode_forks_cleanly_and_the_fork_keeps_a_disk_budget(docker_client):
    env = SWEEnv(suite="demo", task_ids=[TASK], sandbox={"disk": "300m"})
    forks: list[SWEEnv] = []
    try:
        env.reset(options={"task_id": TASK})
        out(env, "(while true; do sleep 0.1; done) & yes > /dev/null & sleep 1000 &")
        out(env, "head -c 150000000 /dev/zero > /tmp/huge && echo written")
        forks = env.fork(2)
        for fork in forks:
            assert out(fork, "stat -c %s /tmp/huge") == "150000000"
            assert out(fork, "pgrep -c -f 'sleep 1000|yes' || true") == "0"
            assert fork.sandbox.disk is not None
            assert fork.sandbox.disk.budget < 300 * 2**20 - 100 * 2**20
        obs, _, terminated, _, info = forks[0].step(
            bash("head -c 250000000 /dev/zero > /tmp/more; echo done")
        )
        assert terminated and info["termination"] == "disk_budget", obs
        assert out(forks[1], "echo alive") == "alive"
    finally:
        close_all(docker_client, env, forks)


KILLED = textwrap.dedent(
    f"""
    from swe_env.env import SWEEnv
    env = SWEEnv(suite="demo", task_ids=[{TASK!r}])
    env.reset(options={{"task_id": {TASK!r}}})
    env.step({{"name": "bash", "arguments": {{"command": "echo x > x.txt"}}}})
    forks = env.fork(1)
    print("ready", flush=True)
    import time
    time.sleep(600)
    """
)


def test_a_killed_run_leaves_nothing_after_gc(docker_client):
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert len(snapshot_images(docker_client, child.pid)) == 1
        assert len(owned_containers(docker_client, child.pid)) == 2
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    gc = subprocess.run(
        [sys.executable, "-m", "swe_env", "gc"], capture_output=True, text=True, timeout=300
    )
    assert gc.returncode == 0, gc.stderr
    assert "1 snapshot" in gc.stdout + gc.stderr
    assert owned_containers(docker_client, child.pid) == []
    assert snapshot_images(docker_client, child.pid) == []


def test_snapshot_and_start_from_it_over_http(docker_client):
    config = ServerConfig(token="t", service_name=f"pytest-fork-{os.getpid()}")
    with LiveServer(create_app(config)) as server:
        http = httpx.Client(base_url=server.url, headers={"Authorization": "Bearer t"}, timeout=300)
        parent = http.post("/v1/episodes", json={"task_id": TASK}).json()["episode_id"]
        step = f"/v1/episodes/{parent}/step"
        http.post(step, json={"action": bash("echo from-parent > p.txt")}).raise_for_status()
        made = http.post(f"/v1/episodes/{parent}/snapshot")
        assert made.status_code == 201, made.text
        snapshot = made.json()["snapshot_id"]
        assert made.json()["step"] == 1
        answer = http.post("/v1/episodes", json={"snapshot": snapshot})
        assert answer.status_code == 201, answer.text
        child = answer.json()
        assert child["info"]["forked_from"]["step"] == 1
        step = f"/v1/episodes/{child['episode_id']}/step"
        seen = http.post(step, json={"action": bash("cat p.txt")}).json()["observation"]
        assert seen.strip() == "from-parent"
        bad = http.post("/v1/episodes", json={"snapshot": "0" * 64})
        assert bad.status_code == 422
        http.delete(f"/v1/episodes/{parent}").raise_for_status()
        assert snapshot_images(docker_client, os.getpid()) == [snapshot]  # the child runs
        http.delete(f"/v1/episodes/{child['episode_id']}").raise_for_status()
        assert snapshot_images(docker_client, os.getpid()) == []
        http.close()
