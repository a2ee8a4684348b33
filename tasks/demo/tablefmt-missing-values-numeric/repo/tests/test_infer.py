from tablefmt import column_type, value_type


def test_value_type_numbers():
    assert value_type(3) is int
    assert value_type(2.5) is float


def test_value_type_numeric_strings():
    assert value_type("42") is int
    assert value_type("-7") is int
    assert value_type("3.25") is float
    assert value_type("1e3") is float


def test_value_type_text():
    assert value_type("abc") is str
    assert value_type("nan") is str
    assert value_type(True) is str


def test_column_type_int():
    assert column_type([1, 2, "3"]) is int


def test_column_type_float_promotion():
    assert column_type([1, 2.5]) is float


def test_column_type_text_wins():
    assert column_type([1, "x", 2.0]) is str


def test_column_type_empty():
    assert column_type([]) is str
