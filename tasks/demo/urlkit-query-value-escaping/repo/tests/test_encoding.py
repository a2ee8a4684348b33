from urlkit import quote, unquote
from urlkit.encoding import UNRESERVED, quote_path, quote_segment


def test_quote_unreserved_untouched():
    assert quote("AZaz09-._~") == "AZaz09-._~"


def test_quote_space_and_unicode():
    assert quote("a b") == "a%20b"
    assert quote("é") == "%C3%A9"


def test_quote_custom_safe():
    assert quote("a/b c", safe=UNRESERVED + "/") == "a/b%20c"


def test_unquote():
    assert unquote("a%20b%C3%A9") == "a bé"


def test_unquote_plus():
    assert unquote("a+b") == "a+b"
    assert unquote("a+b", plus_as_space=True) == "a b"


def test_unquote_malformed_escape_kept():
    assert unquote("100%zz") == "100%zz"
    assert unquote("50%") == "50%"


def test_quote_path_keeps_slashes():
    assert quote_path("/a b/c") == "/a%20b/c"


def test_quote_segment_escapes_slash():
    assert quote_segment("a/b") == "a%2Fb"
