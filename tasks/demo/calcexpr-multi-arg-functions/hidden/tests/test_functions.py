"""Tests for multi-argument and user-defined functions."""

import pytest

from calcexpr import CalcEvalError, CalcSyntaxError, Calculator, evaluate


def test_min_max():
    assert evaluate("max(1, 5, 3)") == 5
    assert evaluate("min(4, 2, 8)") == 2
    assert evaluate("max(7)") == 7


def test_two_argument_builtins():
    assert evaluate("hypot(3, 4)") == 5.0
    assert evaluate("pow(2, 10)") == 1024
    assert evaluate("round(3.14159, 2)") == 3.14
    assert evaluate("log(8, 2)") == pytest.approx(3.0)


def test_clamp():
    assert evaluate("clamp(15, 0, 10)") == 10
    assert evaluate("clamp(-5, 0, 10)") == 0
    assert evaluate("clamp(5, 0, 10)") == 5


def test_arguments_are_full_expressions():
    assert evaluate("max(1 + 2, sqrt(16), -x)", x=-9) == 9
    assert evaluate("2 * min(3, 4) ^ 2") == 18


def test_nested_multi_argument_calls():
    assert evaluate("max(min(1, 2), min(3, 4), hypot(3, 4))") == 5.0


def test_registered_function_with_several_arguments():
    calc = Calculator()
    calc.register("avg", lambda *xs: sum(xs) / len(xs))
    calc.register("lerp", lambda a, b, t: a + (b - a) * t)
    assert calc.evaluate("avg(1, 2, 3, 6)") == 3
    assert calc.evaluate("lerp(10, 20, 0.5)") == 15.0


def test_zero_argument_registered_function():
    calc = Calculator()
    calc.register("answer", lambda: 42)
    assert calc.evaluate("answer() + 1") == 43


def test_wrong_number_of_arguments():
    for text, name in [("hypot(1)", "hypot"), ("sqrt(1, 2)", "sqrt"), ("max()", "max"), ("clamp(1, 2)", "clamp")]:
        with pytest.raises(CalcEvalError, match=name):
            evaluate(text)


def test_wrong_number_of_arguments_for_registered_function():
    calc = Calculator()
    calc.register("lerp", lambda a, b, t: a + (b - a) * t)
    with pytest.raises(CalcEvalError, match="lerp"):
        calc.evaluate("lerp(1, 2)")


def test_call_syntax_errors():
    assert evaluate("max(1, 2)") == 2
    for bad in ["max(1,)", "max(,1)", "max(1 2)", "max(1,,2)", "max(1, 2", "hypot 3, 4", "1, 2"]:
        with pytest.raises(CalcSyntaxError):
            evaluate(bad)


def test_user_defined_function():
    calc = Calculator()
    assert calc.evaluate("f(x, y) = x ^ 2 + y") is None
    assert calc.evaluate("f(3, 1)") == 10
    assert calc.evaluate("f(1, 1) + f(2, 0)") == 6


def test_parameters_shadow_variables_only_during_the_call():
    calc = Calculator({"x": 100})
    calc.evaluate("f(x) = x + 1")
    assert calc.evaluate("f(2)") == 3
    assert calc.evaluate("x") == 100
    assert calc.variables == {"x": 100}


def test_arguments_evaluated_in_caller_scope():
    calc = Calculator({"x": 5})
    calc.evaluate("f(x, y) = x - y")
    assert calc.evaluate("f(x * 2, x)") == 5


def test_free_variables_are_looked_up_at_call_time():
    calc = Calculator()
    calc.evaluate("scale(a) = a * k")
    calc.evaluate("k = 3")
    assert calc.evaluate("scale(2)") == 6
    calc.evaluate("k = 10")
    assert calc.evaluate("scale(2)") == 20


def test_user_functions_compose():
    calc = Calculator()
    calc.evaluate("sq(a) = a * a")
    calc.evaluate("dist(x1, y1, x2, y2) = sqrt(sq(x2 - x1) + sq(y2 - y1))")
    assert calc.evaluate("dist(0, 0, 3, 4)") == 5.0
    assert calc.evaluate("max(sq(2), sq(-3))") == 9


def test_zero_parameter_user_function_and_redefinition():
    calc = Calculator()
    calc.evaluate("two() = 2")
    assert calc.evaluate("two() + 1") == 3
    calc.evaluate("two() = 22")
    assert calc.evaluate("two()") == 22


def test_user_function_wrong_arity():
    calc = Calculator()
    calc.evaluate("f(a, b) = a + b")
    with pytest.raises(CalcEvalError, match="f"):
        calc.evaluate("f(1)")


def test_invalid_function_definitions():
    calc = Calculator()
    assert calc.evaluate("ok(x, y) = x") is None
    for bad in ["f(x, 1) = 2", "f(x, x) = 1", "f(x + 1) = 2", "f(g(x)) = 1"]:
        with pytest.raises(CalcSyntaxError):
            calc.evaluate(bad)
