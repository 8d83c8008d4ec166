"""Dates as the township sees them: local calendar days and school years."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
COMPULSORY_AGE_MIN = 6
COMPULSORY_AGE_MAX = 15


def local_today() -> dt.date:
    """Today in China: a clerk working at 07:00 must not get yesterday's UTC date."""
    return dt.datetime.now(LOCAL_TZ).date()


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed years of age on a given day."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def school_year_cutoff(on: dt.date) -> dt.date:
    """31 August of the school year that contains ``on`` (school years start 1 September).

    Ages for 适龄 are taken on this day (DESIGN.md §4).
    """
    year = on.year if on.month >= 9 else on.year - 1
    return dt.date(year, 8, 31)
