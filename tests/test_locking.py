"""Optimistic locking (issue 11, item 7): a save made from an outdated copy is refused.

Two clerks open the same record; the first saves; the second's save is refused with what
differs, their typing stays in the form, nothing of theirs is written. Every table edited
through the panel, the inline edit of the lists, and the race where the row changes
between the check and the write (``StaleDataError``) — never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from admin_app.cases import core as cases
from admin_app.choices import (
    AccountabilityAction,
    AgreementLine,
    CaseKind,
    CaseSource,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    Accountability,
    AssessmentIndicator,
    AssistancePlan,
    Child,
    Household,
    InspectionScore,
    User,
    Village,
)
from tests import factories as f
from tests.forms import form_of, open_form
from tests.helpers import World, fetch, inline_cell, login, saved_meanwhile

STALE = "未保存：您打开此记录后，已有他人修改并保存了它"


# --- Records of every edited table ----------------------------------------------------------


def _child(world: World) -> int:
    return world.child_a


def _household(world: World) -> int:
    return world.household_a


def _agreement(world: World) -> int:
    return f.make_agreement(village=db.session.get(Village, world.village_a)).id


def _plan(world: World) -> int:
    child = db.session.get(Child, world.child_a)
    plan = AssistancePlan(
        child=child, household=child.household, measures="结对帮扶", start_on=dt.date(2026, 3, 1)
    )
    db.session.add(plan)
    db.session.flush()
    return plan.id


def _assistance(world: World) -> int:
    return f.make_assistance(db.session.get(Child, world.child_a)).id


def _case(world: World) -> int:
    case = cases.open_case(
        db.session,
        db.session.get(Child, world.child_a),
        CaseKind.DROPOUT,
        CaseSource.SCHOOL_REPORT,
        OutOfSchoolReason.LEARNING,
        on=dt.date(2026, 3, 1),
    )
    return case.id


def _inspection(world: World) -> int:
    return f.make_inspection(db.session.get(Village, world.village_a)).id


def _score(world: World) -> int:
    inspection = f.make_inspection(db.session.get(Village, world.village_a))
    item = f.make_item(max_points=Decimal(10))
    score = InspectionScore(
        inspection=inspection, item=item, max_points=item.max_points, score=Decimal(8)
    )
    db.session.add(score)
    db.session.flush()
    return score.id


def _accountability(world: World) -> int:
    record = Accountability(
        period=f.make_period(),
        village=db.session.get(Village, world.village_a),
        person="刘主任",
        line=AgreementLine.GOVERNMENT,
        problem="劝返不及时",
        action=AccountabilityAction.INTERVIEW,
    )
    db.session.add(record)
    db.session.flush()
    return record.id


def _village(world: World) -> int:
    return world.village_a


def _school(world: World) -> int:
    return world.school_a


def _user(world: World) -> int:
    return db.session.scalar(db.select(User.id).where(User.username == world.users[Role.LEADER]))


def _indicator(world: World) -> int:
    return db.session.scalar(db.select(AssessmentIndicator.id).order_by(AssessmentIndicator.id))


def _period(world: World) -> int:
    return f.make_period().id


def _item(world: World) -> int:
    return f.make_item().id


#: endpoint, role, record maker, the first clerk's change, the second clerk's change.
EDITED: list[tuple[str, Role, Callable[[World], int], dict[str, str], dict[str, str]]] = [
    ("child", Role.CLERK, _child, {"class_name": "3班"}, {"guardian_name": "王大川"}),
    ("household", Role.CLERK, _household, {"group_name": "一组"}, {"address": "河东"}),
    ("agreement", Role.CLERK, _agreement, {"party_b_name": "刘新"}, {"party_a_name": "张新"}),
    ("plan", Role.CLERK, _plan, {"measures": "送教上门"}, {"village_person": "王书记"}),
    ("assistance", Role.CLERK, _assistance, {"person": "张老师"}, {"content": "发放补助"}),
    ("case", Role.CLERK, _case, {"village_person": "王书记"}, {"school_person": "李老师"}),
    ("inspection", Role.INSPECTOR, _inspection, {"inspectors": "赵督导"}, {"summary": "良"}),
    ("score", Role.INSPECTOR, _score, {"deduction_reason": "缺台账"}, {"evidence_file": "1"}),
    ("accountability", Role.ADMIN, _accountability, {"person": "刘新"}, {"position": "主任"}),
    ("village", Role.CLERK, _village, {"groups": "一组、二组"}, {"name": "联合新村"}),
    ("school", Role.CLERK, _school, {"name": "联合乡第一小学"}, {"code": "1234567890"}),
    ("user", Role.ADMIN, _user, {"display_name": "赵领导"}, {"display_name": "钱领导"}),
    ("indicator", Role.ADMIN, _indicator, {"name": "入学率指标"}, {"sort_order": "9"}),
    ("period", Role.ADMIN, _period, {"name": "2026年度考核"}, {"end_on": "2026-12-30"}),
    ("inspection_item", Role.ADMIN, _item, {"name": "台账规范"}, {"sort_order": "5"}),
]


def make_record(app, world: World, maker: Callable[[World], int]) -> int:
    with app.app_context():
        pk = maker(world)
        db.session.commit()
        return pk


def row_values(app, endpoint: str, pk: int, names: list[str]) -> dict[str, Any]:
    from tests.helpers import view_of

    model = view_of(app, endpoint).model
    with app.app_context():
        record = db.session.get(model, pk)
        values = {name: getattr(record, name) for name in names}
        values["version"] = record.version
        return values


@pytest.mark.parametrize(
    ("endpoint", "role", "maker", "first", "second"), EDITED, ids=[e[0] for e in EDITED]
)
def test_a_save_from_an_outdated_form_is_refused_on_every_edited_table(
    app, client_as, world, endpoint, role, maker, first, second
):
    pk = make_record(app, world, maker)
    url = f"/admin/{endpoint}/edit/?id={pk}"
    a, b = client_as(role), client_as(role)
    mine, theirs = open_form(a, url), open_form(b, url)
    assert mine.value("version") == theirs.value("version") == "1"

    saved = mine.update(first).submit(a)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    before = row_values(app, endpoint, pk, [*first, *second])
    assert before["version"] == 2

    refused = theirs.update(second).submit(b)

    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert STALE in html
    assert "本次未作任何修改" in html
    for value in first.values():  # what the first clerk saved is named
        assert value in html
    kept = form_of(refused)
    for name, value in second.items():  # the typing is still in the form
        assert kept.value(name) == value
    assert row_values(app, endpoint, pk, [*first, *second]) == before  # nothing saved

    # The refused form now carries the current version: saving again, having read the
    # message, is a deliberate overwrite and goes through.
    assert kept.value("version") == "2"
    assert kept.submit(b).status_code == 302
    assert row_values(app, endpoint, pk, list(second))["version"] == 3


def test_the_refusal_names_each_field_as_typed_and_as_saved(app, client_as, world):
    url = f"/admin/child/edit/?id={world.child_a}"
    a, b = client_as(Role.CLERK), client_as(Role.CLERK)
    mine, theirs = open_form(a, url), open_form(b, url)
    mine.update({"class_name": "3班", "guardian_name": "王大川"}).submit(a)

    html = theirs.update({"remarks": "已核实"}).submit(b).get_data(as_text=True)

    assert "班级：1班 → 3班" in html
    assert "监护人：王大山 → 王大川" in html
    assert "备注：已核实 → （空）" in html  # their own typing, not saved
    assert "（最近一次由 clerk 于" in html
    child = fetch(app, Child, world.child_a)
    assert (child.class_name, child.guardian_name, child.remarks) == ("3班", "王大川", None)


def test_a_save_without_a_version_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, f"/admin/household/edit/?id={world.household_a}")
    form.remove("version").set("group_name", "五组")
    html = form.submit(clerk).get_data(as_text=True)
    assert "页面缺少记录版本信息" in html
    assert fetch(app, Household, world.household_a).group_name is None


def test_a_school_users_narrower_form_is_checked_too(app, client_as, world):
    url = f"/admin/child/edit/?id={world.child_a}"
    clerk, school = client_as(Role.CLERK), client_as(Role.SCHOOL)
    theirs = open_form(school, url)
    open_form(clerk, url).update({"guardian_name": "王大川"}).submit(clerk)
    html = theirs.update({"class_name": "5班"}).submit(school).get_data(as_text=True)
    assert STALE in html
    assert fetch(app, Child, world.child_a).class_name == "1班"


def test_a_row_changed_between_check_and_write_is_refused_not_a_500(app, client_as, world):
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, f"/admin/child/edit/?id={world.child_a}").set("class_name", "7班")
    change = (
        f"UPDATE child SET class_name = '8班', version = version + 1 WHERE id = {world.child_a}"
    )
    with saved_meanwhile(app, change):
        response = form.submit(clerk)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert STALE in html and "班级：7班 → 8班" in html
    child = fetch(app, Child, world.child_a)
    assert (child.class_name, child.version) == ("8班", 2)


# --- Inline edit on the lists ---------------------------------------------------------------


def test_inline_edit_sends_the_version_the_list_showed(app, client_as, world):
    clerk = client_as(Role.CLERK)
    cell = inline_cell(clerk, "/admin/child/", world.child_a, "class_name")
    assert cell["version"] == "1"
    response = clerk.post("/admin/child/ajax/update/", data={**cell, "class_name": "2班"})
    assert response.status_code == 200
    assert response.headers["X-Record-Version"] == "2"
    # The page's cells now carry version 2 (panel.js): a second edit from the page works.
    again = {**cell, "version": response.headers["X-Record-Version"], "class_name": "3班"}
    assert clerk.post("/admin/child/ajax/update/", data=again).status_code == 200
    assert fetch(app, Child, world.child_a).class_name == "3班"


def test_inline_edit_of_a_row_saved_since_the_list_was_drawn_is_refused(app, client_as, world):
    a, b = client_as(Role.CLERK), client_as(Role.CLERK)
    cell = inline_cell(b, "/admin/child/", world.child_a, "class_name")
    open_form(a, f"/admin/child/edit/?id={world.child_a}").set("class_name", "4班").submit(a)

    response = b.post("/admin/child/ajax/update/", data={**cell, "class_name": "9班"})

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert STALE in body and "班级：9班 → 4班" in body
    child = fetch(app, Child, world.child_a)
    assert (child.class_name, child.version) == ("4班", 2)


def test_inline_edit_without_a_version_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    cell = inline_cell(clerk, "/admin/child/", world.child_a, "class_name")
    del cell["version"]
    response = clerk.post("/admin/child/ajax/update/", data={**cell, "class_name": "9班"})
    assert response.status_code == 400
    assert "页面缺少记录版本信息" in response.get_data(as_text=True)
    assert fetch(app, Child, world.child_a).class_name == "1班"


def test_inline_edit_of_a_switch_and_a_score_is_checked_too(app, client_as, world):
    admin = client_as(Role.ADMIN)
    indicator_id = make_record(app, world, _indicator)
    cell = inline_cell(admin, "/admin/indicator/", indicator_id, "active")
    open_form(admin, f"/admin/indicator/edit/?id={indicator_id}").set("sort_order", "8").submit(
        admin
    )
    response = admin.post("/admin/indicator/ajax/update/", data={**cell, "active": ""})
    assert response.status_code == 400 and STALE in response.get_data(as_text=True)
    assert fetch(app, AssessmentIndicator, indicator_id).active is True

    inspector = client_as(Role.INSPECTOR)
    score_id = make_record(app, world, _score)
    cell = inline_cell(inspector, "/admin/score/", score_id, "score")
    open_form(inspector, f"/admin/score/edit/?id={score_id}").set("score", "6").submit(inspector)
    response = inspector.post("/admin/score/ajax/update/", data={**cell, "score": "9"})
    assert response.status_code == 400 and "得分：9 → 6" in response.get_data(as_text=True)
    assert fetch(app, InspectionScore, score_id).score == Decimal(6)


def test_the_list_page_carries_each_rows_version_for_panel_js(app, client_as, world):
    clerk = client_as(Role.CLERK)
    open_form(clerk, f"/admin/child/edit/?id={world.child_b}").set("class_name", "6班").submit(
        clerk
    )
    assert inline_cell(clerk, "/admin/child/", world.child_b, "class_name")["version"] == "2"
    assert inline_cell(clerk, "/admin/child/", world.child_a, "class_name")["version"] == "1"
    script = clerk.get("/static/panel.js").get_data(as_text=True)
    assert "data-version" in script and "X-Record-Version" in script


# --- A record with rows inside it -------------------------------------------------------------


def test_a_score_saved_on_its_own_outdates_the_open_inspection_form(app, client_as, world):
    inspector = client_as(Role.INSPECTOR)
    score_id = make_record(app, world, _score)
    with app.app_context():
        inspection_id = db.session.get(InspectionScore, score_id).inspection_id
    inspection_form = open_form(inspector, f"/admin/inspection/edit/?id={inspection_id}")
    open_form(inspector, f"/admin/score/edit/?id={score_id}").set("score", "5").submit(inspector)

    html = inspection_form.set("summary", "总体良好").submit(inspector).get_data(as_text=True)

    assert STALE in html
    with app.app_context():
        score = db.session.get(InspectionScore, score_id)
        assert score.score == Decimal(5)
        assert score.inspection.summary is None


def test_the_login_timestamp_does_not_outdate_an_admins_open_form(app, client_as, world):
    admin = client_as(Role.ADMIN)
    leader_id = make_record(app, world, _user)
    form = open_form(admin, f"/admin/user/edit/?id={leader_id}")
    client_as(Role.LEADER)  # logs in: last_login_at is written
    assert fetch(app, User, leader_id).last_login_at is not None
    login(app.test_client(), "leader", "a-wrong-password")  # the lockout counts a failure
    assert fetch(app, User, leader_id).failed_logins == 1
    assert form.set("display_name", "孙领导").submit(admin).status_code == 302
    assert fetch(app, User, leader_id).display_name == "孙领导"
    # The control: an edit of the account does outdate an open form.
    stale = open_form(admin, f"/admin/user/edit/?id={leader_id}")
    open_form(admin, f"/admin/user/edit/?id={leader_id}").set("display_name", "钱领导").submit(
        admin
    )
    assert stale.set("display_name", "赵领导").submit(admin).status_code == 200
    assert fetch(app, User, leader_id).display_name == "钱领导"
