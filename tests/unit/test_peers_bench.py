"""bench/peers.py's bookkeeping: the statistics and the round-robin order (no engine)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import peers


class Fake:
    def __init__(self, name: str, calls: list[str], seconds: float) -> None:
        self.name, self.calls, self.seconds = name, calls, seconds
        self.lifecycle = True

    def cmd(self, command: str) -> tuple[float, str, int | None]:
        self.calls.append(self.name)
        return self.seconds, "x" * len(command), 0

    def start(self) -> float:
        self.calls.append(self.name)
        return self.seconds

    def stop(self) -> float:
        return self.seconds / 10


def test_stats_are_median_p10_p90_in_ms() -> None:
    out = peers.stats([i / 1000 for i in range(1, 12)])
    assert out == {"median": 6.0, "p10": 2.0, "p90": 10.0, "n": 11}


def test_each_round_runs_everyone_and_rotates_who_goes_first() -> None:
    calls: list[str] = []
    fakes = [Fake(n, calls, s) for n, s in (("a", 0.001), ("b", 0.002), ("c", 0.003))]
    result = peers.per_command(fakes, rounds=3)
    per_round = len(fakes) * len(peers.COMMANDS)
    firsts = [calls[r * per_round] for r in range(3)]
    assert firsts == ["a", "b", "c"]
    assert sorted(calls) == sorted(["a", "b", "c"] * len(peers.COMMANDS) * 3)
    assert result["b"]["echo hi"]["median"] == 2.0
    assert result["c"]["1 MiB output"]["output_len"] == len(peers.COMMANDS["1 MiB output"])


def test_lifecycle_times_start_and_teardown_in_seconds() -> None:
    calls: list[str] = []
    result = peers.lifecycle([Fake("a", calls, 2.0), Fake("b", calls, 4.0)], rounds=2)
    assert calls == ["a", "b", "b", "a"]
    assert result["b"]["start"]["median"] == 4.0
    assert result["a"]["teardown"]["median"] == 0.2


class FakePeer:
    def start(self) -> str:
        return "c0ffee"

    def cmd(self, command: str) -> tuple[str, int | None]:
        return "y" * 1000, 3

    def stop(self) -> None:
        pass


def test_the_driver_answers_with_timings_a_head_and_the_full_length() -> None:
    import peers_driver

    assert peers_driver.answer(FakePeer(), {"op": "start"})["container"] == "c0ffee"
    reply = peers_driver.answer(FakePeer(), {"op": "cmd", "command": "x"})
    assert reply["output"] == "y" * 200 and reply["output_len"] == 1000
    assert reply["returncode"] == 3 and reply["seconds"] >= 0
    assert set(peers_driver.answer(FakePeer(), {"op": "stop"})) == {"seconds"}
