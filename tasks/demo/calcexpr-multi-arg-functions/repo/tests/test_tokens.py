import pytest

from calcexpr import CalcSyntaxError
from calcexpr.tokens import tokenize


def kinds(text):
    return [(t.kind, t.text) for t in tokenize(text)]


def test_tokens():
    assert kinds("x1 = 2.5e3 // (y)") == [
        ("NAME", "x1"),
        ("EQUALS", "="),
        ("NUMBER", "2.5e3"),
        ("OP", "//"),
        ("LPAREN", "("),
        ("NAME", "y"),
        ("RPAREN", ")"),
        ("EOF", ""),
    ]


def test_numbers():
    assert [t.text for t in tokenize("1 .5 2. 3e-2")][:-1] == ["1", ".5", "2.", "3e-2"]


def test_positions():
    assert [t.pos for t in tokenize(" a +  b")] == [1, 3, 6, 7]


def test_unexpected_character():
    with pytest.raises(CalcSyntaxError) as info:
        tokenize("1 + $")
    assert info.value.position == 4
