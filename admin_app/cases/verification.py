"""待核实: children an official list named without a school, and the step that settles them.

The 县扶贫办's list names children, not schools. A child new to the register whom it names
without a school is registered 待核实 (DESIGN.md §4): counted in 应入学 N and not as
enrolled, so an unverified list cannot flatter 入学率. The dashboard lists them with the
list and date they came from; verification settles each one either way:

- in school: the status becomes the in-school status found (在校就读 with school and grade,
  异地就读, 随班就读, 送教上门, 特教学校), from the day it was verified;
- not in school: a 疑似 case is opened (source 上级反馈), and the case's own lifecycle takes
  over; the status stays 待核实 until the case confirms or clears it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from ..choices import (
    IN_SCHOOL_STATUSES,
    CaseKind,
    CaseSource,
    ChildStatus,
    OutOfSchoolReason,
    Stage,
)
from ..lists.validation import check_child
from ..models import Child, ChildStatusChange, DropoutCase, School, User, Village
from ..util.dates import local_today
from . import core as cases

#: The statuses verification may find a child in (all of 入学率's numerator).
FOUND_IN_SCHOOL = tuple(s for s in ChildStatus if s in IN_SCHOOL_STATUSES)


class VerificationError(ValueError):
    """Nothing was changed; ``errors`` maps form fields ("_" for the page) to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class PendingChild:
    """One line of the 待核实 list: who, where, which list and since when."""

    id: int
    name: str
    village: str
    since: dt.date
    source: str
    days: int
    case_id: int | None


def pending_children(
    session: Session,
    scope: ColumnElement[bool],
    *,
    today: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[PendingChild]]:
    """The 待核实 children within ``scope`` (a criterion on Child), longest waiting first,
    with the status row that made them 待核实 (its date and note name the list) and their
    open case, if one was opened; and how many there are in all."""
    today = today or local_today()
    pending = and_(Child.status == ChildStatus.PENDING, scope)
    total = session.scalar(select(func.count(Child.id)).where(pending)) or 0
    open_case = (
        select(func.max(DropoutCase.id))
        .where(
            DropoutCase.child_id == Child.id,
            DropoutCase.status.not_in(cases.CLOSED_STATUSES),
        )
        .scalar_subquery()
    )
    stmt = (
        select(
            Child.id,
            Child.name,
            Village.name,
            ChildStatusChange.effective_on,
            ChildStatusChange.note,
            open_case,
        )
        .join(Village, Village.id == Child.village_id)
        .join(
            ChildStatusChange,
            and_(
                ChildStatusChange.child_id == Child.id,
                ChildStatusChange.ended_on.is_(None),
            ),
        )
        .where(pending)
        .order_by(ChildStatusChange.effective_on, Child.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [
        PendingChild(i, name, village, since, note or "手工登记", (today - since).days, case_id)
        for i, name, village, since, note, case_id in session.execute(stmt)
    ]
    return total, rows


def pending_since(session: Session, child: Child) -> dt.date | None:
    """The day the child became 待核实 (the current status row's date)."""
    return session.scalar(
        select(ChildStatusChange.effective_on).where(
            ChildStatusChange.child_id == child.id, ChildStatusChange.ended_on.is_(None)
        )
    )


def _check_pending(session: Session, child: Child, on: dt.date | None, today: dt.date) -> None:
    if child.status != ChildStatus.PENDING:
        raise VerificationError(
            {"_": f"该儿童当前就学状态为“{child.status.label}”，不是待核实，无需核实"}
        )
    errors: dict[str, str] = {}
    if on is None:
        errors["on"] = "请填写核实日期"
    elif on > today:
        errors["on"] = "核实日期不能晚于今天"
    else:
        since = pending_since(session, child)
        if since is not None and on < since:
            errors["on"] = f"核实日期不能早于列入待核实的日期（{since.isoformat()}）"
    if errors:
        raise VerificationError(errors)


def verify_in_school(
    session: Session,
    child: Child,
    *,
    on: dt.date | None,
    actor: User | None,
    status: ChildStatus,
    school: School | None = None,
    grade: int | None = None,
    class_name: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> None:
    """待核实 → the in-school status found, from ``on``, with school and grade when it is a
    local school; the register's own rule (``check_child``) judges the result."""
    today = today or local_today()
    _check_pending(session, child, on, today)
    errors: dict[str, str] = {}
    if status not in FOUND_IN_SCHOOL:
        errors["status"] = "请选择核实到的就读情况"
    if grade is not None and not 1 <= grade <= 9:
        errors["grade"] = "年级应在1–9之间"
    note = (note or "").strip() or None
    if status == ChildStatus.ELSEWHERE and not note:
        errors["note"] = "异地就读请写明就读学校或地点"
    if errors:
        raise VerificationError(errors)
    child.status = status
    child.status_effective_on = on
    child.status_note = (note or "核实在校")[:200]
    child.school = school if school is not None else child.school
    if grade is not None:
        child.grade = grade
        child.stage = Stage.PRIMARY if grade <= 6 else Stage.JUNIOR
    if class_name and class_name.strip():
        child.class_name = class_name.strip()[:20]
    problems = check_child(session, child, today)
    found = {k: v for k, v in problems.items() if k in ("school", "grade", "stage", "status")}
    if problems:
        # Anything else the register refuses (an old record's gap) is shown on the page.
        raise VerificationError(found or {"_": "；".join(problems.values())})
    session.flush()


def verify_not_in_school(
    session: Session,
    child: Child,
    *,
    on: dt.date | None,
    actor: User | None,
    kind: CaseKind,
    reason: OutOfSchoolReason | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> DropoutCase:
    """Not in school: a 疑似 case from the list (上级反馈), opened on the day it was found.

    The child's status stays 待核实: the case confirms 未入学/辍学 or finds otherwise.
    """
    today = today or local_today()
    _check_pending(session, child, on, today)
    assert on is not None  # _check_pending refuses a missing date
    try:
        return cases.open_case(
            session,
            child,
            kind,
            CaseSource.HIGHER_FEEDBACK,
            reason,
            on=on,
            actor=actor,
            note=(note or "").strip() or "待核实儿童经核实不在校",
            today=today,
        )
    except cases.CaseError as exc:
        raise VerificationError(
            {("on" if k == "discovered_on" else k): v for k, v in exc.errors.items()}
        ) from exc
