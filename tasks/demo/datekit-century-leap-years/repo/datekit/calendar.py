"""Basic calendar facts for the proleptic Gregorian calendar."""

from datetime import date

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap_year(year):
    """Return ``True`` if *year* has a 29th of February."""
    return year % 4 == 0 and year % 100 != 0


def days_in_month(year, month):
    """Number of days in *month* (1-12) of *year*."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1..12, got {month}")
    if month == 2 and is_leap_year(year):
        return 29
    return _MONTH_DAYS[month - 1]


def days_in_year(year):
    return 366 if is_leap_year(year) else 365


def month_end(day):
    """Return the last day of the month containing *day*."""
    return day.replace(day=days_in_month(day.year, day.month))


def day_of_year(day):
    """1-based ordinal of *day* within its year."""
    return sum(days_in_month(day.year, m) for m in range(1, day.month)) + day.day


def from_day_of_year(year, ordinal):
    """Inverse of :func:`day_of_year`."""
    if not 1 <= ordinal <= days_in_year(year):
        raise ValueError(f"day {ordinal} out of range for {year}")
    month = 1
    while ordinal > days_in_month(year, month):
        ordinal -= days_in_month(year, month)
        month += 1
    return date(year, month, ordinal)
