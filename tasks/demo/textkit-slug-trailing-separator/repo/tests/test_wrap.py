import pytest

from textkit import truncate, wrap


def test_wrap_basic():
    assert wrap("The quick brown fox", width=10) == ["The quick", "brown fox"]


def test_wrap_long_word():
    assert wrap("a extraordinarily b", width=5) == ["a", "extraordinarily", "b"]


def test_wrap_collapses_whitespace():
    assert wrap("  a   b  ", width=10) == ["a b"]


def test_wrap_invalid_width():
    with pytest.raises(ValueError):
        wrap("x", width=0)


def test_truncate_fits():
    assert truncate("short", 10) == "short"


def test_truncate_word_boundary():
    assert truncate("The quick brown fox", 12) == "The quick\u2026"


def test_truncate_custom_ellipsis():
    assert truncate("The quick brown fox", 13, ellipsis="...") == "The quick..."
