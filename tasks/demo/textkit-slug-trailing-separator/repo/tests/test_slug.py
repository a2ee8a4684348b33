import pytest

from textkit import slugify, unique_slug


def test_basic():
    assert slugify("Hello World") == "hello-world"


def test_accents_are_transliterated():
    assert slugify("Crème Brûlée recipe") == "creme-brulee-recipe"


def test_punctuation_runs_collapse():
    assert slugify("a -- b // c") == "a-b-c"


def test_leading_separators_removed():
    assert slugify("  --Intro") == "intro"


def test_custom_separator():
    assert slugify("Hello World", sep="_") == "hello_world"


def test_keep_case():
    assert slugify("Hello World", lowercase=False) == "Hello-World"


def test_max_length_cuts_at_boundary():
    assert slugify("the quick brown fox", max_length=12) == "the-quick"


def test_max_length_exact_word():
    assert slugify("the quick brown fox", max_length=9) == "the-quick"


def test_max_length_single_long_word():
    assert slugify("supercalifragilistic", max_length=5) == "super"


def test_empty_separator_rejected():
    with pytest.raises(ValueError):
        slugify("x", sep="")


def test_non_latin_text_is_dropped():
    assert slugify("日本 2024") == "2024"


def test_unique_slug():
    assert unique_slug("Hello World", {"hello-world", "hello-world-2"}) == "hello-world-3"
    assert unique_slug("Fresh", set()) == "fresh"
