import pytest

from tablefmt import tabulate

ROWS = [["apple", 3, 1.5], ["banana", 12, 0.25]]
HEADERS = ["fruit", "qty", "price"]


def test_plain():
    assert tabulate(ROWS, headers=HEADERS) == (
        "fruit   qty  price\n"
        "------  ---  -----\n"
        "apple     3   1.50\n"
        "banana   12   0.25"
    )


def test_grid():
    assert tabulate(ROWS, headers=HEADERS, fmt="grid") == (
        "+--------+-----+-------+\n"
        "| fruit  | qty | price |\n"
        "+========+=====+=======+\n"
        "| apple  |   3 |  1.50 |\n"
        "+--------+-----+-------+\n"
        "| banana |  12 |  0.25 |\n"
        "+--------+-----+-------+"
    )


def test_markdown():
    assert tabulate(ROWS, headers=HEADERS, fmt="markdown") == (
        "| fruit  | qty | price |\n"
        "| ------ | --: | ----: |\n"
        "| apple  |   3 |  1.50 |\n"
        "| banana |  12 |  0.25 |"
    )


def test_no_headers():
    assert tabulate([[1, "a"], [22, "b"]]) == " 1  a\n22  b"


def test_floatfmt():
    assert tabulate([[1.23456]], floatfmt=".3f") == "1.235"


def test_missing_text_cell():
    out = tabulate([["a", "x"], ["b", None]], headers=["k", "v"], missing="n/a")
    assert out.splitlines()[-1] == "b  n/a"


def test_short_rows_are_padded():
    out = tabulate([["a", "b"], ["c"]], headers=["x", "y"], fmt="grid")
    assert out.splitlines()[5] == "| c |   |"


def test_dict_rows():
    rows = [{"name": "ann", "age": 31}, {"name": "bob", "age": 4}]
    assert tabulate(rows, headers="keys") == (
        "name  age\n"
        "----  ---\n"
        "ann    31\n"
        "bob     4"
    )


def test_colalign_override():
    out = tabulate([["a", 1], ["bb", 22]], colalign=["right", "left"])
    assert out == " a  1\nbb  22"


def test_wide_characters():
    out = tabulate([["日本", 1], ["x", 2]], headers=["name", "n"], fmt="grid")
    assert out.splitlines()[3] == "| 日本 | 1 |"


def test_unknown_format():
    with pytest.raises(ValueError):
        tabulate(ROWS, fmt="html")


def test_keys_requires_dicts():
    with pytest.raises(ValueError):
        tabulate(ROWS, headers="keys")
