"""The contestants of bench/peers.py: swe-env (in this process), raw ``exec_run`` (a
reference on swe-env's container) and the peers (a driver subprocess in their venv).

Each one starts (timed to its first command done), runs commands (timed around the call
that runs them) and stops (timed until the engine no longer knows its container).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import docker.errors

TASK = "demo/textkit-slug-trailing-separator"
GONE_TIMEOUT = 120.0


def wait_gone(client: Any, ident: str) -> None:
    """Return once the engine no longer knows container ``ident``."""
    deadline = time.monotonic() + GONE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            client.containers.get(ident)
        except docker.errors.NotFound:
            return
        time.sleep(0.01)
    raise TimeoutError(f"container {ident} still there after {GONE_TIMEOUT:.0f} s")


class Contestant:
    name = ""
    lifecycle = True
    """Whether it takes part in the start and teardown rounds."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.container: str | None = None

    def start(self) -> float:
        raise NotImplementedError

    def cmd(self, command: str) -> tuple[float, str, int | None]:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def stop(self) -> float:
        """Seconds from the stop call until the container is gone (0 when not started)."""
        if self.container is None:
            return 0.0
        started = time.perf_counter()
        self._stop()
        wait_gone(self.client, self.container)
        self.container = None
        return time.perf_counter() - started

    def close(self) -> None:
        self.stop()


class SweEnv(Contestant):
    """A demo task's episode: ``SWEEnv.reset``, then ``SWEEnv.step`` with a bash call."""

    name = "swe-env"

    def __init__(self, client: Any) -> None:
        from swe_env.sandbox.provider import SandboxProvider

        super().__init__(client)
        self.provider = SandboxProvider(client=client)
        self.env: Any = None

    def start(self) -> float:
        from swe_env.env import SWEEnv

        self.env = SWEEnv(suite="demo", max_turns=10**6, max_seconds=10**6, provider=self.provider)
        started = time.perf_counter()
        self.env.reset(options={"task_id": TASK})
        self.cmd("true")
        seconds = time.perf_counter() - started
        self.container = self.env.sandbox.id
        return seconds

    def cmd(self, command: str) -> tuple[float, str, int | None]:
        action = {"name": "bash", "arguments": {"command": command}}
        started = time.perf_counter()
        obs, _, terminated, truncated, _ = self.env.step(action)
        seconds = time.perf_counter() - started
        if terminated or truncated:
            raise RuntimeError(f"the episode ended on {command!r}: {obs[:200]}")
        return seconds, obs, None

    def _stop(self) -> None:
        self.env.close()
        self.env = None

    def close(self) -> None:
        super().close()
        self.provider.close()


class ExecRun(Contestant):
    """docker-py's ``exec_run(['sh', '-c', CMD])`` on swe-env's container: a fresh exec
    per command, the floor of any exec-per-command design."""

    name = "exec_run"
    lifecycle = False

    def __init__(self, client: Any, host: SweEnv) -> None:
        super().__init__(client)
        self.host = host

    def start(self) -> float:
        self.handle = self.client.containers.get(self.host.container)
        return 0.0

    def cmd(self, command: str) -> tuple[float, str, int | None]:
        started = time.perf_counter()
        code, output = self.handle.exec_run(["sh", "-c", command])
        seconds = time.perf_counter() - started
        return seconds, output.decode(errors="replace"), code

    def stop(self) -> float:
        return 0.0


class Peer(Contestant):
    """A peer driven by bench/peers_driver.py with the peers' venv python."""

    def __init__(self, client: Any, name: str, python: Path, driver: Path, image: str) -> None:
        super().__init__(client)
        self.name = name
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the driver)
        self.proc = subprocess.Popen(
            [str(python), str(driver), name, image],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )

    def _ask(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name}'s driver exited: {tail}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.name}: {request['op']}: {reply['error']}")
        return reply

    def start(self) -> float:
        reply = self._ask(op="start")
        self.container = reply["container"]
        return reply["seconds"]

    def cmd(self, command: str) -> tuple[float, str, int | None]:
        reply = self._ask(op="cmd", command=command)
        # The driver sends the output's first 200 characters and its length.
        output = reply["output"] + "\0" * (reply["output_len"] - len(reply["output"]))
        return reply["seconds"], output, reply["returncode"]

    def _stop(self) -> None:
        self._ask(op="stop")

    def close(self) -> None:
        super().close()
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def swerex_image(client: Any, base: str, version: str) -> str:
    """Our base image plus ``swe-rex`` (its ``swerex-remote`` on PATH), built once."""
    from swe_env.images.build import image_exists
    from swe_env.images.hostcfg import pip_settings
    from swe_env.images.layer import WorkContainer, image_config

    tag = f"swe-env/peers-swerex:{version}"
    if image_exists(client, tag):
        return tag
    print(f"building {tag} from {base} (pip install swe-rex=={version})", flush=True)
    # The host's pip settings as they are now (the base's pip.conf has them as they were
    # at bootstrap); only the build step sees them, never the image.
    pip_env = {
        "PIP_" + key.upper().replace("-", "_"): " ".join(value.split())
        for key, value in pip_settings().options.items()
    }
    progress = lambda _tag, line: print(f"  {line}")  # noqa: E731
    with WorkContainer(client, base, tag, progress, environment=pip_env) as work:
        work.sh(
            "python3 -m venv /opt/swerex && /opt/swerex/bin/pip install -q "
            f"swe-rex=={version} && ln -sf /opt/swerex/bin/swerex-remote /usr/local/bin/"
        )
        work.commit(image_config(client, base, labels={"swe-env.peers": f"swe-rex {version}"}))
    return tag


def start_all(
    client: Any, base: str, python: Path, driver: Path, pins: dict[str, str], warmup: int = 3
) -> list[Contestant]:
    """Every contestant, started and warmed up (``warmup`` untimed commands each)."""
    from swe_env.images.build import ensure_images
    from swe_env.tasks.native import load_suite

    ensure_images([t for t in load_suite("demo") if t.full_id == TASK], client)
    rex = swerex_image(client, base, pins["swe-rex"])
    ours = SweEnv(client)
    contestants: list[Contestant] = [
        ours,
        ExecRun(client, ours),
        Peer(client, "mini-swe-agent", python, driver, base),
        Peer(client, "swe-rex", python, driver, rex),
    ]
    for contestant in contestants:
        contestant.start()
        for _ in range(warmup):
            contestant.cmd("true")
    return contestants
