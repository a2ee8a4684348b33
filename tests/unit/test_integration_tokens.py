"""Flattening an episode's turns into one masked token sequence (no trainer needed)."""

from __future__ import annotations

import pytest
from support.steps import token_step as step

from swe_env.integrations.tokens import MissingTokens, RetokenizedHistory, flatten
from swe_env.rollout.trajectory import Step


def test_turns_become_one_sequence_with_the_environment_masked() -> None:
    t1 = step(1, [1, 2, 3], [10, 11])
    # turn 2's prompt: turn 1's prompt + completion, then the observation's tokens 20, 21
    t2 = step(2, [1, 2, 3, 10, 11, 20, 21], [12, 13, 14])
    t3 = step(3, [1, 2, 3, 10, 11, 20, 21, 12, 13, 14, 22], [15])
    flat = flatten([t1, t2, t3])
    assert flat.prompt_ids == [1, 2, 3]
    assert flat.completion_ids == [10, 11, 20, 21, 12, 13, 14, 22, 15]
    assert flat.env_mask == [1, 1, 0, 0, 1, 1, 1, 0, 1]
    assert flat.logprobs == pytest.approx([-0.1, -0.2, 0, 0, -0.1, -0.2, -0.3, 0, -0.1])
    assert flat.turns == 3 and flat.model_tokens == 6
    # every id the model sampled is in the sequence, in order, under mask 1
    sampled = [i for i, m in zip(flat.completion_ids, flat.env_mask, strict=True) if m]
    assert sampled == [10, 11, 12, 13, 14, 15]


def test_a_rewritten_history_fails_naming_the_turn() -> None:
    t1 = step(1, [1, 2, 3], [10, 11])
    t2 = step(2, [1, 2, 3, 10, 11, 20], [12])
    # turn 3's template dropped token 11 of turn 1's reply (e.g. stripped reasoning)
    t3 = step(3, [1, 2, 3, 10, 20, 12, 22], [15])
    with pytest.raises(RetokenizedHistory, match=r"turn 3: .*token 4: expected 11, got 20") as err:
        flatten([t1, t2, t3])
    assert err.value.turn == 3 and err.value.position == 4


def test_a_prompt_shorter_than_the_history_fails() -> None:
    with pytest.raises(RetokenizedHistory, match="turn 2"):
        flatten([step(1, [1, 2], [3, 4]), step(2, [1, 2, 3], [5])])


def test_missing_ids_are_refused_not_re_tokenised() -> None:
    no_ids = Step(turn=1, action="x", observation="y")
    with pytest.raises(MissingTokens, match="turn 1 has no prompt_token_ids"):
        flatten([no_ids])
    with pytest.raises(MissingTokens, match="no turns"):
        flatten([])


def test_logprobs_are_none_when_a_turn_lacks_them() -> None:
    t1 = step(1, [1], [2])
    t2 = Step(turn=2, action="x", observation="y", prompt_token_ids=[1, 2, 3], token_ids=[4])
    flat = flatten([t1, t2])
    assert flat.logprobs is None and flat.completion_ids == [2, 3, 4]


def test_the_adapters_import_no_trainer_until_used() -> None:
    """A trainer that is not installed must not break ``import swe_env.integrations.*``,
    and importing an adapter must not pull in torch (seconds and gigabytes)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import swe_env.integrations.trl, swe_env.integrations.skyrl\n"
        "import swe_env.integrations.verl, swe_env.integrations.hf_policy\n"
        "heavy = {'torch', 'trl', 'transformers', 'skyrl_gym', 'verl', 'datasets'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
