"""Dates as the township sees them: local calendar days and school years."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
COMPULSORY_AGE_MIN = 6
COMPULSORY_AGE_MAX = 15


# A run of the test suite takes half an hour; one that straddles Beijing midnight would
# otherwise see two different "todays" (the tests' at import, the panel's per request).
PINNED_TODAY_VARIABLE = "PANEL_TODAY"


def local_today() -> dt.date:
    """Today in China: a clerk working at 07:00 must not get yesterday's UTC date.

    ``PANEL_TODAY=YYYY-MM-DD`` pins the day, for the test suite and for a training run.
    """
    pinned = os.environ.get(PINNED_TODAY_VARIABLE)
    if pinned:
        return dt.date.fromisoformat(pinned)
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


def beijing_time(value: dt.datetime) -> dt.datetime:
    """A stored instant on the township's clock.

    The database keeps naive UTC (``models.utcnow``); an aware value is converted as is.
    """
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(LOCAL_TZ).replace(tzinfo=None)


def beijing_minute(value: dt.datetime | None) -> str:
    """A stored instant as people read it on screen and paper: ``2026-11-20 14:05``.

    Beijing time to the minute, the clock of the Excel sheets' 生成时间; no seconds,
    no microseconds and no "UTC", which no clerk reads.
    """
    if value is None:
        return ""
    return beijing_time(value).strftime("%Y-%m-%d %H:%M")
