"""The case lifecycle of DESIGN.md §3 in ``admin_app.cases.core``: every allowed and refused step,
the child's status and history, escalation order, notice numbers, visits and the overdue watch."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from admin_app.cases import core as cases
from admin_app.cases.core import CaseError
from admin_app.cases.notices import notice_context
from admin_app.choices import (
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    IndicatorMethod,
    NoticeKind,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    AssessmentIndicator,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    Notice,
    NoticeCounter,
    Township,
)
from admin_app.util.dates import local_today
from tests import conftest
from tests.factories import make_child, make_school, make_township, make_user, make_village

TODAY = local_today()
S = CaseStatus
E = CaseEventKind


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def dropout_child(**kw) -> Child:
    defaults = {
        "status": ChildStatus.DROPOUT,
        "status_reason": OutOfSchoolReason.LEARNING,
        "status_effective_on": days_ago(100),
        "grade": 6,
    }
    return make_child(**{**defaults, **kw})


def opened(child: Child | None = None, on: dt.date | None = None, **kw) -> DropoutCase:
    child = child or dropout_child()
    return cases.open_case(
        db.session,
        child,
        kw.pop("kind", CaseKind.DROPOUT),
        kw.pop("source", CaseSource.SCHOOL_REPORT),
        kw.pop("reason", OutOfSchoolReason.LEARNING),
        on=on or days_ago(60),
        actor=kw.pop("actor", None),
        **kw,
    )


def in_status(status: CaseStatus, child: Child | None = None) -> DropoutCase:
    """A case brought to ``status`` through the lifecycle functions themselves (a child
    in school for 核实在校, which a child recorded out of school cannot be)."""
    if child is None and status == S.IN_SCHOOL:
        child = make_child()
    case = opened(child)
    path = {
        S.VERIFYING: [E.VERIFY],
        S.CONFIRMED: [E.VERIFY, E.CONFIRM],
        S.PERSUADING: [E.VERIFY, E.CONFIRM, E.PERSUADE],
        S.RETURNED: [E.VERIFY, E.CONFIRM, E.PERSUADE, E.RETURN],
        S.FOLLOW_UP: [E.VERIFY, E.CONFIRM, E.PERSUADE, E.RETURN, E.FOLLOW_UP],
        S.CLOSED: [E.VERIFY, E.CONFIRM, E.PERSUADE, E.RETURN, E.FOLLOW_UP, E.CLOSE],
        S.ELSEWHERE: [E.VERIFY, E.ELSEWHERE],
        S.EXEMPTED: [E.VERIFY, E.EXEMPTED],
        S.MOVED_OUT: [E.VERIFY, E.MOVED_OUT],
        S.SUSPENDED: [E.VERIFY, E.SUSPENDED],
        S.UNREACHED: [E.VERIFY, E.UNREACHED],
        S.IN_SCHOOL: [E.VERIFY, E.IN_SCHOOL],
    }.get(status, [])
    for offset, kind in enumerate(path):
        run(case, kind, days_ago(50 - offset * 2))
    assert case.status == status
    return case


def run(case: DropoutCase, kind: CaseEventKind, on: dt.date, **kw) -> CaseEvent:
    """Call the lifecycle function of ``kind`` with sensible arguments."""
    s = db.session
    note = kw.pop("note", "核实情况")
    if kind == E.VERIFY:
        return cases.start_verification(s, case, on=on, actor=None, note=note)
    if kind == E.CONFIRM:
        return cases.confirm_case(s, case, on=on, actor=None, note=note)
    if kind == E.ELSEWHERE:
        return cases.close_as_elsewhere(s, case, on=on, actor=None, note="县城第一小学就读")
    if kind == E.EXEMPTED:
        return cases.close_as_exempted(s, case, on=on, actor=None, note="县教育局批准缓学")
    if kind == E.MOVED_OUT:
        return cases.close_as_moved_out(s, case, on=on, actor=None, note="全家迁往外省")
    if kind == E.SUSPENDED:
        return cases.close_as_suspended(s, case, on=on, actor=None, note="县教育局批准休学一年")
    if kind == E.IN_SCHOOL:
        return cases.close_as_in_school(s, case, on=on, actor=None, note="本校五年级在读")
    if kind == E.UNREACHED:
        if not case.visits and case.status in cases.TRANSITIONS[E.UNREACHED][0]:
            cases.add_visit(s, case, visited_on=on, persons="村干部", result="家中无人")
        return cases.mark_unreachable(s, case, on=on, actor=None, note="三次入户无人，电话停机")
    if kind == E.PERSUADE:
        return cases.start_persuasion(s, case, on=on, actor=None, note=note)
    if kind == E.RETURN:
        return cases.record_return(
            s, case, on=on, actor=None, placement=kw.pop("placement", ChildStatus.ENROLLED)
        )
    if kind == E.FOLLOW_UP:
        return cases.start_follow_up(s, case, on=on, actor=None, until=on + dt.timedelta(days=1))
    if kind == E.CLOSE:
        return cases.close_case(s, case, on=on + dt.timedelta(days=1), actor=None)
    if kind == E.RELAPSE:
        reason = kw.pop("reason", OutOfSchoolReason.POVERTY)
        return cases.record_relapse(s, case, on=on, actor=None, reason=reason, note=note)
    raise AssertionError(kind)


def history(child: Child) -> list[tuple[ChildStatus | None, ChildStatus, dt.date]]:
    db.session.flush()
    rows = db.session.scalars(
        select(ChildStatusChange)
        .where(ChildStatusChange.child_id == child.id)
        .order_by(ChildStatusChange.effective_on, ChildStatusChange.id)
    )
    return [(r.from_status, r.to_status, r.effective_on) for r in rows]


# --- Allowed transitions -------------------------------------------------------------------


def test_the_whole_lifecycle_moves_the_child_and_writes_its_history(ctx):
    clerk = make_user(Role.CLERK, display_name="张办事员")
    child = make_child(status_effective_on=days_ago(200))  # in school; reported missing
    case = cases.open_case(
        db.session,
        child,
        CaseKind.DROPOUT,
        CaseSource.SCHOOL_REPORT,
        on=days_ago(60),
        actor=clerk,
    )
    assert case.status == S.SUSPECTED
    assert child.status == ChildStatus.ENROLLED  # a suspicion does not change the child

    cases.start_verification(db.session, case, on=days_ago(59), actor=clerk)
    cases.confirm_case(
        db.session,
        case,
        on=days_ago(58),
        actor=clerk,
        reason=OutOfSchoolReason.WORK,
        note="跟随亲戚外出打工",
    )
    assert (child.status, child.status_reason) == (ChildStatus.DROPOUT, OutOfSchoolReason.WORK)
    cases.start_persuasion(db.session, case, on=days_ago(57), actor=clerk)
    cases.record_return(
        db.session, case, on=days_ago(30), actor=clerk, placement=ChildStatus.ENROLLED
    )
    assert (child.status, child.status_reason) == (ChildStatus.ENROLLED, None)
    cases.start_follow_up(db.session, case, on=days_ago(29), actor=clerk, until=days_ago(2))
    cases.close_case(db.session, case, on=days_ago(1), actor=clerk, note="巩固一学期，销号")
    assert case.status == S.CLOSED and case.closed_on == days_ago(1)

    assert history(child) == [
        (None, ChildStatus.ENROLLED, days_ago(200)),
        (ChildStatus.ENROLLED, ChildStatus.DROPOUT, days_ago(58)),
        (ChildStatus.DROPOUT, ChildStatus.ENROLLED, days_ago(30)),
    ]
    events = [(e.kind, e.from_status, e.to_status, e.actor_name) for e in case.events]
    assert events == [
        (E.OPEN, None, S.SUSPECTED, "张办事员"),
        (E.VERIFY, S.SUSPECTED, S.VERIFYING, "张办事员"),
        (E.CONFIRM, S.VERIFYING, S.CONFIRMED, "张办事员"),
        (E.PERSUADE, S.CONFIRMED, S.PERSUADING, "张办事员"),
        (E.RETURN, S.PERSUADING, S.RETURNED, "张办事员"),
        (E.FOLLOW_UP, S.RETURNED, S.FOLLOW_UP, "张办事员"),
        (E.CLOSE, S.FOLLOW_UP, S.CLOSED, "张办事员"),
    ]


@pytest.mark.parametrize(
    ("kind", "case_status", "child_status"),
    [
        (E.ELSEWHERE, S.ELSEWHERE, ChildStatus.ELSEWHERE),
        (E.EXEMPTED, S.EXEMPTED, ChildStatus.EXEMPTED),
        (E.MOVED_OUT, S.MOVED_OUT, ChildStatus.MOVED_OUT),
        (E.SUSPENDED, S.SUSPENDED, ChildStatus.SUSPENDED),
    ],
)
def test_verification_closes_a_case_and_sets_the_child(ctx, kind, case_status, child_status):
    case = in_status(S.VERIFYING)
    run(case, kind, days_ago(10))
    assert case.status == case_status
    assert case.closed_on == days_ago(10)
    assert case.child.status == child_status
    assert history(case.child)[-1] == (ChildStatus.DROPOUT, child_status, days_ago(10))


def test_a_false_alarm_closes_the_case_and_leaves_the_child_as_it_was(ctx):
    child = make_child(status_effective_on=days_ago(200))  # in school, reported missing
    case = in_status(S.VERIFYING, child)
    run(case, E.IN_SCHOOL, days_ago(10))
    assert (case.status, case.closed_on) == (S.IN_SCHOOL, days_ago(10))
    assert case.outcome == "误报，核实在校：本校五年级在读"
    assert child.status == ChildStatus.ENROLLED
    assert history(child) == [(None, ChildStatus.ENROLLED, days_ago(200))]
    assert case.events[-1].kind == E.IN_SCHOOL and case.events[-1].note == "本校五年级在读"
    assert cases.allowed_steps(case) == []
    # A closed case lets a new suspicion be opened.
    assert opened(child, on=days_ago(3)).status == S.SUSPECTED


def test_a_false_alarm_needs_a_note_and_a_child_recorded_in_school(ctx):
    case = in_status(S.VERIFYING, make_child())
    with pytest.raises(CaseError) as err:
        cases.close_as_in_school(db.session, case, on=days_ago(1), actor=None, note=" ")
    assert set(err.value.errors) == {"note"}
    recorded_out = in_status(S.VERIFYING)  # a child recorded as 辍学
    with pytest.raises(CaseError) as err:
        run(recorded_out, E.IN_SCHOOL, days_ago(1))
    assert "与核实在校不符" in err.value.errors["_"]
    assert (case.status, recorded_out.status) == (S.VERIFYING, S.VERIFYING)
    assert recorded_out.child.status == ChildStatus.DROPOUT


def test_unreachable_needs_a_visit_and_stays_open(ctx):
    case = in_status(S.VERIFYING, make_child())
    with pytest.raises(CaseError) as err:
        cases.mark_unreachable(db.session, case, on=days_ago(5), actor=None, note="查无此人")
    assert "尚未登记走访" in err.value.errors["_"]
    assert case.status == S.VERIFYING
    run(case, E.UNREACHED, days_ago(5))
    assert case.status == S.UNREACHED and case.closed_on is None
    assert case.status in cases.UNRESOLVED_STATUSES and case.status not in cases.CLOSED_STATUSES
    assert case.child.status == ChildStatus.ENROLLED  # nothing was established
    assert cases.allowed_steps(case) == [E.CONFIRM, E.IN_SCHOOL]


def test_an_unreachable_child_found_out_of_school_is_confirmed(ctx):
    case = in_status(S.UNREACHED, make_child())
    run(case, E.CONFIRM, days_ago(1))
    assert case.status == S.CONFIRMED
    assert case.child.status == ChildStatus.DROPOUT


def test_an_unreachable_child_found_in_school_is_a_false_alarm(ctx):
    case = in_status(S.UNREACHED, make_child())
    run(case, E.IN_SCHOOL, days_ago(1))
    assert case.status == S.IN_SCHOOL
    assert case.child.status == ChildStatus.ENROLLED


def test_false_alarms_are_counted_by_source_and_unreachable_on_the_watch(ctx):
    roster = [
        in_status(S.VERIFYING, opened_child)
        for opened_child in (make_child(), make_child(), make_child())
    ]
    for case in roster:
        case.source = CaseSource.ROSTER_COMPARISON
    run(roster[0], E.IN_SCHOOL, days_ago(5))
    run(roster[1], E.IN_SCHOOL, days_ago(5))
    run(roster[2], E.UNREACHED, days_ago(5))
    visited = in_status(S.VERIFYING, make_child())  # 学校报告
    run(visited, E.IN_SCHOOL, days_ago(5))
    db.session.flush()
    ids = [c.id for c in (*roster, visited)]
    watch = cases.case_watch(db.session, DropoutCase.id.in_(ids))
    assert watch.false_alarms[CaseSource.ROSTER_COMPARISON] == 2
    assert watch.false_alarms[CaseSource.SCHOOL_REPORT] == 1
    assert watch.false_alarms[CaseSource.HOUSEHOLD_CHECK] == 0
    assert watch.unreachable == 1 and watch.open_total == 1


@pytest.mark.parametrize("placement", cases.PLACEMENT_STATUSES)
def test_every_placement_is_the_child_status_after_return(ctx, placement):
    case = in_status(S.PERSUADING)
    run(case, E.RETURN, days_ago(5), placement=placement)
    assert case.child.status == placement


def test_status_is_not_in_any_form_only_the_functions_change_it(ctx):
    # The lifecycle functions are the one path; a closed branch needs its note.
    case = in_status(S.VERIFYING)
    with pytest.raises(CaseError) as err:
        cases.close_as_elsewhere(db.session, case, on=days_ago(1), actor=None, note="  ")
    assert err.value.errors == {"note": "请写明就读学校或地点"}
    assert case.status == S.VERIFYING


# --- Refused transitions -------------------------------------------------------------------

LIFECYCLE = [
    E.VERIFY,
    E.CONFIRM,
    E.ELSEWHERE,
    E.EXEMPTED,
    E.MOVED_OUT,
    E.SUSPENDED,
    E.IN_SCHOOL,
    E.UNREACHED,
    E.PERSUADE,
    E.RETURN,
    E.FOLLOW_UP,
    E.CLOSE,
    E.RELAPSE,
]
REFUSED = [
    (status, kind)
    for status in CaseStatus
    for kind in LIFECYCLE
    if status not in cases.TRANSITIONS[kind][0]
]


@pytest.mark.parametrize(("status", "kind"), REFUSED, ids=lambda v: v.value)
def test_every_transition_the_lifecycle_does_not_allow_is_refused(ctx, status, kind):
    case = in_status(status)
    child_status = case.child.status
    events = len(case.events)
    with pytest.raises(CaseError) as err:
        run(case, kind, days_ago(1))
    assert f"案件当前为“{status.label}”，不能{kind.label}" in str(err.value)
    assert case.status == status
    assert case.child.status == child_status
    assert len(case.events) == events


def test_steps_refuse_dates_in_the_future_or_before_the_last_step(ctx):
    case = in_status(S.SUSPECTED)
    with pytest.raises(CaseError) as err:
        cases.start_verification(db.session, case, on=TODAY + dt.timedelta(days=1), actor=None)
    assert err.value.errors == {"on": "日期不能晚于今天"}
    with pytest.raises(CaseError) as err:
        cases.start_verification(db.session, case, on=days_ago(61), actor=None)
    assert err.value.errors == {"on": f"日期不能早于{days_ago(60):%Y-%m-%d}"}
    assert case.status == S.SUSPECTED


def test_opening_refuses_a_second_open_case_and_children_out_of_scope(ctx):
    child = dropout_child()
    opened(child)
    with pytest.raises(CaseError) as err:
        opened(child)
    assert "该儿童已有在办案件" in err.value.errors["child"]
    done = make_child(status=ChildStatus.COMPLETED, grade=None, school=None, stage=None)
    with pytest.raises(CaseError) as err:
        opened(done)
    assert err.value.errors["child"] == "该儿童状态为“已完成义务教育”，不属于控辍保学对象"
    with pytest.raises(CaseError) as err:
        opened(dropout_child(), reason=OutOfSchoolReason.OTHER)
    assert err.value.errors == {"reason_note": "原因为“其他”时须写明具体情况"}
    with pytest.raises(CaseError) as err:
        opened(dropout_child(), on=TODAY + dt.timedelta(days=1))
    assert err.value.errors == {"discovered_on": "日期不能晚于今天"}


def test_a_closed_case_lets_a_new_one_be_opened(ctx):
    case = in_status(S.ELSEWHERE)
    again = opened(case.child, on=days_ago(3))
    assert again.status == S.SUSPECTED


def test_confirmation_needs_a_reason(ctx):
    case = opened(make_child(), reason=None)
    cases.start_verification(db.session, case, on=days_ago(59), actor=None)
    with pytest.raises(CaseError) as err:
        cases.confirm_case(db.session, case, on=days_ago(58), actor=None)
    assert err.value.errors == {"reason": "确认时须选择未入学/辍学原因"}
    assert case.status == S.VERIFYING and case.child.status == ChildStatus.ENROLLED


def test_return_needs_a_school_and_grade_for_plain_enrolment(ctx):
    child = dropout_child(school=None, grade=None, stage=None)
    case = in_status(S.PERSUADING, child)
    with pytest.raises(CaseError) as err:
        cases.record_return(
            db.session, case, on=days_ago(1), actor=None, placement=ChildStatus.ENROLLED
        )
    assert err.value.errors == {
        "school": "安置为“在校就读”时须选择就读学校",
        "grade": "复学须填写年级",
    }
    assert child.status == ChildStatus.DROPOUT


def test_closing_waits_for_the_follow_up_term_and_a_child_in_school(ctx):
    case = in_status(S.RETURNED)
    cases.start_follow_up(db.session, case, on=days_ago(20), actor=None, until=days_ago(5))
    with pytest.raises(CaseError) as err:
        cases.close_case(db.session, case, on=days_ago(6), actor=None)
    assert err.value.errors == {"on": f"巩固跟踪期至{days_ago(5):%Y-%m-%d}，期满后方可销号"}
    case.child.status = ChildStatus.DROPOUT  # dropped out again during the term
    with pytest.raises(CaseError) as err:
        cases.close_case(db.session, case, on=days_ago(5), actor=None)
    assert "儿童当前状态为“辍学”，不能销号" in str(err.value)
    assert case.status == S.FOLLOW_UP


def test_follow_up_until_defaults_to_a_term_and_must_be_later(ctx):
    case = in_status(S.RETURNED)
    with pytest.raises(CaseError) as err:
        cases.start_follow_up(db.session, case, on=days_ago(20), actor=None, until=days_ago(20))
    assert err.value.errors == {"until": "跟踪截止日期须晚于开始日期"}
    cases.start_follow_up(db.session, case, on=days_ago(20), actor=None)
    assert case.follow_up_until == days_ago(20) + dt.timedelta(days=cases.FOLLOW_UP_DAYS)


# --- Escalation ----------------------------------------------------------------------------


def escalate(case, step, on, **kw):
    return cases.escalate(db.session, case, step, on=on, actor=None, **kw)


def test_escalation_in_order_with_the_rectify_notice(ctx):
    case = in_status(S.PERSUADING)
    escalate(case, E.CRITICISM, days_ago(40), note="入户批评教育")
    event = escalate(case, E.RECTIFY, days_ago(30), deadline=days_ago(20))
    assert event.notice.kind == NoticeKind.RECTIFY
    assert event.notice.deadline == days_ago(20)
    escalate(case, E.JUDICIAL, days_ago(19), note="县法院支持起诉意见书（2026）第3号")
    escalate(case, E.ACCOUNTABILITY, days_ago(10), note="移送公安机关训诫")
    assert cases.escalation_done(case) == list(cases.ESCALATION_STEPS)
    assert case.status == S.PERSUADING


def test_a_skipped_step_needs_a_reason_that_is_kept(ctx):
    case = in_status(S.PERSUADING)
    with pytest.raises(CaseError) as err:
        escalate(case, E.RECTIFY, days_ago(30), deadline=days_ago(20))
    assert err.value.errors == {"skip_reason": "尚未记录“批评教育”：须先记录，或写明跳过的理由"}
    assert db.session.scalar(select(func.count(Notice.id))) == 0
    event = escalate(
        case, E.RECTIFY, days_ago(30), deadline=days_ago(20), skip_reason="家长拒不见面"
    )
    assert event.skip_reason == "家长拒不见面"
    with pytest.raises(CaseError) as err:
        escalate(case, E.ACCOUNTABILITY, days_ago(10), note="追责")
    assert "尚未记录“司法文书”" in err.value.errors["skip_reason"]


def test_escalation_never_repeats_or_goes_back(ctx):
    case = in_status(S.PERSUADING)
    escalate(case, E.CRITICISM, days_ago(40))
    escalate(case, E.RECTIFY, days_ago(30), deadline=days_ago(25))
    for step in (E.CRITICISM, E.RECTIFY):
        with pytest.raises(CaseError) as err:
            escalate(case, step, days_ago(20), deadline=days_ago(10))
        assert "已记录“责令限期改正”，升级步骤不能重复或倒退" in str(err.value)


def test_judicial_step_waits_for_the_rectify_deadline(ctx):
    case = in_status(S.PERSUADING)
    escalate(case, E.CRITICISM, days_ago(40))
    escalate(case, E.RECTIFY, days_ago(30), deadline=days_ago(10))
    with pytest.raises(CaseError) as err:
        escalate(case, E.JUDICIAL, days_ago(10), note="司法建议书")
    assert "尚未届满" in err.value.errors["on"]
    escalate(case, E.JUDICIAL, days_ago(9), note="司法建议书")


def test_rectify_needs_a_deadline_after_its_date(ctx):
    case = in_status(S.PERSUADING)
    escalate(case, E.CRITICISM, days_ago(40))
    with pytest.raises(CaseError) as err:
        escalate(case, E.RECTIFY, days_ago(30))
    assert err.value.errors == {"deadline": "责令限期改正须填写改正期限"}
    with pytest.raises(CaseError) as err:
        escalate(case, E.RECTIFY, days_ago(30), deadline=days_ago(31))
    assert err.value.errors == {"deadline": "改正期限须晚于责令日期"}
    assert db.session.scalar(select(func.count(Notice.id))) == 0


def test_escalation_only_while_persuading(ctx):
    case = in_status(S.CONFIRMED)
    with pytest.raises(CaseError) as err:
        escalate(case, E.CRITICISM, days_ago(1))
    assert "须在“劝返中”才能记录批评教育" in str(err.value)


# --- Notices -------------------------------------------------------------------------------


def test_notices_are_numbered_per_township_and_year(ctx, app):
    case = in_status(S.PERSUADING)
    first = cases.issue_notice(
        db.session,
        case,
        NoticeKind.RETURN,
        issued_on=days_ago(40),
        deadline=days_ago(30),
        actor=None,
    )
    second = escalate(case, E.RECTIFY, days_ago(29), deadline=days_ago(20), skip_reason="拒不改正")
    year = days_ago(40).year
    assert first.number == f"联合乡控辍〔{year}〕第1号"
    assert second.notice.seq == 2 if days_ago(29).year == year else second.notice.seq == 1
    assert first.addressee == case.child.guardian_name
    assert first.school_name == case.child.school.name
    # Another year starts again at 1; another township keeps its own count.
    assert cases.next_notice_seq(db.session, first.township_id, year - 5) == 1
    other = make_township(name="新华乡")
    assert cases.next_notice_seq(db.session, other.id, year) == 1
    assert cases.next_notice_seq(db.session, first.township_id, year - 5) == 2


def test_two_townships_each_issue_their_first_notice(ctx):
    """The number carries the name of the township whose counter drew it (its Township
    row, not the configured name): the second township's first notice of the year does
    not collide with the first township's on ``notice.number``."""
    here = in_status(S.PERSUADING)
    other = make_township(name="新华乡", code="430121101000")
    there_child = dropout_child(
        village=make_village(township=other), school=make_school(township=other)
    )
    there = in_status(S.PERSUADING, child=there_child)
    issued = [
        cases.issue_notice(
            db.session,
            case,
            NoticeKind.RETURN,
            issued_on=days_ago(40),
            deadline=days_ago(30),
            actor=None,
        )
        for case in (here, there)
    ]
    db.session.flush()
    year = days_ago(40).year
    assert [n.number for n in issued] == [
        f"联合乡控辍〔{year}〕第1号",
        f"新华乡控辍〔{year}〕第1号",
    ]
    assert notice_context(issued[1])["issuer"] == "新华乡人民政府"


def test_notice_rules(ctx):
    case = in_status(S.PERSUADING)

    def issue(kind=NoticeKind.RETURN, issued_on=None, deadline="default"):
        return cases.issue_notice(
            db.session,
            case,
            kind,
            issued_on=issued_on or days_ago(10),
            deadline=days_ago(5) if deadline == "default" else deadline,
            actor=None,
        )

    with pytest.raises(CaseError) as err:
        issue(deadline=days_ago(11))
    assert err.value.errors == {"deadline": "限期须晚于开具日期"}
    with pytest.raises(CaseError) as err:
        issue(deadline=None)
    assert err.value.errors == {"deadline": "请填写限期（到校日期）"}
    with pytest.raises(CaseError) as err:
        issue(kind=NoticeKind.ENROLMENT)
    assert err.value.errors == {"kind": "辍学案件应开具《劝返复学通知书》"}
    with pytest.raises(CaseError) as err:
        issue(issued_on=days_ago(61))
    assert "issued_on" in err.value.errors
    assert db.session.scalar(select(func.count(Notice.id))) == 0
    assert db.session.scalar(select(func.count(NoticeCounter.year))) == 0
    suspected = in_status(S.VERIFYING)
    with pytest.raises(CaseError):
        cases.issue_notice(
            db.session,
            suspected,
            NoticeKind.RETURN,
            issued_on=days_ago(1),
            deadline=TODAY,
            actor=None,
        )


def test_service_and_compliance_are_recorded(ctx):
    case = in_status(S.PERSUADING)
    notice = cases.issue_notice(
        db.session, case, NoticeKind.RETURN, issued_on=days_ago(10), deadline=TODAY, actor=None
    )
    with pytest.raises(CaseError) as err:
        cases.record_notice_result(
            db.session,
            notice,
            served_on=days_ago(11),
            served_to="王大山",
            result=None,
            complied=None,
            actor=None,
        )
    assert err.value.errors == {"served_on": f"送达日期不能早于开具日期（{days_ago(10):%Y-%m-%d}）"}
    with pytest.raises(CaseError) as err:
        cases.record_notice_result(
            db.session,
            notice,
            served_on=days_ago(9),
            served_to="王大山",
            result=None,
            complied=False,
            actor=None,
        )
    assert "未届满" in err.value.errors["complied"]
    event = cases.record_notice_result(
        db.session,
        notice,
        served_on=days_ago(9),
        served_to="王大山",
        result="当面送达，家长签收",
        complied=None,
        actor=None,
    )
    assert (notice.served_on, notice.served_to) == (days_ago(9), "王大山")
    assert event.kind == E.SERVED and notice.number in event.note


# --- Visits and plans ----------------------------------------------------------------------


def test_visits_are_numbered_and_not_before_the_case_opened(ctx):
    case = in_status(S.PERSUADING)
    with pytest.raises(CaseError) as err:
        cases.add_visit(db.session, case, visited_on=days_ago(61), persons="刘主任", result=None)
    message = f"走访日期不能早于案件发现日期（{days_ago(60):%Y-%m-%d}）"
    assert err.value.errors == {"visited_on": message}
    with pytest.raises(CaseError) as err:
        cases.add_visit(db.session, case, visited_on=days_ago(50), persons=" ", result=None)
    assert err.value.errors == {"persons": "请填写走访人员"}
    assert db.session.scalar(select(func.count(CaseVisit.id))) == 0
    first = cases.add_visit(db.session, case, visited_on=days_ago(60), persons="刘主任", result="a")
    second = cases.add_visit(db.session, case, visited_on=days_ago(55), persons="刘主任", result="")
    assert (first.seq, second.seq) == (1, 2)
    closed = in_status(S.ELSEWHERE)
    with pytest.raises(CaseError):
        cases.add_visit(db.session, closed, visited_on=days_ago(1), persons="刘主任", result=None)


def test_a_plan_is_linked_to_the_case(ctx):
    case = in_status(S.PERSUADING)
    with pytest.raises(CaseError) as err:
        cases.add_plan(db.session, case, measures=" ", start_on=days_ago(5))
    assert err.value.errors == {"measures": "请填写帮扶措施"}
    assert case.plans == []
    plan = cases.add_plan(db.session, case, measures="班主任结对辅导", start_on=days_ago(5))
    assert plan.case is case and plan.child is case.child
    assert case.plans == [plan]


# --- Overdue watch -------------------------------------------------------------------------


def overdue_ids(criterion) -> set[int]:
    db.session.flush()
    return set(db.session.scalars(select(DropoutCase.id).where(criterion)))


@pytest.mark.parametrize(("age", "late"), [(6, False), (7, False), (8, True)])
def test_visit_overdue_boundary_at_seven_days(ctx, age, late):
    case = opened(on=days_ago(age))
    days = cases.visit_days(db.session)
    assert days == 7
    assert (case.id in overdue_ids(cases.visit_overdue(TODAY, days))) is late
    cases.add_visit(db.session, case, visited_on=TODAY, persons="刘主任", result=None)
    assert case.id not in overdue_ids(cases.visit_overdue(TODAY, days))


def test_visit_days_is_the_timeliness_indicator_setting(ctx):
    indicator = db.session.scalar(
        select(AssessmentIndicator).where(
            AssessmentIndicator.method == IndicatorMethod.VISIT_TIMELINESS
        )
    )
    indicator.params = {"days": 3}
    db.session.flush()
    assert cases.visit_days(db.session) == 3
    just_late = opened(on=days_ago(4))
    in_time = opened(on=days_ago(3))
    late = overdue_ids(cases.visit_overdue(TODAY, 3))
    assert just_late.id in late and in_time.id not in late


@pytest.mark.parametrize(("offset", "late"), [(1, False), (0, False), (-1, True)])
def test_deadline_overdue_boundary(ctx, offset, late):
    case = in_status(S.PERSUADING)
    cases.issue_notice(
        db.session,
        case,
        NoticeKind.RETURN,
        issued_on=days_ago(20),
        deadline=TODAY + dt.timedelta(days=offset),
        actor=None,
    )
    assert (case.id in overdue_ids(cases.deadline_overdue(TODAY))) is late


def test_returned_cases_leave_the_watch(ctx):
    case = in_status(S.PERSUADING)
    cases.issue_notice(
        db.session,
        case,
        NoticeKind.RETURN,
        issued_on=days_ago(20),
        deadline=days_ago(10),
        actor=None,
    )
    assert case.id in overdue_ids(cases.deadline_overdue(TODAY))
    run(case, E.RETURN, days_ago(1))
    assert case.id not in overdue_ids(cases.deadline_overdue(TODAY))


# --- Concurrent numbering (PostgreSQL) -----------------------------------------------------


@pytest.mark.skipif(
    not (conftest.TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="row locks under real concurrency: PostgreSQL only",
)
def test_two_clerks_issuing_at_once_never_share_a_number(app):
    with app.app_context():
        township = make_township()
        village = make_village(township)
        school = make_school(township)
        case_ids = []
        for _ in range(2):
            child = dropout_child(village=village, school=school)
            case = in_status(S.PERSUADING, child)
            case_ids.append(case.id)
        db.session.commit()
        township_id = township.id

    rounds = 10
    barrier = threading.Barrier(2)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def clerk(case_id: int) -> None:
        try:
            with app.app_context():
                for _ in range(rounds):
                    case = db.session.get(DropoutCase, case_id)
                    barrier.wait(timeout=20)
                    notice = cases.issue_notice(
                        db.session,
                        case,
                        NoticeKind.RETURN,
                        issued_on=days_ago(5),
                        deadline=TODAY + dt.timedelta(days=10),
                        actor=None,
                    )
                    # Hold the lock a moment: the other clerk must wait, not read stale.
                    db.session.execute(select(func.pg_sleep(0.02)))
                    numbers.append(notice.number)
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=clerk, args=(case_id,)) for case_id in case_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    year = days_ago(5).year
    expected = [f"联合乡控辍〔{year}〕第{n}号" for n in range(1, 2 * rounds + 1)]
    assert sorted(numbers) == sorted(expected)
    with app.app_context():
        counter = db.session.get(NoticeCounter, (township_id, year))
        assert counter.last_seq == 2 * rounds
        assert db.session.scalar(select(func.count(Notice.id))) == 2 * rounds
        assert db.session.scalar(select(func.count(Township.id))) == 1


def test_a_rolled_back_issue_gives_its_number_back(app):
    with app.app_context():
        case = in_status(S.PERSUADING)
        db.session.commit()
        case_id = case.id

        def issue() -> Notice:
            return cases.issue_notice(
                db.session,
                db.session.get(DropoutCase, case_id),
                NoticeKind.RETURN,
                issued_on=days_ago(5),
                deadline=TODAY + dt.timedelta(days=5),
                actor=None,
            )

        assert issue().seq == 1
        db.session.rollback()  # the clerk's save failed: neither notice nor number remain
        assert issue().seq == 1
        db.session.commit()
        assert issue().seq == 2
        db.session.commit()
        assert db.session.scalar(select(func.count(Notice.id))) == 2


def test_the_watch_lists_overdue_cases_with_their_reasons(ctx):
    from sqlalchemy import true

    both = in_status(S.PERSUADING)  # found 60 days ago, never visited
    cases.issue_notice(
        db.session,
        both,
        NoticeKind.RETURN,
        issued_on=days_ago(20),
        deadline=days_ago(1),
        actor=None,
    )
    visited = opened(on=days_ago(30))
    cases.add_visit(db.session, visited, visited_on=days_ago(29), persons="刘主任", result=None)
    watch = cases.case_watch(db.session, true(), TODAY)
    assert (watch.visit_overdue, watch.deadline_overdue) == (1, 1)
    assert [(c.id, c.reasons) for c in watch.overdue] == [
        (both.id, ("发现60天未走访", f"限期{days_ago(1):%Y-%m-%d}已过"))
    ]
    assert watch.by_status[S.PERSUADING] == 1 and watch.open_total == 2


# --- 复辍: a returned child drops out again -------------------------------------------------


def relapse_reasons(child: Child) -> list[OutOfSchoolReason | None]:
    db.session.flush()
    return list(
        db.session.scalars(
            select(ChildStatusChange.reason)
            .where(ChildStatusChange.child_id == child.id)
            .order_by(ChildStatusChange.effective_on, ChildStatusChange.id)
        )
    )


@pytest.mark.parametrize("status", [S.RETURNED, S.FOLLOW_UP])
def test_a_relapse_takes_the_case_back_to_persuasion_and_the_child_out(ctx, status):
    clerk = make_user(Role.CLERK, display_name="张办事员")
    case = in_status(status)  # returned 44 days ago, follow-up from 42 days ago
    child = case.child
    assert child.status == ChildStatus.ENROLLED
    event = cases.record_relapse(
        db.session,
        case,
        on=days_ago(5),
        actor=clerk,
        reason=OutOfSchoolReason.POVERTY,
        reason_note="父亲病重，家中无人照看",
        note="班主任报告连续五天未到校",
    )
    assert case.status == S.PERSUADING
    assert case.follow_up_until is None
    assert (case.reason, case.reason_note) == (OutOfSchoolReason.POVERTY, "父亲病重，家中无人照看")
    assert (event.kind, event.from_status, event.to_status) == (E.RELAPSE, status, S.PERSUADING)
    assert event.actor_name == "张办事员" and event.happened_on == days_ago(5)
    assert event.note == (
        "复辍原因：家庭经济困难（父亲病重，家中无人照看）；班主任报告连续五天未到校"
    )
    assert (child.status, child.status_reason) == (ChildStatus.DROPOUT, OutOfSchoolReason.POVERTY)
    assert child.status_note == "父亲病重，家中无人照看"
    assert history(child)[-2:] == [
        (ChildStatus.DROPOUT, ChildStatus.ENROLLED, days_ago(44)),
        (ChildStatus.ENROLLED, ChildStatus.DROPOUT, days_ago(5)),
    ]
    assert relapse_reasons(child)[-1] == OutOfSchoolReason.POVERTY


def test_a_relapsed_not_enrolled_case_becomes_a_dropout_case(ctx):
    """The child was placed in school and left it: the notice due is 劝返复学, not 入学."""
    case = in_status(S.RETURNED)
    case.kind = CaseKind.NOT_ENROLLED
    cases.record_relapse(
        db.session, case, on=days_ago(5), actor=None, reason=OutOfSchoolReason.WORK
    )
    assert case.kind == CaseKind.DROPOUT
    assert cases.NOTICE_FOR_KIND[case.kind] == NoticeKind.RETURN


def test_a_relapse_needs_a_reason_and_a_date_after_the_last_step(ctx):
    case = in_status(S.FOLLOW_UP)  # the follow-up began 42 days ago
    child, events, until = case.child, len(case.events), case.follow_up_until

    def refused(**kw) -> dict[str, str]:
        args = {"on": days_ago(5), "actor": None, "reason": OutOfSchoolReason.WORK, **kw}
        with pytest.raises(CaseError) as err:
            cases.record_relapse(db.session, case, **args)
        return err.value.errors

    assert refused(reason=None) == {"reason": "请选择复辍原因"}
    assert refused(reason=OutOfSchoolReason.OTHER, reason_note="  ") == {
        "reason_note": "原因为“其他”时须写明具体情况"
    }
    assert refused(on=TODAY + dt.timedelta(days=1), reason=None) == {
        "on": "日期不能晚于今天",
        "reason": "请选择复辍原因",
    }
    assert refused(on=days_ago(43)) == {"on": f"日期不能早于{days_ago(42):%Y-%m-%d}"}
    assert refused(on=None) == {"on": "请填写日期"}
    assert case.status == S.FOLLOW_UP and case.follow_up_until == until
    assert child.status == ChildStatus.ENROLLED and len(case.events) == events
    assert case.reason == OutOfSchoolReason.LEARNING


def test_a_child_who_finished_compulsory_education_cannot_relapse(ctx):
    case = in_status(S.RETURNED)
    case.child.status = ChildStatus.COMPLETED
    with pytest.raises(CaseError) as err:
        run(case, E.RELAPSE, days_ago(1))
    assert "不属于控辍保学对象" in str(err.value)
    assert case.status == S.RETURNED


def test_escalation_goes_on_from_where_it_stood_after_a_relapse(ctx):
    case = in_status(S.PERSUADING)  # persuasion from 46 days ago
    escalate(case, E.CRITICISM, days_ago(40), note="入户批评教育")
    escalate(case, E.RECTIFY, days_ago(35), deadline=days_ago(30))
    run(case, E.RETURN, days_ago(30))
    run(case, E.FOLLOW_UP, days_ago(29))
    run(case, E.RELAPSE, days_ago(10))
    assert cases.escalation_done(case) == [E.CRITICISM, E.RECTIFY]
    steps = cases.allowed_steps(case)
    assert E.JUDICIAL in steps and E.ACCOUNTABILITY in steps
    assert E.CRITICISM not in steps and E.RECTIFY not in steps
    with pytest.raises(CaseError) as err:
        escalate(case, E.CRITICISM, days_ago(9))
    assert "已记录“责令限期改正”，升级步骤不能重复或倒退" in str(err.value)
    # The rectify notice stays on the case; a fresh return notice may be issued.
    notice = cases.issue_notice(
        db.session, case, NoticeKind.RETURN, issued_on=days_ago(9), deadline=TODAY, actor=None
    )
    assert [n.kind for n in case.notices] == [NoticeKind.RECTIFY, NoticeKind.RETURN]
    assert notice.seq == 2
    escalate(case, E.JUDICIAL, days_ago(8), note="县法院支持起诉意见书（2026）第5号")
    assert cases.escalation_done(case) == [E.CRITICISM, E.RECTIFY, E.JUDICIAL]


def test_a_relapsed_case_is_unresolved_again_and_can_come_back_to_close(ctx):
    from sqlalchemy import true

    case = in_status(S.PERSUADING)
    cases.issue_notice(
        db.session,
        case,
        NoticeKind.RETURN,
        issued_on=days_ago(40),
        deadline=days_ago(30),
        actor=None,
    )
    cases.add_visit(db.session, case, visited_on=days_ago(55), persons="刘主任", result=None)
    run(case, E.RETURN, days_ago(30))
    run(case, E.FOLLOW_UP, days_ago(29))
    watch = cases.case_watch(db.session, true(), TODAY)
    assert (watch.by_status[S.FOLLOW_UP], watch.by_status[S.PERSUADING]) == (1, 0)
    assert watch.deadline_overdue == 0 and watch.overdue == []

    run(case, E.RELAPSE, days_ago(10))
    watch = cases.case_watch(db.session, true(), TODAY)
    assert (watch.by_status[S.FOLLOW_UP], watch.by_status[S.PERSUADING]) == (0, 1)
    assert watch.open_total == 1
    # The last notice's deadline is long past and the child is out again: someone must act.
    assert watch.deadline_overdue == 1
    assert [(c.id, c.reasons) for c in watch.overdue] == [
        (case.id, (f"限期{days_ago(30):%Y-%m-%d}已过",))
    ]
    cases.issue_notice(
        db.session, case, NoticeKind.RETURN, issued_on=days_ago(9), deadline=TODAY, actor=None
    )
    assert case.id not in overdue_ids(cases.deadline_overdue(TODAY))

    # Back to school, a new term, and only then 销号.
    run(case, E.RETURN, days_ago(6))
    assert case.child.status == ChildStatus.ENROLLED
    cases.start_follow_up(db.session, case, on=days_ago(5), actor=None, until=days_ago(2))
    cases.close_case(db.session, case, on=days_ago(1), actor=None)
    assert case.status == S.CLOSED
    kinds = [e.kind for e in case.events if e.to_status is not None]
    assert kinds[-5:] == [E.FOLLOW_UP, E.RELAPSE, E.RETURN, E.FOLLOW_UP, E.CLOSE]
