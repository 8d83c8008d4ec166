"""Helpers shared by the test modules: logging in, submitting forms as a browser does,
reading what a page shows. Fixtures live in conftest.py, rows in factories.py; a test
module imports from these, never from another test module."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from admin_app.cases import core as cases
from admin_app.choices import (
    AgreementLevel,
    AgreementLine,
    AgreementStatus,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    NoticeKind,
    OutOfSchoolReason,
    Role,
    Sex,
)
from admin_app.extensions import db
from admin_app.models import (
    CaseVisit,
    Child,
    DropoutCase,
    InspectionScore,
    Notice,
    School,
    Township,
    Village,
)
from admin_app.util.dates import local_today
from tests import factories as f
from tests.factories import (
    make_agreement,
    make_assistance,
    make_child,
    make_household,
    make_id_number,
    make_inspection,
    make_item,
    make_period,
    make_school,
    make_township,
    make_user,
    make_village,
)
from tests.forms import Control, FormError, HtmlForm, form_of, forms_of, open_form
from tests.xlsx_helpers import headers_of, rows_of


@dataclass
class World:
    """Two villages, two schools, a child in each, and one user per role (ids only)."""

    village_a: int
    village_b: int
    school_a: int
    school_b: int
    household_a: int
    household_b: int
    child_a: int
    child_b: int
    users: dict[Role, str]


def session_token(client: FlaskClient) -> str:
    """The session's CSRF token, as every form of the panel carries it (read from the
    navbar's logout form): for posts that a test makes to check what a role may not do."""
    return form_of(client.get("/admin/"), action="logout").value("csrf_token") or ""


def login(
    client: FlaskClient, username: str, password: str = f.PASSWORD, url: str = "/admin/login/"
) -> Any:
    """Fill in the login page as a user does and press 登录."""
    form = open_form(client, url).update({"username": username, "password": password})
    return form.submit(client)


def logout(client: FlaskClient) -> Any:
    """Press 退出 in the navbar."""
    return form_of(client.get("/admin/"), action="logout").submit(client)


def export(client: FlaskClient, page_url: str, action: str = "/export") -> Any:
    """Press a page's export button as a browser does: its form POSTs the CSRF token to
    the export URL, which carries the page's own query (a list's filters, search, sort)."""
    return open_form(client, page_url, action=action).submit(client)


def fetch(app: Flask, model: type, pk: int) -> Any:
    with app.app_context():
        return db.session.get(model, pk)


def submit(client: FlaskClient, url: str, changes: dict[str, Any] | None = None) -> Any:
    """Open a create/edit page, keep what it shows, apply ``changes``, and post it back
    as a browser does (every control in document order); None removes a control."""
    form = open_form(client, url)
    for key, value in (changes or {}).items():
        if value is None:
            form.remove(key)
        else:
            form.set(key, value)
    return form.submit(client)


def row_delete_form(client: FlaskClient, list_url: str, pk: int) -> HtmlForm:
    """The delete button of one row of a list page (Flask-Admin's row action form)."""
    page = client.get(list_url)
    assert page.status_code == 200, (list_url, page.status_code)
    found = [
        form
        for form in forms_of(page, list_url)
        if form.action.endswith("/delete/") and form.value("id") == str(pk)
    ]
    if not found:
        raise FormError(f"no delete button for row {pk} on {list_url}")
    return found[0]


ROW_CHECKBOX = re.compile(r'<input[^>]*\bname="rowid"[^>]*>')
MENU_ACTION = re.compile(r'data-model-action="([^"]+)"')


def bulk_action_form(
    client: FlaskClient, list_url: str, action: str, ticked: list[int]
) -> HtmlForm:
    """A list page's bulk-action form as Flask-Admin's script fills it: the action picked
    from the menu and, appended to the hidden form, a copy of each ticked row's box.
    Only actions the menu offers and rows the page shows can be picked."""
    page = client.get(list_url)
    assert page.status_code == 200, (list_url, page.status_code)
    html = page.get_data(as_text=True)
    form = form_of(page, list_url, action="/action/")
    menu = MENU_ACTION.findall(html)
    if action not in menu:
        raise FormError(f"the menu offers no action {action!r}; it offers {menu}")
    form.set("action", action)
    boxes = {
        value.group(1)
        for tag in ROW_CHECKBOX.findall(html)
        if (value := re.search(r'\bvalue="([^"]*)"', tag))
    }
    for pk in ticked:
        if str(pk) not in boxes:
            raise FormError(f"row {pk} has no box on {list_url}; rows: {sorted(boxes)}")
        form.controls.append(Control("input", "checkbox", "rowid", str(pk), checked=True))
    return form


def tick_only(form: HtmlForm, name: str, values: list[str]) -> HtmlForm:
    """Tick exactly these boxes of a group of checkboxes named ``name``, untick the rest."""
    boxes = [c for c in form.named(name) if c.kind == "checkbox"]
    missing = set(values) - {c.value for c in boxes}
    if missing:
        raise FormError(f"{name!r} has no box with value {sorted(missing)}")
    for box in boxes:
        box.checked = box.value in values
    return form


def forge_entry(form: HtmlForm, name: str, value: Any) -> HtmlForm:
    """Add one more entry a browser could not send (a forged id beside the real ones);
    ``HtmlForm.force`` replaces a control, this one adds to it."""
    return form.forge(name, value)


def post_elsewhere(form: HtmlForm, url: str) -> HtmlForm:
    """Post the form to another address: a forged id in the URL, as a hostile user
    would edit the action of a form they have."""
    form.attrs["action"] = url
    return form


def field_errors(response: Any) -> list[str]:
    """The messages shown next to fields."""
    return re.findall(r"<li>([^<]+)</li>", response.get_data(as_text=True))


def view_of(app: Flask, endpoint: str) -> Any:
    admin = app.extensions["admin"][0]
    return next(v for v in admin._views if v.endpoint == endpoint)


def inline_cell(client: FlaskClient, list_url: str, pk: int, name: str) -> dict[str, str]:
    """What the list page's inline edit (x-editable + panel.js) posts for one cell besides
    its value: the row's key, the cell's CSRF token and the row's version as shown."""
    html = client.get(list_url).get_data(as_text=True)
    for tag in re.findall(r"<a\s[^>]*>", html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attrs.get("data-pk") == str(pk) and attrs.get("name") == name:
            return {
                "list_form_pk": str(pk),
                "csrf_token": attrs["data-csrf"],
                "version": attrs["data-version"],
            }
    raise AssertionError(f"no inline-edit cell {name!r} for row {pk} on {list_url}")


def seed_report_data(app, world) -> dict[str, int]:
    """2026年度 for the two villages of ``world``:

    联合村 signed its 乡—村 agreement (刘主任), its children attend 联合乡中心小学 (陈校长);
    新华村's agreement is still a draft (赵主任), its child attends 新华小学 (周校长), dropped
    out, and its case has had no visit since March: overdue.
    """
    with app.app_context():
        period = make_period()
        village_a, village_b = (
            db.session.get(Village, world.village_a),
            db.session.get(Village, world.village_b),
        )
        school_a, school_b = (
            db.session.get(School, world.school_a),
            db.session.get(School, world.school_b),
        )
        make_agreement(village=village_a, party_b_name="刘主任", party_b_org="联合村村民委员会")
        make_agreement(
            village=village_b,
            party_b_name="赵主任",
            party_b_org="新华村村民委员会",
            status=AgreementStatus.DRAFT,
            signed_on=None,
        )
        for school, principal in ((school_a, "陈校长"), (school_b, "周校长")):
            make_agreement(
                village=None,
                school=school,
                line=AgreementLine.SCHOOL,
                level=AgreementLevel.SCHOOL_TEACHER,
                party_a_name=principal,
                party_a_org=school.name,
                party_b_name="班主任",
                party_b_org=f"{school.name}六年级1班",
            )
        child_b = db.session.get(Child, world.child_b)
        child_b.status = ChildStatus.DROPOUT
        child_b.status_reason = OutOfSchoolReason.LEARNING
        child_b.status_effective_on = dt.date(2026, 3, 1)
        case = DropoutCase(
            child=child_b,
            kind=CaseKind.DROPOUT,
            discovered_on=dt.date(2026, 3, 1),
            source=CaseSource.SCHOOL_REPORT,
            reason=OutOfSchoolReason.LEARNING,
            village_person="赵主任",
            school_person="周校长",
            status=CaseStatus.PERSUADING,
        )
        db.session.add(case)
        db.session.flush()
        db.session.add(
            CaseVisit(case=case, seq=1, visited_on=dt.date(2026, 3, 20), persons="赵主任")
        )
        township = db.session.scalar(select(Township))
        db.session.add(
            Notice(
                case=case,
                township_id=township.id,
                kind=NoticeKind.RETURN,
                year=2026,
                seq=1,
                number="联劝字〔2026〕1号",
                issued_on=dt.date(2026, 3, 25),
                deadline=dt.date(2026, 4, 10),
            )
        )
        make_assistance(db.session.get(Child, world.child_a), amount=Decimal("300.00"))
        make_assistance(db.session.get(Child, world.child_b), amount=Decimal("200.50"))
        db.session.commit()
        return {"period": period.id, "case": case.id}


def report_form(client):
    return open_form(client, "/admin/reports/", action="/admin/reports/")


def issue(client, report: str, period: int | str | None = None, **extra):
    """Pick a report (and its period, villages, 脱敏) on the reports page and press 生成."""
    form = report_form(client).set("report", report)
    if period is not None:
        form.set("period", period)
    return form.update(extra).submit(client)


def by_header(sheet) -> list[dict]:
    headers = headers_of(sheet)
    return [dict(zip(headers, row, strict=False)) for row in rows_of(sheet)]


TODAY = local_today()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def step_form(client, case_id: int, name: str):
    """A lifecycle form as the case page offers it (its fields are named ``name-…``)."""
    return open_form(client, f"/admin/case/details/?id={case_id}", action=f"/step/{name}/")


def notice_form(client, case_id: int, notice_id: int):
    """The 记录送达及履行情况 form of a notice on the case page (fields ``n<id>-…``)."""
    url = f"/admin/case/details/?id={case_id}"
    return open_form(client, url, action=f"/notice/result/?id={notice_id}")


def fill(form, prefix: str, **fields):
    return form.update({f"{prefix}-{key}": str(value) for key, value in fields.items()})


def case_version(client, case_id: int) -> str:
    """The case's version, as every form of its page carries it."""
    form = open_form(client, f"/admin/case/details/?id={case_id}", action="/step/")
    [version] = [c.value for c in form.controls if c.name.endswith("-version")]
    return version


def step(client, case_id: int, name: str, **fields):
    """Open the case page, fill in one of its lifecycle forms and press its button."""
    return fill(step_form(client, case_id, name), name, **fields).submit(client)


def open_case_at(app, child_id: int, status: CaseStatus = CaseStatus.PERSUADING) -> int:
    """A case of the child opened and driven by ``admin_app.cases.core`` to ``status``
    (children of the world are in school)."""
    with app.app_context():
        child = db.session.get(Child, child_id)
        case = cases.open_case(
            db.session,
            child,
            CaseKind.DROPOUT,
            CaseSource.SCHOOL_REPORT,
            OutOfSchoolReason.LEARNING,
            on=days_ago(60),
        )
        if status != CaseStatus.SUSPECTED:
            cases.start_verification(db.session, case, on=days_ago(59), actor=None)
        if status in (CaseStatus.CONFIRMED, CaseStatus.PERSUADING):
            cases.confirm_case(db.session, case, on=days_ago(58), actor=None)
        if status == CaseStatus.PERSUADING:
            cases.start_persuasion(db.session, case, on=days_ago(57), actor=None)
        db.session.commit()
        return case.id


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


@contextmanager
def saved_meanwhile(app, statement: str) -> Iterator[None]:
    """Another connection commits ``statement`` just before the session's next flush: the
    row changes after the version check passed, as when two saves are in flight at once."""
    done: list[bool] = []

    def meanwhile(session: Session, flush_context: Any, instances: Any) -> None:
        if not done:
            done.append(True)
            with db.engine.begin() as conn:
                conn.execute(text(statement))

    event.listen(Session, "before_flush", meanwhile)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", meanwhile)
    assert done, "no flush happened"


NEW_CHILD = "/admin/child/new/"


def new_child_values(world, **changes):
    values = {
        "name": "赵小刚",
        "id_number": make_id_number(dt.date(2015, 6, 1), Sex.FEMALE),
        "village": world.village_a,
        "household": world.household_a,
        "school": world.school_a,
        "stage": "primary",
        "grade": 5,
        "class_name": "2班",
        "status": "enrolled",
        "guardian_name": "赵大海",
        "guardian_relation": "父亲",
        "guardian_phone": "13900001111",
    }
    values.update(changes)
    return values


def upload_form(client, content: bytes, name="名单.xlsx", kind="poverty"):
    """The 名单导入 page's upload form: the list's kind picked and the file chosen."""
    form = open_form(client, "/admin/import/", action="/upload")
    return form.set("kind", kind).attach("file", content, name)


def upload(client, content: bytes, name="名单.xlsx", kind="poverty"):
    return upload_form(client, content, name, kind).submit(client)


REGISTERED = dt.date(2025, 9, 1)


def change(child, status, on, reason=None):
    child.status = status
    child.status_reason = reason
    child.status_effective_on = on
    db.session.commit()


def scheme_child(village, born, household=None, **kw):
    return make_child(
        village=village,
        household=household,
        birth_date=born,
        status_effective_on=REGISTERED,
        school=kw.pop("school"),
        **kw,
    )


def seed_scheme(app: Flask) -> dict[str, int]:
    """Four villages with known records (test_assessment works out every figure from
    them); returns the ids the tests need."""
    with app.app_context():
        township = make_township()
        school = make_school(township, name="中心小学")
        village_a = make_village(township, name="甲村", code="001")
        village_b = make_village(township, name="乙村", code="002")
        village_c = make_village(township, name="丙村", code="003")  # no children at all
        village_d = make_village(township, name="丁村", code="004")
        make_period(name="2025年度", start_on=dt.date(2025, 1, 1), end_on=dt.date(2025, 12, 31))
        period = make_period()
        household_a = make_household(village_a, head_name="甲户", is_dibao=True)
        household_b = make_household(village_b, head_name="乙户")
        household_d = make_household(village_d, head_name="丁户")

        # 甲村 (甲一 has no household)
        a1 = scheme_child(village_a, dt.date(2014, 3, 15), name="甲一", school=school)
        a2 = scheme_child(village_a, dt.date(2013, 5, 5), household_a, name="甲二", school=school)
        a3 = scheme_child(village_a, dt.date(2012, 1, 1), household_a, name="甲三", school=school)
        a4 = scheme_child(village_a, dt.date(2010, 5, 1), household_a, name="甲四", school=school)
        scheme_child(  # 甲五: 免缓学
            village_a,
            dt.date(2015, 2, 2),
            household_a,
            name="甲五",
            school=school,
            status=ChildStatus.EXEMPTED,
        )
        a6 = scheme_child(village_a, dt.date(2011, 11, 11), household_a, name="甲六", school=school)
        a7 = scheme_child(village_a, dt.date(2016, 6, 6), household_a, name="甲七", school=school)
        db.session.commit()
        change(a2, ChildStatus.ELSEWHERE, dt.date(2026, 5, 1))  # transferred mid-period
        change(a3, ChildStatus.DROPOUT, dt.date(2026, 3, 1), OutOfSchoolReason.LEARNING)
        change(a4, ChildStatus.COMPLETED, dt.date(2026, 7, 1))  # turns 16 this year
        change(a6, ChildStatus.MOVED_OUT, dt.date(2026, 4, 1))
        change(a7, ChildStatus.DROPOUT, dt.date(2026, 2, 1), OutOfSchoolReason.WORK)
        change(a7, ChildStatus.ENROLLED, dt.date(2026, 4, 1))  # and back again
        # Agreements: a1 by name; the rest of 甲户 through the household's agreement.
        for subject in ({"child": a1}, {"household": household_a}):
            make_agreement(
                level=AgreementLevel.VILLAGE_PARENT,
                village=village_a,
                party_b_name="家长",
                **subject,
            )
        make_assistance(a2, given_on=dt.date(2026, 3, 1))
        make_assistance(a3, given_on=dt.date(2025, 12, 1))  # before the period: not counted
        late = DropoutCase(
            child=a7,
            kind=CaseKind.DROPOUT,
            discovered_on=dt.date(2026, 2, 2),
            source=CaseSource.SCHOOL_REPORT,
        )
        timely = DropoutCase(
            child=a3,
            kind=CaseKind.DROPOUT,
            discovered_on=dt.date(2026, 3, 2),
            source=CaseSource.HOUSEHOLD_CHECK,
        )
        db.session.add_all([late, timely])
        db.session.flush()
        db.session.add_all(
            [
                CaseVisit(case=late, seq=1, visited_on=dt.date(2026, 2, 20), persons="村干部"),
                CaseVisit(case=timely, seq=1, visited_on=dt.date(2026, 3, 5), persons="班主任"),
            ]
        )
        item_1 = make_item(name="项一", max_points=Decimal(10))
        item_2 = make_item(name="项二", max_points=Decimal(10))
        inspection_a = make_inspection(village_a, period)
        inspection_b = make_inspection(village_b, period)
        for inspection, scores in ((inspection_a, (8, 6)), (inspection_b, (10, 10))):
            for item, score in zip((item_1, item_2), scores, strict=True):
                db.session.add(
                    InspectionScore(
                        inspection=inspection,
                        item=item,
                        max_points=item.max_points,
                        score=Decimal(score),
                    )
                )

        # 乙村: two children in school all along; their agreement is only a draft.
        b1 = scheme_child(village_b, dt.date(2014, 1, 1), household_b, name="乙一", school=school)
        scheme_child(village_b, dt.date(2015, 1, 1), household_b, name="乙二", school=school)
        make_agreement(
            level=AgreementLevel.VILLAGE_PARENT,
            village=village_b,
            child=b1,
            status=AgreementStatus.DRAFT,
            signed_on=None,
        )
        # 丁村: one child in school, one out of school because the family is poor.
        scheme_child(village_d, dt.date(2014, 1, 1), household_d, name="丁一", school=school)
        d2 = scheme_child(village_d, dt.date(2013, 1, 1), household_d, name="丁二", school=school)
        db.session.commit()
        change(d2, ChildStatus.DROPOUT, dt.date(2026, 3, 1), OutOfSchoolReason.POVERTY)
        make_user(Role.VILLAGE, username="cadre_a", village=village_a)
        make_user(Role.LEADER, username="boss")
        db.session.commit()
        return {
            "period": period.id,
            "A": village_a.id,
            "B": village_b.id,
            "C": village_c.id,
            "D": village_d.id,
            "a3": a3.id,
        }


FILTER_GROUPS = re.compile(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', re.S)


def filter_options(html: str) -> dict[str, list[str]]:
    """The labels each filter of a list page offers to pick, by the filter's name.

    Flask-Admin hands them to its script as JSON (non-ASCII ``\\u``-escaped), so a name
    searched for as text in the page is never found there, whether offered or not."""
    found = FILTER_GROUPS.search(html)
    if found is None:
        raise AssertionError("the page has no filters")
    groups = json.loads(found.group(1))
    return {
        name: [label for flt in filters for _, label in flt.get("options") or []]
        for name, filters in groups.items()
    }
