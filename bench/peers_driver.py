"""Drive one peer (mini-swe-agent or SWE-ReX) for bench/peers.py, inside the peers' venv.

Run by bench/peers.py with the throw-away venv's python, so that the peers' dependencies
never touch swe-env's venv. It imports nothing of swe-env. It reads one JSON request a
line on stdin and answers one JSON line on stdout; the timings are taken here, around the
peer's own calls, so that the pipe between the two processes is not measured:

    {"op": "start"}                 -> {"seconds", "container"}  (start to first command)
    {"op": "cmd", "command": "..."} -> {"seconds", "output", "output_len", "returncode"}
    {"op": "stop"}                  -> {"seconds"}  (the call; bench/peers.py waits for the
                                                     container to be gone)
    {"op": "quit"}
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time

FIRST = "true"


class Mini:
    """mini-swe-agent's DockerEnvironment: ``docker run -d … sleep``, then one
    ``docker exec … bash -lc CMD`` per command."""

    def __init__(self, image: str) -> None:
        self.image = image
        self.env = None

    def start(self) -> str:
        from minisweagent.environments.docker import DockerEnvironment

        self.env = DockerEnvironment(image=self.image, cwd="/", timeout=60)
        self.cmd(FIRST)
        return self.env.container_id

    def cmd(self, command: str) -> tuple[str, int | None]:
        result = self.env.execute({"command": command})
        return result["output"], result["returncode"]

    def stop(self) -> None:
        self.env.cleanup()
        self.env.container_id = None  # its __del__ would clean up again
        self.env = None


class Rex:
    """SWE-ReX's DockerDeployment: ``swerex-remote`` serving in the container, one bash
    session driven over HTTP (``run_in_session``)."""

    def __init__(self, image: str) -> None:
        self.image = image
        self.loop = asyncio.new_event_loop()
        self.deployment = None

    def start(self) -> str:
        from swerex.deployment.docker import DockerDeployment
        from swerex.runtime.abstract import CreateBashSessionRequest

        self.deployment = DockerDeployment(image=self.image, pull="never", startup_timeout=120)
        self.loop.run_until_complete(self.deployment.start())
        self.loop.run_until_complete(
            self.deployment.runtime.create_session(CreateBashSessionRequest())
        )
        self.cmd(FIRST)
        return self.deployment.container_name

    def cmd(self, command: str) -> tuple[str, int | None]:
        from swerex.runtime.abstract import BashAction

        action = BashAction(command=command, check="silent", timeout=60)
        obs = self.loop.run_until_complete(self.deployment.runtime.run_in_session(action))
        return obs.output, obs.exit_code

    def stop(self) -> None:
        self.loop.run_until_complete(self.deployment.stop())
        self.deployment = None


PEERS = {"mini-swe-agent": Mini, "swe-rex": Rex}


def answer(peer: Mini | Rex, request: dict) -> dict:
    op = request["op"]
    started = time.perf_counter()
    if op == "start":
        container = peer.start()
        return {"seconds": time.perf_counter() - started, "container": container}
    if op == "cmd":
        output, code = peer.cmd(request["command"])
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "output": output[:200],
            "output_len": len(output),
            "returncode": code,
        }
    if op == "stop":
        peer.stop()
        return {"seconds": time.perf_counter() - started}
    raise ValueError(f"unknown op {op!r}")


def main() -> None:
    os.environ.setdefault("MSWEA_SILENT_STARTUP", "1")  # mini-swe-agent's banner
    logging.disable(logging.WARNING)  # the peers' logs would go to stderr only, but quieter
    name, image = sys.argv[1], sys.argv[2]
    peer = PEERS[name](image)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            break
        try:
            reply = answer(peer, request)
        except Exception as exc:  # reported to the bench, which stops there
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
