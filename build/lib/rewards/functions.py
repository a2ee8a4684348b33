"""Reward functions mapping a :class:`~rewards.verdict.Verdict` (and optionally patches) to a
float. All functions are pure and deterministic.

Patch similarity
----------------
:func:`patch_similarity` follows the idea used by SWE-RL and CWM of rewarding closeness to
the reference ("gold") patch, restricted per file:

1. Both patches are split per file with ``unidiff``; a file is identified by its path
   without the ``a/``/``b/`` prefix (the target path, or the source path for deletions).
2. For each file, the compared text is the body of its hunks: every context, removed and
   added line with its `` ``/``-``/``+`` marker, plus ``\\ No newline at end of file``
   markers, in order, with ``\\r\\n`` normalised to ``\\n``. File headers (``diff --git``,
   ``index``, ``---``/``+++``) and ``@@ -a,b +c,d @@`` range lines are left out so that
   line-number offsets do not matter.
3. Each file the gold patch touches scores ``difflib.SequenceMatcher(None, cand, gold,
   autojunk=False).ratio()``; a gold file the candidate does not touch scores 0.
4. The result is the mean over gold files. Files only the candidate touches are ignored,
   unless ``penalize_extra_files=True``, in which case they score 0 and join the average.

Texts are compared character by character while ``len(cand) * len(gold)`` stays within
:data:`CHAR_LEVEL_BUDGET`; above that the comparison is made on lists of lines, which keeps
the cost bounded for very large patches (the character-level algorithm is quadratic).
An empty or unparseable candidate, or an empty/unparseable gold patch, scores 0.0.
"""

from __future__ import annotations

import difflib
from typing import Literal, Protocol

from rewards.verdict import TestBreakdown, Verdict
from swe_env.patch import PatchError, hunk_texts

__all__ = [
    "CHAR_LEVEL_BUDGET",
    "Outcome",
    "RewardName",
    "binary",
    "f2p_fraction",
    "patch_similarity",
    "reward",
    "shaped",
    "similarity_when_unresolved",
]

CHAR_LEVEL_BUDGET = 10_000_000
"""Largest ``len(a) * len(b)`` compared at character level (about 0.2 s of CPU)."""


RewardName = Literal["binary", "binary_pm1", "f2p_fraction", "similarity"]
"""The rewards an environment can be configured with."""


class Outcome(Protocol):
    """What a reward reads: a :class:`~rewards.verdict.Verdict` or a
    :class:`~rewards.grade.Grade` (both carry these)."""

    @property
    def resolved(self) -> bool: ...

    @property
    def fail_to_pass(self) -> TestBreakdown: ...


def reward(name: RewardName, outcome: Outcome, patch: str, gold_patch: str | None) -> float:
    """The scalar reward ``name`` for a graded ``patch``."""
    if name == "binary":
        return binary(outcome)
    if name == "binary_pm1":
        return binary(outcome, negative=True)
    if name == "f2p_fraction":
        return f2p_fraction(outcome)
    if name == "similarity":
        return (
            similarity_when_unresolved(outcome, patch, gold_patch)
            if gold_patch
            else (1.0 if outcome.resolved else 0.0)
        )
    raise ValueError(f"unknown reward {name!r}")


def binary(verdict: Outcome, *, negative: bool = False) -> float:
    """1.0 if the task is resolved, else 0.0 (or -1.0 when ``negative`` is true)."""
    if verdict.resolved:
        return 1.0
    return -1.0 if negative else 0.0


def f2p_fraction(verdict: Outcome) -> float:
    """Fraction of FAIL_TO_PASS tests that passed, in [0, 1]; 0.0 when the list is empty.

    The denominator is every listed FAIL_TO_PASS test, so tests counted as neutral under
    ``"swebench"`` semantics (skipped) lower the fraction like failures do.
    """
    total = verdict.fail_to_pass.total
    return len(verdict.fail_to_pass.passed) / total if total else 0.0


def _file_texts(patch: str) -> dict[str, str] | None:
    """Map each touched path to its hunk-body text; ``None`` if the patch cannot be parsed."""
    if not patch or not patch.strip():
        return None
    try:
        return hunk_texts(patch) or None
    except PatchError:
        return None


def _ratio(candidate: str, gold: str) -> float:
    if len(candidate) * len(gold) <= CHAR_LEVEL_BUDGET:
        return difflib.SequenceMatcher(None, candidate, gold, autojunk=False).ratio()
    return difflib.SequenceMatcher(
        None, candidate.splitlines(), gold.splitlines(), autojunk=False
    ).ratio()


def patch_similarity(patch: str, gold_patch: str, *, penalize_extra_files: bool = False) -> float:
    """Per-file similarity between a candidate patch and the gold patch, in [0, 1].

    See the module docstring for exactly what is compared. Identical patches score 1.0;
    an empty or unparseable candidate scores 0.0.
    """
    candidate = _file_texts(patch)
    gold = _file_texts(gold_patch)
    if candidate is None or gold is None:
        return 0.0
    scores = [
        _ratio(candidate[path], text) if path in candidate else 0.0 for path, text in gold.items()
    ]
    if penalize_extra_files:
        scores.extend(0.0 for path in candidate if path not in gold)
    return sum(scores) / len(scores)


def similarity_when_unresolved(verdict: Outcome, patch: str, gold_patch: str) -> float:
    """1.0 if resolved, else :func:`patch_similarity` of the patch to the gold patch.

    An unresolved patch can reach 1.0 only by reproducing the gold hunks exactly.
    """
    return 1.0 if verdict.resolved else patch_similarity(patch, gold_patch)


def shaped(
    verdict: Verdict, patch: str, gold_patch: str, *, unresolved_weight: float = 0.5
) -> float:
    """1.0 if resolved, else ``unresolved_weight * patch_similarity(patch, gold_patch)``.

    With the default weight an unresolved attempt earns at most 0.5, so resolving the task
    always beats imitating the gold patch.

    Raises:
        ValueError: if ``unresolved_weight`` is outside [0, 1].
    """
    if not 0.0 <= unresolved_weight <= 1.0:
        raise ValueError(f"unresolved_weight must be in [0, 1], got {unresolved_weight}")
    if verdict.resolved:
        return 1.0
    return unresolved_weight * patch_similarity(patch, gold_patch)
