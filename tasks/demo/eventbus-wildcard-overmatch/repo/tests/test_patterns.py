import pytest

from eventbus import InvalidPattern, compile_pattern, matches
from eventbus.patterns import is_wildcard, validate_name


def test_literal():
    assert matches("user.created", "user.created")
    assert not matches("user.created", "user.deleted")


def test_single_star():
    assert matches("user.*", "user.created")
    assert not matches("user.*", "user")
    assert not matches("user.*", "order.created")


def test_star_in_the_middle():
    assert matches("order.*.added", "order.item.added")
    assert not matches("order.*.added", "order.item.removed")


def test_double_star():
    assert matches("user.**", "user.created")
    assert matches("user.**", "user.profile.updated")
    assert not matches("user.**", "user")


def test_leading_double_star():
    assert matches("**.failed", "job.step.failed")


def test_invalid_patterns():
    for bad in ["", "a..b", "a.b c", "a.*x"]:
        with pytest.raises(InvalidPattern):
            compile_pattern(bad)


def test_validate_name():
    validate_name("a.b-c.d_e")
    with pytest.raises(InvalidPattern):
        validate_name("a.*")


def test_is_wildcard():
    assert is_wildcard("a.*")
    assert is_wildcard("**")
    assert not is_wildcard("a.b")
