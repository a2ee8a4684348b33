"""Business-day arithmetic (Monday to Friday, minus optional holidays)."""

from datetime import timedelta

_ONE_DAY = timedelta(days=1)


def is_business_day(day, holidays=()):
    """``True`` for Monday-Friday dates not listed in *holidays*."""
    return day.weekday() < 5 and day not in holidays


def add_business_days(day, count, holidays=()):
    """Move *count* business days forward (or backward if negative).

    With ``count == 0`` a non-business day is rolled forward to the next
    business day.
    """
    holidays = frozenset(holidays)
    if count == 0:
        while not is_business_day(day, holidays):
            day += _ONE_DAY
        return day
    step = _ONE_DAY if count > 0 else -_ONE_DAY
    remaining = abs(count)
    while remaining:
        day += step
        if is_business_day(day, holidays):
            remaining -= 1
    return day


def business_days_between(start, end, holidays=()):
    """Number of business days in the half-open range ``[start, end)``."""
    if end < start:
        return -business_days_between(end, start, holidays)
    holidays = frozenset(holidays)
    full_weeks, extra = divmod((end - start).days, 7)
    count = full_weeks * 5
    day = start + timedelta(weeks=full_weeks)
    for _ in range(extra):
        if day.weekday() < 5:
            count += 1
        day += _ONE_DAY
    count -= sum(1 for h in holidays if start <= h < end and h.weekday() < 5)
    return count
