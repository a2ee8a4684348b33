"""Regression tests: years divisible by 400 are leap years."""

from datetime import date

from datekit import (
    add_months,
    add_years,
    day_of_year,
    days_in_year,
    from_day_of_year,
    is_leap_year,
    month_end,
    months_between,
    parse_date,
    parse_relative,
)


def test_is_leap_year_400_rule():
    assert is_leap_year(2000)
    assert is_leap_year(1600)
    assert is_leap_year(2400)
    assert not is_leap_year(1900)


def test_parse_feb_29_2000():
    assert parse_date("2000-02-29") == date(2000, 2, 29)
    assert parse_date("20000229") == date(2000, 2, 29)


def test_add_months_clamps_to_feb_29_2000():
    assert add_months(date(2000, 1, 31), 1) == date(2000, 2, 29)
    assert parse_relative("+1m", base=date(2000, 1, 30)) == date(2000, 2, 29)


def test_add_years_lands_on_feb_29_2000():
    assert add_years(date(1996, 2, 29), 4) == date(2000, 2, 29)


def test_month_end_feb_2000():
    assert month_end(date(2000, 2, 10)) == date(2000, 2, 29)


def test_day_of_year_2000():
    assert days_in_year(2000) == 366
    assert day_of_year(date(2000, 12, 31)) == 366
    assert from_day_of_year(2000, 366) == date(2000, 12, 31)


def test_months_between_feb_2000():
    assert months_between(date(2000, 1, 31), date(2000, 2, 28)) == 0
    assert months_between(date(2000, 1, 31), date(2000, 2, 29)) == 1
