import pytest

from tinytmpl import Template, TemplateError, TemplateSyntaxError, UndefinedError, render


def test_plain_text():
    assert render("no tags here") == "no tags here"


def test_variables_and_paths():
    class User:
        name = "ann"

    assert render("{{ a }} {{ b.c }} {{ u.name }} {{ xs.1 }}", a=1, b={"c": 2}, u=User(), xs=[5, 6]) == "1 2 ann 6"


def test_undefined_renders_empty():
    assert render("[{{ nope }}][{{ a.b.c }}][{{ n }}]", a={}, n=None) == "[][][]"


def test_strict_mode():
    with pytest.raises(UndefinedError):
        Template("{{ nope }}", strict=True).render()


def test_filters_chain():
    assert render("{{ name|strip|title }}", name="  ann lee ") == "Ann Lee"


def test_unknown_filter_is_a_syntax_error():
    with pytest.raises(TemplateSyntaxError):
        Template("{{ x|shout }}")


def test_custom_filter():
    tmpl = Template("{{ x|shout }}", filters={"shout": lambda v: str(v).upper() + "!"})
    assert tmpl.render(x="hi") == "HI!"


def test_failing_filter_raises_template_error():
    with pytest.raises(TemplateError):
        render("{{ x|length }}", x=5)


def test_if_elif_else():
    tmpl = Template("{% if a %}A{% elif b %}B{% else %}C{% endif %}")
    assert tmpl.render(a=1) == "A"
    assert tmpl.render(b=1) == "B"
    assert tmpl.render() == "C"


def test_if_not_and_filters():
    tmpl = Template("{% if not items|length %}empty{% endif %}")
    assert tmpl.render(items=[]) == "empty"
    assert tmpl.render(items=[1]) == ""


def test_for_loop_with_loop_variable():
    tmpl = Template("{% for x in xs %}{{ loop.index }}:{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}")
    assert tmpl.render(xs=["a", "b", "c"]) == "1:a, 2:b, 3:c"


def test_for_else():
    tmpl = Template("{% for x in xs %}{{ x }}{% else %}none{% endfor %}")
    assert tmpl.render(xs=[]) == "none"
    assert tmpl.render() == "none"


def test_nested_loops_scope():
    tmpl = Template("{% for r in rows %}{% for c in r %}{{ c }}{% endfor %};{% endfor %}{{ c }}")
    assert tmpl.render(rows=[[1, 2], [3]]) == "12;3;"


def test_render_accepts_mapping_and_kwargs():
    assert Template("{{ a }}{{ b }}").render({"a": 1}, b=2) == "12"
