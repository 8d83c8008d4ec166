"""送教上门: how often a child taught at home must be visited, and who falls short.

Severely disabled children whose status is 送教上门 are taught at home by a school's
teachers. Each visit is a ``HomeTeachingSession``; the frequency owed is one setting
(``required_per_month``), and ``sessions_due`` sets each child's sessions of a calendar
month against it. The overview screen, the 送教上门登记表 and the tests all read these.

Rules (docs/送教上门.md says them to users):

- a child is owed sessions for the days of the month they were under 送教上门 (their
  status history): the whole month owes the setting's N, a part of it N × days ÷ days of
  the month, rounded up (a child who came under 送教上门 on the 20th owes 1 of 2);
- a past month short of that is 未达频次;
- the current month is 进行中 while the sessions still owed fit in the days left
  (today included, one session a day); once they no longer fit it is 未达频次 already, so
  a clerk hears of it before the month is over, not after;
- a future month is not judged.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session, joinedload

from ..assessment.core import scheme_param
from ..choices import ChildStatus, IndicatorMethod
from ..models import Child, ChildStatusChange, HomeTeachingSession, Village
from ..util.dates import local_today

#: The scheme parameter holding the frequency (``assessment.core``, 帮扶覆盖率's row).
FREQUENCY_METHOD = IndicatorMethod.ASSISTANCE_COVERAGE
FREQUENCY_KEY = "home_teaching_per_month"

MET, IN_PROGRESS, SHORT = "已达标", "进行中", "未达频次"
#: The order of the overview and the register: who needs attention first.
STATE_ORDER = {SHORT: 0, IN_PROGRESS: 1, MET: 2}

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
#: Children whose sessions are fetched per query.
CHUNK = 500


def required_per_month(session: Session) -> int:
    """Sessions a child under 送教上门 is owed in a whole calendar month.

    The one place that decides it: the 送教上门每月至少次数 an admin sets on the
    帮扶覆盖率 indicator at 考核指标 (default 2).
    """
    return int(scheme_param(session, FREQUENCY_METHOD, FREQUENCY_KEY))


# --- Months --------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def parse_month(text: Any) -> dt.date | None:
    """``2026-11`` → 2026-11-01; anything else (or a month before 2000 or after 2099) → None."""
    match = MONTH_RE.match(str(text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2099 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def recent_months(today: dt.date, count: int = 24) -> list[dt.date]:
    """The current month and the ``count - 1`` before it, newest first."""
    months = [month_start(today)]
    while len(months) < count:
        months.append(month_start(months[-1] - dt.timedelta(days=1)))
    return months


# --- Who is under 送教上门 ------------------------------------------------------------------


def _held_during(start: dt.date, end: dt.date) -> Any:
    """送教上门 status rows holding on a day of [start, end] (a row holds [effective, ended))."""
    return (
        (ChildStatusChange.to_status == ChildStatus.HOME_TEACHING)
        & (ChildStatusChange.effective_on <= end)
        & or_(ChildStatusChange.ended_on.is_(None), ChildStatusChange.ended_on > start)
    )


def under_home_teaching_on(session: Session, child: Child, day: dt.date) -> bool:
    """Whether ``child`` is under 送教上门 now or was on ``day`` (a session may be recorded
    late, also for a child who has since left 送教上门)."""
    if child.status == ChildStatus.HOME_TEACHING:
        return True
    if child.id is None:
        return False
    stmt = select(ChildStatusChange.id).where(
        ChildStatusChange.child_id == child.id, _held_during(day, day)
    )
    return session.scalar(stmt.limit(1)) is not None


def required_for(per_month: int, covered_days: int, days_in_month: int) -> int:
    """Sessions owed for ``covered_days`` of a month under 送教上门 (rounded up)."""
    if covered_days <= 0:
        return 0
    if covered_days >= days_in_month:
        return per_month
    return math.ceil(per_month * covered_days / days_in_month)


# --- The month's reckoning -----------------------------------------------------------------


@dataclass
class ChildDue:
    """One child under 送教上门 in a month: sessions, what was owed, and the verdict."""

    child: Child
    required: int
    #: Days of the month under 送教上门, and the last of them.
    covered_days: int
    covered_until: dt.date
    days_in_month: int
    state: str = MET
    sessions: list[HomeTeachingSession] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.sessions)

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.done)

    @property
    def flagged(self) -> bool:
        return self.state == SHORT

    @property
    def partial(self) -> bool:
        return self.covered_days < self.days_in_month

    @property
    def hours(self) -> Decimal:
        return sum((Decimal(s.hours) for s in self.sessions), Decimal(0))

    @property
    def state_text(self) -> str:
        if self.state == IN_PROGRESS and self.shortfall:
            return f"{IN_PROGRESS}（还需{self.shortfall}次）"
        if self.state == SHORT:
            return f"{SHORT}（差{self.shortfall}次）"
        return self.state


class FutureMonth(ValueError):
    """A month that has not begun cannot be judged."""


def judge(due: ChildDue, month: dt.date, today: dt.date) -> str:
    """已达标, 进行中 or 未达频次 for a child's month (rules in the module docstring)."""
    if due.shortfall == 0:
        return MET
    if month_end(month) < today:
        return SHORT
    # The current month: can the sessions still owed be given in the days left?
    days_left = (due.covered_until - today).days + 1
    return IN_PROGRESS if due.shortfall <= max(days_left, 0) else SHORT


def sessions_due(
    session: Session,
    month: dt.date,
    criterion: Any = None,
    *,
    village_ids: list[int] | None = None,
    today: dt.date | None = None,
) -> list[ChildDue]:
    """Every child under 送教上门 on some day of ``month`` within ``criterion`` (a scope
    criterion on ``Child``; None: all), with the month's sessions and the verdict.

    Flagged children come first, then those in progress, then those who met it; within
    each by village and name. Raises ``FutureMonth`` for a month after today's.
    """
    today = today or local_today()
    month = month_start(month)
    if month > today:
        raise FutureMonth(month_label(month))
    start, end = month, month_end(month)
    days_in_month = end.day
    stmt = (
        select(Child.id, ChildStatusChange.effective_on, ChildStatusChange.ended_on)
        .join(ChildStatusChange, ChildStatusChange.child_id == Child.id)
        .where(_held_during(start, end), true() if criterion is None else criterion)
    )
    if village_ids is not None:
        stmt = stmt.where(Child.village_id.in_(village_ids))
    spans: dict[int, set[dt.date]] = {}
    for child_id, effective_on, ended_on in session.execute(stmt):
        first = max(effective_on, start)
        # The row holds until the day before ``ended_on``.
        last = min(ended_on - dt.timedelta(days=1), end) if ended_on else end
        days = spans.setdefault(child_id, set())
        days.update(first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    per_month = required_per_month(session)
    ids = sorted(spans)
    children: dict[int, Child] = {}
    sessions: dict[int, list[HomeTeachingSession]] = {}
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        for child in session.scalars(
            select(Child)
            .where(Child.id.in_(chunk))
            .options(joinedload(Child.village), joinedload(Child.school))
        ):
            children[child.id] = child
        for row in session.scalars(
            select(HomeTeachingSession)
            .where(
                HomeTeachingSession.child_id.in_(chunk),
                HomeTeachingSession.taught_on.between(start, end),
            )
            .order_by(HomeTeachingSession.taught_on, HomeTeachingSession.id)
        ):
            sessions.setdefault(row.child_id, []).append(row)
    result = []
    for child_id in ids:
        days = spans[child_id]
        due = ChildDue(
            child=children[child_id],
            required=required_for(per_month, len(days), days_in_month),
            covered_days=len(days),
            covered_until=max(days),
            days_in_month=days_in_month,
            sessions=sessions.get(child_id, []),
        )
        due.state = judge(due, month, today)
        result.append(due)
    result.sort(
        key=lambda d: (
            STATE_ORDER[d.state],
            d.child.village.name if d.child.village else "",
            d.child.name,
            d.child.id,
        )
    )
    return result


def hours_text(hours: Decimal | None) -> str:
    """2.0 → "2", 1.5 → "1.5" (as a clerk writes hours)."""
    if hours is None:
        return ""
    return f"{Decimal(hours).normalize():f}"


def village_name(due: ChildDue) -> str:
    village: Village | None = due.child.village
    return village.name if village else ""
