import pytest

from tinytmpl import TemplateSyntaxError
from tinytmpl.parser import Expression, For, If, Output, Text, parse, parse_expression


def test_parse_expression():
    expr = parse_expression("user.name|lower|title")
    assert isinstance(expr, Expression)
    assert expr.path == ("user", "name")
    assert len(expr.filters) == 2
    assert expr.negate is False


def test_parse_expression_not():
    expr = parse_expression("not items")
    assert expr.path == ("items",)
    assert expr.filters == []
    assert expr.negate is True


def test_parse_expression_whitespace():
    expr = parse_expression(" a | upper ")
    assert expr.path == ("a",)
    assert len(expr.filters) == 1


def test_invalid_expressions():
    for bad in ["", "1abc", "a..b", "a|", "a|up-per", "a + b"]:
        with pytest.raises(TemplateSyntaxError):
            parse_expression(bad)


def test_tree():
    nodes = parse("x{{ a }}{% if b %}y{% else %}z{% endif %}{% for i in c %}{{ i }}{% endfor %}")
    assert isinstance(nodes[0], Text)
    assert isinstance(nodes[1], Output)
    assert isinstance(nodes[2], If) and nodes[2].else_body == [Text("z")]
    assert isinstance(nodes[3], For) and nodes[3].target == "i"


def test_unbalanced_tags():
    for bad in ["{% if a %}x", "{% endif %}", "{% for x in y %}", "{% for x y %}{% endfor %}", "{% bogus %}"]:
        with pytest.raises(TemplateSyntaxError):
            parse(bad)
