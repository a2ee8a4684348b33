from datetime import date

from datekit import add_months, add_years, months_between


def test_add_months_simple():
    assert add_months(date(2023, 5, 15), 2) == date(2023, 7, 15)


def test_add_months_across_year():
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 15), -2) == date(2023, 11, 15)


def test_add_months_clamps():
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), 1) == date(2024, 4, 30)


def test_add_years_from_leap_day():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_months_between():
    assert months_between(date(2024, 1, 15), date(2024, 3, 15)) == 2
    assert months_between(date(2024, 1, 15), date(2024, 3, 14)) == 1
    assert months_between(date(2024, 3, 15), date(2024, 1, 15)) == -2


def test_months_between_month_end():
    assert months_between(date(2023, 1, 31), date(2023, 2, 28)) == 1
