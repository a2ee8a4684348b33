import pytest

from urlkit import URL


def test_parse_components():
    url = URL.parse("https://user@API.example.com:8443/v1/items?page=2#top")
    assert url.scheme == "https"
    assert url.userinfo == "user"
    assert url.host == "api.example.com"
    assert url.port == 8443
    assert url.path == "/v1/items"
    assert url.query.get("page") == "2"
    assert url.fragment == "top"


def test_str_roundtrip():
    text = "https://api.example.com/v1/items?page=2&tag=new#frag"
    assert str(URL.parse(text)) == text


def test_default_port_is_hidden():
    assert str(URL.parse("https://example.com:443/")) == "https://example.com/"


def test_invalid_port():
    with pytest.raises(ValueError):
        URL.parse("http://example.com:http/")


def test_with_query_keeps_order():
    url = URL.parse("https://x.org/s?page=2&tag=new")
    assert str(url.with_query(page=3)) == "https://x.org/s?page=3&tag=new"
    assert str(url.with_query(sort="asc")) == "https://x.org/s?page=2&tag=new&sort=asc"


def test_with_query_encodes_spaces():
    url = URL.parse("https://x.org/search").with_query(q="hello world")
    assert str(url) == "https://x.org/search?q=hello%20world"


def test_without_query_and_fragment():
    url = URL.parse("https://x.org/a?b=1#c")
    assert str(url.without_query().with_fragment("")) == "https://x.org/a"


def test_join():
    url = URL.parse("https://x.org/v1/")
    assert str(url.join("items", 42)) == "https://x.org/v1/items/42"
    assert str(url.join("a/b")) == "https://x.org/v1/a%2Fb"


def test_relative_url():
    url = URL.parse("/path/only?x=1")
    assert url.host == "" and url.path == "/path/only"
    assert str(url) == "/path/only?x=1"


def test_origin():
    assert URL.parse("http://example.com:8080/a").origin == "http://example.com:8080"


def test_immutable():
    with pytest.raises(AttributeError):
        URL.parse("http://x").host = "y"
