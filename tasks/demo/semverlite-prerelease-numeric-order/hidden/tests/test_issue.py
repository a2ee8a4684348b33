"""Regression tests: numeric pre-release identifiers with several digits."""

from semverlite import Version, max_satisfying


def test_numeric_identifiers_compare_numerically():
    assert Version.parse("1.0.0-beta.2") < Version.parse("1.0.0-beta.11")
    assert Version.parse("1.0.0-rc.10") > Version.parse("1.0.0-rc.9")


def test_sorting_prereleases():
    versions = [Version.parse(v) for v in ["1.0.0-rc.10", "1.0.0-rc.2", "1.0.0-rc.1", "1.0.0"]]
    assert [str(v) for v in sorted(versions)] == [
        "1.0.0-rc.1",
        "1.0.0-rc.2",
        "1.0.0-rc.10",
        "1.0.0",
    ]


def test_max_satisfying_picks_highest_prerelease():
    versions = ["2.0.0-rc.2", "2.0.0-rc.10", "2.0.0-rc.9"]
    assert str(max_satisfying(versions, ">=2.0.0-rc.1")) == "2.0.0-rc.10"


def test_multi_digit_identifier_between_numeric_and_alphanumeric():
    low, mid, high = (Version.parse(v) for v in ["1.0.0-alpha.99", "1.0.0-alpha.100", "1.0.0-alpha.beta"])
    assert low < mid < high
    assert max([high, mid, low]) == high
    assert min([high, mid, low]) == low


def test_spec_precedence_example():
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    parsed = [Version.parse(v) for v in chain]
    for lower, higher in zip(parsed, parsed[1:]):
        assert lower < higher, (str(lower), str(higher))
