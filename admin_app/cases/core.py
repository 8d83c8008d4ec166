"""控辍案件: the case lifecycle of DESIGN.md §3 as plain functions over the session.

Every function checks that the step is allowed from the case's current status (otherwise
it raises ``CaseError`` with the reason in Chinese), records a ``CaseEvent`` with the date,
the note and the actor, and changes the child's status in the same session, so the status
history row that ``admin_app.util.history`` writes on flush commits or rolls back with the case.

The functions flush but never commit: the caller owns the transaction. They check before
they change anything where they can; after a ``CaseError`` the caller rolls back anyway.

    疑似 → 核查中 → 异地就读 / 免缓学 / 休学 / 迁出死亡 / 核实在校 (closed)
                  → 失联 (open) → 确认 / 核实在校
                  → 确认 → 劝返中 (visits, notices; 批评教育 → 责令限期改正 → 司法文书 → 依法追责)
                        → 已复学 → 巩固跟踪 → 销号
    已复学 / 巩固跟踪 → 劝返中 (复辍: the child dropped out again; the case goes on)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..assessment.core import scheme_param
from ..assessment.timeliness import first_visit_late
from ..choices import (
    ESCALATION_STEPS,
    IN_SCHOOL_STATUSES,
    PLACEMENT_STATUSES,
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    IndicatorMethod,
    NoticeKind,
    OutOfSchoolReason,
    PlanStatus,
    Stage,
)
from ..lists.validation import check_plan
from ..models import (
    AssistancePlan,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    Notice,
    NoticeCounter,
    Township,
    User,
    Village,
)
from ..util.dates import local_today

#: Statuses in which the case is over; nothing more may be recorded on it.
CLOSED_STATUSES = frozenset(
    {
        CaseStatus.ELSEWHERE,
        CaseStatus.EXEMPTED,
        CaseStatus.SUSPENDED,
        CaseStatus.MOVED_OUT,
        CaseStatus.IN_SCHOOL,
        CaseStatus.CLOSED,
    }
)
#: Statuses in which the child is still out of school as far as the case knows. 失联 is
#: among them: nobody has seen the child in school, and the case must stay on the watch.
UNRESOLVED_STATUSES = frozenset(
    {
        CaseStatus.SUSPECTED,
        CaseStatus.VERIFYING,
        CaseStatus.UNREACHED,
        CaseStatus.CONFIRMED,
        CaseStatus.PERSUADING,
    }
)

#: Lifecycle transitions: event → (statuses it may start from, status it leads to).
TRANSITIONS: dict[CaseEventKind, tuple[frozenset[CaseStatus], CaseStatus]] = {
    CaseEventKind.VERIFY: (frozenset({CaseStatus.SUSPECTED}), CaseStatus.VERIFYING),
    # A 失联 child found again is either out of school (确认) or in school (核实在校).
    CaseEventKind.CONFIRM: (
        frozenset({CaseStatus.VERIFYING, CaseStatus.UNREACHED}),
        CaseStatus.CONFIRMED,
    ),
    CaseEventKind.ELSEWHERE: (frozenset({CaseStatus.VERIFYING}), CaseStatus.ELSEWHERE),
    CaseEventKind.EXEMPTED: (frozenset({CaseStatus.VERIFYING}), CaseStatus.EXEMPTED),
    CaseEventKind.SUSPENDED: (frozenset({CaseStatus.VERIFYING}), CaseStatus.SUSPENDED),
    CaseEventKind.MOVED_OUT: (frozenset({CaseStatus.VERIFYING}), CaseStatus.MOVED_OUT),
    CaseEventKind.IN_SCHOOL: (
        frozenset({CaseStatus.VERIFYING, CaseStatus.UNREACHED}),
        CaseStatus.IN_SCHOOL,
    ),
    CaseEventKind.UNREACHED: (frozenset({CaseStatus.VERIFYING}), CaseStatus.UNREACHED),
    CaseEventKind.PERSUADE: (frozenset({CaseStatus.CONFIRMED}), CaseStatus.PERSUADING),
    CaseEventKind.RETURN: (frozenset({CaseStatus.PERSUADING}), CaseStatus.RETURNED),
    CaseEventKind.FOLLOW_UP: (frozenset({CaseStatus.RETURNED}), CaseStatus.FOLLOW_UP),
    CaseEventKind.CLOSE: (frozenset({CaseStatus.FOLLOW_UP}), CaseStatus.CLOSED),
    CaseEventKind.RELAPSE: (
        frozenset({CaseStatus.RETURNED, CaseStatus.FOLLOW_UP}),
        CaseStatus.PERSUADING,
    ),
}
#: Steps that do not change the case's status, and where they may be taken.
ESCALATION_FROM = frozenset({CaseStatus.PERSUADING})
NOTICE_FROM = frozenset({CaseStatus.CONFIRMED, CaseStatus.PERSUADING})
VISIT_FROM = frozenset(set(CaseStatus) - CLOSED_STATUSES)

#: The child's status once a case closes as verified / confirmed.
CHILD_STATUS_AFTER = {
    CaseEventKind.ELSEWHERE: ChildStatus.ELSEWHERE,
    CaseEventKind.EXEMPTED: ChildStatus.EXEMPTED,
    CaseEventKind.SUSPENDED: ChildStatus.SUSPENDED,
    CaseEventKind.MOVED_OUT: ChildStatus.MOVED_OUT,
}
#: Notices a clerk issues directly, per case kind; 责令限期改正通知书 comes with that step.
NOTICE_FOR_KIND = {CaseKind.NOT_ENROLLED: NoticeKind.ENROLMENT, CaseKind.DROPOUT: NoticeKind.RETURN}
#: A 巩固跟踪 term, when the clerk does not give its end (about one school term).
FOLLOW_UP_DAYS = 120
#: The outcome of a case closed (销号) without a note.
CLOSED_OUTCOME = "巩固跟踪期满，在校就读，销号"
#: Overdue cases listed on the dashboard (the rest are one click away, on the case list).
OVERDUE_LISTED = 10


class CaseError(ValueError):
    """A refused step, with the reasons by form field (``"_"`` for the step as a whole)."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"_": errors} if isinstance(errors, str) else dict(errors)
        super().__init__("；".join(self.errors.values()))


class CaseChanged(CaseError):
    """A step taken on a case page older than the case: someone recorded a step meanwhile."""


def check_version(case: DropoutCase, seen: int | None) -> None:
    """Refuse a step unless the user saw the case as it is now (its ``version``).

    Every step bumps the case's version (``admin_app.util.locking``: events, visits, notices
    and plans count as changes of the case), so the second of two clicks on the same page
    — or a colleague's page opened before the first click — is refused, not recorded
    twice. A step in flight at the same moment is caught by the ``WHERE version`` of the
    case's UPDATE (``StaleDataError``); the caller reports it with ``changed_message``.
    """
    if seen is None:
        raise CaseChanged("未保存：页面缺少案件版本信息（页面可能已过期），请刷新页面后再办理。")
    if seen != case.version:
        raise CaseChanged(changed_message(case))


def changed_message(case: DropoutCase) -> str:
    """What the user must know after a refused step: the latest step and the status now."""
    latest = max(case.events, key=lambda e: e.id or 0, default=None)
    done = ""
    if latest is not None:
        who = latest.actor_name or "他人"
        done = f"（最近一步：{who}记录“{latest.kind.label}”，{latest.happened_on:%Y-%m-%d}）"
    return (
        f"未保存：您打开本页后，该案件已有新的办理记录{done}，案件现为“{case.status.label}”。"
        "本次操作未执行，请查看最新情况后再办理。"
    )


# --- Opening ----------------------------------------------------------------------------


def open_case(
    session: Session,
    child: Child,
    kind: CaseKind,
    source: CaseSource,
    reason: OutOfSchoolReason | None = None,
    *,
    on: dt.date,
    actor: User | None = None,
    reason_note: str | None = None,
    family_situation: str | None = None,
    village_person: str | None = None,
    school_person: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> DropoutCase:
    """Open a suspected (疑似) case for ``child``, discovered on ``on``.

    This is the one entry point for every source — a clerk's form, a school's report, an
    import's cross-check — and it only needs the child, what was found (未入学 or 辍学),
    where it came from, and the day. It refuses a second open case for the same child
    and children outside compulsory education; the child's status is left alone until
    the case is confirmed (a suspicion is not yet a fact).
    """
    today = today or local_today()
    errors: dict[str, str] = {}
    if child is None:
        raise CaseError({"child": "请选择儿童"})
    if kind is None:
        errors["kind"] = "请选择案件类型（未入学或辍学）"
    if source is None:
        errors["source"] = "请选择案件来源"
    errors.update(_date_errors("discovered_on", on, today, earliest=child.birth_date))
    if reason == OutOfSchoolReason.OTHER and not _text(reason_note):
        errors["reason_note"] = "原因为“其他”时须写明具体情况"
    if child.status in (ChildStatus.COMPLETED, ChildStatus.MOVED_OUT):
        errors["child"] = f"该儿童状态为“{child.status.label}”，不属于控辍保学对象"
    if child.id is not None:
        open_one = session.scalar(
            select(DropoutCase).where(
                DropoutCase.child_id == child.id, DropoutCase.status.not_in(CLOSED_STATUSES)
            )
        )
        if open_one is not None:
            errors["child"] = (
                f"该儿童已有在办案件（{open_one}，{open_one.status.label}），请在该案件中办理"
            )
    if errors:
        raise CaseError(errors)
    case = DropoutCase(
        child=child,
        kind=kind,
        source=source,
        reason=reason,
        reason_note=_text(reason_note),
        family_situation=_text(family_situation),
        village_person=_text(village_person),
        school_person=_text(school_person),
        discovered_on=on,
        status=CaseStatus.SUSPECTED,
    )
    session.add(case)
    _event(
        session,
        case,
        CaseEventKind.OPEN,
        on,
        actor,
        note or f"来源：{source.label}",
        to_status=CaseStatus.SUSPECTED,
    )
    session.flush()
    return case


# --- Lifecycle transitions ------------------------------------------------------------------


def start_verification(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None = None
) -> CaseEvent:
    """疑似 → 核查中."""
    return _transition(session, case, CaseEventKind.VERIFY, on=on, actor=actor, note=note)


def close_as_elsewhere(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None
) -> CaseEvent:
    """核查中 → 异地就读 (closed): the child attends school elsewhere; push the 学籍 transfer."""
    return _close_verified(
        session, case, CaseEventKind.ELSEWHERE, on, actor, note, "请写明就读学校或地点"
    )


def close_as_exempted(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None
) -> CaseEvent:
    """核查中 → 免缓学 (closed): an approved exemption or deferral."""
    return _close_verified(
        session, case, CaseEventKind.EXEMPTED, on, actor, note, "请写明批准机关和文号"
    )


def close_as_suspended(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None
) -> CaseEvent:
    """核查中 → 休学 (closed): an approved suspension (义务教育法第十一条第二款), a lawful
    closure beside 免缓学; the child's status becomes 休学(批准) so the rates count it as
    such, not as an unexplained absence."""
    return _close_verified(
        session, case, CaseEventKind.SUSPENDED, on, actor, note, "请写明批准机关和文号"
    )


def close_as_in_school(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None
) -> CaseEvent:
    """核查中 / 失联 → 核实在校 (closed): a false alarm (误报), the child is in school.

    The child's status is left as it is — it was right, the suspicion was wrong — and the
    case is counted per source (``false_alarms_by_source``) so a list that raises false
    alarms shows up. A child recorded as out of school cannot be closed this way: the
    record and the finding would contradict each other, so the clerk corrects the record
    (or closes as 异地就读) instead.
    """
    _check_allowed(case, CaseEventKind.IN_SCHOOL)
    errors: dict[str, str] = {}
    if not _text(note):
        errors["note"] = "请写明核实情况（就读学校、班级及核实方式）"
    if case.child.status not in IN_SCHOOL_STATUSES:
        errors["_"] = (
            f"儿童当前就学状态为“{case.child.status.label}”，与核实在校不符："
            "请先更正儿童的就学状态，或按“核实为异地就读”办理"
        )
    if errors:
        raise CaseError(errors)
    event = _transition(session, case, CaseEventKind.IN_SCHOOL, on=on, actor=actor, note=note)
    case.closed_on, case.outcome = on, f"误报，核实在校：{_text(note)}"
    return event


def mark_unreachable(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None
) -> CaseEvent:
    """核查中 → 失联: the child could not be reached after the visits.

    The case stays open (the child is not known to be in school) and is listed apart for
    the report to the 县政府 the policy requires; the child's status is left alone, since
    nothing was established. At least one visit must be logged first: 失联 means "not
    found where we looked", and the log shows where.
    """
    _check_allowed(case, CaseEventKind.UNREACHED)
    errors: dict[str, str] = {}
    if not case.visits:
        errors["_"] = "尚未登记走访：须入户走访查找未果后方可登记失联"
    if not _text(note):
        errors["note"] = "请写明查找经过（走访、电话、亲属及村组了解情况）"
    if errors:
        raise CaseError(errors)
    return _transition(session, case, CaseEventKind.UNREACHED, on=on, actor=actor, note=note)


def close_as_moved_out(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None
) -> CaseEvent:
    """核查中 → 迁出/死亡 (closed)."""
    return _close_verified(
        session, case, CaseEventKind.MOVED_OUT, on, actor, note, "请写明迁往何处或核实情况"
    )


def confirm_case(
    session: Session,
    case: DropoutCase,
    *,
    on: dt.date,
    actor: User | None,
    note: str | None = None,
    reason: OutOfSchoolReason | None = None,
    reason_note: str | None = None,
) -> CaseEvent:
    """核查中 → 确认: the child is out of school; its status becomes 未入学 or 辍学."""
    reason = reason or case.reason
    reason_note = _text(reason_note) or case.reason_note
    errors: dict[str, str] = {}
    if reason is None:
        errors["reason"] = "确认时须选择未入学/辍学原因"
    elif reason == OutOfSchoolReason.OTHER and not reason_note:
        errors["reason_note"] = "原因为“其他”时须写明具体情况"
    if errors:
        _check_allowed(case, CaseEventKind.CONFIRM)
        raise CaseError(errors)
    case.reason, case.reason_note = reason, reason_note
    child_status = ChildStatus(case.kind.value)
    return _transition(
        session,
        case,
        CaseEventKind.CONFIRM,
        on=on,
        actor=actor,
        note=note,
        child_change=(child_status, reason, reason_note),
    )


def start_persuasion(
    session: Session, case: DropoutCase, *, on: dt.date, actor: User | None, note: str | None = None
) -> CaseEvent:
    """确认 → 劝返中."""
    return _transition(session, case, CaseEventKind.PERSUADE, on=on, actor=actor, note=note)


def record_return(
    session: Session,
    case: DropoutCase,
    *,
    on: dt.date,
    actor: User | None,
    placement: ChildStatus,
    school: Any = None,
    grade: int | None = None,
    class_name: str | None = None,
    note: str | None = None,
) -> CaseEvent:
    """劝返中 → 已复学, with the placement (安置); the child's status becomes the placement."""
    _check_allowed(case, CaseEventKind.RETURN)
    child = case.child
    errors: dict[str, str] = {}
    if placement not in PLACEMENT_STATUSES:
        errors["placement"] = "请选择安置方式（在校就读、随班就读、送教上门或特教学校）"
    school = school or child.school
    grade = grade or child.grade
    if placement in (ChildStatus.ENROLLED, ChildStatus.INCLUSIVE) and school is None:
        errors["school"] = f"安置为“{placement.label}”时须选择就读学校"
    if grade is not None and not 1 <= grade <= 9:
        errors["grade"] = "年级应在1–9之间"
    elif placement != ChildStatus.SPECIAL_SCHOOL and grade is None:
        errors["grade"] = "复学须填写年级"
    if errors:
        raise CaseError(errors)
    child.school = school
    if grade is not None:
        child.grade = grade
        child.stage = Stage.PRIMARY if grade <= 6 else Stage.JUNIOR
    if _text(class_name):
        child.class_name = _text(class_name)
    return _transition(
        session,
        case,
        CaseEventKind.RETURN,
        on=on,
        actor=actor,
        note=note or placement_note(placement),
        child_change=(placement, None, None),
    )


def start_follow_up(
    session: Session,
    case: DropoutCase,
    *,
    on: dt.date,
    actor: User | None,
    until: dt.date | None = None,
    note: str | None = None,
) -> CaseEvent:
    """已复学 → 巩固跟踪, watched until ``until`` (by default about one school term)."""
    until = until or (follow_up_end(on) if on else None)
    if on is not None and until is not None and until <= on:
        _check_allowed(case, CaseEventKind.FOLLOW_UP)
        raise CaseError({"until": "跟踪截止日期须晚于开始日期"})
    event = _transition(
        session, case, CaseEventKind.FOLLOW_UP, on=on, actor=actor, note=note, deadline=until
    )
    case.follow_up_until = until
    return event


def close_case(
    session: Session,
    case: DropoutCase,
    *,
    on: dt.date,
    actor: User | None,
    note: str | None = None,
    today: dt.date | None = None,
) -> CaseEvent:
    """巩固跟踪 → 销号: only once the term is over and while the child is still in school."""
    _check_allowed(case, CaseEventKind.CLOSE)
    if case.follow_up_until is not None and on is not None and on < case.follow_up_until:
        raise CaseError({"on": f"巩固跟踪期至{case.follow_up_until:%Y-%m-%d}，期满后方可销号"})
    if case.child.status not in IN_SCHOOL_STATUSES:
        raise CaseError(f"儿童当前状态为“{case.child.status.label}”，不能销号")
    event = _transition(
        session, case, CaseEventKind.CLOSE, on=on, actor=actor, note=note, today=today
    )
    case.closed_on = on
    case.outcome = _text(note) or CLOSED_OUTCOME
    return event


def record_relapse(
    session: Session,
    case: DropoutCase,
    *,
    on: dt.date,
    actor: User | None,
    reason: OutOfSchoolReason | None,
    reason_note: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
) -> CaseEvent:
    """已复学 / 巩固跟踪 → 劝返中 (复辍): the returned child dropped out again.

    The child's status becomes 辍学 with ``reason`` (required; "other" needs
    ``reason_note``), the case's reason becomes the new one (the earlier one stays in the
    child's status history), and the 巩固跟踪 term ends unfinished (``follow_up_until``
    cleared): 销号 needs a new return and a new term. A 未入学 case becomes a 辍学 case:
    the child was placed in school and left it, so the notice due now is the
    劝返复学通知书, not the 入学通知书.

    The case goes on; it is not reopened from the start. Visits, plans, notices and the
    escalation steps already recorded stay valid, and escalation does NOT restart: the
    steps are measures against the same guardians in the same case, and a relapse within
    the watch is their non-compliance resumed — the very thing 巩固跟踪 is there to catch.
    Restarting at 批评教育 would let every relapse wipe out the pressure the policy builds
    up, and the guardians were already criticised and ordered once in this case. So
    the next offered step is the one after the highest recorded; 司法文书 still waits for
    the 责令限期改正 deadline, and a fresh 劝返复学通知书 (with a new deadline) may be issued
    as 劝返中 allows. Once 劝返中 again, the case is unresolved for the overdue watch.
    """
    _check_allowed(case, CaseEventKind.RELAPSE)
    today = today or local_today()
    reason_note = _text(reason_note)
    child = case.child
    errors = _date_errors("on", on, today, earliest=_last_event_date(case))
    if reason is None:
        errors["reason"] = "请选择复辍原因"
    elif reason == OutOfSchoolReason.OTHER and not reason_note:
        errors["reason_note"] = "原因为“其他”时须写明具体情况"
    if child.status in (ChildStatus.COMPLETED, ChildStatus.MOVED_OUT):
        errors["_"] = f"该儿童状态为“{child.status.label}”，不属于控辍保学对象，不能登记复辍"
    if errors:
        raise CaseError(errors)
    summary = f"复辍原因：{reason.label}" + (f"（{reason_note}）" if reason_note else "")
    event = _transition(
        session,
        case,
        CaseEventKind.RELAPSE,
        on=on,
        actor=actor,
        note=f"{summary}；{_text(note)}" if _text(note) else summary,
        child_change=(ChildStatus.DROPOUT, reason, reason_note),
        today=today,
    )
    case.reason, case.reason_note = reason, reason_note
    case.kind = CaseKind.DROPOUT
    case.follow_up_until = None
    return event


# --- Escalation -----------------------------------------------------------------------------


def escalate(
    session: Session,
    case: DropoutCase,
    step: CaseEventKind,
    *,
    on: dt.date,
    actor: User | None,
    note: str | None = None,
    deadline: dt.date | None = None,
    skip_reason: str | None = None,
    today: dt.date | None = None,
) -> CaseEvent:
    """Record an escalation step against the guardians, in the policy's order.

    批评教育 → 责令限期改正 (with a deadline; issues the 责令限期改正通知书) → 司法文书
    (only once that deadline has passed) → 依法追责. A step whose earlier steps are not
    recorded needs ``skip_reason``, which is kept on the event.
    """
    today = today or local_today()
    if step not in ESCALATION_STEPS:
        raise CaseError(f"“{step.label}”不是升级步骤")
    if case.status not in ESCALATION_FROM:
        raise CaseError(f"案件当前为“{case.status.label}”，须在“劝返中”才能记录{step.label}")
    order = ESCALATION_STEPS.index(step)
    recorded = {e.kind: e for e in case.events if e.kind in ESCALATION_STEPS}
    later = [s for s in ESCALATION_STEPS[order:] if s in recorded]
    if later:
        raise CaseError(f"已记录“{later[-1].label}”，升级步骤不能重复或倒退")
    errors = _date_errors("on", on, today, earliest=_last_event_date(case))
    # Steps before the highest recorded one were passed (recorded, or skipped with a reason).
    reached = max((ESCALATION_STEPS.index(s) for s in recorded), default=-1)
    missing = [s.label for s in ESCALATION_STEPS[reached + 1 : order]]
    if missing and not _text(skip_reason):
        errors["skip_reason"] = f"尚未记录“{'、'.join(missing)}”：须先记录，或写明跳过的理由"
    if step == CaseEventKind.RECTIFY:
        if deadline is None:
            errors["deadline"] = "责令限期改正须填写改正期限"
        elif on is not None and deadline <= on:
            errors["deadline"] = "改正期限须晚于责令日期"
    rectified = recorded.get(CaseEventKind.RECTIFY)
    if (
        step == CaseEventKind.JUDICIAL
        and rectified is not None
        and rectified.deadline is not None
        and on is not None
        and on <= rectified.deadline
    ):
        errors["on"] = (
            f"责令限期改正的期限（{rectified.deadline:%Y-%m-%d}）尚未届满，逾期不改的方可进入司法程序"
        )
    if step in (CaseEventKind.JUDICIAL, CaseEventKind.ACCOUNTABILITY) and not _text(note):
        errors["note"] = (
            "请写明司法文书的名称、文号和出具机关"
            if step == CaseEventKind.JUDICIAL
            else "请写明追责情况"
        )
    if errors:
        raise CaseError(errors)
    notice = None
    if step == CaseEventKind.RECTIFY:
        notice = _new_notice(session, case, NoticeKind.RECTIFY, on, deadline, actor)
    return _event(
        session,
        case,
        step,
        on,
        actor,
        note,
        deadline=deadline,
        skip_reason=_text(skip_reason) if missing else None,
        notice=notice,
    )


def escalation_done(case: DropoutCase) -> list[CaseEventKind]:
    """The escalation steps recorded on the case, in order."""
    recorded = {e.kind for e in case.events}
    return [s for s in ESCALATION_STEPS if s in recorded]


# --- Visits, notices, plans -------------------------------------------------------------------


def add_visit(
    session: Session,
    case: DropoutCase,
    *,
    visited_on: dt.date,
    persons: str,
    result: str | None,
    today: dt.date | None = None,
) -> CaseVisit:
    """Log the n-th visit (入户走访) of the case; not before the case was opened."""
    today = today or local_today()
    if case.status not in VISIT_FROM:
        raise CaseError(f"案件已{case.status.label}，不能再登记走访")
    errors = _date_errors("visited_on", visited_on, today)
    if visited_on is not None and visited_on < case.discovered_on:
        errors["visited_on"] = f"走访日期不能早于案件发现日期（{case.discovered_on:%Y-%m-%d}）"
    if not _text(persons):
        errors["persons"] = "请填写走访人员"
    if errors:
        raise CaseError(errors)
    seq = (
        session.scalar(select(func.max(CaseVisit.seq)).where(CaseVisit.case_id == case.id)) or 0
    ) + 1
    visit = CaseVisit(
        case=case, seq=seq, visited_on=visited_on, persons=_text(persons), result=_text(result)
    )
    session.add(visit)
    session.flush()
    return visit


def issue_notice(
    session: Session,
    case: DropoutCase,
    kind: NoticeKind,
    *,
    issued_on: dt.date,
    deadline: dt.date | None,
    actor: User | None,
    note: str | None = None,
    today: dt.date | None = None,
) -> Notice:
    """Issue a 入学通知书 (未入学 cases) or 劝返复学通知书 (辍学 cases) with the next number."""
    today = today or local_today()
    if case.status not in NOTICE_FROM:
        raise CaseError(f"案件当前为“{case.status.label}”，须在确认后（确认或劝返中）开具文书")
    errors = _date_errors("issued_on", issued_on, today, earliest=case.discovered_on)
    expected = NOTICE_FOR_KIND[case.kind]
    if kind != expected:
        errors["kind"] = f"{case.kind.label}案件应开具《{expected.label}》"
    if deadline is None:
        errors["deadline"] = "请填写限期（到校日期）"
    elif issued_on is not None and deadline <= issued_on:
        errors["deadline"] = "限期须晚于开具日期"
    if errors:
        raise CaseError(errors)
    notice = _new_notice(session, case, kind, issued_on, deadline, actor)
    _event(
        session,
        case,
        CaseEventKind.NOTICE,
        issued_on,
        actor,
        note,
        deadline=deadline,
        notice=notice,
    )
    session.flush()
    return notice


def record_notice_result(
    session: Session,
    notice: Notice,
    *,
    served_on: dt.date,
    served_to: str | None,
    result: str | None,
    complied: bool | None,
    actor: User | None,
    today: dt.date | None = None,
) -> CaseEvent:
    """Record the service (送达) of a notice and, once its deadline is reached, whether the
    guardian complied (履行情况)."""
    today = today or local_today()
    errors = _date_errors("served_on", served_on, today, earliest=notice.issued_on)
    if served_on is not None and served_on < notice.issued_on:
        errors["served_on"] = f"送达日期不能早于开具日期（{notice.issued_on:%Y-%m-%d}）"
    if not _text(served_to):
        errors["served_to"] = "请填写受送达人（签收人）"
    if complied is False and notice.deadline is not None and today <= notice.deadline:
        errors["complied"] = f"限期（{notice.deadline:%Y-%m-%d}）未届满，不能记录为逾期未履行"
    if errors:
        raise CaseError(errors)
    notice.served_on, notice.served_to = served_on, _text(served_to)
    notice.result, notice.complied = _text(result), complied
    compliance = {True: "，已按期履行", False: "，逾期未履行", None: ""}[complied]
    summary = f"《{notice.kind.label}》{notice.number}送达{notice.served_to}{compliance}"
    if notice.result:
        summary += f"：{notice.result}"
    return _event(
        session, notice.case, CaseEventKind.SERVED, served_on, actor, summary, notice=notice
    )


def add_plan(
    session: Session,
    case: DropoutCase,
    *,
    measures: str,
    start_on: dt.date,
    review_on: dt.date | None = None,
    village_person: str | None = None,
    school_person: str | None = None,
    whole_household: bool = False,
) -> AssistancePlan:
    """Draw up the case's 一人一案 plan (or 一家一案 for the whole household)."""
    if case.status in CLOSED_STATUSES:
        raise CaseError(f"案件已{case.status.label}，不能再制定帮扶方案")
    child = case.child
    plan = AssistancePlan(
        child=None if whole_household and child.household else child,
        household=child.household,
        measures=_text(measures) or "",
        start_on=start_on,
        review_on=review_on,
        village_person=_text(village_person) or case.village_person,
        school_person=_text(school_person) or case.school_person,
        status=PlanStatus.ACTIVE,
    )
    errors = {} if start_on is not None else {"start_on": "请填写开始日期"}
    with session.no_autoflush:
        errors.update(check_plan(session, plan))
    if errors:
        raise CaseError(errors)
    plan.case = case  # only now: the case's backref would put the plan in the session
    session.add(plan)
    session.flush()
    return plan


# --- Notice numbers ---------------------------------------------------------------------------


def next_notice_seq(session: Session, township_id: int, year: int) -> int:
    """The next notice number of a township and year, drawn inside the caller's transaction.

    The counter row is created if missing (``ON CONFLICT DO NOTHING``), then incremented
    with ``UPDATE … RETURNING``: the update's row lock makes a concurrent issuer wait until
    this transaction ends, so two clerks never draw the same number; a rollback returns the
    number with the notice, so none is skipped and none is reused.
    """
    dialect = session.get_bind().dialect.name
    values = {"township_id": township_id, "year": year, "last_seq": 0}
    if dialect in ("postgresql", "sqlite"):
        insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            insert_fn(NoticeCounter)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["township_id", "year"])
        )
    elif session.get(NoticeCounter, (township_id, year), with_for_update=True) is None:
        session.add(NoticeCounter(**values))
        session.flush()
    return session.execute(
        update(NoticeCounter)
        .where(NoticeCounter.township_id == township_id, NoticeCounter.year == year)
        .values(last_seq=NoticeCounter.last_seq + 1)
        .returning(NoticeCounter.last_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def notice_number(township: str, year: int, seq: int) -> str:
    """联合乡控辍〔2026〕第12号: the name of the township whose counter drew ``seq``, so
    two townships' first notices of a year differ (``notice.number`` is unique)."""
    return f"{township}控辍〔{year}〕第{seq}号"


# --- Overdue watch ----------------------------------------------------------------------------


def visit_days(session: Session) -> int:
    """N of the overdue watch: the 首次走访期限 of the 劝返及时率 indicator (admins set it at
    考核指标), so the watch and the ranking count days alike (``scheme_param``)."""
    return int(scheme_param(session, IndicatorMethod.VISIT_TIMELINESS, "days"))


def visit_overdue(today: dt.date, days: int) -> ColumnElement[bool]:
    """Unresolved cases late for their first visit (``timeliness.first_visit_late``, the rule
    劝返及时率 and 问责 use) and still not visited at all: the watch lists what is left to
    do, and a late visit once made leaves nothing to do (the ranking still counts it late).

    Opened ``days`` days ago is still in time; a day later is late.
    """
    visited = exists().where(CaseVisit.case_id == DropoutCase.id)
    return and_(
        DropoutCase.status.in_(UNRESOLVED_STATUSES), first_visit_late(today, days), ~visited
    )


def deadline_overdue(today: dt.date) -> ColumnElement[bool]:
    """Unresolved cases whose latest notice deadline has passed (the deadline day itself is
    still in time) — the child is not back and someone must act."""
    latest = (
        select(func.max(Notice.deadline)).where(Notice.case_id == DropoutCase.id).scalar_subquery()
    )
    return and_(DropoutCase.status.in_(UNRESOLVED_STATUSES), latest < today)


@dataclass(frozen=True)
class OverdueCase:
    """One line of the dashboard's overdue list, with why it is there."""

    id: int
    child: str
    village: str
    status: CaseStatus
    reasons: tuple[str, ...]


@dataclass
class Watch:
    """Case counts for the dashboard: open cases by status, the two overdue counts, and the
    longest-waiting overdue cases themselves."""

    by_status: dict[CaseStatus, int]
    visit_overdue: int
    deadline_overdue: int
    days: int
    overdue: list[OverdueCase]
    #: 误报 (closed as 核实在校) per source, every source listed.
    false_alarms: dict[CaseSource, int]

    @property
    def unreachable(self) -> int:
        """失联 cases, to be reported to the 县政府."""
        return self.by_status[CaseStatus.UNREACHED]

    @property
    def open_total(self) -> int:
        return sum(n for s, n in self.by_status.items() if s not in CLOSED_STATUSES)


def case_watch(session: Session, scope: ColumnElement[bool], today: dt.date | None = None) -> Watch:
    """Counts for the dashboard within ``scope`` (a criterion on DropoutCase)."""
    today = today or local_today()
    days = visit_days(session)
    by_status = dict.fromkeys(CaseStatus, 0)
    for status, n in session.execute(
        select(DropoutCase.status, func.count(DropoutCase.id))
        .where(scope)
        .group_by(DropoutCase.status)
    ):
        by_status[status] = n

    def count(criterion: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count(DropoutCase.id)).where(scope, criterion)) or 0

    return Watch(
        by_status,
        count(visit_overdue(today, days)),
        count(deadline_overdue(today)),
        days,
        overdue_cases(session, scope, today, days),
        false_alarms_by_source(session, scope),
    )


def false_alarms_by_source(session: Session, scope: ColumnElement[bool]) -> dict[CaseSource, int]:
    """Cases closed as 核实在校 (误报) per source within ``scope``: a roster comparison or
    a report that keeps raising false alarms points at a bad list, not at the children."""
    counts = dict.fromkeys(CaseSource, 0)
    for source, n in session.execute(
        select(DropoutCase.source, func.count(DropoutCase.id))
        .where(scope, DropoutCase.status == CaseStatus.IN_SCHOOL)
        .group_by(DropoutCase.source)
    ):
        counts[source] = n
    return counts


def overdue_cases(
    session: Session,
    scope: ColumnElement[bool],
    today: dt.date,
    days: int,
    limit: int = OVERDUE_LISTED,
) -> list[OverdueCase]:
    """The overdue cases that have waited longest, with the reasons, for the dashboard."""
    latest = (
        select(func.max(Notice.deadline)).where(Notice.case_id == DropoutCase.id).scalar_subquery()
    )
    visited = exists().where(CaseVisit.case_id == DropoutCase.id)
    rows = session.execute(
        select(
            DropoutCase.id,
            Child.name,
            Village.name,
            DropoutCase.status,
            DropoutCase.discovered_on,
            latest.label("deadline"),
            visited.label("visited"),
        )
        .join(Child, Child.id == DropoutCase.child_id)
        .join(Village, Village.id == Child.village_id)
        .where(scope, or_(visit_overdue(today, days), deadline_overdue(today)))
        .order_by(DropoutCase.discovered_on, DropoutCase.id)
        .limit(limit)
    )
    listed = []
    for case_id, child, village, status, found, deadline, was_visited in rows:
        reasons = []
        if not was_visited and (today - found).days > days:
            reasons.append(f"发现{(today - found).days}天未走访")
        if deadline is not None and deadline < today:
            reasons.append(f"限期{deadline:%Y-%m-%d}已过")
        listed.append(OverdueCase(case_id, child, village, status, tuple(reasons)))
    return listed


# --- Helpers ----------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _date_errors(
    field: str, value: dt.date | None, today: dt.date, earliest: dt.date | None = None
) -> dict[str, str]:
    if value is None:
        return {field: "请填写日期"}
    if value > today:
        return {field: "日期不能晚于今天"}
    if earliest is not None and value < earliest:
        return {field: f"日期不能早于{earliest:%Y-%m-%d}"}
    return {}


def _last_event_date(case: DropoutCase) -> dt.date | None:
    dates = [e.happened_on for e in case.events if e.kind != CaseEventKind.SERVED]
    return max(dates, default=case.discovered_on)


def status_after(kind: CaseEventKind, status: CaseStatus) -> CaseStatus:
    """The status a lifecycle step leads to from ``status`` (``TRANSITIONS``); CaseError
    when the step may not be taken there. The demo seed steps its cases through this too."""
    allowed_from, leads_to = TRANSITIONS[kind]
    if status not in allowed_from:
        needed = "、".join(f"“{s.label}”" for s in allowed_from)
        raise CaseError(f"案件当前为“{status.label}”，不能{kind.label}（须在{needed}状态下）")
    return leads_to


def follow_up_end(started_on: dt.date) -> dt.date:
    """The default end of a 巩固跟踪 term begun on ``started_on``; 销号 not before it."""
    return started_on + dt.timedelta(days=FOLLOW_UP_DAYS)


def placement_note(placement: ChildStatus) -> str:
    """The note of a 复学 step recorded without one: how the child was placed."""
    return f"安置方式：{placement.label}"


def _check_allowed(case: DropoutCase, kind: CaseEventKind) -> None:
    status_after(kind, case.status)


def allowed_steps(case: DropoutCase) -> list[CaseEventKind]:
    """Lifecycle and escalation steps the case's status allows now (for the buttons)."""
    steps = [kind for kind, (allowed_from, _) in TRANSITIONS.items() if case.status in allowed_from]
    if case.status in ESCALATION_FROM:
        done = escalation_done(case)
        reached = ESCALATION_STEPS.index(done[-1]) if done else -1
        steps += list(ESCALATION_STEPS[reached + 1 :])
    return steps


def _transition(
    session: Session,
    case: DropoutCase,
    kind: CaseEventKind,
    *,
    on: dt.date,
    actor: User | None,
    note: str | None,
    child_change: tuple[ChildStatus, OutOfSchoolReason | None, str | None] | None = None,
    deadline: dt.date | None = None,
    today: dt.date | None = None,
) -> CaseEvent:
    _check_allowed(case, kind)
    today = today or local_today()
    errors = _date_errors("on", on, today, earliest=_last_event_date(case))
    child = case.child
    if child_change is not None and on is not None and not errors:
        last_change = session.scalar(
            select(func.max(ChildStatusChange.effective_on)).where(
                ChildStatusChange.child_id == child.id
            )
        )
        if last_change is not None and on < last_change and child.status != child_change[0]:
            errors["on"] = f"日期不能早于该儿童上一次就学状态变更（{last_change:%Y-%m-%d}）"
    if errors:
        raise CaseError(errors)
    from_status = case.status
    case.status = TRANSITIONS[kind][1]
    if child_change is not None:
        status, reason, status_note = child_change
        if child.status != status:
            child.status_effective_on = on
        child.status = status
        child.status_reason = reason
        child.status_note = status_note[:200] if status_note else None
    return _event(
        session,
        case,
        kind,
        on,
        actor,
        note,
        from_status=from_status,
        to_status=case.status,
        deadline=deadline,
    )


def _close_verified(
    session: Session,
    case: DropoutCase,
    kind: CaseEventKind,
    on: dt.date,
    actor: User | None,
    note: str | None,
    note_needed: str,
) -> CaseEvent:
    _check_allowed(case, kind)
    if not _text(note):
        raise CaseError({"note": note_needed})
    event = _transition(
        session,
        case,
        kind,
        on=on,
        actor=actor,
        note=note,
        child_change=(CHILD_STATUS_AFTER[kind], None, _text(note)),
    )
    case.closed_on, case.outcome = on, _text(note)
    return event


def _new_notice(
    session: Session,
    case: DropoutCase,
    kind: NoticeKind,
    issued_on: dt.date,
    deadline: dt.date | None,
    actor: User | None,
) -> Notice:
    child = case.child
    township = session.scalars(
        select(Township)
        .join(Village, Village.township_id == Township.id)
        .where(Village.id == child.village_id)
    ).one()
    year = issued_on.year
    seq = next_notice_seq(session, township.id, year)
    notice = Notice(
        case=case,
        township=township,
        kind=kind,
        year=year,
        seq=seq,
        number=notice_number(township.name, year, seq),
        issued_on=issued_on,
        deadline=deadline,
        addressee=child.guardian_name,
        school_name=child.school.name if child.school else None,
        issued_by=actor,
    )
    session.add(notice)
    return notice


def _event(
    session: Session,
    case: DropoutCase,
    kind: CaseEventKind,
    on: dt.date,
    actor: User | None,
    note: str | None,
    **fields: Any,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        kind=kind,
        happened_on=on,
        note=_text(note),
        actor=actor,
        actor_name=actor.display_name if actor is not None else None,
        **fields,
    )
    session.add(event)
    session.flush()
    return event
