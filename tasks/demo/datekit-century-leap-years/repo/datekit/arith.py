"""Month and year arithmetic with end-of-month clamping."""

from .calendar import days_in_month


def add_months(day, months):
    """Add *months* (may be negative) to *day*.

    If the resulting month is shorter than ``day.day`` the date is clamped to
    the month's last day: Jan 31 + 1 month is the last day of February.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    return day.replace(year=year, month=month, day=min(day.day, days_in_month(year, month)))


def add_years(day, years):
    """Add *years* to *day*; Feb 29 becomes Feb 28 in non-leap years."""
    return add_months(day, 12 * years)


def months_between(start, end):
    """Whole months from *start* to *end* (negative if *end* is earlier).

    A month is complete when the day of month is reached, or when *end* is
    the last day of a month shorter than ``start.day``.
    """
    if end < start:
        return -months_between(end, start)
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day and end.day != days_in_month(end.year, end.month):
        months -= 1
    return months
