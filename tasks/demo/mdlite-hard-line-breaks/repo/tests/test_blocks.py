from mdlite import markdown


def test_heading_and_paragraph():
    assert markdown("# Hello\n\nSome *emphasis* and `code`.") == (
        "<h1>Hello</h1>\n<p>Some <em>emphasis</em> and <code>code</code>.</p>"
    )


def test_heading_with_trailing_whitespace():
    assert markdown("## Title   ") == "<h2>Title</h2>"


def test_paragraph_soft_breaks():
    assert markdown("one\ntwo\n\nthree") == "<p>one\ntwo</p>\n<p>three</p>"


def test_backslash_line_break_in_paragraph():
    assert markdown("one\\\ntwo") == "<p>one<br />\ntwo</p>"


def test_lists():
    assert markdown("- a\n- *b*") == "<ul>\n<li>a</li>\n<li><em>b</em></li>\n</ul>"
    assert markdown("3. c\n4. d") == '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'


def test_code_block():
    assert markdown("```py\nif a < b:\n    pass\n```") == (
        '<pre><code class="language-py">if a &lt; b:\n    pass\n</code></pre>'
    )


def test_unclosed_code_block():
    assert markdown("```\nx") == "<pre><code>x\n</code></pre>"


def test_blockquote():
    assert markdown("> quoted *text*\n> more") == (
        "<blockquote>\n<p>quoted <em>text</em>\nmore</p>\n</blockquote>"
    )


def test_rule():
    assert markdown("a\n\n***\n\nb") == "<p>a</p>\n<hr />\n<p>b</p>"


def test_indented_paragraph_lines():
    assert markdown("  one\n  two") == "<p>one\ntwo</p>"
