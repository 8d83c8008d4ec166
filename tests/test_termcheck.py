"""开学排查 (term-start check) over HTTP: a clerk opens a check, villages and schools mark
their own children before the deadline, those not at school become 疑似 cases once, and
the 6-year-old intake not enrolled gets a batch of 入学通知书."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from admin_app.cases import termcheck
from admin_app.choices import (
    CaseSource,
    CaseStatus,
    ChildStatus,
    OutOfSchoolReason,
    Role,
    TermCheckResult,
)
from admin_app.extensions import db
from admin_app.models import (
    AuditLog,
    Child,
    DropoutCase,
    TermCheck,
    TermCheckEntry,
    Township,
    Village,
)
from admin_app.util.dates import local_today
from tests import factories as f
from tests.forms import form_of, open_form
from tests.helpers import page, session_token

TODAY = local_today()
TERM = "2026年秋季学期"


def add_children(app, world) -> dict[str, int]:
    """Beside the world's two pupils: one due though 辍学, and three not due (moved out,
    exempted, too old)."""
    with app.app_context():
        village_a = db.session.get(Village, world.village_a)
        dropout = f.make_child(
            name="赵小军",
            village=village_a,
            school=None,
            stage=None,
            grade=None,
            class_name=None,
            status=ChildStatus.DROPOUT,
            status_reason=OutOfSchoolReason.LEARNING,
            birth_date=dt.date(2012, 5, 1),
        )
        moved = f.make_child(name="钱迁出", village=village_a, status=ChildStatus.MOVED_OUT)
        exempted = f.make_child(name="孙免学", village=village_a, status=ChildStatus.EXEMPTED)
        old = f.make_child(
            name="周长大",
            village=village_a,
            birth_date=dt.date(2008, 3, 1),
            stage=None,
            grade=None,
            class_name=None,
            status=ChildStatus.COMPLETED,
        )
        db.session.commit()
        return {"dropout": dropout.id, "moved": moved.id, "exempted": exempted.id, "old": old.id}


def open_check(app, deadline: dt.date, opens_on: dt.date = dt.date(2026, 9, 1)) -> int:
    with app.app_context():
        township = db.session.scalars(select(Township)).first()
        campaign = termcheck.open_campaign(
            db.session, township, term=TERM, opens_on=opens_on, deadline=deadline, user=None
        )
        db.session.commit()
        return campaign.id


def entry_of(app, campaign_id: int, child_id: int) -> TermCheckEntry:
    with app.app_context():
        return db.session.scalar(
            select(TermCheckEntry).where(
                TermCheckEntry.campaign_id == campaign_id, TermCheckEntry.child_id == child_id
            )
        )


def mark_form(client, campaign_id: int, **query):
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return open_form(client, f"/admin/termcheck_mark/?id={campaign_id}{extra}", action="/save/")


# --- Opening ----------------------------------------------------------------------------


def test_clerk_opens_a_check_with_one_entry_per_child_due(app, client_as, world):
    extra = add_children(app, world)
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/termcheck/", action="/new/")
    # The form proposes the current term and the county's due date.
    assert form.value("term") == termcheck.term_of(TODAY).name
    form.update({"term": TERM, "opens_on": "2026-09-01", "deadline": "2026-09-20"})
    response = form.submit(clerk)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        campaign = db.session.scalar(select(TermCheck))
        children = set(
            db.session.scalars(
                select(TermCheckEntry.child_id).where(TermCheckEntry.campaign_id == campaign.id)
            )
        )
        results = set(db.session.scalars(select(TermCheckEntry.result)))
    # The world's two pupils and the 辍学 child; not the moved, exempted or too old.
    assert children == {world.child_a, world.child_b, extra["dropout"]}
    assert results == {TermCheckResult.UNMARKED}
    html = page(clerk, response.headers["Location"])
    assert re.search(r"应到校</div><div class=\"value\">3<", html)

    # The same term again: refused in Chinese next to the field, nothing created.
    form = open_form(clerk, "/admin/termcheck/", action="/new/")
    form.update({"term": TERM, "opens_on": "2026-09-01", "deadline": "2026-09-20"})
    response = form.submit(clerk)
    assert response.status_code == 400
    assert "已有2026年秋季学期的开学排查，请勿重复创建" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(TermCheck.id))) == 1
        assert db.session.scalar(select(func.count(TermCheckEntry.id))) == 3


def test_bad_dates_are_refused_with_typing_kept(app, client_as, world):
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/termcheck/", action="/new/")
    form.update({"term": "2027年春季学期", "opens_on": "2027-03-01", "deadline": "2027-02-20"})
    response = form.submit(clerk)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "截止日期不能早于开始日期" in html
    assert form_of(response, action="/new/").value("term") == "2027年春季学期"
    with app.app_context():
        assert db.session.scalar(select(func.count(TermCheck.id))) == 0


def test_only_clerks_open_checks(app, client_as, world):
    for role in (Role.LEADER, Role.VILLAGE, Role.SCHOOL):
        client = client_as(role)
        assert 'action="/admin/termcheck/new/"' not in page(client, "/admin/termcheck/")
        data = {"csrf_token": session_token(client), "term": TERM, "township": "1"}
        assert client.post("/admin/termcheck/new/", data=data).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(TermCheck.id))) == 0


# --- Marking ----------------------------------------------------------------------------


def test_school_marks_only_its_pupils(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    school = client_as(Role.SCHOOL)
    form = mark_form(school, campaign)
    own = entry_of(app, campaign, world.child_a)
    other = entry_of(app, campaign, world.child_b)
    # The school's list holds its pupil only.
    assert [c.value for c in form.named("entry")] == [str(own.id)]
    form.set("entry", str(own.id))
    response = form.submit(school, button="present")
    assert response.status_code == 302
    marked = entry_of(app, campaign, world.child_a)
    assert marked.result == TermCheckResult.PRESENT
    assert marked.marked_by_id is not None and marked.marked_at is not None
    assert "已标记1名儿童为已到校" in page(school, response.headers["Location"])
    with app.app_context():
        notes = db.session.scalars(
            select(AuditLog.note).where(AuditLog.table_name == "term_check_entry")
        ).all()
    assert notes == ["2026年秋季学期开学排查：标记1名儿童为已到校"]

    # Another school's pupil, forged into the form: 404, and nothing is marked at all.
    form = mark_form(school, campaign)
    form.forge("entry", other.id)
    assert form.submit(school, button="present").status_code == 404
    assert entry_of(app, campaign, world.child_b).result == TermCheckResult.UNMARKED
    # ... nor by its 未到校 button.
    data = {
        "csrf_token": session_token(school),
        f"absent-{other.id}": "1",
        f"reason-{other.id}": "poverty",
    }
    assert school.post(f"/admin/termcheck_mark/save/?id={campaign}", data=data).status_code == 404
    assert entry_of(app, campaign, world.child_b).result == TermCheckResult.UNMARKED


def test_village_marks_absent_with_a_reason(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    village = client_as(Role.VILLAGE)
    own = entry_of(app, campaign, world.child_a)
    form = mark_form(village, campaign)
    form.update({f"reason-{own.id}": "work", f"note-{own.id}": "随父母外出务工"})
    response = form.submit(village, button=f"absent-{own.id}")
    assert response.status_code == 302
    entry = entry_of(app, campaign, world.child_a)
    assert (entry.result, entry.reason, entry.reason_note) == (
        TermCheckResult.ABSENT,
        OutOfSchoolReason.WORK,
        "随父母外出务工",
    )


def test_absent_without_a_reason_is_refused_and_nothing_saved(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    school = client_as(Role.SCHOOL)
    own = entry_of(app, campaign, world.child_a)
    form = mark_form(school, campaign)
    form.update({f"note-{own.id}": "联系不上家长"})
    response = form.submit(school, button=f"absent-{own.id}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "标记未到校须选择原因" in html
    # The row shows the message and what was typed.
    again = form_of(response, action="/save/")
    assert again.value(f"note-{own.id}") == "联系不上家长"
    assert entry_of(app, campaign, world.child_a).result == TermCheckResult.UNMARKED
    # 其他 needs a note.
    form = mark_form(school, campaign)
    form.update({f"reason-{own.id}": "other"})
    response = form.submit(school, button=f"absent-{own.id}")
    assert response.status_code == 400
    assert "原因为“其他”时须写明具体情况" in response.get_data(as_text=True)
    assert entry_of(app, campaign, world.child_a).result == TermCheckResult.UNMARKED


def test_after_the_deadline_only_clerks_may_mark(app, client_as, world):
    campaign = open_check(app, deadline=TODAY - dt.timedelta(days=1))
    own = entry_of(app, campaign, world.child_a)
    for role in (Role.SCHOOL, Role.VILLAGE):
        client = client_as(role)
        html = page(client, f"/admin/termcheck_mark/?id={campaign}")
        assert "已过截止日期" in html
        # No buttons to press; a post anyway is refused in Chinese.
        assert 'name="present"' not in html
        data = {"csrf_token": session_token(client), "present": "1", "entry": own.id}
        response = client.post(f"/admin/termcheck_mark/save/?id={campaign}", data=data)
        assert response.status_code == 400
        assert "村、学校不能再标记" in response.get_data(as_text=True)
        assert entry_of(app, campaign, world.child_a).result == TermCheckResult.UNMARKED
    # A clerk may still correct.
    clerk = client_as(Role.CLERK)
    form = mark_form(clerk, campaign)
    form.set("entry", str(own.id))
    assert form.submit(clerk, button="present").status_code == 302
    assert entry_of(app, campaign, world.child_a).result == TermCheckResult.PRESENT


def test_marking_needs_the_csrf_token(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    school = client_as(Role.SCHOOL)
    own = entry_of(app, campaign, world.child_a)
    form = mark_form(school, campaign).remove("csrf_token")
    form.set("entry", str(own.id))
    assert form.submit(school, button="present").status_code == 400
    assert entry_of(app, campaign, world.child_a).result == TermCheckResult.UNMARKED


def test_the_search_box_finds_by_name(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    clerk = client_as(Role.CLERK)
    form = mark_form(clerk, campaign, q="李")
    rows = [c.value for c in form.named("entry")]
    assert rows == [str(entry_of(app, campaign, world.child_b).id)]


# --- Progress and the home page ---------------------------------------------------------


def test_progress_by_village_and_school_and_on_the_home_page(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    school = client_as(Role.SCHOOL)
    # Before marking: the school's home page says how many are left, with the link.
    home = page(school, "/admin/")
    assert re.search(r"还有 <strong>1</strong> 人未标记", home)
    assert f"/admin/termcheck_mark/?id={campaign}" in home
    form = mark_form(school, campaign)
    form.set("entry", str(entry_of(app, campaign, world.child_a).id))
    form.submit(school, button="present")
    assert "已全部标记" in page(school, "/admin/")

    clerk = client_as(Role.CLERK)
    home = page(clerk, "/admin/")
    assert re.search(r'已标记 <strong id="termcheck-marked">1</strong> / 应到校 2', home)
    html = page(clerk, f"/admin/termcheck/campaign/?id={campaign}")
    village_rows = re.findall(r"<tr><td>(联合村|新华村)</td>\s*<td>(\d+)</td><td>(\d+)</td>", html)
    assert village_rows == [("新华村", "1", "0"), ("联合村", "1", "1")]
    assert "联合乡中心小学" in html and "新华小学" in html

    # A village user reads its own village's progress only.
    html = page(client_as(Role.VILLAGE), f"/admin/termcheck/campaign/?id={campaign}")
    assert "联合村" in html and "新华村" not in html


# --- After the deadline: 疑似 cases ------------------------------------------------------


def test_escalation_opens_suspected_cases_once(app, client_as, world):
    extra = add_children(app, world)
    with app.app_context():
        village_a = db.session.get(Village, world.village_a)
        known = f.make_child(name="吴已立案", village=village_a)
        f.make_case(known, status=CaseStatus.PERSUADING)
        db.session.commit()
        known_id = known.id
    campaign = open_check(app, deadline=TODAY - dt.timedelta(days=1))
    clerk = client_as(Role.CLERK)
    # Corrections after the deadline: child_a in school, child_b not (poverty).
    form = mark_form(clerk, campaign)
    form.set("entry", str(entry_of(app, campaign, world.child_a).id))
    form.submit(clerk, button="present")
    b = entry_of(app, campaign, world.child_b).id
    form = mark_form(clerk, campaign)
    form.set(f"reason-{b}", "poverty")
    assert form.submit(clerk, button=f"absent-{b}").status_code == 302

    response = open_form(
        clerk, f"/admin/termcheck/campaign/?id={campaign}", action="/escalate/"
    ).submit(clerk)
    assert response.status_code == 302
    flashed = page(clerk, response.headers["Location"])
    assert "已为2名未到校或未标记的儿童立疑似控辍案件" in flashed
    assert "吴已立案" in flashed  # named as skipped: it has an open case
    with app.app_context():
        cases = {
            c.child_id: c
            for c in db.session.scalars(select(DropoutCase).where(DropoutCase.child_id != known_id))
        }
        assert set(cases) == {world.child_b, extra["dropout"]}
        assert {c.status for c in cases.values()} == {CaseStatus.SUSPECTED}
        assert {c.source for c in cases.values()} == {CaseSource.HOUSEHOLD_CHECK}
        assert cases[world.child_b].reason == OutOfSchoolReason.POVERTY
        assert "截止时未标记" in cases[extra["dropout"]].reason_note
        # The 立案 step of the case lifecycle, by the clerk.
        assert [e.kind.value for e in cases[world.child_b].events] == ["open"]
        assert (
            db.session.scalar(
                select(func.count(DropoutCase.id)).where(DropoutCase.child_id == known_id)
            )
            == 1
        )
        # The child's status is left alone: a suspicion is not yet a fact.
        assert db.session.get(Child, world.child_b).status == ChildStatus.ENROLLED

    # Again: nothing new.
    response = open_form(
        clerk, f"/admin/termcheck/campaign/?id={campaign}", action="/escalate/"
    ).submit(clerk)
    assert "已为0名" in page(clerk, response.headers["Location"])
    with app.app_context():
        assert db.session.scalar(select(func.count(DropoutCase.id))) == 3


def test_escalation_waits_for_the_deadline_and_is_the_clerks(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=3))
    clerk = client_as(Role.CLERK)
    data = {"csrf_token": session_token(clerk)}
    response = clerk.post(f"/admin/termcheck/escalate/?id={campaign}", data=data)
    assert "未过，村、学校仍可标记" in page(clerk, response.headers["Location"])
    for role in (Role.LEADER, Role.VILLAGE, Role.SCHOOL):
        client = client_as(role)
        data = {"csrf_token": session_token(client)}
        assert (
            client.post(f"/admin/termcheck/escalate/?id={campaign}", data=data).status_code == 403
        )
    with app.app_context():
        assert db.session.scalar(select(func.count(DropoutCase.id))) == 0


# --- The 6-year-old intake ------------------------------------------------------------------


def test_intake_birth_range_is_six_by_31_august():
    assert termcheck.intake_birth_range(2026) == (dt.date(2019, 9, 1), dt.date(2020, 8, 31))


def test_intake_not_enrolled_listed_and_noticed_in_one_batch(app, client_as, world):
    with app.app_context():
        village_a = db.session.get(Village, world.village_a)
        bare = {"stage": None, "grade": None, "class_name": None, "school": None}
        f.make_child(
            name="郑小禾",
            village=village_a,
            birth_date=dt.date(2020, 3, 1),
            status=ChildStatus.NOT_ENROLLED,
            status_reason=OutOfSchoolReason.PARENT_ATTITUDE,
            guardian_name="郑大林",
            **bare,
        )
        f.make_child(
            name="冯小苗",
            village=village_a,
            birth_date=dt.date(2019, 9, 1),
            status=ChildStatus.PENDING,
            guardian_name="冯建国",
            **bare,
        )
        # In school, and one a day too old (turned 6 before last September): not listed.
        f.make_child(name="陈入学", village=village_a, birth_date=dt.date(2020, 8, 31), grade=1)
        f.make_child(
            name="卫大一岁",
            village=village_a,
            birth_date=dt.date(2019, 8, 31),
            status=ChildStatus.NOT_ENROLLED,
            status_reason=OutOfSchoolReason.OTHER,
            status_note="说明",
            **bare,
        )
        db.session.commit()
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    clerk = client_as(Role.CLERK)
    html = page(clerk, f"/admin/termcheck/intake/?id={campaign}")
    assert "共 <strong>2</strong> 名 6 周岁儿童未入学" in html
    assert "郑小禾" in html and "冯小苗" in html
    assert "陈入学" not in html and "卫大一岁" not in html

    form = open_form(clerk, f"/admin/termcheck/intake/?id={campaign}", action="notices")
    deadline = TODAY + dt.timedelta(days=15)
    assert (
        form.value("deadline")
        == (max(TODAY, TODAY + dt.timedelta(days=10)) + dt.timedelta(days=15)).isoformat()
    )
    form.set("deadline", deadline.isoformat())
    response = form.submit(clerk)
    assert response.status_code == 200
    notices = response.get_data(as_text=True)
    assert notices.count('class="batch-sheet"') == 2
    assert notices.count("<h1>入学通知书</h1>") == 2
    assert "郑大林（郑小禾之父亲）：" in notices
    assert f"请你于{deadline.year}年{deadline.month}月{deadline.day}日前送其到" in notices
    assert "第十一条第一款" in notices and "送达回执" in notices

    # A deadline in the past prints nothing.
    response = clerk.get(
        f"/admin/termcheck/intake/notices/?id={campaign}&deadline={TODAY.isoformat()}"
    )
    assert response.status_code == 302
    assert "到校限期须晚于今天" in page(clerk, response.headers["Location"])
    # Printing is the township's act.
    leader = client_as(Role.LEADER)
    url = f"/admin/termcheck/intake/notices/?id={campaign}&deadline={deadline.isoformat()}"
    assert leader.get(url).status_code == 403


def test_other_townships_checks_are_out_of_reach(app, client_as, world):
    with app.app_context():
        other = f.make_township(name="新华乡", code="430121200000")
        village = f.make_village(other, name="远山村")
        f.make_child(name="远山娃", village=village)
        campaign = termcheck.open_campaign(
            db.session,
            other,
            term=TERM,
            opens_on=dt.date(2026, 9, 1),
            deadline=TODAY + dt.timedelta(days=3),
            user=None,
        )
        db.session.commit()
        campaign_id = campaign.id
    school = client_as(Role.SCHOOL)
    assert school.get(f"/admin/termcheck/campaign/?id={campaign_id}").status_code == 404
    assert school.get(f"/admin/termcheck_mark/?id={campaign_id}").status_code == 404
    assert "远山" not in page(school, "/admin/termcheck/")
    assert (
        client_as(Role.CLERK).get(f"/admin/termcheck/campaign/?id={campaign_id}").status_code == 200
    )


# --- The demo ---------------------------------------------------------------------------------


def test_the_demo_has_an_open_check_mostly_marked(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        campaign = db.session.scalar(select(TermCheck))
        assert campaign.term == termcheck.term_of(TODAY).name
        assert campaign.deadline > TODAY and campaign.closed_at is None
        counts = dict(
            db.session.execute(
                select(TermCheckEntry.result, func.count(TermCheckEntry.id)).group_by(
                    TermCheckEntry.result
                )
            ).all()
        )
        due = sum(counts.values())
        assert due > 1000
        assert 0.8 < (due - counts[TermCheckResult.UNMARKED]) / due < 0.97
        assert counts[TermCheckResult.ABSENT] >= 5
        reasons = db.session.scalars(
            select(TermCheckEntry.reason).where(TermCheckEntry.result == TermCheckResult.ABSENT)
        ).all()
        assert None not in reasons


def test_a_closed_check_takes_no_marks_and_leaves_the_home_page(app, client_as, world):
    campaign = open_check(app, deadline=TODAY + dt.timedelta(days=10))
    clerk = client_as(Role.CLERK)
    assert "2026年秋季学期开学排查" in page(clerk, "/admin/")
    form = open_form(clerk, f"/admin/termcheck/campaign/?id={campaign}", action="/close/")
    assert form.submit(clerk).status_code == 302
    assert 'id="termcheck-panel"' not in page(clerk, "/admin/")
    school = client_as(Role.SCHOOL)
    own = entry_of(app, campaign, world.child_a)
    data = {"csrf_token": session_token(school), "present": "1", "entry": own.id}
    response = school.post(f"/admin/termcheck_mark/save/?id={campaign}", data=data)
    assert response.status_code == 400
    assert "本次开学排查已结束" in response.get_data(as_text=True)
    assert entry_of(app, campaign, world.child_a).result == TermCheckResult.UNMARKED
