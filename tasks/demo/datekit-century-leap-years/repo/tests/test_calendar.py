from datetime import date

import pytest

from datekit import day_of_year, days_in_month, days_in_year, from_day_of_year, is_leap_year, month_end


def test_leap_years():
    assert is_leap_year(2024)
    assert is_leap_year(1996)
    assert not is_leap_year(2023)


def test_century_years_are_not_leap():
    assert not is_leap_year(1900)
    assert not is_leap_year(2100)


def test_days_in_month():
    assert days_in_month(2023, 1) == 31
    assert days_in_month(2023, 2) == 28
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2023, 4) == 30


def test_days_in_month_invalid():
    with pytest.raises(ValueError):
        days_in_month(2023, 13)


def test_days_in_year():
    assert days_in_year(2023) == 365
    assert days_in_year(2024) == 366


def test_month_end():
    assert month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert month_end(date(1900, 2, 1)) == date(1900, 2, 28)


def test_day_of_year():
    assert day_of_year(date(2023, 1, 1)) == 1
    assert day_of_year(date(2023, 12, 31)) == 365
    assert day_of_year(date(2024, 3, 1)) == 61


def test_from_day_of_year():
    assert from_day_of_year(2024, 60) == date(2024, 2, 29)
    assert from_day_of_year(2023, 365) == date(2023, 12, 31)
    with pytest.raises(ValueError):
        from_day_of_year(2023, 366)
