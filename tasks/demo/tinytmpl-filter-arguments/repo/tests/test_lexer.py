import pytest

from tinytmpl import TemplateSyntaxError
from tinytmpl.lexer import tokenize


def test_tokens():
    tokens = tokenize("Hi {{ name }}{% if x %}!{% endif %}{# note #}")
    assert [(t.kind, t.value) for t in tokens] == [
        ("text", "Hi "),
        ("var", "name"),
        ("block", "if x"),
        ("text", "!"),
        ("block", "endif"),
    ]


def test_line_numbers():
    tokens = tokenize("a\nb {{ x }}\n\n{% if y %}")
    assert [t.lineno for t in tokens] == [1, 2, 2, 4]


def test_unclosed_tag():
    with pytest.raises(TemplateSyntaxError) as info:
        tokenize("ok\n{{ name ")
    assert info.value.lineno == 2
