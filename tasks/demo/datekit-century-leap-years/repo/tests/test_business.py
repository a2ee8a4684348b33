from datetime import date

from datekit import add_business_days, business_days_between, is_business_day


def test_is_business_day():
    assert is_business_day(date(2024, 5, 3))        # Friday
    assert not is_business_day(date(2024, 5, 4))    # Saturday
    assert not is_business_day(date(2024, 5, 3), holidays={date(2024, 5, 3)})


def test_add_business_days_over_weekend():
    assert add_business_days(date(2024, 5, 3), 1) == date(2024, 5, 6)
    assert add_business_days(date(2024, 5, 6), -1) == date(2024, 5, 3)


def test_add_business_days_zero_rolls_forward():
    assert add_business_days(date(2024, 5, 4), 0) == date(2024, 5, 6)


def test_add_business_days_with_holidays():
    assert add_business_days(date(2024, 12, 23), 2, holidays={date(2024, 12, 25)}) == date(2024, 12, 26)


def test_business_days_between():
    assert business_days_between(date(2024, 5, 6), date(2024, 5, 13)) == 5
    assert business_days_between(date(2024, 5, 3), date(2024, 5, 7)) == 2
    assert business_days_between(date(2024, 5, 13), date(2024, 5, 6)) == -5


def test_business_days_between_with_holiday():
    hol = {date(2024, 5, 8), date(2024, 5, 11)}
    assert business_days_between(date(2024, 5, 6), date(2024, 5, 13), hol) == 4
