"""Pure reward computation for swe-env: parse test reports, grade them, turn verdicts into
rewards. Nothing in this package touches Docker, the network or the file system."""

from rewards.functions import (
    binary,
    f2p_fraction,
    patch_similarity,
    shaped,
    similarity_when_unresolved,
)
from rewards.parsers import (
    PARSERS,
    TestStatus,
    parse_django_log,
    parse_junit_xml,
    parse_pytest_log,
    parse_sympy_log,
    parse_unittest_log,
)
from rewards.verdict import Semantics, TestBreakdown, Verdict, decide

__all__ = [
    "PARSERS",
    "Semantics",
    "TestBreakdown",
    "TestStatus",
    "Verdict",
    "binary",
    "decide",
    "f2p_fraction",
    "parse_django_log",
    "parse_junit_xml",
    "parse_pytest_log",
    "parse_sympy_log",
    "parse_unittest_log",
    "patch_similarity",
    "shaped",
    "similarity_when_unresolved",
]
