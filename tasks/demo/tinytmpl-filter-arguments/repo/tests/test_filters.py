from tinytmpl import render


def test_case_filters():
    assert render("{{ s|upper }} {{ s|lower }} {{ s|capitalize }}", s="hEllo") == "HELLO hello Hello"


def test_length_first_last():
    assert render("{{ xs|length }} {{ xs|first }} {{ xs|last }}", xs=[3, 4, 5]) == "3 3 5"


def test_reverse_and_sort():
    assert render("{{ s|reverse }} {{ xs|sort|first }}", s="abc", xs=[3, 1, 2]) == "cba 1"


def test_escape():
    assert render("{{ s|escape }}", s='<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"


def test_filters_on_none():
    assert render("[{{ n|upper }}][{{ n|length }}][{{ n|first }}]", n=None) == "[][0][]"
