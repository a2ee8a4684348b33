"""Regression tests: reserved characters inside query keys and values."""

from urlkit import URL, QueryParams, encode_query, parse_query


def test_ampersand_in_value_is_escaped():
    assert encode_query([("q", "a&b")]) == "q=a%26b"


def test_equals_in_value_is_escaped():
    assert encode_query([("filter", "size=xl")]) == "filter=size%3Dxl"


def test_plus_in_value_is_escaped():
    assert encode_query([("lang", "c++")]) == "lang=c%2B%2B"


def test_reserved_characters_in_key():
    assert encode_query([("a&b=c", "1")]) == "a%26b%3Dc=1"


def test_roundtrip_reserved_characters():
    q = QueryParams([("q", "c++ & more"), ("filter", "size=xl"), ("k&=+", "v")])
    assert parse_query(str(q)) == q


def test_url_with_query_roundtrip():
    url = URL.parse("https://shop.example/search").with_query(q="c++ & more", filter="size=xl")
    assert str(url) == "https://shop.example/search?q=c%2B%2B%20%26%20more&filter=size%3Dxl"
    again = URL.parse(str(url))
    assert again.query.items() == [("q", "c++ & more"), ("filter", "size=xl")]

