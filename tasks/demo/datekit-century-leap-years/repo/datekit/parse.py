"""Parsing ISO dates and relative offsets."""

import re
from datetime import date, timedelta

from .arith import add_months, add_years
from .calendar import days_in_month

_ISO_EXTENDED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_RELATIVE = re.compile(r"^([+-])(\d+)([dwmy])$")


def parse_date(text):
    """Parse ``YYYY-MM-DD`` or ``YYYYMMDD`` and validate the day of month."""
    text = text.strip()
    match = _ISO_EXTENDED.match(text) or _ISO_BASIC.match(text)
    if not match:
        raise ValueError(f"not an ISO date: {text!r}")
    year, month, day = (int(g) for g in match.groups())
    if year < 1:
        raise ValueError(f"year out of range: {text!r}")
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {text!r}")
    if not 1 <= day <= days_in_month(year, month):
        raise ValueError(f"day out of range for {year:04d}-{month:02d}: {text!r}")
    return date(year, month, day)


def parse_relative(text, base=None):
    """Parse ``today`` or an offset like ``+3d``, ``-2w``, ``+1m``, ``-1y``.

    Offsets are applied to *base* (default: today). Month and year offsets
    use :func:`~datekit.arith.add_months` clamping. Anything else is parsed
    with :func:`parse_date`.
    """
    base = base or date.today()
    text = text.strip().lower()
    if text == "today":
        return base
    match = _RELATIVE.match(text)
    if not match:
        return parse_date(text)
    sign = 1 if match.group(1) == "+" else -1
    amount = sign * int(match.group(2))
    unit = match.group(3)
    if unit == "d":
        return base + timedelta(days=amount)
    if unit == "w":
        return base + timedelta(weeks=amount)
    if unit == "m":
        return add_months(base, amount)
    return add_years(base, amount)
