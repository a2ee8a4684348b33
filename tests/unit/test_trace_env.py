"""``swe_env/Trace-v0``: the trace-prediction environment over traces of a real program."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from support.trace_programs import PROGRAM, run_tracer

from swe_env.traces.format import Event, from_record, parse_event, render, render_event
from swe_env.traces.trace_env import ENV_ID, TraceEnv, score_frame


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prog")
    (root / "prog.py").write_text(PROGRAM)
    records, _ = run_tracer(root, "--per-function", "5", "script", "prog.py")
    path = root / "traces.jsonl"
    path.write_text("".join(json.dumps({"trace": render(from_record(r))}) + "\n" for r in records))
    return path


def test_it_passes_check_env(dataset: Path) -> None:
    check_env(TraceEnv(dataset), skip_render_check=True)


def test_registered_and_made_by_id(dataset: Path) -> None:
    env = gymnasium.make(ENV_ID, dataset=str(dataset))
    obs, info = env.reset(seed=1)
    assert obs.startswith("<|trace_context_start|>") and info["frames"] >= 2
    env.close()


def test_perfect_predictions_score_one_and_the_episode_ends(dataset: Path) -> None:
    env = TraceEnv(dataset)
    loop = next(i for i, t in enumerate(env.traces) if t.source.startswith("def loop"))
    obs, info = env.reset(options={"index": loop})
    assert obs.endswith('<|call_sep|>{"n": "3"}<|action_sep|>def loop(n):<|frame_sep|>')
    rewards, terminated = [], False
    while not terminated:
        expected = env.traces[loop].events[len(rewards) + 1]
        obs, reward, terminated, truncated, info = env.step(render_event(expected))
        rewards.append(reward)
        assert not truncated and info["exact"]
    assert rewards == [1.0] * 10
    assert obs.endswith('<|return_sep|><|action_sep|>    return total<|arg_sep|>"3"<|frame_sep|>')
    with pytest.raises(RuntimeError):
        env.step("anything")


def test_partial_scores() -> None:
    expected = Event("line", "    c = 3", locals={"a": "..", "b": "1"})
    half = '<|line_sep|>{"a": "..", "b": "2"}<|action_sep|>    c = 3<|frame_sep|>'
    reward, fields = score_frame(half, expected)
    assert fields == {"kind": 1.0, "line": 1.0, "state": 0.5} and reward == pytest.approx(2.5 / 3)
    extra = '<|line_sep|>{"a": "..", "b": "1", "z": "0"}<|action_sep|>    b = a<|frame_sep|>'
    assert score_frame(extra, expected)[1] == {"kind": 1.0, "line": 0.0, "state": 2 / 3}
    ret = Event("return", "    return c", value="3")
    wrong = '<|return_sep|><|action_sep|>    return c<|arg_sep|>"4"<|frame_sep|>'
    assert score_frame(wrong, ret)[1] == {"kind": 1.0, "line": 1.0, "state": 0.0}
    assert score_frame("not a frame", ret) == (0.0, {"kind": 0.0, "line": 0.0, "state": 0.0})
    assert parse_event(render_event(ret)) == ret


def test_an_empty_dataset_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "none.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="no trace"):
        TraceEnv(empty)
