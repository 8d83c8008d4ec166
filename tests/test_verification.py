"""待核实儿童 (issue 12, item 10): the dashboard's watch, and verification either way.

The children come from a 县扶贫办 list committed through the import, so the list and its
date are what a clerk would see.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from admin_app.choices import CaseSource, CaseStatus, ChildStatus, ImportSource, Role, Sex
from admin_app.extensions import db
from admin_app.lists import imports
from admin_app.lists.imports import plan_file
from admin_app.models import Child, ChildStatusChange, DropoutCase
from admin_app.util.dates import local_today
from tests import factories as f
from tests.forms import open_form
from tests.spreadsheets import POVERTY_HEADER, xlsx

LIST_DATE = dt.date(2026, 3, 1)
TODAY = local_today()


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")


@pytest.fixture
def pending(app, world) -> dict[str, int]:
    """赵小燕 (联合村) and 钱小军 (新华村), named without a school on a list of 2026-03-01."""
    numbers = {
        "赵小燕": f.make_id_number(dt.date(2016, 5, 20), Sex.FEMALE),
        "钱小军": f.make_id_number(dt.date(2015, 4, 2), Sex.MALE),
    }
    rows = [
        ("", "赵小燕", numbers["赵小燕"], "", "", "联合村", "", ""),
        ("", "钱小军", numbers["钱小军"], "", "", "新华村", "", ""),
    ]
    with app.app_context():
        content = xlsx(rows, POVERTY_HEADER)
        plan = plan_file(db.session, content, "扶贫办名单.xlsx", ImportSource.POVERTY)
        imports.commit_plan(db.session, plan, user_id=None, username="tester", list_date=LIST_DATE)
        return {
            name: db.session.scalar(select(Child.id).where(Child.id_number == number))
            for name, number in numbers.items()
        }


def child(app, child_id: int) -> Child:
    with app.app_context():
        found = db.session.get(Child, child_id)
        db.session.expunge(found)
        return found


def test_the_dashboard_lists_pending_children_with_their_list_and_date(app, client_as, pending):
    html = client_as(Role.CLERK).get("/admin/").get_data(as_text=True)
    watch = html.split('id="pending-watch"')[1].split("</table>")[0]
    assert "赵小燕" in watch and "钱小军" in watch
    assert "名单导入：帮扶对象名单“扶贫办名单.xlsx”" in watch and "2026-03-01" in watch
    assert f"{(TODAY - LIST_DATE).days}天" in watch
    # The village cadre of 联合村 sees only her village's child.
    village_html = client_as(Role.VILLAGE).get("/admin/").get_data(as_text=True)
    watch = village_html.split('id="pending-watch"')[1].split("</table>")[0]
    assert "赵小燕" in watch and "钱小军" not in watch


def test_found_in_school_needs_a_school_and_then_enrols_from_the_day_verified(
    app, client_as, pending
):
    clerk = client_as(Role.CLERK)
    url = f"/admin/verify/child/?id={pending['赵小燕']}"
    form = open_form(clerk, url, action="/in-school/")
    form.set("found-on", "2026-03-10").set("found-grade", "3").set("found-class_name", "2班")
    refused = form.submit(clerk)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    school_group = html.split('for="found-school"')[1].split('<div class="form-group">')[0]
    assert "状态为“在校就读”时须选择就读学校" in school_group  # next to the field
    assert 'value="2班"' in html and 'value="2026-03-10"' in html  # typing kept
    assert child(app, pending["赵小燕"]).status == ChildStatus.PENDING  # nothing saved

    form = open_form(clerk, url, action="/in-school/")
    with app.app_context():
        school_id = str(db.session.get(f.School, 1).id)
    form.set("found-on", "2026-03-10").set("found-school", school_id).set("found-grade", "3")
    response = form.submit(clerk)
    assert response.status_code == 302
    verified = child(app, pending["赵小燕"])
    assert (verified.status, verified.grade, verified.school_id) == (
        ChildStatus.ENROLLED,
        3,
        int(school_id),
    )
    with app.app_context():
        history = db.session.scalars(
            select(ChildStatusChange)
            .where(ChildStatusChange.child_id == verified.id)
            .order_by(ChildStatusChange.effective_on)
        ).all()
        assert [(h.to_status, h.effective_on) for h in history] == [
            (ChildStatus.PENDING, LIST_DATE),
            (ChildStatus.ENROLLED, dt.date(2026, 3, 10)),
        ]
    listing = clerk.get("/admin/verify/").get_data(as_text=True)
    assert "已核实：赵小燕在校就读" in listing
    table = listing.split('id="pending-table"')[1]
    assert "赵小燕" not in table and "钱小军" in table


def test_not_in_school_opens_a_suspected_case_and_keeps_the_child_pending(app, client_as, pending):
    clerk = client_as(Role.CLERK)
    url = f"/admin/verify/child/?id={pending['钱小军']}"
    form = open_form(clerk, url, action="/not-in-school/")
    form.set("missing-on", "2026-03-12").set("missing-kind", "dropout")
    form.set("missing-note", "入户核实：随父母外出，未在当地就读")
    response = form.submit(clerk)
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalar(
            select(DropoutCase).where(DropoutCase.child_id == pending["钱小军"])
        )
        assert (case.status, case.source, case.discovered_on) == (
            CaseStatus.SUSPECTED,
            CaseSource.HIGHER_FEEDBACK,
            dt.date(2026, 3, 12),
        )
        assert response.headers["Location"].endswith(f"/admin/case/details/?id={case.id}")
    assert child(app, pending["钱小军"]).status == ChildStatus.PENDING
    watch = clerk.get("/admin/").get_data(as_text=True).split('id="pending-watch"')[1]
    assert re.search(r"钱小军.*?已立案", watch.split("</table>")[0], re.S)


def test_a_verification_date_in_the_future_or_before_the_list_is_refused(app, client_as, pending):
    clerk = client_as(Role.CLERK)
    url = f"/admin/verify/child/?id={pending['钱小军']}"
    for on, message in (
        ((TODAY + dt.timedelta(days=1)).isoformat(), "核实日期不能晚于今天"),
        ("2026-02-01", "核实日期不能早于列入待核实的日期（2026-03-01）"),
    ):
        form = open_form(clerk, url, action="/not-in-school/").set("missing-on", on)
        refused = form.submit(clerk)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(DropoutCase.id)) is None


def test_roles_and_villages_are_kept_apart(app, client_as, pending):
    village = client_as(Role.VILLAGE)  # 联合村
    assert village.get(f"/admin/verify/child/?id={pending['钱小军']}").status_code == 404
    own = open_form(village, f"/admin/verify/child/?id={pending['赵小燕']}", action="/in-school/")
    # The other village's child cannot be reached by changing the id in the form's action.
    own.attrs["action"] = own.attrs["action"].replace(
        str(pending["赵小燕"]), str(pending["钱小军"])
    )
    assert own.submit(village).status_code == 404
    leader = client_as(Role.LEADER)
    page = leader.get(f"/admin/verify/child/?id={pending['钱小军']}").get_data(as_text=True)
    assert "钱小军" in page and "in-school-form" not in page
    assert client_as(Role.SCHOOL).get("/admin/verify/").status_code == 403
    assert child(app, pending["钱小军"]).status == ChildStatus.PENDING
