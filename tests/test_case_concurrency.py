"""Two clicks on one case step record it once (issue 11, item 8).

Every form of the case page carries the case's version; every step bumps it (events,
visits, notices and plans count as changes of the case). The second of two submissions
made from pages showing the same version is refused with a message on the case page —
transitions, escalation steps and notices alike — and the race where both pass the check
at the same moment is caught by the case UPDATE's ``WHERE version`` (tested with two
PostgreSQL connections in two threads).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from admin_app.cases import core as cases
from admin_app.choices import CaseEventKind, CaseStatus, Role
from admin_app.extensions import db
from admin_app.models import (
    AssistancePlan,
    CaseEvent,
    CaseVisit,
    DropoutCase,
    Notice,
)
from tests import conftest
from tests.forms import open_form
from tests.helpers import days_ago, open_case_at, saved_meanwhile

E = CaseEventKind
S = CaseStatus
REFUSED = "未保存：您打开本页后，该案件已有新的办理记录"


def case_page(case_id: int) -> str:
    return f"/admin/case/details/?id={case_id}"


def step_form(client, case_id: int, name: str, values: dict[str, Any]):
    form = open_form(client, case_page(case_id), action=f"step/{name}/")
    return form.update({f"{name}-{key}": value for key, value in values.items()})


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(app, case_id: int, kind: CaseEventKind) -> int:
    return count(app, CaseEvent, CaseEvent.case_id == case_id, CaseEvent.kind == kind)


#: step, the status it is taken in, its form values, and how to count what it records.
STEPS = [
    ("verify", S.SUSPECTED, {"on": days_ago(5)}, lambda app, c: events(app, c, E.VERIFY)),
    (
        "criticism",
        S.PERSUADING,
        {"on": days_ago(5), "note": "批评教育"},
        lambda app, c: events(app, c, E.CRITICISM),
    ),
    (
        "rectify",
        S.PERSUADING,
        {"on": days_ago(5), "deadline": days_ago(1), "skip_reason": "监护人外出"},
        lambda app, c: events(app, c, E.RECTIFY),
    ),
    (
        "notice",
        S.PERSUADING,
        {"issued_on": days_ago(5), "deadline": days_ago(1)},
        lambda app, c: count(app, Notice, Notice.case_id == c),
    ),
    (
        "visit",
        S.PERSUADING,
        {"visited_on": days_ago(5), "persons": "王书记"},
        lambda app, c: count(app, CaseVisit, CaseVisit.case_id == c),
    ),
    (
        "plan",
        S.PERSUADING,
        {"measures": "结对帮扶", "start_on": days_ago(5)},
        lambda app, c: count(app, AssistancePlan, AssistancePlan.case_id == c),
    ),
]


@pytest.mark.parametrize(("name", "status", "values", "recorded"), STEPS, ids=[s[0] for s in STEPS])
def test_the_second_of_two_submissions_of_one_step_is_refused(
    app, client_as, world, name, status, values, recorded
):
    case_id = open_case_at(app, world.child_a, status)
    a, b = client_as(Role.CLERK), client_as(Role.CLERK)
    first, second = step_form(a, case_id, name, values), step_form(b, case_id, name, values)
    before = fetch_status(app, case_id)

    assert first.submit(a).status_code == 302
    after_first = fetch_status(app, case_id)
    response = second.submit(b)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(case_page(case_id))
    assert REFUSED in b.get(case_page(case_id)).get_data(as_text=True)
    assert recorded(app, case_id) == 1
    assert fetch_status(app, case_id) == after_first
    assert after_first[1] > before[1]  # every step bumps the case, status changed or not


def fetch_status(app, case_id: int) -> tuple[CaseStatus, int]:
    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        return case.status, case.version


def test_a_double_click_on_the_same_page_records_once(app, client_as, world):
    case_id = open_case_at(app, world.child_a, S.PERSUADING)
    clerk = client_as(Role.CLERK)
    form = step_form(clerk, case_id, "criticism", {"on": days_ago(3)})
    assert form.submit(clerk).status_code == 302
    assert form.submit(clerk).status_code == 302  # the same page, posted again
    html = clerk.get(case_page(case_id)).get_data(as_text=True)
    assert REFUSED in html and "最近一步" in html and "批评教育" in html
    assert events(app, case_id, E.CRITICISM) == 1


def test_any_step_from_a_page_older_than_the_case_is_refused(app, client_as, world):
    case_id = open_case_at(app, world.child_a, S.PERSUADING)
    a, b = client_as(Role.CLERK), client_as(Role.CLERK)
    visit = step_form(b, case_id, "visit", {"visited_on": days_ago(2), "persons": "李老师"})
    step_form(a, case_id, "criticism", {"on": days_ago(3)}).submit(a)
    visit.submit(b)
    assert count(app, CaseVisit, CaseVisit.case_id == case_id) == 0
    # Reloaded, the page carries the new version and the visit goes through.
    reloaded = step_form(b, case_id, "visit", {"visited_on": days_ago(2), "persons": "李老师"})
    assert reloaded.submit(b).status_code == 302
    assert count(app, CaseVisit, CaseVisit.case_id == case_id) == 1


def test_recording_a_notices_service_twice_is_refused(app, client_as, world):
    case_id = open_case_at(app, world.child_a, S.PERSUADING)
    clerk = client_as(Role.CLERK)
    step_form(clerk, case_id, "notice", {"issued_on": days_ago(5), "deadline": days_ago(1)}).submit(
        clerk
    )
    with app.app_context():
        notice_id = db.session.scalar(select(Notice.id).where(Notice.case_id == case_id))
    prefix = f"n{notice_id}"
    a, b = client_as(Role.CLERK), client_as(Role.CLERK)
    forms = [
        open_form(c, case_page(case_id), action=f"notice/result/?id={notice_id}").update(
            {f"{prefix}-served_on": days_ago(4), f"{prefix}-served_to": "王大山"}
        )
        for c in (a, b)
    ]
    assert forms[0].submit(a).status_code == 302
    assert forms[1].submit(b).status_code == 302
    assert REFUSED in b.get(case_page(case_id)).get_data(as_text=True)
    assert events(app, case_id, E.SERVED) == 1


def test_a_step_without_the_pages_version_is_refused(app, client_as, world):
    case_id = open_case_at(app, world.child_a, S.SUSPECTED)
    clerk = client_as(Role.CLERK)
    form = step_form(clerk, case_id, "verify", {"on": days_ago(2)}).remove("verify-version")
    assert form.submit(clerk).status_code == 302
    assert "页面缺少案件版本信息" in clerk.get(case_page(case_id)).get_data(as_text=True)
    assert fetch_status(app, case_id)[0] == S.SUSPECTED


def test_a_case_changed_between_check_and_write_is_refused_not_a_500(app, client_as, world):
    case_id = open_case_at(app, world.child_a, S.PERSUADING)
    clerk = client_as(Role.CLERK)
    form = step_form(clerk, case_id, "criticism", {"on": days_ago(3)})
    with saved_meanwhile(app, f"UPDATE dropout_case SET version = 99 WHERE id = {case_id}"):
        response = form.submit(clerk)
    assert response.status_code == 302
    assert REFUSED in clerk.get(case_page(case_id)).get_data(as_text=True)
    assert events(app, case_id, E.CRITICISM) == 0


def test_check_version_is_a_plain_rule_over_the_case(app, world):
    case_id = open_case_at(app, world.child_a, S.SUSPECTED)
    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        cases.check_version(case, case.version)
        for seen in (None, case.version - 1, case.version + 1):
            with pytest.raises(cases.CaseChanged):
                cases.check_version(case, seen)
        version = case.version
        cases.add_visit(db.session, case, visited_on=days_ago(1), persons="王书记", result=None)
        db.session.commit()
        assert case.version == version + 1  # a visit changes the case


# --- Two real connections at once (PostgreSQL) -----------------------------------------------


def _criticism(case: DropoutCase) -> None:
    cases.escalate(db.session, case, E.CRITICISM, on=days_ago(3), actor=None, note="批评教育")


def _verify(case: DropoutCase) -> None:
    cases.start_verification(db.session, case, on=days_ago(3), actor=None)


def _notice(case: DropoutCase) -> None:
    cases.issue_notice(
        db.session,
        case,
        cases.NOTICE_FOR_KIND[case.kind],
        issued_on=days_ago(5),
        deadline=days_ago(-10),
        actor=None,
    )


@pytest.mark.skipif(
    not (conftest.TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="row locks under real concurrency: PostgreSQL only",
)
@pytest.mark.parametrize(
    ("status", "run", "recorded"),
    [
        (S.PERSUADING, _criticism, lambda app, c: events(app, c, E.CRITICISM)),
        (S.SUSPECTED, _verify, lambda app, c: events(app, c, E.VERIFY)),
        (S.PERSUADING, _notice, lambda app, c: count(app, Notice, Notice.case_id == c)),
    ],
    ids=["escalation", "transition", "notice"],
)
def test_two_clerks_clicking_at_the_same_moment_record_the_step_once(
    app, world, status, run, recorded
):
    case_id = open_case_at(app, world.child_a, status)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def clerk() -> None:
        try:
            with app.app_context():
                case = db.session.get(DropoutCase, case_id)
                seen = case.version
                barrier.wait(timeout=20)  # both read the case as it was, both pass the check
                cases.check_version(case, seen)
                try:
                    run(case)
                    # Hold the row a moment: the other clerk's UPDATE must wait for it.
                    db.session.execute(select(func.pg_sleep(0.2)))
                    db.session.commit()
                    outcomes.append("recorded")
                except StaleDataError:
                    db.session.rollback()
                    outcomes.append("refused")
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcomes) == ["recorded", "refused"]
    assert recorded(app, case_id) == 1
