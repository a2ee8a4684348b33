"""The one retry policy (swe_env.retry): backoff, jitter, hints, and that it is the only one."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from swe_env.retry import RetryLater, RetryPolicy

ROOT = Path(__file__).resolve().parents[2]


def _state(attempt: int, exc: BaseException | None = None) -> SimpleNamespace:
    return SimpleNamespace(attempt_number=attempt, outcome=SimpleNamespace(exception=lambda: exc))


def test_backoff_doubles_and_is_capped_without_jitter() -> None:
    policy = RetryPolicy(initial=0.5, max_wait=3.0, jitter=0.0)
    waits = [policy.wait(_state(n)) for n in (1, 2, 3, 4, 200)]  # type: ignore[arg-type]
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_within_its_share() -> None:
    policy = RetryPolicy(initial=2.0, max_wait=30.0, jitter=0.5)
    waits = [policy.backoff(2) for _ in range(500)]
    assert min(waits) >= 2.0 and max(waits) <= 4.0 and len({round(w, 6) for w in waits}) > 100


@pytest.mark.parametrize(("hint", "expected"), [(5.0, 5.0), (1e9, 10.0), (0.0, 0.25)])
def test_a_hint_lengthens_the_wait_but_never_past_max_wait(hint: float, expected: float) -> None:
    policy = RetryPolicy(initial=0.25, max_wait=10.0, jitter=0.0)
    assert policy.wait(_state(1, RetryLater("busy", hint))) == expected  # type: ignore[arg-type]


def test_retrying_stops_after_the_retries_and_reraises() -> None:
    calls: list[int] = []
    waits: list[float] = []

    def failing() -> None:
        calls.append(1)
        raise RetryLater("down")

    retrying = RetryPolicy(retries=3, initial=0.0, jitter=0.0).retrying(
        RetryLater, sleep=waits.append
    )
    with pytest.raises(RetryLater, match="down"):
        retrying(failing)
    assert len(calls) == 4 and len(waits) == 3


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise KeyError("bug")

    with pytest.raises(KeyError):
        RetryPolicy(retries=5).retrying(RetryLater, sleep=lambda s: None)(broken)
    assert calls == [1]


def test_no_module_retries_on_its_own() -> None:
    """Only swe_env/retry.py may use tenacity: every retry goes through RetryPolicy."""
    offenders = []
    for path in sorted((ROOT / "swe_env").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "tenacity" for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == ["swe_env/retry.py"]
