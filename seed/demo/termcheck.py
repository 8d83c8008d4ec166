"""The demo's 开学排查: this term's check of the first township, opened through the panel's
own rule (``cases.termcheck.open_campaign``) and mostly marked — the children in school
已到校, those out of school 未到校 with their reasons, a few pupils absent for a reason of
their own, and some not yet marked (more of them at the demo school, so its user has
something to do). The deadline is a week ahead, so the villages and schools may still mark.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from admin_app.cases import termcheck
from admin_app.choices import IN_SCHOOL_STATUSES, OutOfSchoolReason, TermCheckResult
from admin_app.models import Child, School, TermCheckEntry, Township, User, utcnow
from admin_app.util.dates import local_today

#: Share of entries still unmarked: at the demo school, elsewhere.
UNMARKED_AT_DEMO_SCHOOL, UNMARKED_ELSEWHERE = 0.25, 0.06
#: Pupils in school but found absent at the term's start, with what the teacher heard.
ABSENT_PUPILS = (
    (OutOfSchoolReason.ILLNESS, "开学时生病住院，家长已请假"),
    (OutOfSchoolReason.WORK, "随父母到外省务工，尚未返乡"),
    (OutOfSchoolReason.LEARNING, "家长称孩子不愿上学，待班主任家访"),
    (OutOfSchoolReason.DISTANCE, "搬到山上亲戚家，上学路远"),
)
#: Days ahead of today the demo check's deadline is set (the county allowed a delay).
DEADLINE_AHEAD = 7


def seed_term_check(session: Session, rng: random.Random, demo_school: str) -> int:
    """Open and mark the demo check; return its number of entries."""
    township = session.scalars(select(Township).order_by(Township.id)).first()
    if township is None:
        return 0
    today = local_today()
    term = termcheck.term_of(today)
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    campaign = termcheck.open_campaign(
        session,
        township,
        term=term.name,
        opens_on=term.opens_on,
        deadline=max(term.deadline, today + dt.timedelta(days=DEADLINE_AHEAD)),
        user=clerk,
    )
    rows = session.execute(
        select(TermCheckEntry.id, Child.status, Child.status_reason, School.name)
        .join(Child, Child.id == TermCheckEntry.child_id)
        .outerjoin(School, School.id == Child.school_id)
        .where(TermCheckEntry.campaign_id == campaign.id)
        .order_by(TermCheckEntry.id)
    ).all()
    present: list[int] = []
    absent: dict[tuple[OutOfSchoolReason, str | None], list[int]] = defaultdict(list)
    pupils_absent = list(ABSENT_PUPILS)
    for entry_id, status, reason, school in rows:
        unmarked = UNMARKED_AT_DEMO_SCHOOL if school == demo_school else UNMARKED_ELSEWHERE
        if rng.random() < unmarked:
            continue
        if status not in IN_SCHOOL_STATUSES:
            note = "上级名单列出，尚未核实就读情况" if reason is None else None
            absent[(reason or OutOfSchoolReason.OTHER, note)].append(entry_id)
        elif pupils_absent and rng.random() < 0.01:
            absent[pupils_absent.pop()].append(entry_id)
        else:
            present.append(entry_id)
    marked_at = utcnow()
    session.execute(
        update(TermCheckEntry)
        .where(TermCheckEntry.id.in_(present))
        .values(result=TermCheckResult.PRESENT, marked_at=marked_at)
        .execution_options(synchronize_session=False)
    )
    for (reason, note), ids in absent.items():
        session.execute(
            update(TermCheckEntry)
            .where(TermCheckEntry.id.in_(ids))
            .values(
                result=TermCheckResult.ABSENT, reason=reason, reason_note=note, marked_at=marked_at
            )
            .execution_options(synchronize_session=False)
        )
    return len(rows)
