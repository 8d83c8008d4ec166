"""Issue 5's "Done when", walked through the panel as a new clerk would, on the demo data."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from admin_app.cases.core import next_notice_seq
from admin_app.cases.notices import EDU_58, LIABILITY, MINORS_16
from admin_app.choices import CaseStatus, ChildStatus
from admin_app.extensions import db
from admin_app.models import Child, ChildStatusChange, DropoutCase, Notice
from admin_app.util.dates import local_today
from tests.helpers import fill, login, notice_form, page, step, submit

TODAY = local_today()
START = TODAY - dt.timedelta(days=28)


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


def dashboard(client) -> dict[str, int]:
    """The numbers a clerk reads on the home page: children by status, cases by status,
    and the overdue watch."""
    html = page(client, "/admin/")
    numbers = {}
    for status in CaseStatus:
        match = re.search(rf'id="case-count-{status.value}">(?:<a[^>]*>)?(\d+)<', html)
        numbers[f"case:{status.value}"] = int(match.group(1))
    for key in ("case-visit-overdue", "case-deadline-overdue", "case-open-total"):
        numbers[key] = int(re.search(rf'id="{key}"[^>]*>(\d+)<', html).group(1))
    table = html[html.index('id="status-table"') :]
    footer = table[table.index("<tfoot>") : table.index("</tfoot>")]
    totals = [int(n) for n in re.findall(r"<td>(\d+)</td>", footer)]
    for status, n in zip(ChildStatus, totals[1:], strict=True):
        numbers[f"child:{status.value}"] = n
    return numbers


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def test_a_clerk_brings_a_demo_dropout_back_to_school(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    clerk = app.test_client()
    assert login(clerk, "clerk", "clerk123!").status_code == 302

    # A dropout of the demo whose case nobody has opened yet.
    with app.app_context():
        opened = select(DropoutCase.child_id)
        child = db.session.scalar(
            select(Child)
            .where(Child.status == ChildStatus.DROPOUT, Child.id.not_in(opened))
            .order_by(Child.id)
        )
        assert child is not None, "the demo leaves its latest dropouts without a case"
        child_id, name, guardian = child.id, child.name, child.guardian_name
        school = child.school.name
        history_rows = db.session.scalar(
            select(func.count(ChildStatusChange.id)).where(ChildStatusChange.child_id == child_id)
        )
    counts = dashboard(clerk)

    # 1. Open the case from the child's page.
    child_page = page(clerk, f"/admin/child/details/?id={child_id}")
    assert f"/admin/case/new/?child={child_id}" in child_page
    response = submit(
        clerk,
        f"/admin/case/new/?child={child_id}",
        {"source": "school_report", "discovered_on": day(0), "village_person": "刘主任"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        case_id = db.session.scalar(select(DropoutCase.id).where(DropoutCase.child_id == child_id))
    now = dashboard(clerk)
    assert changed(counts, now) == {
        "case:suspected": 1,
        "case-open-total": 1,
        "case-visit-overdue": 1,  # opened 28 days ago, nobody visited yet
    }
    counts = now

    # 2. Verify and confirm: the child stays 辍学; then 劝返.
    assert step(clerk, case_id, "verify", on=day(0), note="学校报告，入户核实").status_code == 302
    assert step(clerk, case_id, "confirm", on=day(1), note="确认辍学").status_code == 302
    assert step(clerk, case_id, "persuade", on=day(1)).status_code == 302
    now = dashboard(clerk)
    assert changed(counts, now) == {"case:suspected": -1, "case:persuading": 1}
    counts = now

    # 3. Two visits.
    for offset, result in ((2, "家长表示会做孩子工作"), (5, "孩子仍不愿返校")):
        response = step(
            clerk, case_id, "visit", visited_on=day(offset), persons="刘主任、李老师", result=result
        )
        assert response.status_code == 302
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert "第1次" in html and "第2次" in html
    now = dashboard(clerk)
    assert changed(counts, now) == {"case-visit-overdue": -1}
    counts = now

    # 4. Issue and print the 劝返复学通知书.
    response = step(clerk, case_id, "notice", issued_on=day(6), deadline=day(13))
    assert response.status_code == 302
    with app.app_context():
        notice = db.session.scalar(select(Notice).where(Notice.case_id == case_id))
        notice_id, number = notice.id, notice.number
        highest = db.session.scalar(
            select(func.max(Notice.seq)).where(Notice.year == notice.year, Notice.id != notice_id)
        )
    assert number == f"联合乡控辍〔{START.year}〕第{(highest or 0) + 1}号"
    printed = page(clerk, f"/admin/case/notice/print/?id={notice_id}")
    for text in ("劝返复学通知书", number, name, guardian, school, EDU_58.text, MINORS_16.text):
        assert text in printed, text
    assert LIABILITY in printed and "送达回执" in printed
    now = dashboard(clerk)
    assert changed(counts, now) == {"case-deadline-overdue": 1}  # its deadline has passed
    counts = now

    # 5. Served; the guardian did not comply; 批评教育, then 责令限期改正.
    form = fill(
        notice_form(clerk, case_id, notice_id),
        f"n{notice_id}",
        served_on=day(7),
        served_to=guardian,
        result="当面送达，监护人签收；逾期仍未送孩子返校",
        complied="no",
    )
    assert form.submit(clerk).status_code == 302
    assert step(clerk, case_id, "criticism", on=day(14), note="乡政府约谈监护人").status_code == 302
    response = step(clerk, case_id, "rectify", on=day(15), deadline=day(22), note="责令送学")
    assert response.status_code == 302
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert "逾期未履行" in html and "责令限期改正通知书" in html
    assert dashboard(clerk) == counts  # still 劝返中, still past a deadline

    # 6. The child returns: 在校就读 again.
    response = step(clerk, case_id, "return", on=day(25), placement="enrolled", note="返校复学")
    assert response.status_code == 302
    now = dashboard(clerk)
    assert changed(counts, now) == {
        "case:persuading": -1,
        "case:returned": 1,
        "case-deadline-overdue": -1,
        "child:dropout": -1,
        "child:enrolled": 1,
    }
    counts = now
    assert "在校就读" in page(clerk, f"/admin/case/details/?id={case_id}")

    # 7. 巩固跟踪, then 销号 once the term is over — not before.
    response = step(clerk, case_id, "follow_up", on=day(26), until=day(27))
    assert response.status_code == 302
    response = step(clerk, case_id, "close", on=day(26), note="提前销号")
    assert response.status_code == 200
    assert "期满后方可销号" in response.get_data(as_text=True)
    response = step(clerk, case_id, "close", on=day(28), note="巩固跟踪期满，在校就读")
    assert response.status_code == 302
    now = dashboard(clerk)
    assert changed(counts, now) == {"case:returned": -1, "case:closed": 1, "case-open-total": -1}

    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        assert case.status == CaseStatus.CLOSED and case.closed_on == START + dt.timedelta(28)
        assert case.child.status == ChildStatus.ENROLLED
        last = case.child.status_changes[-1]
        assert (last.from_status, last.to_status) == (ChildStatus.DROPOUT, ChildStatus.ENROLLED)
        assert last.effective_on == START + dt.timedelta(days=25)
        # Written by the history hook in the same request, with the clerk as its author.
        assert last.changed_by.username == "clerk"
        assert len(case.child.status_changes) == history_rows + 1
        assert [e.kind.value for e in case.events] == [
            "open",
            "verify",
            "confirm",
            "persuade",
            "notice",
            "served",
            "criticism",
            "rectify",
            "return",
            "follow_up",
            "close",
        ]
        assert {e.actor_name for e in case.events} == {"演示乡镇工作人员"}


def test_demo_cases_agree_with_the_children_and_their_steps(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        all_cases = db.session.scalars(select(DropoutCase)).all()
        statuses = {case.status for case in all_cases}
        assert statuses >= {
            CaseStatus.SUSPECTED,
            CaseStatus.VERIFYING,
            CaseStatus.PERSUADING,
            CaseStatus.RETURNED,
            CaseStatus.FOLLOW_UP,
            CaseStatus.CLOSED,
        }
        for case in all_cases:
            child_status = case.child.status
            if case.status in (CaseStatus.CONFIRMED, CaseStatus.PERSUADING):
                assert child_status.value == case.kind.value, case
            if case.status in (CaseStatus.RETURNED, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED):
                assert child_status == ChildStatus.ENROLLED, case
                assert ChildStatus.DROPOUT in {c.to_status for c in case.child.status_changes}
            # The steps lead to the status the case shows, in date order.
            moves = [e for e in case.events if e.to_status is not None]
            assert moves[-1].to_status == case.status, case
            dates = [e.happened_on for e in case.events]
            assert dates == sorted(dates), case
            assert all(v.visited_on >= case.discovered_on for v in case.visits), case
        notices = db.session.scalars(select(Notice)).all()
        assert len({n.number for n in notices}) == len(notices) > 0
        # The counter continues after the demo's numbers: the next notice does not collide.
        last = max(n.seq for n in notices if n.year == notices[0].year)
        assert next_notice_seq(db.session, notices[0].township_id, notices[0].year) == last + 1
        db.session.rollback()
