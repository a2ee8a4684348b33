import math

import pytest

from calcexpr import CalcEvalError, Calculator, evaluate


def test_arithmetic():
    assert evaluate("2 + 3 * 4") == 14
    assert evaluate("(2 + 3) * 4") == 20
    assert evaluate("7 / 2") == 3.5
    assert evaluate("7 // 2") == 3
    assert evaluate("7 % 4") == 3
    assert evaluate("2 ^ 10") == 1024
    assert evaluate("-2 ^ 2") == -4
    assert evaluate("--3") == 3


def test_variables_and_constants():
    assert evaluate("x * y", x=3, y=4) == 12
    assert evaluate("2 * pi") == pytest.approx(2 * math.pi)


def test_undefined_variable():
    with pytest.raises(CalcEvalError, match="undefined variable 'q'"):
        evaluate("q + 1")


def test_division_by_zero():
    with pytest.raises(CalcEvalError, match="division by zero"):
        evaluate("1 / 0")


def test_single_argument_functions():
    assert evaluate("sqrt(16)") == 4.0
    assert evaluate("abs(-3) + floor(2.7) + ceil(2.1)") == 8
    assert evaluate("round(2.5 + 1)") == 4
    assert evaluate("log(e)") == pytest.approx(1.0)


def test_nested_function_calls():
    assert evaluate("sqrt(abs(-16)) * 2") == 8.0


def test_unknown_function():
    with pytest.raises(CalcEvalError, match="unknown function 'nope'"):
        evaluate("nope(1)")


def test_domain_error():
    with pytest.raises(CalcEvalError, match="sqrt"):
        evaluate("sqrt(-1)")


def test_calculator_assignment_persists():
    calc = Calculator()
    assert calc.evaluate("rate = 0.25") == 0.25
    assert calc.evaluate("100 * (1 + rate)") == 125.0
    assert calc.variables == {"rate": 0.25}


def test_variables_shadow_constants():
    assert evaluate("pi", pi=3) == 3


def test_register_function():
    calc = Calculator()
    calc.register("double", lambda v: v * 2)
    assert calc.evaluate("double(21)") == 42
    with pytest.raises(ValueError):
        calc.register("not valid", abs)


def test_round_and_log_single_argument():
    assert evaluate("round(2.7)") == 3
    assert evaluate("log(1)") == 0.0
