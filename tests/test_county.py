"""全县部署: one database for a county's townships.

Township roles kept to a township (``User.township_id``) reach its rows only, on every
path; the 县教育局 (``Role.COUNTY``) reads every township and writes nothing; the county's
home page rolls the figures up by township, and each township's figures add up to the
county's, each village's to its township's.

The world: ``world``'s 联合乡 (联合村 王小明, 新华村 李小红, 2 schools) and 青山镇 beside it
(竹山村: 张一 and 张二 in school, 张三 dropped out with a case; 石桥村: 赵一), each with an
inspection and an accountability record, and the users 乡A/乡B (clerks of 联合乡 and
青山镇), 乡A领导 and 乡A管理员 (kept to 联合乡).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import func, select

from admin_app.access import scope
from admin_app.cases import termcheck
from admin_app.choices import ChildStatus, OutOfSchoolReason, ReportKind, Role
from admin_app.extensions import db
from admin_app.models import (
    Accountability,
    Child,
    DropoutCase,
    Household,
    Inspection,
    ReportSubmission,
    School,
    TermCheck,
    Township,
    User,
    Village,
)
from admin_app.reports import submissions
from admin_app.util.dates import local_today
from tests import factories as f
from tests.forms import open_form
from tests.helpers import (
    export,
    filter_options,
    inline_cell,
    login,
    post_elsewhere,
    row_delete_form,
    session_token,
)


@pytest.fixture
def county(app: Flask, world: Any) -> dict[str, Any]:
    """青山镇 beside ``world``'s 联合乡, and the users kept to either township."""
    with app.app_context():
        period = f.make_period()
        township_a = db.session.scalars(select(Township)).one()
        township_b = f.make_township(name="青山镇", code="430121101000")
        zhushan = f.make_village(township_b, name="竹山村", code="430121101201")
        shiqiao = f.make_village(township_b, name="石桥村", code="430121101202")
        school_b = f.make_school(township_b, name="青山镇中心小学")
        home_b = f.make_household(zhushan, head_name="张大海")
        for name in ("张一", "张二"):
            f.make_child(name=name, village=zhushan, school=school_b, household=home_b)
        dropout = f.make_child(
            name="张三",
            village=zhushan,
            school=None,
            status=ChildStatus.DROPOUT,
            status_reason=OutOfSchoolReason.LEARNING,
        )
        f.make_child(name="赵一", village=shiqiao, school=school_b)
        case = f.make_case(dropout)
        village_a = db.session.get(Village, world.village_a)
        inspection_a = f.make_inspection(village_a, period)
        inspection_b = f.make_inspection(zhushan, period)
        blame_b = f.make_accountability(zhushan, period, person="张主任")
        users = {
            "clerk_a": f.make_user(Role.CLERK, "乡A", township=township_a),
            "leader_a": f.make_user(Role.LEADER, "乡A领导", township=township_a),
            "admin_a": f.make_user(Role.ADMIN, "乡A管理员", township=township_a),
            "clerk_b": f.make_user(Role.CLERK, "乡B", township=township_b),
        }
        db.session.commit()
        return {
            "township_a": township_a.id,
            "township_b": township_b.id,
            "zhushan": zhushan.id,
            "shiqiao": shiqiao.id,
            "school_b": school_b.id,
            "home_b": home_b.id,
            "dropout": dropout.id,
            "case_b": case.id,
            "inspection_a": inspection_a.id,
            "inspection_b": inspection_b.id,
            "blame_b": blame_b.id,
            "users": {key: user.username for key, user in users.items()},
        }


def client_of(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def clerk_a(app: Flask, county: dict[str, Any]) -> FlaskClient:
    return client_of(app, county["users"]["clerk_a"])


@pytest.fixture
def county_user(app: Flask, client_as: Any, county: dict[str, Any]) -> FlaskClient:
    return client_as(Role.COUNTY)


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# --- The rules themselves ----------------------------------------------------------------


def test_every_table_has_a_township_rule_or_is_declared_shared(app):
    """A table added without a township rule would be unreachable (or worse, if someone
    made the default "every row"): each one is named in ``scope`` on purpose."""
    declared = set(scope.TOWNSHIP_SCOPES) | scope.SHARED_TABLES | scope.UNREACHED_TABLES
    mapped = {m.class_ for m in db.Model.registry.mappers}
    assert mapped - declared == set()
    # Every table with a village or school rule has a township rule too.
    assert set(scope._LOCAL_SCOPES) <= set(scope.TOWNSHIP_SCOPES)


def test_each_tables_rule_keeps_a_township_user_to_their_township(app, county, world):
    """Straight from the database: every table with a township rule, read by 乡A and 乡B."""
    with app.app_context():
        clerk_a = db.session.scalar(select(User).where(User.username == "乡A"))
        clerk_b = db.session.scalar(select(User).where(User.username == "乡B"))

        def names(model: type, column: Any, user: User) -> set[Any]:
            stmt = scope.apply_scope(select(column), model, user)
            return set(db.session.scalars(stmt))

        assert names(Child, Child.name, clerk_a) == {"王小明", "李小红"}
        assert names(Child, Child.name, clerk_b) == {"张一", "张二", "张三", "赵一"}
        assert names(Village, Village.name, clerk_b) == {"竹山村", "石桥村"}
        assert names(School, School.name, clerk_b) == {"青山镇中心小学"}
        assert names(Household, Household.head_name, clerk_b) == {"张大海"}
        assert names(DropoutCase, DropoutCase.id, clerk_a) == set()
        assert names(DropoutCase, DropoutCase.id, clerk_b) == {county["case_b"]}
        assert names(Inspection, Inspection.id, clerk_a) == {county["inspection_a"]}
        assert names(Accountability, Accountability.id, clerk_a) == set()
        assert names(Accountability, Accountability.id, clerk_b) == {county["blame_b"]}
        assert names(User, User.username, clerk_b) == {"乡B"}
        # The village cadre of 联合村 (world) is 联合乡's: its administrator sees the account.
        assert "village" in names(User, User.username, clerk_a)
        assert scope.visible_village_ids(db.session, clerk_b) == sorted(
            [county["zhushan"], county["shiqiao"]]
        ) or set(scope.visible_village_ids(db.session, clerk_b)) == {
            county["zhushan"],
            county["shiqiao"],
        }
        # Kept to no township: every row, as before (a single township, the county).
        county_user = db.session.scalar(select(User).where(User.role == Role.COUNTY))
        assert len(names(Child, Child.id, county_user)) == 6
        assert scope.visible_village_ids(db.session, county_user) is None


# --- A township clerk on every path ------------------------------------------------------


def test_a_township_clerk_lists_and_counts_only_their_township(clerk_a, county):
    html = text(clerk_a, "/admin/child/")
    assert "王小明" in html and "李小红" in html
    assert not any(name in html for name in ("张一", "张二", "张三", "赵一"))
    # The list's count says two, not six.
    assert "共 2 条记录" in html
    for url, theirs, others in (
        ("/admin/household/", "王大山", "张大海"),
        ("/admin/village/", "联合村", "竹山村"),
        ("/admin/school/", "联合乡中心小学", "青山镇中心小学"),
        ("/admin/case/", None, "张三"),
        ("/admin/inspection/", "联合村", "竹山村"),
        ("/admin/accountability/", None, "张主任"),
    ):
        html = text(clerk_a, url)
        assert others not in html, url
        if theirs:
            assert theirs in html, url


def test_another_townships_records_by_id_are_not_found(clerk_a, county, world):
    for url in (
        f"/admin/child/details/?id={county['dropout']}",
        f"/admin/child/edit/?id={county['dropout']}",
        f"/admin/household/details/?id={county['home_b']}",
        f"/admin/village/edit/?id={county['zhushan']}",
        f"/admin/school/details/?id={county['school_b']}",
        f"/admin/case/details/?id={county['case_b']}",
        f"/admin/inspection/details/?id={county['inspection_b']}",
        f"/admin/accountability/details/?id={county['blame_b']}",
        f"/admin/verify/child/?id={county['dropout']}",
        f"/admin/ranking/{county['zhushan']}",
    ):
        assert clerk_a.get(url).status_code == 404, url
    # The control: their own township's child opens.
    assert clerk_a.get(f"/admin/child/details/?id={world.child_a}").status_code == 200


def test_a_township_clerk_cannot_edit_or_delete_another_townships_rows(app, clerk_a, county, world):
    # Their own child's edit form, posted to 张三's address.
    form = open_form(clerk_a, f"/admin/child/edit/?id={world.child_a}").set("name", "篡改")
    forged = post_elsewhere(form, f"/admin/child/edit/?id={county['dropout']}")
    assert forged.submit(clerk_a).status_code == 404
    # Their own child's delete button, its id forged.
    delete = row_delete_form(clerk_a, "/admin/child/", world.child_a)
    assert delete.force("id", county["dropout"]).submit(clerk_a).status_code == 404
    token = session_token(clerk_a)
    response = clerk_a.post(
        "/admin/child/ajax/update/",
        data={"list_form_pk": county["dropout"], "class_name": "9班", "csrf_token": token},
    )
    assert response.status_code in (400, 404)
    with app.app_context():
        child = db.session.get(Child, county["dropout"])
        assert child is not None and child.name == "张三" and child.class_name != "9班"
    # The control: their own child's cell saves.
    cell = inline_cell(clerk_a, "/admin/child/", world.child_a, "class_name")
    assert (
        clerk_a.post("/admin/child/ajax/update/", data={**cell, "class_name": "9班"}).status_code
        == 200
    )


def lookup(client: FlaskClient, view: str, field: str) -> set[str]:
    response = client.get(f"/admin/{view}/ajax/lookup/?name={field}&query=")
    assert response.status_code == 200
    return {label for _, label in response.get_json()}


def test_pickers_filters_and_exports_hold_the_township(clerk_a, county):
    assert lookup(clerk_a, "child", "village") == {"联合村", "新华村"}
    assert lookup(clerk_a, "child", "school") == {"联合乡中心小学", "新华小学"}
    assert not any("张" in label for label in lookup(clerk_a, "assistance", "child"))
    options = filter_options(text(clerk_a, "/admin/child/"))
    assert sorted(options["行政村"]) == ["新华村", "联合村"]
    assert "青山镇中心小学" not in options["学校"]
    response = export(clerk_a, "/admin/child/")
    assert response.status_code == 200
    sheet = response.data
    from tests.xlsx_helpers import headers_of, rows_of, workbook

    book = workbook(sheet).worksheets[0]
    column = headers_of(book).index("姓名")
    assert sorted(row[column] for row in rows_of(book)) == ["李小红", "王小明"]


def test_a_township_user_ranks_and_reads_their_township_only(app, clerk_a, county):
    html = text(clerk_a, "/admin/ranking/")
    assert "联合村" in html and "新华村" in html and "竹山村" not in html
    assert 'id="township"' not in html  # no township to choose
    data = clerk_a.get("/admin/ranking/data").get_json()
    assert {v["village"] for v in data["villages"]} == {"联合村", "新华村"}
    assert max(v["rank"] for v in data["villages"]) <= 2  # among 联合乡's two villages
    home = text(clerk_a, "/admin/")
    assert "联合村" in home and "竹山村" not in home and "青山镇" not in home
    assert clerk_a.get(f"/admin/?township={county['township_b']}").status_code == 302


def test_county_lists_and_settings_are_not_a_township_users(app, county):
    admin_a = client_of(app, county["users"]["admin_a"])
    assert admin_a.get("/admin/import/").status_code == 403
    assert admin_a.get("/admin/crosscheck/").status_code == 403
    assert admin_a.get("/admin/period/").status_code == 200  # reads the shared periods
    assert admin_a.get("/admin/period/new/").status_code == 403
    # Their users: their township's only.
    users = text(admin_a, "/admin/user/")
    assert "乡A" in users and "乡B" not in users


def test_a_township_administrator_makes_accounts_of_their_township_only(app, county):
    """Left empty, the township is theirs; 县教育局 is not theirs to make."""
    admin_a = client_of(app, county["users"]["admin_a"])
    form = open_form(admin_a, "/admin/user/new/").update(
        {"username": "newclerk", "display_name": "新人", "role": "clerk", "password": "Lx9#kq2Wp!"}
    )
    assert form.submit(admin_a).status_code == 302
    with app.app_context():
        made = db.session.scalar(select(User).where(User.username == "newclerk"))
        assert made.township_id == county["township_a"]
    form = open_form(admin_a, "/admin/user/new/").update(
        {"username": "newcounty", "display_name": "县", "role": "county", "password": "Lx9#kq2Wp!"}
    )
    html = form.submit(admin_a).get_data(as_text=True)
    assert "乡镇管理员不能创建县教育局账号" in html


def test_a_village_account_must_be_of_the_township_chosen(app, client_as, county, world):
    admin = client_as(Role.ADMIN)  # kept to no township: the county's administrator
    form = open_form(admin, "/admin/user/new/").update(
        {
            "username": "cadre2",
            "display_name": "村干部二",
            "role": "village",
            "village": str(world.village_a),
            "township": str(county["township_b"]),
            "password": "Lx9#kq2Wp!",
        }
    )
    html = form.submit(admin).get_data(as_text=True)
    assert "所选行政村不属于所选乡镇“青山镇”" in html
    # Left empty, the township is the village's.
    form.set("township", "")
    assert form.submit(admin).status_code == 302
    with app.app_context():
        made = db.session.scalar(select(User).where(User.username == "cadre2"))
        assert made.township_id == county["township_a"]


def test_create_user_takes_the_township(app, runner, county):
    result = runner.invoke(
        args=[
            "create-user", "qingshan", "--role", "clerk", "--township", "青山镇",
            "--password", "Lx9#kq2Wp!",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "qingshan"))
        assert user.township_id == county["township_b"]
    result = runner.invoke(
        args=[
            "create-user",
            "x1",
            "--role",
            "clerk",
            "--township",
            "无此乡",
            "--password",
            "Lx9#kq2Wp!",
        ]
    )
    assert result.exit_code != 0 and "找不到乡镇“无此乡”" in result.output


# --- The 县教育局 ------------------------------------------------------------------------


def test_the_county_reads_every_township_and_writes_nothing(app, county_user, county, world):
    html = text(county_user, "/admin/child/")
    assert all(name in html for name in ("王小明", "李小红", "张一", "张三", "赵一"))
    assert "/admin/child/new/" not in html and "/admin/child/edit/" not in html
    # Village names repeat from township to township: the filter names the township.
    assert "竹山村（青山镇）" in filter_options(html)["行政村"]
    assert text(county_user, f"/admin/case/details/?id={county['case_b']}")
    # IDs masked, like a leader's.
    with app.app_context():
        number = db.session.get(Child, world.child_a).id_number
    assert number not in text(county_user, f"/admin/child/details/?id={world.child_a}")
    for url in (
        "/admin/child/new/",
        f"/admin/child/edit/?id={county['dropout']}",
        "/admin/household/new/",
        "/admin/case/new/",
        "/admin/inspection/new/",
        "/admin/village/new/",
        "/admin/user/",
        "/admin/import/",
    ):
        assert county_user.get(url).status_code == 403, url
    token = session_token(county_user)
    response = county_user.post(
        "/admin/child/delete/", data={"id": county["dropout"], "csrf_token": token}
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Child, county["dropout"]) is not None


def test_the_county_ranks_all_villages_or_one_township(county_user, county):
    html = text(county_user, "/admin/ranking/")
    assert 'id="township"' in html and 'id="township-summary"' in html
    summary = html.split('id="township-summary"')[1].split("</table>")[0]
    assert "联合乡" in summary and "青山镇" in summary
    data = county_user.get("/admin/ranking/data").get_json()
    assert {v["village"] for v in data["villages"]} == {"联合村", "新华村", "竹山村", "石桥村"}
    assert max(v["rank"] for v in data["villages"]) > 2  # 全县: among all four
    one = county_user.get(f"/admin/ranking/data?township={county['township_b']}").get_json()
    assert {v["village"] for v in one["villages"]} == {"竹山村", "石桥村"}
    assert max(v["rank"] for v in one["villages"]) <= 2  # within 青山镇


# --- The county roll-up ------------------------------------------------------------------


@contextmanager
def captured(app: Flask) -> Iterator[list[dict[str, Any]]]:
    """The context of each template rendered meanwhile."""
    seen: list[dict[str, Any]] = []

    def record(sender: Any, template: Any, context: dict[str, Any], **extra: Any) -> None:
        seen.append(context)

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)


def home(app: Flask, client: FlaskClient, query: str = "") -> dict[str, Any]:
    with captured(app) as seen:
        assert client.get(f"/admin/{query}").status_code == 200
    return next(c for c in seen if "villages" in c and "totals" in c)


FACTS = ("due", "enrolled", "not_enrolled", "dropout", "pending", "persuading")


def test_the_county_roll_up_is_the_sum_of_its_townships(app, county_user, county):
    figures = home(app, county_user)
    assert figures["by_township"]
    rows = {row["name"]: row for row in figures["villages"]}
    assert set(rows) == {"联合乡", "青山镇"}
    # Children by status: the townships' rows add up to the county's totals.
    for status, total in figures["totals"].items():
        assert sum(row["counts"].get(status, 0) for row in rows.values()) == total, status
    assert sum(row["total"] for row in rows.values()) == figures["grand_total"] == 6
    indicators = {row["name"]: row for row in figures["indicator_rows"]}
    for key in FACTS:
        assert sum(row[key] for row in indicators.values()) == figures["indicator_total"][key]
    assert figures["indicator_total"]["due"] == 6 and figures["indicator_total"]["dropout"] == 1
    # Each township drilled into: its villages add up to the township's row of the county.
    for name, township_id in (("联合乡", county["township_a"]), ("青山镇", county["township_b"])):
        drilled = home(app, county_user, f"?township={township_id}")
        assert not drilled["by_township"]
        villages = drilled["villages"]
        for status, n in rows[name]["counts"].items():
            assert sum(v["counts"].get(status, 0) for v in villages) == n, (name, status)
        for key in FACTS:
            assert sum(v[key] for v in drilled["indicator_rows"]) == indicators[name][key]
            assert drilled["indicator_total"][key] == indicators[name][key]
    # A township's own clerk reads exactly the county's figures of that township.
    own = home(app, client_of(app, county["users"]["clerk_b"]))
    assert {v["name"] for v in own["villages"]} == {"竹山村", "石桥村"}
    assert own["grand_total"] == rows["青山镇"]["total"] == 4
    assert own["indicator_total"]["dropout"] == indicators["青山镇"]["dropout"] == 1


def test_the_county_drills_down_to_the_children_of_a_village(county_user, county):
    page = text(county_user, "/admin/")
    assert f'href="/admin/?township={county["township_b"]}"' in page
    drilled = text(county_user, f"/admin/?township={county['township_b']}")
    # 竹山村's row: its total is the link to its children.
    link = re.search(r'<td>竹山村</td><td><a href="(/admin/child/\?[^"]*)">3</a>', drilled)
    assert link is not None, drilled
    children = text(county_user, link.group(1).replace("&amp;", "&"))
    assert "张一" in children and "张三" in children and "赵一" not in children
    assert "王小明" not in children


# --- The demo ----------------------------------------------------------------------------


def test_seed_demo_at_county_scale_makes_township_accounts(app, runner, monkeypatch):
    """``seed-demo --scale county`` (here three small townships): a clerk and a leader kept
    to each township, printed by ``demo-accounts``; the township scale's accounts stay."""
    from seed.demo import settings

    small = settings.Scale(3, 3, 60, 150, 100, verify_every=1)
    monkeypatch.setitem(settings.SCALES, "county", small)
    result = runner.invoke(args=["seed-demo", "--scale", "county"])
    assert result.exit_code == 0, result.output
    printed = runner.invoke(args=["demo-accounts"]).output
    assert "county" in printed and "县教育局" in printed
    assert "clerk03" in printed and "leader01" in printed and "各乡镇账号" in printed
    with app.app_context():
        townships = db.session.scalars(select(Township).order_by(Township.id)).all()
        assert len(townships) == 3
        kept = dict(
            db.session.execute(
                select(User.username, User.township_id).where(User.township_id.is_not(None))
            ).all()
        )
        assert kept["clerk01"] == kept["leader01"] == townships[0].id
        assert kept["clerk03"] == townships[2].id
        theirs = db.session.scalar(
            select(func.count(Child.id))
            .join(Village, Village.id == Child.village_id)
            .where(Village.township_id == townships[1].id)
        )
        assert 0 < theirs < db.session.scalar(select(func.count(Child.id)))
    clerk = app.test_client()
    assert login(clerk, "clerk02", "clerk123!").status_code == 302
    assert f"共 {theirs} 条记录" in clerk.get("/admin/child/").get_data(as_text=True)
    county = app.test_client()
    assert login(county, "county", "county123!").status_code == 302
    page = county.get("/admin/").get_data(as_text=True)
    assert all(t.name in page for t in townships)


def test_a_township_clerk_reports_and_checks_their_township_only(
    app: Flask, county: dict[str, Any], clerk_a: FlaskClient
) -> None:
    """月报 and 开学排查 of 青山镇 stay out of 联合乡's reach, and 联合乡's clerk can neither
    pick 青山镇 in their forms nor forge it."""
    today = local_today()
    period = submissions.recent_periods(ReportKind.MONTHLY, today)[1]
    with app.app_context():
        clerk_b = db.session.scalar(select(User).where(User.username == county["users"]["clerk_b"]))
        township_b = db.session.get(Township, county["township_b"])
        report_b = submissions.prepare(
            db.session, clerk_b, township_b, ReportKind.MONTHLY, period.code
        )
        check_b = termcheck.open_campaign(
            db.session,
            township_b,
            term="2026年秋季学期",
            opens_on=dt.date(2026, 9, 1),
            deadline=dt.date(2026, 9, 20),
            user=clerk_b,
        )
        db.session.commit()
        report_b_id, check_b_id = report_b.id, check_b.id

    assert clerk_a.get(f"/admin/submission/{report_b_id}").status_code == 404
    assert "青山镇" not in text(clerk_a, "/admin/submission/")
    assert clerk_a.get(f"/admin/termcheck/campaign/?id={check_b_id}").status_code == 404
    assert "青山镇" not in text(clerk_a, "/admin/termcheck/")

    own = [str(county["township_a"])]
    report_form = open_form(clerk_a, "/admin/submission/", action="/new")
    assert report_form.options("township") == own
    report_form.update({"kind": "monthly", "period": period.code})
    response = report_form.force("township", county["township_b"]).submit(clerk_a)
    assert "请选择乡镇" in response.get_data(as_text=True)

    check_form = open_form(clerk_a, "/admin/termcheck/", action="/new/")
    assert check_form.options("township") == own
    check_form.update(
        {"term": "2027年春季学期", "opens_on": "2027-02-20", "deadline": "2027-03-20"}
    )
    response = check_form.force("township", county["township_b"]).submit(clerk_a)
    assert "请选择乡镇" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportSubmission)) == 1
        assert db.session.scalar(select(func.count()).select_from(TermCheck)) == 1
