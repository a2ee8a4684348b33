"""Disk budgets on the real engine: writes past the budget are stopped, the host-side
writable layer never grows past budget + the stated overshoot, writes within it work.

Each attack is watched from outside by a spy thread that runs ``du`` on the container's
``GraphDriver.UpperDir`` on the host every 10 ms, independently of the guard (a
subprocess, so that the spy does not slow the guard down by holding the GIL).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from swe_env.sandbox import disk
from swe_env.sandbox.config import DockerSandboxConfig
from swe_env.sandbox.docker import LABEL_PREFIX, DockerSandbox

pytestmark = [pytest.mark.docker, pytest.mark.slow]

MiB = 2**20
BUDGET = 200 * MiB
OVERSHOOT = 128 * MiB
REACTION = 0.25
"""The overshoot this module promises: what the writer writes in REACTION seconds (the
time to notice plus the time to stop it), and never less than OVERSHOOT. Writers went
100-300 MB/s through fuse-overlayfs on one machine here, 2-2.9 GB/s on another; the
guard reacted within 25-30 ms on that one when idle (bench/disk_overshoot.py)."""


def allowed(spy) -> int:
    """The overshoot allowed for the writes ``spy`` watched (see REACTION)."""
    return max(OVERSHOOT, int(spy.rate * REACTION))


TASK = "pytest-disk"


def host_usage(path: str) -> int:
    """Bytes allocated under ``path`` on the host, as ``du`` counts them."""
    out = subprocess.run(["du", "-sB1", path], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def _config(budget: int | str | None = BUDGET, **kwargs) -> DockerSandboxConfig:
    defaults = {"memory": "512m", "command_timeout": 60}
    return DockerSandboxConfig(disk=budget, **{**defaults, **kwargs})


@pytest.fixture
def guarded(docker_client, base_image) -> Iterator[DockerSandbox]:
    with DockerSandbox(base_image, _config(), client=docker_client, task=TASK) as sb:
        yield sb


class Spy:
    """Peak size of a container's writable layer, measured from the host."""

    def __init__(self, docker_client, container_id: str) -> None:
        attrs = docker_client.api.inspect_container(container_id)
        self.upper = attrs["GraphDriver"]["Data"]["UpperDir"]
        self.peak = 0
        self.rate = 0.0
        """The fastest growth seen between two samples, in bytes per second."""
        self._last: dict[str, tuple[float, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self, usage: int, container: str = "") -> None:
        now = time.monotonic()
        then, before = self._last.get(container, (0.0, 0))
        if then and now - then >= 0.005:
            self.rate = max(self.rate, (usage - before) / (now - then))
        self._last[container] = (now, usage)
        self.peak = max(self.peak, usage)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample(host_usage(self.upper))
            time.sleep(0.01)

    @contextmanager
    def watching(self) -> Iterator[Spy]:
        self._thread.start()
        try:
            yield self
        finally:
            time.sleep(1.0)  # anything still writing after the command shows up here
            self._stop.set()
            self._thread.join()


def _wait(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_this_engine_has_no_quota_so_limits_and_the_watcher_apply(guarded, docker_client) -> None:
    driver = docker_client.info()["Driver"]
    assert driver == "fuse-overlayfs", f"these tests target the watcher; driver is {driver}"
    assert disk._QUOTA_SUPPORT[disk.engine_key(docker_client)] is False
    assert guarded.disk is not None and guarded.disk.mode == "host"
    host = docker_client.api.inspect_container(guarded.id)["HostConfig"]
    limits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
    assert limits == {"fsize": (BUDGET, BUDGET), "core": (0, 0)}
    assert host["LogConfig"]["Type"] == "none"
    # The agent cannot lift the file size limit (no CAP_SYS_RESOURCE).
    assert guarded.run("ulimit -f unlimited").exit_code != 0
    assert guarded.run("ulimit -Hf").output.strip() == str(BUDGET // 1024)


def test_many_big_files_past_the_budget_are_stopped(guarded, docker_client) -> None:
    # 5 GB in 100 MB files: RLIMIT_FSIZE does not stop this, only the watcher does.
    attack = (
        "for i in $(seq 1 50); do dd if=/dev/zero of=/tmp/f$i bs=1M count=100 status=none "
        "|| break; done; echo finished"
    )
    with Spy(docker_client, guarded.id).watching() as spy:
        result = guarded.run(attack)
    status = guarded.disk.status()
    assert "finished" not in result.output and result.session_restarted
    assert status.exceeded and status.kills >= 1
    assert "disk budget exceeded" in guarded.disk.message()
    assert BUDGET < spy.peak <= BUDGET + allowed(spy), (spy.peak / MiB, spy.rate / MiB)
    # Nothing was deleted, and the sandbox still answers.
    kept = guarded.run("ls /tmp | grep -c '^f'")
    assert 2 <= int(kept.output) < 50


def test_one_huge_file_stops_at_the_file_size_limit(guarded, docker_client) -> None:
    with Spy(docker_client, guarded.id).watching() as spy:
        result = guarded.run("dd if=/dev/zero of=/tmp/huge bs=1M count=5000 status=none")
    assert result.exit_code == 153 or result.session_restarted, result
    assert spy.peak <= BUDGET + allowed(spy), (spy.peak / MiB, spy.rate / MiB)


def test_many_small_files_past_the_budget_are_caught(docker_client, base_image) -> None:
    budget = 40 * MiB
    attack = (
        'python3 -c "import os\n'
        "for d in range(100):\n"
        "  os.makedirs(f'/tmp/s/{d}')\n"
        "  for i in range(40): open(f'/tmp/s/{d}/{i}', 'wb').write(b'x' * 65536)\n"
        "print('finished')\""
    )  # 4000 files of 64 KiB: 250 MiB (more than budget + overshoot), each one small
    with DockerSandbox(base_image, _config(budget), client=docker_client, task=TASK) as sb:
        with Spy(docker_client, sb.id).watching() as spy:
            result = sb.run(attack)
        assert "finished" not in result.output
        assert sb.disk.status().exceeded
        assert budget < spy.peak <= budget + allowed(spy), (spy.peak / MiB, spy.rate / MiB)


def test_empty_files_count_against_the_budget(docker_client, base_image) -> None:
    budget = 4 * MiB  # 1024 inodes at one block each
    attack = (
        "python3 -c \"import os\nos.makedirs('/tmp/e')\n"
        "for i in range(20000): open(f'/tmp/e/{i}', 'wb').close()\nprint('finished')\""
    )
    with DockerSandbox(base_image, _config(budget), client=docker_client, task=TASK) as sb:
        result = sb.run(attack)
        assert "finished" not in result.output and sb.disk.status().exceeded
        assert int(sb.run("ls /tmp/e | wc -l").output) < 20000


def test_background_writers_are_stopped_too(guarded, docker_client) -> None:
    start = guarded.run(
        "nohup sh -c 'for i in $(seq 1 50); do dd if=/dev/zero of=/tmp/b$i bs=1M count=100 "
        "status=none; done' >/dev/null 2>&1 & echo started"
    )
    assert start.output.strip() == "started"
    with Spy(docker_client, guarded.id).watching() as spy:
        assert _wait(lambda: guarded.disk.status().exceeded, timeout=30)
    assert spy.peak <= BUDGET + allowed(spy), (spy.peak / MiB, spy.rate / MiB)
    # The idle shell was killed with the writers: the next command finds it gone.
    assert guarded.run("true").session_restarted
    after = guarded.run("sleep 1; ps -eo comm | grep -c '^dd$'")
    assert after.output.strip() == "0", after


def test_a_write_within_the_budget_works(guarded) -> None:
    result = guarded.run(
        "head -c 120000000 /dev/urandom > /tmp/ok && sha256sum /tmp/ok > /tmp/ok.sum && "
        "stat -c %s /tmp/ok"
    )
    assert result.output.strip() == "120000000" and not result.session_restarted
    time.sleep(3 * guarded.config.disk_poll)
    status = guarded.disk.check()
    assert not status.exceeded and status.kills == 0 and guarded.disk.message() is None
    assert 120000000 <= status.used <= BUDGET
    again = guarded.run("sha256sum -c /tmp/ok.sum")
    assert again.exit_code == 0 and not again.session_restarted


def test_du_inside_the_container_when_the_layer_is_out_of_reach(docker_client, base_image) -> None:
    config = _config(None)  # no guard of its own: the test builds an exec-mode one
    with DockerSandbox(base_image, config, client=docker_client, task=TASK) as sb:
        container = docker_client.containers.get(sb.id)
        guard = disk.guard(container, 100 * MiB, False, 0.25, local=False)
        try:
            assert guard is not None and guard.mode == "exec" and guard.used < MiB
            sb.run("dd if=/dev/zero of=/tmp/in bs=1M count=50 status=none")
            assert 50 * MiB <= guard.check().used < 60 * MiB and not guard.exceeded
            attack = (
                "for i in 1 2 3 4 5 6 7 8 9; do dd if=/dev/zero of=/tmp/x$i bs=1M count=50; done"
            )
            sb.run(attack + "; echo finished")
            assert _wait(lambda: guard.status().exceeded, timeout=20)
            assert guard.status().kills >= 1
        finally:
            if guard is not None:
                guard.stop()


def test_logs_and_core_dumps_stay_off_the_host(guarded, docker_client) -> None:
    result = guarded.run(
        "head -c 50000000 /dev/zero > /proc/1/fd/1; head -c 1000 /dev/zero > /proc/1/fd/2; "
        "ulimit -c"
    )
    assert result.output.strip().endswith("0")
    log_path = docker_client.api.inspect_container(guarded.id)["LogPath"]
    assert not log_path, f"a log file on the host: {log_path}"


def test_tmpfs_mounts_are_bounded_by_memory(docker_client, base_image) -> None:
    total = "df -k --output=used -t tmpfs -t shm | awk 'NR>1 {s+=$1} END {print \"T\" s}'"
    # Every writable tmpfs is filled with 50 MB files (under the file size limit) until
    # writes fail or the OOM killer strikes; the total in use is printed after each.
    fill = (
        "for m in $(awk '$3 == \"tmpfs\" && $4 ~ /^rw/ {print $2}' /proc/mounts); do "
        "for i in 1 2 3 4 5 6 7 8; do "
        f"head -c 50000000 /dev/zero > $m/fill$i 2>/dev/null || break; {total}; done; done"
    )
    config = _config(BUDGET, memory="256m")
    with DockerSandbox(base_image, config, client=docker_client, task=TASK) as sb:
        shm = sb.run("head -c 100000000 /dev/zero > /dev/shm/x; df -k --output=used /dev/shm")
        assert "No space left" in shm.output and int(shm.output.split()[-1]) == 64 * 1024
        sb.run("rm /dev/shm/x")
        result = sb.run(fill, timeout=120)
        totals = [int(line[1:]) * 1024 for line in result.output.split() if line[:1] == "T"]
        # The writes happened (more than /dev/shm alone holds) and stopped at the limit.
        assert 128 * MiB < max(totals) <= 256 * MiB, result
        assert not sb.disk.status().exceeded  # memory, not disk


def _disk_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("swe-env-disk")]


def test_the_watcher_stops_when_sandboxes_close(docker_client, base_image) -> None:
    assert not disk._WATCHER._guards, "a sandbox from an earlier test was never closed"
    sandboxes = [
        DockerSandbox(base_image, _config(budget), client=docker_client, task=TASK)
        for budget in ("4m", BUDGET, BUDGET)
    ]
    try:
        watchers = [t for t in threading.enumerate() if t.name == disk.WATCHER_NAME]
        assert len(watchers) == 1 and disk.watcher_thread() is watchers[0]
        # One of them goes over budget, so a stop thread runs too.
        sandboxes[0].run("for i in 1 2 3; do head -c 3000000 /dev/zero > /tmp/z$i; done")
        assert _wait(lambda: sandboxes[0].disk.status().exceeded)
    finally:
        for sb in sandboxes:
            sb.close()
    assert _wait(lambda: not _disk_threads(), timeout=10), _disk_threads()
    assert disk.watcher_thread() is None and not watchers[0].is_alive()
    mine = [f"{LABEL_PREFIX}.task={TASK}", f"{LABEL_PREFIX}.owner-pid={os.getpid()}"]
    left = docker_client.containers.list(all=True, filters={"label": mine})
    assert left == []


# -- the environment and the grader --------------------------------------------------------
ENV_TASK = "demo/textkit-slug-trailing-separator"
MANY_BIG_FILES = (
    "for i in $(seq 1 50); do dd if=/dev/zero of=/tmp/f$i bs=1M count=100 status=none "
    "|| break; done; echo finished"
)


class TaskSpy(Spy):
    """Peak writable layer of every container this process started for ``task`` (other
    test runs on the same engine may use the same task), and their file size limits."""

    def __init__(self, docker_client, task: str) -> None:
        self.client, self.task = docker_client, task
        self.peak = 0
        self.rate = 0.0
        self._last = {}
        self.fsize: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        api = self.client.api
        while not self._stop.is_set():
            mine = [f"{LABEL_PREFIX}.task={self.task}", f"{LABEL_PREFIX}.owner-pid={os.getpid()}"]
            for c in api.containers(filters={"label": mine}):
                try:
                    attrs = api.inspect_container(c["Id"])
                except Exception:
                    continue  # removed meanwhile
                limits = attrs["HostConfig"]["Ulimits"] or []
                self.fsize |= {u["Hard"] for u in limits if u["Name"] == "fsize"}
                upper = attrs["GraphDriver"]["Data"]["UpperDir"]
                self.sample(host_usage(upper), c["Id"])
            time.sleep(0.01)

    @contextmanager
    def watching(self) -> Iterator[TaskSpy]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


@pytest.fixture(scope="module")
def env_task(docker_client):
    from swe_env.images.build import ensure_images
    from swe_env.tasks import find_task

    task = find_task(ENV_TASK)
    ensure_images([task], docker_client)
    return task


def test_env_ends_the_episode_when_the_agent_writes_past_the_budget(
    env_task, docker_client
) -> None:
    from swe_env.env import SWEEnv

    env = SWEEnv(suite="demo", task_ids=[env_task.id], sandbox={"disk": "200m"})
    try:
        _, info = env.reset(options={"task_id": ENV_TASK})
        assert info["disk"] == {"budget": BUDGET, "mode": "host"}
        action = {"name": "bash", "arguments": {"command": "echo small > /tmp/ok && echo ok"}}
        obs, reward, terminated, truncated, info = env.step(action)
        assert "ok" in obs and not (terminated or truncated) and "termination" not in info
        action = {"name": "bash", "arguments": {"command": MANY_BIG_FILES}}
        with TaskSpy(docker_client, ENV_TASK).watching() as spy:
            obs, reward, terminated, truncated, info = env.step(action)
        assert "disk budget exceeded" in obs and "The episode is over" in obs
        assert (reward, terminated, truncated) == (0.0, True, False)
        assert info["termination"] == "disk_budget" and info["disk"]["exceeded"] is True
        assert BUDGET < info["disk"]["peak"] <= BUDGET + allowed(spy), spy.rate / MiB
        assert "grade" not in info
    finally:
        env.close()


def test_the_grading_container_has_the_budget_too(env_task, docker_client, tmp_path) -> None:
    from rewards.grade import grade

    init = Path(env_task.source.path, "textkit", "__init__.py").read_text()
    hostile = f"import subprocess\nsubprocess.run({MANY_BIG_FILES!r}, shell=True)\n{init}"
    patch = _diff(env_task.source.path, tmp_path, {"textkit/__init__.py": hostile})
    config = DockerSandboxConfig(disk="200m", command_timeout=120)
    with TaskSpy(docker_client, ENV_TASK).watching() as spy:
        result = grade(env_task, patch, client=docker_client, sandbox_config=config)
    assert not result.resolved
    assert spy.fsize == {BUDGET}
    assert BUDGET < spy.peak <= BUDGET + allowed(spy), (spy.peak / MiB, spy.rate / MiB)
    with TaskSpy(docker_client, ENV_TASK).watching() as spy:
        grade(env_task, "", client=docker_client)  # the default config
    assert spy.fsize == {4 * 2**30}


def _diff(source: str, tmp_path, changes: dict[str, str]) -> str:
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(source, repo)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    for rel, content in changes.items():
        (repo / rel).write_text(content)
    return subprocess.run([*git, "diff"], check=True, capture_output=True, text=True).stdout


def test_the_host_side_kill_leaves_init_and_the_main_process(guarded, docker_client) -> None:
    assert guarded.run("nohup sleep 300 >/dev/null 2>&1 & echo started").output.strip() == "started"
    assert disk.kill_from_host(guarded._container, {guarded._shell.main_pid}) >= 2  # sleep, shells
    guarded._container.reload()
    assert guarded._container.status == "running"  # init and `sleep infinity` are alive
    assert guarded.run("true").session_restarted  # the shell was killed too: a new one
    after = guarded.run("ps -eo args | grep -c '^sleep 300'")
    assert after.output.strip() == "0", after
