"""Tests for filter arguments: {{ value|filter(arg, ...) }}."""

import pytest

from tinytmpl import Template, TemplateError, TemplateSyntaxError, UndefinedError, render


def test_default_filter():
    tmpl = Template('{{ name|default("anonymous") }}')
    assert tmpl.render() == "anonymous"
    assert tmpl.render(name=None) == "anonymous"
    assert tmpl.render(name="") == "anonymous"
    assert tmpl.render(name="bob") == "bob"
    assert tmpl.render(name=0) == "0"


def test_single_quoted_string_argument():
    assert render("{{ v|default('n/a') }}") == "n/a"


def test_escaped_quotes_in_string_argument():
    assert render(r'{{ v|default("say \"hi\"") }}') == 'say "hi"'
    assert render(r"{{ v|default('it\'s') }}") == "it's"


def test_truncate_filter():
    assert render("{{ t|truncate(5) }}", t="Hello world") == "Hello..."
    assert render("{{ t|truncate(20) }}", t="Hello world") == "Hello world"
    assert render("{{ t|truncate(5) }}", t="Hello") == "Hello"


def test_truncate_with_custom_end_and_spacing():
    assert render('{{ t|truncate( 4 , "~" ) }}', t="abcdefgh") == "abcd~"


def test_join_filter():
    assert render('{{ xs|join(", ") }}', xs=["a", "b", "c"]) == "a, b, c"
    assert render("{{ xs|join }}", xs=[1, 2, 3]) == "123"


def test_pipe_and_comma_inside_string_arguments():
    assert render('{{ xs|join(" | ") }}', xs=["a", "b"]) == "a | b"
    assert render('{{ s|replace(",", ";") }}', s="a,b,c") == "a;b;c"
    assert render('{{ s|replace("(", "[")|replace(")", "]") }}', s="f(x)") == "f[x]"


def test_replace_filter():
    assert render('{{ s|replace("o", "0") }}', s="foo boo") == "f00 b00"


def test_filters_with_and_without_arguments_chain():
    assert render('{{ xs|sort|join("-")|upper }}', xs=["b", "c", "a"]) == "A-B-C"


def test_empty_parentheses():
    assert render("{{ s|upper() }}", s="x") == "X"


def test_variable_argument():
    assert render("{{ nick|default(user.login) }}", user={"login": "ann"}) == "ann"
    assert render("{{ t|truncate(n) }}", t="abcdef", n=2) == "ab..."


def test_undefined_variable_argument_in_strict_mode():
    with pytest.raises(UndefinedError):
        Template("{{ a|default(missing) }}", strict=True).render(a=None)


def test_arguments_in_if_and_for():
    tmpl = Template('{% if title|default("") %}T{% endif %}{% for x in xs|default(fallback) %}{{ x }}{% endfor %}')
    assert tmpl.render(fallback=[1, 2]) == "12"
    assert tmpl.render(title="x", xs=[3]) == "T3"


def test_custom_filter_receives_arguments():
    tmpl = Template('{{ x|wrap("[", "]") }}', filters={"wrap": lambda v, left, right: f"{left}{v}{right}"})
    assert tmpl.render(x="hi") == "[hi]"


def test_integer_arguments_are_ints():
    seen = []
    tmpl = Template("{{ x|spy(3, -2) }}", filters={"spy": lambda v, *args: seen.append(args) or "ok"})
    assert tmpl.render(x=1) == "ok"
    assert seen == [(3, -2)]


def test_malformed_arguments_are_syntax_errors():
    assert render("{{ x|truncate(3) }}", x="abcd") == "abc..."
    for bad in [
        "{{ x|truncate(3 }}",
        '{{ x|replace("a) }}',
        "{{ x|join(,) }}",
        "{{ x|truncate(3)) }}",
        "{{ x|truncate(3 4) }}",
        "{{ x|(3) }}",
    ]:
        with pytest.raises(TemplateSyntaxError):
            Template(bad)


def test_wrong_number_of_arguments_is_a_template_error():
    assert render("{{ x|truncate(2) }}", x="abc") == "ab..."
    with pytest.raises(TemplateError):
        Template("{{ x|truncate }}").render(x="abc")
    with pytest.raises(TemplateError):
        Template('{{ x|upper("extra") }}').render(x="abc")
