"""Unit tests for rewards.functions."""

from __future__ import annotations

import time

import pytest

from rewards.functions import (
    CHAR_LEVEL_BUDGET,
    binary,
    f2p_fraction,
    patch_similarity,
    shaped,
    similarity_when_unresolved,
)
from rewards.parsers import TestStatus
from rewards.verdict import Verdict, decide

P = TestStatus.PASSED
F = TestStatus.FAILED
S = TestStatus.SKIPPED

GOLD = """\
diff --git a/src/calc.py b/src/calc.py
index 1111111..2222222 100644
--- a/src/calc.py
+++ b/src/calc.py
@@ -10,4 +10,4 @@ def divide(a, b):
     \"\"\"Divide a by b.\"\"\"
     if b == 0:
-        return 0
+        raise ZeroDivisionError("b must be non-zero")
     return a / b
diff --git a/src/util.py b/src/util.py
--- a/src/util.py
+++ b/src/util.py
@@ -1,2 +1,3 @@
 import os
+import sys
 import re
"""

CALC_ONLY = GOLD.split("diff --git a/src/util.py")[0]

UNRELATED = """\
diff --git a/docs/readme.md b/docs/readme.md
--- a/docs/readme.md
+++ b/docs/readme.md
@@ -1,2 +1,2 @@
-Hello world
+Goodbye moon
 Some text
"""


def resolved() -> Verdict:
    return decide({"a": P, "b": P}, ["a"], ["b"])


def unresolved() -> Verdict:
    return decide({"a": F, "b": P}, ["a"], ["b"])


# --- binary / f2p_fraction ---


def test_binary() -> None:
    assert binary(resolved()) == 1.0
    assert binary(unresolved()) == 0.0
    assert binary(resolved(), negative=True) == 1.0
    assert binary(unresolved(), negative=True) == -1.0


def test_f2p_fraction() -> None:
    verdict = decide({"a": P, "b": F, "c": P}, ["a", "b", "c"], [])
    assert f2p_fraction(verdict) == pytest.approx(2 / 3)
    assert f2p_fraction(decide({}, [], [])) == 0.0
    assert f2p_fraction(resolved()) == 1.0


def test_f2p_fraction_counts_neutral_tests_in_denominator() -> None:
    verdict = decide({"a": P, "b": S}, ["a", "b"], [], semantics="swebench")
    assert verdict.resolved
    assert f2p_fraction(verdict) == 0.5


# --- patch_similarity ---


def test_identical_patch_scores_one() -> None:
    assert patch_similarity(GOLD, GOLD) == 1.0


def test_line_offsets_and_headers_do_not_matter() -> None:
    shifted = GOLD.replace("@@ -10,4 +10,4 @@ def divide(a, b):", "@@ -42,4 +42,4 @@").replace(
        "index 1111111..2222222 100644\n", ""
    )
    assert patch_similarity(shifted, GOLD) == 1.0


def test_crlf_is_normalised() -> None:
    assert patch_similarity(GOLD.replace("\n", "\r\n"), GOLD) == 1.0


def test_unrelated_patch_scores_zero_for_untouched_gold_files() -> None:
    assert patch_similarity(UNRELATED, GOLD) == 0.0


def test_missing_gold_file_counts_as_zero() -> None:
    assert patch_similarity(CALC_ONLY, GOLD) == pytest.approx(0.5)


def test_extra_files_ignored_unless_penalised() -> None:
    candidate = GOLD + UNRELATED
    assert patch_similarity(candidate, GOLD) == 1.0
    assert patch_similarity(candidate, GOLD, penalize_extra_files=True) == pytest.approx(2 / 3)


def test_partial_edit_scores_between() -> None:
    close = GOLD.replace('raise ZeroDivisionError("b must be non-zero")', "raise ValueError")
    score = patch_similarity(close, GOLD)
    assert 0.5 < score < 1.0
    different = CALC_ONLY.replace(
        '+        raise ZeroDivisionError("b must be non-zero")',
        "+        logging.warning('dividing by zero, returning nan')\n+        return float('nan')",
    ).replace("@@ -10,4 +10,4 @@", "@@ -10,4 +10,5 @@")
    assert patch_similarity(different, GOLD) < score


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "   \n",
        "I could not fix this issue.",
        "--- a/x.py\n+++ b/x.py\n@@ -1,5 +1,5 @@\n a\n",  # hunk shorter than announced
    ],
)
def test_empty_or_unparseable_candidate_scores_zero(candidate: str) -> None:
    assert patch_similarity(candidate, GOLD) == 0.0


def test_empty_gold_scores_zero() -> None:
    assert patch_similarity(GOLD, "") == 0.0


def test_large_patches_stay_fast_and_bounded() -> None:
    body = "".join(f"+    value_{i} = compute({i}) * factor\n" for i in range(4000))
    big = f"--- a/big.py\n+++ b/big.py\n@@ -0,0 +1,4000 @@\n{body}"
    other = big.replace("factor", "scale")
    assert len(body) ** 2 > CHAR_LEVEL_BUDGET
    start = time.perf_counter()
    score = patch_similarity(other, big)
    assert time.perf_counter() - start < 5.0
    assert 0.0 <= score < 1.0
    assert patch_similarity(big, big) == 1.0


# --- combined rewards ---


def test_similarity_when_unresolved() -> None:
    assert similarity_when_unresolved(resolved(), "", GOLD) == 1.0
    assert similarity_when_unresolved(unresolved(), GOLD, GOLD) == 1.0
    assert similarity_when_unresolved(unresolved(), CALC_ONLY, GOLD) == pytest.approx(0.5)
    assert similarity_when_unresolved(unresolved(), "", GOLD) == 0.0


def test_shaped() -> None:
    assert shaped(resolved(), "", GOLD) == 1.0
    assert shaped(unresolved(), GOLD, GOLD) == 0.5
    assert shaped(unresolved(), CALC_ONLY, GOLD) == pytest.approx(0.25)
    assert shaped(unresolved(), GOLD, GOLD, unresolved_weight=0.2) == pytest.approx(0.2)
    assert shaped(unresolved(), UNRELATED, GOLD) == 0.0


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_shaped_rejects_bad_weight(weight: float) -> None:
    with pytest.raises(ValueError):
        shaped(unresolved(), GOLD, GOLD, unresolved_weight=weight)
