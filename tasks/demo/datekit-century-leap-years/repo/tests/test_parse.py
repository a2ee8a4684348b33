from datetime import date

import pytest

from datekit import parse_date, parse_relative


def test_parse_extended_and_basic():
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    assert parse_date("20240229") == date(2024, 2, 29)


def test_parse_rejects_invalid_day():
    with pytest.raises(ValueError):
        parse_date("2023-02-29")
    with pytest.raises(ValueError):
        parse_date("1900-02-29")
    with pytest.raises(ValueError):
        parse_date("2024-04-31")


def test_parse_rejects_garbage():
    for bad in ["2024-2-1", "yesterday", "2024-13-01", "0000-01-01"]:
        with pytest.raises(ValueError):
            parse_date(bad)


def test_relative_offsets():
    base = date(2024, 1, 31)
    assert parse_relative("+3d", base) == date(2024, 2, 3)
    assert parse_relative("-2w", base) == date(2024, 1, 17)
    assert parse_relative("+1m", base) == date(2024, 2, 29)
    assert parse_relative("-1y", base) == date(2023, 1, 31)
    assert parse_relative("today", base) == base


def test_relative_falls_back_to_iso():
    assert parse_relative("2024-06-01", date(2020, 1, 1)) == date(2024, 6, 1)
