"""Regression tests: keys containing the literal text "~1"."""

from jsonptr import JsonPointer, parse_pointer, resolve, unescape


def test_unescape_tilde_zero_one():
    assert unescape("~01") == "~1"
    assert unescape("a~01b") == "a~1b"


def test_unescape_mixed_sequences():
    assert unescape("~01~00") == "~1~0"
    assert unescape("~1~01") == "/~1"


def test_parse_pointer_with_tilde_one_key():
    assert parse_pointer("/a~01b/c") == ["a~1b", "c"]


def test_resolve_key_containing_tilde_one():
    doc = {"a~1b": "literal", "a/b": "slash"}
    assert resolve(doc, "/a~01b") == "literal"
    assert resolve(doc, "/a~1b") == "slash"


def test_from_parts_roundtrip():
    for parts in (["~1"], ["a~1b", "x/y"], ["~0", "~"], ["~01/~10"]):
        ptr = JsonPointer.from_parts(parts)
        assert JsonPointer(str(ptr)) == ptr
        assert list(JsonPointer(str(ptr)).parts) == parts


def test_set_key_containing_tilde_one():
    doc = {"cfg": {"x~1y": 1}}
    JsonPointer.from_parts(["cfg", "x~1y"]).set(doc, 2)
    JsonPointer(str(JsonPointer.from_parts(["cfg", "x~1y"]))).set(doc, 3)
    assert doc == {"cfg": {"x~1y": 3}}
