import pytest

from urlkit import QueryParams, encode_query, parse_query


def test_parse_basic():
    q = parse_query("a=1&b=2&a=3")
    assert q.get("a") == "1"
    assert q.getall("a") == ["1", "3"]
    assert q.keys() == ["a", "b"]
    assert len(q) == 3


def test_parse_plus_and_escapes():
    q = parse_query("?q=hello+world&name=J%C3%B6rg")
    assert q["q"] == "hello world"
    assert q["name"] == "Jörg"


def test_parse_edge_cases():
    q = parse_query("flag&&x=")
    assert q.items() == [("flag", ""), ("x", "")]


def test_missing_key():
    with pytest.raises(KeyError):
        parse_query("a=1")["b"]
    assert parse_query("a=1").get("b", "d") == "d"


def test_encode():
    assert encode_query([("q", "hello world"), ("lang", "en")]) == "q=hello%20world&lang=en"
    assert encode_query({"path": "/a/b", "t": "10:30"}) == "path=/a/b&t=10:30"


def test_encode_unicode():
    assert encode_query({"name": "Jörg"}) == "name=J%C3%B6rg"


def test_set_add_remove_are_copies():
    q = QueryParams([("a", "1"), ("b", "2"), ("a", "3")])
    assert q.set("a", 9).items() == [("a", "9"), ("b", "2")]
    assert q.add("c", 1).items()[-1] == ("c", "1")
    assert q.remove("a").items() == [("b", "2")]
    assert q.items() == [("a", "1"), ("b", "2"), ("a", "3")]


def test_equality():
    assert parse_query("a=1&b=2") == QueryParams({"a": "1", "b": "2"})


def test_roundtrip_simple_values():
    q = QueryParams([("q", "hello world"), ("name", "Jörg"), ("path", "/x/y")])
    assert parse_query(str(q)) == q


def test_encode_keeps_readable_characters():
    assert encode_query([("t", "10:30"), ("p", "/a/b?c"), ("x", "it's!")]) == "t=10:30&p=/a/b?c&x=it's!"
