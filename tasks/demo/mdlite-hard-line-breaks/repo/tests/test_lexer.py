from mdlite import tokenize


def kinds(source):
    return [line.kind for line in tokenize(source)]


def test_kinds():
    source = "# Title\n\ntext\n- item\n1. first\n> quote\n---\n"
    assert kinds(source) == ["heading", "blank", "text", "bullet", "ordered", "quote", "rule"]


def test_heading_level_and_text():
    line = tokenize("### Third level ###")[0]
    assert (line.kind, line.level, line.text) == ("heading", 3, "Third level")


def test_hash_without_space_is_text():
    assert kinds("#hashtag") == ["text"]


def test_ordered_number():
    line = tokenize("7) seventh")[0]
    assert (line.kind, line.level, line.text) == ("ordered", 7, "seventh")


def test_fenced_code_lines_are_verbatim():
    lines = tokenize("```python\n# not a heading\n- not a list\n```")
    assert [l.kind for l in lines] == ["fence", "code", "code", "fence"]
    assert lines[0].text == "python"
    assert lines[1].text == "# not a heading"


def test_line_numbers():
    assert [l.lineno for l in tokenize("a\n\nb")] == [1, 2, 3]


def test_tabs_expanded():
    assert tokenize("-\titem")[0].text == "item"
