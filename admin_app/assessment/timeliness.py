"""The first-visit deadline of a 控辍案件: one rule for the ranking, the watch and 问责.

A case opened on day D must have its first visit by D + N (N is the 首次走访期限 of the
劝返及时率 indicator). Whether that was done can only be judged once the N days have run
out: until then the case is neither timely nor late. 劝返及时率 (``assessment``), the
overdue watch on the home page (``cases``) and the accountability proposals
(``accountability``) all judge a case with ``first_visit_due``/``first_visit_late`` below,
so a case counts as late in one of them exactly when it does in the others.

"Judged before day B" means the deadline D + N lies before B. On the home page B is today
(the deadline day itself is still in time). For a period P, B is the day after P.end (the
whole of P.end belongs to P) — or today, if that comes first: a period still running
cannot hold a case whose days have not run out yet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, and_, exists
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from ..models import CaseVisit, DropoutCase


class days_after(FunctionElement[dt.date]):
    """``date + n days`` in SQL: PostgreSQL adds an integer to a date, SQLite has ``date()``."""

    type = Date()
    inherit_cache = True
    name = "days_after"

    def __init__(self, day: Any, days: int) -> None:
        self.days = int(days)
        super().__init__(day)


@compiles(days_after)
def _days_after_default(element: days_after, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {element.days})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element: days_after, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+{element.days} days')"


def judged_before(period_end: dt.date, today: dt.date) -> dt.date:
    """The first day not covered by a period's judgement: the day after its end, or today."""
    return min(period_end + dt.timedelta(days=1), today)


def first_visit_due(before: dt.date, days: int) -> ColumnElement[bool]:
    """Cases whose N days ran out before ``before`` (discovered + N < before): judged."""
    return DropoutCase.discovered_on < before - dt.timedelta(days=days)


def first_visit_timely(days: int) -> ColumnElement[bool]:
    """Cases with a visit on or before discovered + N (whenever that visit was recorded)."""
    return exists().where(
        CaseVisit.case_id == DropoutCase.id,
        CaseVisit.visited_on <= days_after(DropoutCase.discovered_on, days),
    )


def first_visit_late(before: dt.date, days: int) -> ColumnElement[bool]:
    """Judged before ``before`` and not timely: no visit within the N days."""
    return and_(first_visit_due(before, days), ~first_visit_timely(days))
