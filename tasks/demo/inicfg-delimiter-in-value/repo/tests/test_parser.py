import pytest

from inicfg import ParseError, parse_lines


def parse(text):
    return parse_lines(text.splitlines())


def test_simple_section():
    data = parse("[app]\nname = demo\nversion = 1\n")
    assert data["app"] == {"name": "demo", "version": "1"}


def test_colon_delimiter():
    data = parse("[app]\nname: demo\n")
    assert data["app"]["name"] == "demo"


def test_keys_are_lowercased_and_stripped():
    data = parse("[app]\n  Name   =   demo  \n")
    assert data["app"] == {"name": "demo"}


def test_keys_before_header_go_to_default():
    data = parse("color = blue\n[app]\nname = demo\n")
    assert data["DEFAULT"] == {"color": "blue"}


def test_comments_and_blank_lines_are_ignored():
    data = parse("# comment\n; other\n\n[app]\n# inside\nname = demo\n")
    assert data["app"] == {"name": "demo"}


def test_continuation_lines():
    data = parse("[app]\npaths = /usr\n  /opt\n  /srv\n")
    assert data["app"]["paths"] == "/usr\n/opt\n/srv"


def test_empty_value():
    data = parse("[app]\nname =\n")
    assert data["app"]["name"] == ""


def test_duplicate_sections_are_merged():
    data = parse("[a]\nx = 1\n[b]\n[a]\ny = 2\n")
    assert data["a"] == {"x": "1", "y": "2"}


def test_duplicate_key_is_an_error():
    with pytest.raises(ParseError) as info:
        parse("[a]\nx = 1\nx = 2\n")
    assert info.value.lineno == 3


def test_line_without_delimiter_is_an_error():
    with pytest.raises(ParseError) as info:
        parse("[a]\njust some words\n")
    assert info.value.lineno == 2


def test_unterminated_header():
    with pytest.raises(ParseError):
        parse("[broken\n")


def test_empty_key_is_an_error():
    with pytest.raises(ParseError):
        parse("[a]\n= value\n")
