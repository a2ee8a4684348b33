"""Regression tests: two trailing spaces produce a hard line break."""

from mdlite import markdown


def test_two_spaces_hard_break():
    assert markdown("roses are red  \nviolets are blue") == "<p>roses are red<br />\nviolets are blue</p>"


def test_more_than_two_spaces():
    assert markdown("a     \nb") == "<p>a<br />\nb</p>"


def test_multiple_breaks_in_one_paragraph():
    source = "Jane Doe  \n12 Main St  \nSpringfield"
    assert markdown(source) == "<p>Jane Doe<br />\n12 Main St<br />\nSpringfield</p>"


def test_hard_break_in_blockquote():
    assert markdown("> a  \n> b") == "<blockquote>\n<p>a<br />\nb</p>\n</blockquote>"


def test_hard_break_mixed_with_inline_markup():
    assert markdown("*first*  \n`second`") == "<p><em>first</em><br />\n<code>second</code></p>"


def test_trailing_spaces_on_last_line_do_not_break():
    assert markdown("one  \ntwo  \n\nthree  ") == "<p>one<br />\ntwo</p>\n<p>three</p>"
