import pytest

from calcexpr import CalcSyntaxError, parse
from calcexpr.nodes import Assign, BinOp, Name, Number, UnaryOp


def test_precedence():
    assert parse("1 + 2 * 3") == BinOp("+", Number(1), BinOp("*", Number(2), Number(3)))


def test_left_associativity():
    assert parse("8 - 3 - 1") == BinOp("-", BinOp("-", Number(8), Number(3)), Number(1))


def test_power_right_associative_and_unary():
    assert parse("2 ^ 3 ^ 2") == BinOp("^", Number(2), BinOp("^", Number(3), Number(2)))
    assert parse("-2 ^ 2") == UnaryOp("-", BinOp("^", Number(2), Number(2)))


def test_float_literals():
    assert parse("1.5") == Number(1.5)
    assert parse("1e3") == Number(1000.0)


def test_assignment():
    assert parse("x = y + 1") == Assign("x", BinOp("+", Name("y"), Number(1)))


def test_syntax_errors():
    for bad in ["", "1 +", "(1", "1)", "2 3", "= 1", "x = = 1", "1 = x", "f(1"]:
        with pytest.raises(CalcSyntaxError):
            parse(bad)


def test_error_position():
    with pytest.raises(CalcSyntaxError) as info:
        parse("1 + * 2")
    assert info.value.position == 4
