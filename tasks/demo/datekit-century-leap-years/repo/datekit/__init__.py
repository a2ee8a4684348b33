"""datekit - calendar arithmetic helpers."""

from .arith import add_months, add_years, months_between
from .business import add_business_days, business_days_between, is_business_day
from .calendar import day_of_year, days_in_month, days_in_year, from_day_of_year, is_leap_year, month_end
from .parse import parse_date, parse_relative

__all__ = [
    "add_business_days",
    "add_months",
    "add_years",
    "business_days_between",
    "day_of_year",
    "days_in_month",
    "days_in_year",
    "from_day_of_year",
    "is_business_day",
    "is_leap_year",
    "month_end",
    "months_between",
    "parse_date",
    "parse_relative",
]
