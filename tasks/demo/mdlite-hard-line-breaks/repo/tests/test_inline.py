from mdlite import render_inline


def test_emphasis_and_strong():
    assert render_inline("*a* _b_ **c** __d__") == "<em>a</em> <em>b</em> <strong>c</strong> <strong>d</strong>"


def test_intraword_underscores_are_literal():
    assert render_inline("snake_case_name") == "snake_case_name"


def test_code_span_protects_content():
    assert render_inline("`a*b*c` and `<tag>`") == "<code>a*b*c</code> and <code>&lt;tag&gt;</code>"


def test_double_backtick_code_span():
    assert render_inline("``a ` b``") == "<code>a ` b</code>"


def test_link():
    assert render_inline("[docs](https://x.org/?a=1&b=2)") == '<a href="https://x.org/?a=1&amp;b=2">docs</a>'


def test_html_is_escaped():
    assert render_inline('5 < 6 & "x"') == "5 &lt; 6 &amp; &quot;x&quot;"


def test_backslash_escapes():
    assert render_inline(r"\*not em\*") == "*not em*"


def test_backslash_hard_break():
    assert render_inline("one\\\ntwo") == "one<br />\ntwo"


def test_two_space_hard_break():
    assert render_inline("one  \ntwo") == "one<br />\ntwo"


def test_soft_break_trailing_space_removed():
    assert render_inline("one \ntwo") == "one\ntwo"
