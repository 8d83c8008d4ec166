"""The demo's 月报: three months handed to the 县教育局 as a township does it.

The third-last month 上报; the second-last 上报 as of the 25th, then corrected as version 2
as of the 28th (the statistics day); last month 已填报, awaiting the leader's review. Taken
through the panel's own steps (``admin_app.reports.submissions``), then dated to the days
a clerk and a leader would have signed them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.choices import ReportKind, Role
from admin_app.models import ReportSubmission, Township, User
from admin_app.reports import submissions as subs
from admin_app.util.dates import LOCAL_TZ, beijing_minute, local_today


def _utc(day: dt.date, hour: int, minute: int) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _backdate(sub: ReportSubmission, day: dt.date, corrected_on: dt.date | None = None) -> None:
    """Sign each step on the days it would have been taken: prepared on the as-of day,
    reviewed and submitted the next morning."""
    times = {
        "填报": _utc(day, 9, 20),
        "更正填报": _utc(day, 9, 20),
        "审核": _utc(day + dt.timedelta(days=1), 10, 5),
        "上报": _utc(day + dt.timedelta(days=1), 16, 40),
        "已更正": _utc(corrected_on or day, 9, 20),
    }
    if sub.prepared_at is not None:
        sub.prepared_at = times["填报"]
    if sub.reviewed_at is not None:
        sub.reviewed_at = times["审核"]
    if sub.submitted_at is not None:
        sub.submitted_at = times["上报"]
    sub.steps = [
        {**entry, "at": beijing_minute(times[entry["step"]])} if entry["step"] in times else entry
        for entry in sub.steps
    ]


def seed_submissions(session: Session) -> int:
    """The demo's reports of the first township; how many versions were made."""
    township = session.scalar(select(Township).order_by(Township.id).limit(1))
    clerk = session.scalar(select(User).where(User.role == Role.CLERK).order_by(User.id))
    leader = session.scalar(select(User).where(User.role == Role.LEADER).order_by(User.id))
    if township is None or clerk is None or leader is None:
        return 0
    today = local_today()
    recent = subs.recent_periods(ReportKind.MONTHLY, today, 4)
    months = [p for p in recent if p.default_as_of <= today]
    if len(months) < 3:
        return 0
    latest, middle, oldest = months[:3]

    first = subs.prepare(session, clerk, township, ReportKind.MONTHLY, oldest.code, today=today)
    subs.review(session, leader, first)
    subs.submit(session, leader, first)
    _backdate(first, oldest.default_as_of)

    early = middle.default_as_of - dt.timedelta(days=3)
    second = subs.prepare(
        session, clerk, township, ReportKind.MONTHLY, middle.code, early, today=today
    )
    subs.review(session, leader, second)
    subs.submit(session, leader, second)
    corrected = subs.correct(
        session,
        clerk,
        second,
        f"原按{early.month}月{early.day}日统计，应以28日为统计日，重新统计后补报",
        as_of=middle.default_as_of,
        today=today,
    )
    subs.review(session, leader, corrected)
    subs.submit(session, leader, corrected)
    _backdate(second, early, corrected_on=middle.default_as_of)
    _backdate(corrected, middle.default_as_of)

    pending = subs.prepare(session, clerk, township, ReportKind.MONTHLY, latest.code, today=today)
    _backdate(pending, latest.default_as_of)
    session.flush()
    return 4
