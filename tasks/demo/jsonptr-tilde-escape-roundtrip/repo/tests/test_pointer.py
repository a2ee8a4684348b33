import copy

import pytest

from jsonptr import JsonPointer, UnresolvablePointer, resolve

# the example document from RFC 6901, section 5
RFC_DOC = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
}


def test_rfc_examples():
    assert resolve(RFC_DOC, "") == RFC_DOC
    assert resolve(RFC_DOC, "/foo") == ["bar", "baz"]
    assert resolve(RFC_DOC, "/foo/0") == "bar"
    assert resolve(RFC_DOC, "/") == 0
    assert resolve(RFC_DOC, "/a~1b") == 1
    assert resolve(RFC_DOC, "/c%d") == 2
    assert resolve(RFC_DOC, "/e^f") == 3
    assert resolve(RFC_DOC, "/g|h") == 4
    assert resolve(RFC_DOC, "/i\\j") == 5
    assert resolve(RFC_DOC, '/k"l') == 6
    assert resolve(RFC_DOC, "/ ") == 7
    assert resolve(RFC_DOC, "/m~0n") == 8


def test_unresolvable():
    with pytest.raises(UnresolvablePointer):
        resolve(RFC_DOC, "/nope")
    with pytest.raises(UnresolvablePointer):
        resolve(RFC_DOC, "/foo/2")
    with pytest.raises(UnresolvablePointer):
        resolve(RFC_DOC, "/foo/01")
    with pytest.raises(UnresolvablePointer):
        resolve(RFC_DOC, "/a~1b/x")


def test_default():
    assert resolve(RFC_DOC, "/nope", default=None) is None


def test_parts_and_str():
    ptr = JsonPointer("/foo/0")
    assert ptr.parts == ("foo", "0")
    assert str(ptr) == "/foo/0"
    assert repr(ptr) == "JsonPointer('/foo/0')"


def test_from_parts_roundtrip_simple():
    ptr = JsonPointer.from_parts(["a/b", "c"])
    assert str(ptr) == "/a~1b/c"
    assert JsonPointer(str(ptr)) == ptr


def test_parent_name_join():
    ptr = JsonPointer("/users/0/name")
    assert ptr.parent == JsonPointer("/users/0")
    assert ptr.name == "name"
    assert JsonPointer("").parent == JsonPointer("")
    assert JsonPointer("/users") / 0 / "name" == ptr


def test_set_and_add_and_remove():
    doc = {"users": [{"name": "ann", "tags": ["admin"]}]}
    JsonPointer("/users/0/name").set(doc, "bob")
    JsonPointer("/users/0/tags/-").add(doc, "ops")
    JsonPointer("/users/0/tags/0").add(doc, "first")
    JsonPointer("/users/0/age").add(doc, 30)
    assert doc == {"users": [{"name": "bob", "tags": ["first", "admin", "ops"], "age": 30}]}
    assert JsonPointer("/users/0/tags/1").remove(doc) == "admin"
    assert JsonPointer("/users/0/age").remove(doc) == 30


def test_set_missing_member_fails():
    doc = {"a": {}}
    with pytest.raises(UnresolvablePointer):
        JsonPointer("/a/b").set(doc, 1)


def test_root_has_no_container():
    with pytest.raises(UnresolvablePointer):
        JsonPointer("").remove({})


def test_exists():
    doc = copy.deepcopy(RFC_DOC)
    assert JsonPointer("/foo/1").exists(doc)
    assert not JsonPointer("/foo/5").exists(doc)


def test_hashable():
    assert len({JsonPointer("/a"), JsonPointer.from_parts(["a"])}) == 1
