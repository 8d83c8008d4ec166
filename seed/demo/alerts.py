"""The demo's 动态监测预警: schools' absence reports, a few key-group children whose status
changed, a 失联 case, then the panel's own scan — and the story of some alerts: raised a
week ago and overdue, or handled and closed by the demo village and school accounts.

Runs after the demo is committed, through the ORM (a few dozen rows: fast at any scale).
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.cases import alerts
from admin_app.cases import core as cases
from admin_app.choices import (
    AgreementLine,
    AlertAction,
    AlertStatus,
    CaseStatus,
    ChildStatus,
    Role,
)
from admin_app.models import (
    AbsenceReport,
    Alert,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    User,
)
from admin_app.util.dates import local_today

#: (days absent, reason) of the absence reports: some under the threshold, most at or over.
ABSENCES = (
    (1, "病假未及时补假条"),
    (2, "家长称孩子身体不适，未请假"),
    (3, "连续三天未到校，电话未接通"),
    (4, "随父母外出，未请假"),
    (5, "厌学，在家不愿到校"),
    (3, "家中农忙帮工"),
    (6, "班主任家访未见到本人"),
    (4, "与同学发生矛盾后未到校"),
)
KEY_GROUP_MOVES = (ChildStatus.ELSEWHERE, ChildStatus.SPECIAL_SCHOOL, ChildStatus.INCLUSIVE)
CLOSING_NOTES = {
    AlertAction.RETURNED: "班主任与家长面谈，学生已返校上课，纳入重点关注名单",
    AlertAction.VERIFIED: "村干部入户核实，情况属实，已落实帮扶责任人",
    AlertAction.HANDLED: "已电话联系监护人并登记，下周再次回访",
}


def _users(session: Session) -> dict[Role, User]:
    users = session.scalars(
        select(User).where(
            User.is_demo.is_(True), User.role.in_((Role.VILLAGE, Role.SCHOOL, Role.CLERK))
        )
    )
    return {user.role: user for user in users}


def _found_on(session: Session, alert: Alert, today: dt.date, rng: random.Random) -> dt.date:
    """The day the occurrence behind ``alert`` would have been found by a daily scan."""
    kind, key = alert.source_key.split(":", 1)
    if kind == "absence":
        report = session.get(AbsenceReport, int(key))
        if report is not None:
            return report.from_on + dt.timedelta(days=report.days)
    if kind == "status":
        change = session.get(ChildStatusChange, int(key))
        if change is not None:
            return max(change.effective_on, today - dt.timedelta(days=14)) + dt.timedelta(days=1)
    return today - dt.timedelta(days=rng.randint(0, 6))


def make_alerts(session: Session, random_seed: int) -> int:
    """Write the demo's absence reports and changes, scan, and date and close some; commits
    and returns how many alerts there are."""
    rng = random.Random(random_seed)
    today = local_today()
    users = _users(session)
    school_user, village_user = users.get(Role.SCHOOL), users.get(Role.VILLAGE)
    clerk = users.get(Role.CLERK)

    # Absence reports: mostly the demo school's pupils (its home page shows them).
    pupils = list(
        session.scalars(
            select(Child)
            .where(Child.status == ChildStatus.ENROLLED, Child.school_id.is_not(None))
            .order_by(
                (Child.school_id == (school_user.school_id if school_user else 0)).desc(),
                Child.id,
            )
            .limit(40)
        )
    )
    for (days, reason), child in zip(ABSENCES, rng.sample(pupils, len(ABSENCES)), strict=False):
        session.add(
            AbsenceReport(
                child=child,
                school_id=child.school_id,
                from_on=today - dt.timedelta(days=days + rng.randint(1, 12)),
                days=days,
                reason=reason,
                reported_by_id=school_user.id if school_user else None,
                reported_by_name=school_user.display_name if school_user else "班主任",
            )
        )

    # Key-group children placed differently in the last weeks (送教上门, 特教学校, 随班就读).
    key_group = list(
        session.scalars(
            select(Child)
            .where(Child.status == ChildStatus.ENROLLED, alerts.key_group_criterion())
            .order_by(
                (Child.village_id == (village_user.village_id if village_user else 0)).desc(),
                Child.id,
            )
            .limit(30)
        )
    )
    for status, child in zip(KEY_GROUP_MOVES, rng.sample(key_group, 3), strict=False):
        child.status = status
        child.status_effective_on = today - dt.timedelta(days=rng.randint(3, 20))

    # One case whose child could not be found after the visits: 失联.
    case = session.scalar(
        select(DropoutCase)
        .where(
            DropoutCase.status.in_((CaseStatus.VERIFYING, CaseStatus.SUSPECTED)),
            select(CaseVisit.id).where(CaseVisit.case_id == DropoutCase.id).exists(),
        )
        .order_by(DropoutCase.id)
        .limit(1)
    )
    if case is not None:
        if case.status == CaseStatus.SUSPECTED:
            cases.start_verification(session, case, on=today, actor=clerk)
        cases.mark_unreachable(
            session,
            case,
            on=today,
            actor=clerk,
            note="三次入户未见本人，邻居称随亲戚外出务工，电话停机",
        )
    session.flush()

    alerts.scan(session, today)
    session.flush()

    # The story: each alert raised when its occurrence came to light (a scan then), so the
    # older ones are overdue; a few handled and closed by their owners.
    rows = list(session.scalars(select(Alert).order_by(Alert.id)))
    for alert in rows:
        alert.raised_on = min(today, _found_on(session, alert, today, rng))
        alert.due_on = alert.raised_on + dt.timedelta(days=alerts.DUE_DAYS[alert.kind])
    for i, alert in enumerate(rows):
        if alert.status != AlertStatus.OPEN or i % 4 != 1:
            continue
        school_line = alert.owner_line == AgreementLine.SCHOOL
        if school_line:
            own = school_user is not None and alert.school_id == school_user.school_id
            actor = school_user if own else clerk
            action = AlertAction.RETURNED
        else:
            own = village_user is not None and alert.village_id == village_user.village_id
            actor = village_user if own else clerk
            action = rng.choice((AlertAction.VERIFIED, AlertAction.HANDLED))
        alerts.close(session, alert, action, CLOSING_NOTES[action], actor)
    session.commit()
    return len(rows)
