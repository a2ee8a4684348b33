"""Regression tests: missing values in numeric columns."""

from tablefmt import column_type, tabulate

HEADERS = ["fruit", "qty", "price"]
ROWS = [["apple", 3, 1.5], ["banana", None, 0.25], ["cherry", 40, None]]


def test_column_type_ignores_none():
    assert column_type([1, None, 3]) is int
    assert column_type([None, 2.5, 1]) is float
    assert column_type([None, None]) is str


def test_plain_numeric_columns_with_missing_values():
    assert tabulate(ROWS, headers=HEADERS) == (
        "fruit   qty  price\n"
        "------  ---  -----\n"
        "apple     3   1.50\n"
        "banana        0.25\n"
        "cherry   40"
    )


def test_markdown_alignment_row_with_missing_values():
    out = tabulate(ROWS, headers=HEADERS, fmt="markdown", missing="-")
    assert out == (
        "| fruit  | qty | price |\n"
        "| ------ | --: | ----: |\n"
        "| apple  |   3 |  1.50 |\n"
        "| banana |   - |  0.25 |\n"
        "| cherry |  40 |     - |"
    )


def test_dict_rows_with_absent_keys():
    rows = [{"name": "ann", "score": 9.5}, {"name": "bob"}, {"name": "cy", "score": 10}]
    out = tabulate(rows, headers="keys", fmt="grid", floatfmt=".1f")
    assert out.splitlines()[3] == "| ann  |   9.5 |"
    assert out.splitlines()[5] == "| bob  |       |"
    assert out.splitlines()[7] == "| cy   |  10.0 |"


def test_short_numeric_row():
    out = tabulate([[1, 22], [3], [5, 7]], headers=["a", "b"])
    assert out == "a   b\n-  --\n1  22\n3\n5   7"
