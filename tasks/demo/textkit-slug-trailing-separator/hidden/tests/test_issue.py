"""Regression tests: slugs must not end with the separator."""

from textkit import slugify, unique_slug


def test_trailing_punctuation():
    assert slugify("Hello, World!") == "hello-world"


def test_trailing_whitespace():
    assert slugify("Release notes   ") == "release-notes"


def test_question_title():
    assert slugify("What's new in 2.0?") == "what-s-new-in-2-0"


def test_custom_separator_trailing():
    assert slugify("C'est la vie !", sep="_") == "c_est_la_vie"


def test_multichar_separator():
    assert slugify("--Foo bar--", sep="__") == "foo__bar"


def test_unique_slug_for_punctuated_title():
    assert unique_slug("Hello, World!", {"hello-world"}) == "hello-world-2"
