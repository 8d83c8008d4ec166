"""开学排查 (term-start check): each term the township lists every child due at school,
the villages and schools mark each one 已到校 or 未到校 (with a reason) before the deadline,
and once the deadline has passed every child still not seen at school becomes a 疑似 case
in one step. The county wants the figures by 3/20 (spring) and 9/20 (autumn).

Who is due is the 应入学 of the indicators (``assessment.core``: of compulsory age on the
school year's 31 August and not 休学 / 免缓学 / 迁出 / 已完成义务教育), read from today's
status when the check opens. The 6-year-old intake (``intake_birth_range``) is checked
against enrolment and gets a batch of 入学通知书 worded as the case notices are
(``cases.notices``).

Plain functions over the session: they flush, the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from ..access.permissions import EDIT, allows
from ..access.scope import apply_scope, get_scoped, scope_criterion, scope_key
from ..assessment import dataversion
from ..assessment.core import NOT_DUE, Window
from ..choices import (
    IN_SCHOOL_STATUSES,
    AuditAction,
    CaseKind,
    CaseSource,
    ChildStatus,
    OutOfSchoolReason,
    TermCheckResult,
)
from ..lists.bulk import insert_rows
from ..models import (
    AssessmentPeriod,
    AuditLog,
    Child,
    School,
    TermCheck,
    TermCheckEntry,
    Township,
    User,
    Village,
    utcnow,
)
from ..util.dates import local_today, school_year_cutoff
from . import core as cases

#: The county's due dates of the term-start statistics: (month, day) per term.
SPRING_DUE, AUTUMN_DUE = (3, 20), (9, 20)
#: Due at school but not there: 未入学, 辍学, 待核实 (the intake list's statuses).
NOT_IN_SCHOOL = frozenset(ChildStatus) - IN_SCHOOL_STATUSES - frozenset(NOT_DUE)
#: Open checks shown on the home page (newest first).
HOME_SHOWN = 3
#: Entries listed per page of the marking screen (a school has a few hundred pupils).
MARK_PAGE_SIZE = 300


class TermCheckError(ValueError):
    """A refused request, with the reasons by form field (``"_"`` for the whole)."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"_": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("；".join(self.errors.values()))


class OutOfScope(TermCheckError):
    """An entry the user may not reach (another school's pupil): the view answers 404."""


# --- Terms and who is due ---------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    name: str
    opens_on: dt.date
    deadline: dt.date


def term_of(day: dt.date) -> Term:
    """The term a check opened on ``day`` is for, with the county's due date.

    February to July is the spring term (due 3/20), the rest the autumn term (due 9/20);
    January still belongs to the autumn term of the year before.
    """
    if 2 <= day.month <= 7:
        year = day.year
        return Term(f"{year}年春季学期", dt.date(year, 3, 1), dt.date(year, *SPRING_DUE))
    year = day.year if day.month >= 8 else day.year - 1
    return Term(f"{year}年秋季学期", dt.date(year, 9, 1), dt.date(year, *AUTUMN_DUE))


def due_criterion(opens_on: dt.date) -> ColumnElement[bool]:
    """Children due at school when a check opens: the 应入学 of the indicators.

    The same cohort and statuses as ``assessment.core`` counts in 应入学 (``Window`` for
    the ages, ``NOT_DUE`` for the statuses that leave it), taken on the opening day.
    """
    day = AssessmentPeriod(start_on=opens_on, end_on=opens_on)
    window = Window.of(day)
    return and_(
        Child.birth_date > window.born_after,
        Child.birth_date <= window.born_by,
        Child.status.not_in(NOT_DUE),
    )


def intake_birth_range(school_year: int) -> tuple[dt.date, dt.date]:
    """The birth dates of the 6-year-old intake of the school year starting in September
    of ``school_year``: born 1 September of ``school_year − 7`` to 31 August of
    ``school_year − 6``, i.e. six years old by 31 August (义务教育法 第十一条: 凡年满六周岁
    的儿童…应当送其入学). Both ends included."""
    return dt.date(school_year - 7, 9, 1), dt.date(school_year - 6, 8, 31)


def intake_year(campaign: TermCheck) -> int:
    """The school year a check's intake belongs to: the one its opening day falls in (a
    spring check looks at the intake of the September before)."""
    return school_year_cutoff(campaign.opens_on).year


def _in_township(township_id: int) -> ColumnElement[bool]:
    return Child.village_id.in_(select(Village.id).where(Village.township_id == township_id))


# --- Opening ----------------------------------------------------------------------------------


def open_campaign(
    session: Session,
    township: Township,
    *,
    term: str,
    opens_on: dt.date | None,
    deadline: dt.date | None,
    user: User | None,
) -> TermCheck:
    """Open the township's check for ``term`` and list every child due, one entry each.

    The entries are written in bulk (COPY on PostgreSQL): a county's 100,000 children in
    seconds. Refuses a second check of the same term in the same township.
    """
    errors: dict[str, str] = {}
    term = (term or "").strip()
    if not term:
        errors["term"] = "请填写学期，如：2026年秋季学期"
    elif len(term) > 30:
        errors["term"] = "学期名称不能超过30个字"
    elif session.scalar(
        select(TermCheck.id).where(TermCheck.township_id == township.id, TermCheck.term == term)
    ):
        errors["term"] = f"{township.name}已有{term}的开学排查，请勿重复创建"
    if opens_on is None:
        errors["opens_on"] = "请填写开始日期"
    if deadline is None:
        errors["deadline"] = "请填写截止日期"
    elif opens_on is not None and deadline < opens_on:
        errors["deadline"] = "截止日期不能早于开始日期"
    if errors:
        raise TermCheckError(errors)
    campaign = TermCheck(
        township_id=township.id,
        term=term,
        opens_on=opens_on,
        deadline=deadline,
        created_by_id=user.id if user is not None else None,
    )
    session.add(campaign)
    session.flush()
    due = select(Child.id).where(_in_township(township.id), due_criterion(opens_on))
    insert_rows(
        session,
        TermCheckEntry.__table__,
        ({"child_id": child_id} for child_id in session.scalars(due.order_by(Child.id))),
        same_for_all={"campaign_id": campaign.id, "result": TermCheckResult.UNMARKED},
    )
    # COPY and executemany go through the driver's cursor: the data-version hook never sees them.
    dataversion.bump(session)
    return campaign


def close_campaign(session: Session, campaign: TermCheck) -> None:
    if campaign.closed_at is None:
        campaign.closed_at = utcnow()
        session.flush()


# --- Marking ----------------------------------------------------------------------------------


def marking_closed_message(campaign: TermCheck, user: User, today: dt.date) -> str | None:
    """Why ``user`` may not mark now, or None. After the deadline only the township's
    clerks may still correct marks; a closed check takes none."""
    if campaign.closed_at is not None:
        return "本次开学排查已结束，不能再标记。"
    if today < campaign.opens_on:
        return f"本次开学排查{campaign.opens_on:%Y-%m-%d}开始，尚不能标记。"
    # Who may correct late: the roles that run the check (``permissions``: its edit row).
    if today > campaign.deadline and not allows(user, "termcheck", EDIT):
        return (
            f"已过截止日期（{campaign.deadline:%Y-%m-%d}），村、学校不能再标记；"
            "如需更正，请联系乡镇工作人员。"
        )
    return None


def mark(
    session: Session,
    campaign: TermCheck,
    entry_ids: list[int],
    result: TermCheckResult,
    user: User,
    *,
    reason: OutOfSchoolReason | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Mark the entries ``entry_ids`` of ``campaign`` as ``result``; return how many.

    Each entry must be of a child within the user's scope (a school marks only its
    pupils, a village only its children), else ``OutOfScope`` and nothing is marked.
    未到校 needs a reason (其他 with a note). One UPDATE for all of them.
    """
    today = today or local_today()
    closed = marking_closed_message(campaign, user, today)
    if closed:
        raise TermCheckError(closed)
    ids = sorted(set(entry_ids))
    if not ids:
        raise TermCheckError("请先勾选要标记的儿童。")
    note = (note or "").strip() or None
    errors: dict[str, str] = {}
    if result == TermCheckResult.ABSENT:
        if reason is None:
            errors["reason"] = "标记未到校须选择原因"
        elif reason == OutOfSchoolReason.OTHER and not note:
            errors["note"] = "原因为“其他”时须写明具体情况"
    elif result != TermCheckResult.PRESENT:
        errors["_"] = "只能标记为已到校或未到校"
    if note and len(note) > 200:
        errors["note"] = "情况说明不能超过200个字"
    if errors:
        raise TermCheckError(errors)
    reachable = set(
        session.scalars(
            select(TermCheckEntry.id)
            .join(Child, Child.id == TermCheckEntry.child_id)
            .where(
                TermCheckEntry.campaign_id == campaign.id,
                TermCheckEntry.id.in_(ids),
                scope_criterion(Child, user),
            )
        )
    )
    if reachable != set(ids):
        raise OutOfScope("所选儿童不在本次排查或不在您的范围内。")
    absent = result == TermCheckResult.ABSENT
    session.execute(
        update(TermCheckEntry)
        .where(TermCheckEntry.id.in_(ids))
        .values(
            result=result,
            reason=reason if absent else None,
            reason_note=note if absent else None,
            marked_by_id=user.id,
            marked_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    # One UPDATE, which the audit hook (ORM flushes) does not see: one row says it all.
    detail = f"（{reason.label}）" if absent and reason else ""
    session.add(
        AuditLog(
            user_id=user.id,
            username=user.username,
            action=AuditAction.UPDATE,
            table_name=TermCheckEntry.__tablename__,
            record_id=",".join(map(str, ids[:20])) if len(ids) <= 20 else None,
            note=f"{campaign}：标记{len(ids)}名儿童为{result.label}{detail}",
        )
    )
    session.flush()
    return len(ids)


@dataclass
class EntryRow:
    id: int
    child_id: int
    name: str
    sex: str
    birth_date: dt.date
    village: str
    school: str
    grade: int | None
    class_name: str | None
    status: ChildStatus
    result: TermCheckResult
    reason: OutOfSchoolReason | None
    reason_note: str | None
    marked_by: str | None
    case_id: int | None


def entries(
    session: Session,
    campaign: TermCheck,
    user: User,
    *,
    query: str = "",
    only_unmarked: bool = False,
    limit: int = MARK_PAGE_SIZE,
    offset: int = 0,
) -> tuple[int, list[EntryRow]]:
    """The entries of the check within the user's scope, unmarked first, then by school,
    class and name; ``query`` keeps those whose name starts with it (or whose 学籍号
    does); and how many there are in all."""
    conditions = [TermCheckEntry.campaign_id == campaign.id, scope_criterion(Child, user)]
    query = (query or "").strip()
    if query:
        conditions.append(or_(Child.name.startswith(query), Child.student_no.startswith(query)))
    if only_unmarked:
        conditions.append(TermCheckEntry.result == TermCheckResult.UNMARKED)
    total = (
        session.scalar(
            select(func.count(TermCheckEntry.id))
            .join(Child, Child.id == TermCheckEntry.child_id)
            .where(*conditions)
        )
        or 0
    )
    stmt = (
        select(
            TermCheckEntry.id,
            Child.id,
            Child.name,
            Child.sex,
            Child.birth_date,
            Village.name,
            School.name,
            Child.grade,
            Child.class_name,
            Child.status,
            TermCheckEntry.result,
            TermCheckEntry.reason,
            TermCheckEntry.reason_note,
            User.display_name,
            TermCheckEntry.case_id,
        )
        .join(Child, Child.id == TermCheckEntry.child_id)
        .join(Village, Village.id == Child.village_id)
        .outerjoin(School, School.id == Child.school_id)
        .outerjoin(User, User.id == TermCheckEntry.marked_by_id)
        .where(*conditions)
        .order_by(
            case((TermCheckEntry.result == TermCheckResult.UNMARKED, 0), else_=1),
            School.name,
            Child.grade,
            Child.class_name,
            Child.name,
            Child.id,
        )
        .limit(limit)
        .offset(offset)
    )
    rows = [
        EntryRow(
            id=r[0],
            child_id=r[1],
            name=r[2],
            sex=r[3].label if r[3] else "",
            birth_date=r[4],
            village=r[5],
            school=r[6] or "",
            grade=r[7],
            class_name=r[8],
            status=r[9],
            result=r[10],
            reason=r[11],
            reason_note=r[12],
            marked_by=r[13],
            case_id=r[14],
        )
        for r in session.execute(stmt)
    ]
    return total, rows


# --- Progress ---------------------------------------------------------------------------------


@dataclass
class Tally:
    name: str
    due: int = 0
    present: int = 0
    absent: int = 0

    @property
    def marked(self) -> int:
        return self.present + self.absent

    @property
    def unmarked(self) -> int:
        return self.due - self.marked


@dataclass
class Progress:
    total: Tally
    villages: list[Tally] = field(default_factory=list)
    schools: list[Tally] = field(default_factory=list)


def progress(session: Session, campaign: TermCheck, scope: ColumnElement[bool]) -> Progress:
    """Due, marked, 已到校 and 未到校 by village and by school (today's village and school
    of each child), within ``scope`` (a criterion on Child); one grouped query."""
    stmt = (
        select(
            Village.name,
            func.coalesce(School.name, "（未登记学校）"),
            TermCheckEntry.result,
            func.count(TermCheckEntry.id),
        )
        .join(Child, Child.id == TermCheckEntry.child_id)
        .join(Village, Village.id == Child.village_id)
        .outerjoin(School, School.id == Child.school_id)
        .where(TermCheckEntry.campaign_id == campaign.id, scope)
        .group_by(Village.name, School.name, TermCheckEntry.result)
    )
    total = Tally("合计")
    villages: dict[str, Tally] = {}
    schools: dict[str, Tally] = {}
    for village, school, result, n in session.execute(stmt):
        for tally in (
            total,
            villages.setdefault(village, Tally(village)),
            schools.setdefault(school, Tally(school)),
        ):
            tally.due += n
            if result == TermCheckResult.PRESENT:
                tally.present += n
            elif result == TermCheckResult.ABSENT:
                tally.absent += n
    return Progress(
        total,
        sorted(villages.values(), key=lambda t: t.name),
        sorted(schools.values(), key=lambda t: t.name),
    )


def campaigns(session: Session, user: User) -> list[TermCheck]:
    """The checks a user sees (``scope``: their own township's for a village or school
    user), newest first."""
    stmt = select(TermCheck).order_by(TermCheck.opens_on.desc(), TermCheck.id.desc())
    return list(session.scalars(apply_scope(stmt, TermCheck, user)))


def get_campaign(session: Session, raw_id: Any, user: User) -> TermCheck | None:
    """The check a request names, if the user sees it (else None → 404)."""
    return get_scoped(session, TermCheck, raw_id, user)


# --- Home page --------------------------------------------------------------------------------


def home_panel(session: Session, user: User, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The open checks for the home page: marked / due, 未到校 and the deadline for the
    township's roles; a village or school user's own children still to mark. Kept while
    the data is unchanged (``dataversion``), per scope and day, as the home page's figures."""
    today = today or local_today()

    def compute() -> list[dict[str, Any]]:
        shown = []
        scope = scope_criterion(Child, user)
        for campaign in campaigns(session, user):
            if campaign.closed_at is not None:
                continue
            tally = progress(session, campaign, scope).total
            if not tally.due:
                continue
            shown.append(
                {
                    "id": campaign.id,
                    "title": str(campaign),
                    "deadline": campaign.deadline,
                    "overdue": today > campaign.deadline,
                    "due": tally.due,
                    "marked": tally.marked,
                    "absent": tally.absent,
                    "unmarked": tally.unmarked,
                    "may_mark": marking_closed_message(campaign, user, today) is None,
                }
            )
            if len(shown) == HOME_SHOWN:
                break
        return shown

    key = (today, *scope_key(user))
    return dataversion.cached(session, "termcheck_panel", key, compute)


# --- After the deadline -----------------------------------------------------------------------


def awaiting_escalation(session: Session, campaign: TermCheck) -> int:
    """Children 未到校 or unmarked who have no case from this check yet."""
    return (
        session.scalar(
            select(func.count(TermCheckEntry.id)).where(
                TermCheckEntry.campaign_id == campaign.id,
                TermCheckEntry.result != TermCheckResult.PRESENT,
                TermCheckEntry.case_id.is_(None),
            )
        )
        or 0
    )


@dataclass
class Escalation:
    opened: list[int] = field(default_factory=list)
    #: Children not given a case: an open case already, or out of compulsory education.
    skipped: list[tuple[str, str]] = field(default_factory=list)


def escalate_after_deadline(
    session: Session, campaign: TermCheck, user: User | None, today: dt.date | None = None
) -> Escalation:
    """Every child marked 未到校 or never marked becomes a 疑似 case, in one step.

    Each case goes through ``cases.open_case`` (its 立案 step, its checks); a child it
    refuses — an open case already, or no longer in compulsory education — is skipped
    and named. The entry keeps the case it got, so a second run opens nothing again.
    """
    today = today or local_today()
    if campaign.closed_at is not None:
        raise TermCheckError("本次开学排查已结束。")
    if today <= campaign.deadline:
        raise TermCheckError(
            f"截止日期（{campaign.deadline:%Y-%m-%d}）未过，村、学校仍可标记；截止后再转为疑似案件。"
        )
    pending = session.scalars(
        select(TermCheckEntry)
        .where(
            TermCheckEntry.campaign_id == campaign.id,
            TermCheckEntry.result != TermCheckResult.PRESENT,
            TermCheckEntry.case_id.is_(None),
        )
        .order_by(TermCheckEntry.id)
    ).all()
    outcome = Escalation()
    for entry in pending:
        child = entry.child
        absent = entry.result == TermCheckResult.ABSENT
        was_at_school = child.school_id is not None or child.status == ChildStatus.DROPOUT
        kind = (
            CaseKind.DROPOUT
            if was_at_school and child.status != ChildStatus.NOT_ENROLLED
            else CaseKind.NOT_ENROLLED
        )
        finding = "标记未到校" if absent else "截止时未标记"
        try:
            # open_case checks before it adds anything: a refusal leaves nothing behind.
            opened = cases.open_case(
                session,
                child,
                kind,
                CaseSource.HOUSEHOLD_CHECK,
                entry.reason if absent else None,
                on=today,
                actor=user,
                reason_note=(entry.reason_note if absent else None)
                or f"{campaign.term}开学排查：{finding}",
                note=f"来源：{campaign.term}开学排查（{finding}）",
                today=today,
            )
        except cases.CaseError as exc:
            outcome.skipped.append((child.name, str(exc)))
            continue
        entry.case_id = opened.id
        outcome.opened.append(child.id)
    campaign.escalated_at = utcnow()
    session.flush()
    return outcome


# --- The 6-year-old intake ----------------------------------------------------------------------


@dataclass
class IntakeRow:
    child: Child
    village: str


def intake_not_enrolled(
    session: Session, campaign: TermCheck, scope: ColumnElement[bool]
) -> list[IntakeRow]:
    """Children of the township's 6-year-old intake (``intake_birth_range``) who are not
    in school: 未入学, 待核实 or 辍学 (a lawful absence or a move is not listed)."""
    born_from, born_to = intake_birth_range(intake_year(campaign))
    stmt = (
        select(Child, Village.name)
        .join(Village, Village.id == Child.village_id)
        .where(
            Village.township_id == campaign.township_id,
            Child.birth_date.between(born_from, born_to),
            Child.status.in_(NOT_IN_SCHOOL),
            scope,
        )
        .order_by(Village.name, Child.name, Child.id)
    )
    return [IntakeRow(child, village) for child, village in session.execute(stmt)]


def intake_counts(
    session: Session, campaign: TermCheck, scope: ColumnElement[bool]
) -> dict[str, int]:
    """The intake cohort: registered, in school, and not."""
    born_from, born_to = intake_birth_range(intake_year(campaign))
    stmt = (
        select(Child.status, func.count(Child.id))
        .where(
            _in_township(campaign.township_id),
            Child.birth_date.between(born_from, born_to),
            scope,
        )
        .group_by(Child.status)
    )
    counts: dict[str, int] = defaultdict(int)
    for status, n in session.execute(stmt):
        counts["registered"] += n
        if status in IN_SCHOOL_STATUSES:
            counts["enrolled"] += n
        elif status in NOT_IN_SCHOOL:
            counts["not_enrolled"] += n
    return {key: counts[key] for key in ("registered", "enrolled", "not_enrolled")}
