import pytest

from jsonptr import InvalidPointer, escape, format_pointer, parse_pointer, unescape


def test_escape():
    assert escape("a/b") == "a~1b"
    assert escape("m~n") == "m~0n"
    assert escape(3) == "3"


def test_unescape_simple():
    assert unescape("a~1b") == "a/b"
    assert unescape("m~0n") == "m~n"
    assert unescape("plain") == "plain"


def test_unescape_invalid():
    for bad in ["~", "a~2", "~x"]:
        with pytest.raises(InvalidPointer):
            unescape(bad)


def test_parse_pointer():
    assert parse_pointer("") == []
    assert parse_pointer("/") == [""]
    assert parse_pointer("/foo/0/a~1b") == ["foo", "0", "a/b"]


def test_parse_pointer_requires_slash():
    with pytest.raises(InvalidPointer):
        parse_pointer("foo")


def test_format_pointer():
    assert format_pointer(["foo", 0, "a/b", "m~n"]) == "/foo/0/a~1b/m~0n"
    assert format_pointer([]) == ""
