import pytest

from tablefmt import display_width, pad


def test_display_width_ascii():
    assert display_width("hello") == 5


def test_display_width_wide():
    assert display_width("日本") == 4


def test_display_width_combining():
    assert display_width("e\u0301") == 1


def test_pad():
    assert pad("ab", 5) == "ab   "
    assert pad("ab", 5, "right") == "   ab"
    assert pad("ab", 5, "center") == " ab  "


def test_pad_too_long_text_is_kept():
    assert pad("abcdef", 3) == "abcdef"


def test_pad_invalid_alignment():
    with pytest.raises(ValueError):
        pad("a", 3, "justify")
