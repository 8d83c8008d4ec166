"""比对核查: the register against a school roster, and suspected cases opened in one step."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from admin_app.choices import (
    AuditAction,
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    Role,
)
from admin_app.extensions import db
from admin_app.lists.crosscheck import (
    SHEETS,
    cross_check,
    crosscheck_workbook,
    open_suspected_cases,
    read_roster,
)
from admin_app.models import AuditLog, Child, DropoutCase, ExportRecord, School, User, Village
from admin_app.util.dates import local_today
from tests import factories as f
from tests.forms import form_of, open_form
from tests.helpers import export, forge_entry, session_token
from tests.spreadsheets import ROSTER_HEADER, csv_bytes, xlsx
from tests.xlsx_helpers import DATA_START, assert_no_formula_or_link, headers_of, rows_of, workbook

TODAY = dt.date(2026, 11, 29)


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")


@pytest.fixture
def register(app, world):
    """Besides the world's two children: one without an ID number, one verified elsewhere,
    one too old for compulsory school, and one who already has an open case."""
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        school = db.session.get(School, world.school_a)
        no_id = f.make_child(
            name="无证儿", village=village, school=school, id_number=None, no_id_reason="未落户"
        )
        elsewhere = f.make_child(
            name="外地读", village=village, school=None, status=ChildStatus.ELSEWHERE, grade=None
        )
        old = f.make_child(
            name="超龄生", village=village, school=school, birth_date=dt.date(2008, 1, 1)
        )
        with_case = f.make_child(name="已立案", village=village, school=school)
        db.session.add(
            DropoutCase(
                child=with_case,
                kind=CaseKind.DROPOUT,
                discovered_on=dt.date(2026, 10, 1),
                source=CaseSource.SCHOOL_REPORT,
                status=CaseStatus.PERSUADING,
            )
        )
        db.session.commit()
        numbers = {
            c.name: c.id_number
            for c in db.session.scalars(select(Child)).all()
            if c.id_number is not None
        }
        return {
            "no_id": no_id.id,
            "elsewhere": elsewhere.id,
            "old": old.id,
            "with_case": with_case.id,
            "numbers": numbers,
        }


def roster(register, *extra) -> bytes:
    rows = [("王小明", register["numbers"]["王小明"], "联合乡中心小学", "6", "1班", "")]
    return xlsx([*rows, *extra], ROSTER_HEADER, title="联合乡中心小学2026年秋季学籍名单")


def test_each_child_lands_in_one_list(app, world, register):
    stranger = f.make_id_number(dt.date(2015, 2, 2))
    content = roster(
        register,
        ("外来生", stranger, "联合乡中心小学", "4", "2班", ""),
        ("错号生", "430121201502020001", "联合乡中心小学", "4", "2班", ""),
    )
    with app.app_context():
        check = cross_check(db.session, read_roster(content, "学籍.xlsx"), TODAY)
    assert [r.name for r in check.matched] == ["王小明"]
    assert {r.child_id for r in check.missing} == {world.child_b, register["with_case"]}
    assert next(r for r in check.missing if r.child_id == register["with_case"]).has_open_case
    assert [(r.name, r.id_number) for r in check.unregistered] == [("外来生", stranger)]
    assert [r.child_id for r in check.without_id] == [register["no_id"]]
    assert [r.name for r in check.invalid] == ["错号生"]
    assert "校验码" in check.invalid[0].reason
    everyone = {r.child_id for r in [*check.matched, *check.missing, *check.without_id]}
    assert register["elsewhere"] not in everyone and register["old"] not in everyone


def test_a_single_schools_roster_leaves_other_schools_children_out(app, world, register):
    content = roster(register)  # 联合乡中心小学 only; 李小红 attends 新华小学
    with app.app_context():
        table = read_roster(content, "学籍.xlsx")
        everyone = cross_check(db.session, table, TODAY)
        one_school = cross_check(db.session, table, TODAY, only_roster_schools=True)
    assert world.child_b in {r.child_id for r in everyone.missing}
    assert {r.child_id for r in one_school.missing} == {register["with_case"]}
    assert one_school.roster_schools == ["联合乡中心小学"]


def test_open_suspected_cases_skips_children_with_an_open_case(app, world, register):
    with app.app_context():
        opened, skipped = open_suspected_cases(
            db.session, [world.child_b, register["with_case"]], None, TODAY
        )
        assert opened == [world.child_b] and skipped == [register["with_case"]]
        case = db.session.scalar(select(DropoutCase).where(DropoutCase.child_id == world.child_b))
        assert case.status == CaseStatus.SUSPECTED
        assert case.source == CaseSource.ROSTER_COMPARISON
        assert case.kind == CaseKind.DROPOUT and case.discovered_on == TODAY
        # A second comparison does not open a second case.
        assert open_suspected_cases(db.session, [world.child_b], None, TODAY) == (
            [],
            [world.child_b],
        )
        # Once the case is closed, a new finding opens a new case.
        case.status = CaseStatus.CLOSED
        db.session.commit()
        assert open_suspected_cases(db.session, [world.child_b], None, TODAY)[0] == [world.child_b]
        count = db.session.scalar(
            select(func.count(DropoutCase.id)).where(DropoutCase.child_id == world.child_b)
        )
        assert count == 2


def upload_form(client, content: bytes, name: str = "学籍.xlsx"):
    """The 比对核查 page's upload form with the file chosen."""
    form = open_form(client, "/admin/crosscheck/", action="/upload")
    return form.attach("file", content, name)


def upload(client, content: bytes, name: str = "学籍.xlsx"):
    return upload_form(client, content, name).submit(client)


def open_cases_form(client, result_url: str):
    """The result page's 为所选儿童立疑似控辍案件 form."""
    return open_form(client, result_url, action="/open-cases")


def test_clerk_compares_a_roster_and_opens_cases_in_one_step(app, client_as, world, register):
    clerk = client_as(Role.CLERK)
    response = upload(clerk, roster(register))
    assert response.status_code == 302
    result_url = response.headers["Location"]
    html = clerk.get(result_url).get_data(as_text=True)
    assert "李小红" in html and "无证儿" in html
    assert f'name="child_id" value="{world.child_b}"' in html
    assert f'name="child_id" value="{register["with_case"]}"' not in html  # already open

    form = form_of(html, result_url, action="/open-cases").set("child_id", world.child_b)
    # Forged beside the real tick: the child with an open case has no box, and child_a is
    # matched, not missing: a forged selection is refused.
    forge_entry(form, "child_id", register["with_case"])
    forge_entry(form, "child_id", world.child_a)
    response = form.submit(clerk)
    assert response.status_code == 302
    page = clerk.get(result_url).get_data(as_text=True)
    assert "已为1名儿童立疑似控辍案件" in page
    assert "1名儿童已有未结案件" in page and "1名所选儿童不在" in page
    with app.app_context():
        cases = db.session.scalars(
            select(DropoutCase).where(DropoutCase.source == CaseSource.ROSTER_COMPARISON)
        ).all()
        assert [c.child_id for c in cases] == [world.child_b]
        # Opened through the case lifecycle: its 立案 step names the clerk.
        opened = cases[0].events[0]
        assert (opened.kind, opened.to_status) == (CaseEventKind.OPEN, CaseStatus.SUSPECTED)
        assert opened.actor_id == db.session.scalar(select(User.id).where(User.username == "clerk"))

    download = export(clerk, result_url)
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    book = workbook(download.data)
    assert book.sheetnames == [title for _, title, _ in SHEETS]
    missing = book.worksheets[0]
    assert missing["A1"].value == "联合乡比对核查：在台账未在名单(疑似未入学辍学)"
    assert missing["A2"].value == "乡镇：联合乡　　数据截至：" + local_today().isoformat()
    assert "生成人：测试乡镇工作人员（乡镇工作人员）" in missing["A3"].value
    assert "比对名单：学籍.xlsx（1行）" in missing["A4"].value and "未脱敏" in missing["A4"].value
    assert headers_of(missing)[:3] == ["儿童编号", "姓名", "身份证号"]
    assert {row[1] for row in rows_of(missing)} == {"李小红", "已立案"}
    numbers = register["numbers"]
    assert {row[2] for row in rows_of(missing)} == {numbers["李小红"], numbers["已立案"]}
    assert missing.cell(row=DATA_START, column=3).data_type == "s"
    assert missing.freeze_panes == "C6" and missing.auto_filter.ref == "A5:G7"
    assert missing.page_setup.orientation == "landscape" and missing.page_setup.paperSize == 9
    assert [r[1] for r in rows_of(book["已匹配"])] == ["王小明"]
    assert [r[1] for r in rows_of(book["无身份证号(入户核实)"])] == ["无证儿"]
    assert headers_of(book["在名单未在台账"])[0] == "名单行号"

    # Archived like every issued report: on the reports page, the same bytes again.
    with app.app_context():
        record = db.session.scalar(select(ExportRecord))
        assert record.report == "crosscheck" and record.username == "clerk"
        assert record.title == "比对核查_学籍" and record.row_count == 4 and not record.masked
        assert "疑似未入学辍学2人" in record.filters["description"]
        export_log = select(AuditLog).where(
            AuditLog.table_name == "export_record", AuditLog.action == AuditAction.EXPORT
        )
        assert db.session.scalar(export_log).note.startswith("比对核查_学籍，4行，未脱敏")
    assert "比对核查_学籍" in clerk.get("/admin/reports/").get_data(as_text=True)
    again = clerk.get(f"/admin/reports/download/{record.id}")
    assert again.status_code == 200 and again.data == download.data


def test_the_workbook_keeps_hostile_roster_text_as_text_and_masks_every_list(app, world, register):
    content = csv_bytes(
        [
            ("=1+1", f.make_id_number(dt.date(2015, 2, 2)), "@SUM(A1)", "\thttp://x", "", ""),
            ("+1", "=2+2", "http://x", "4", "", ""),
            ("王小明", register["numbers"]["王小明"], "联合乡中心小学", "6", "", ""),
        ],
        ROSTER_HEADER,
    )
    with app.app_context():
        check = cross_check(db.session, read_roster(content, "学籍.csv"), TODAY)
    buffer = io.BytesIO()
    crosscheck_workbook(
        check, buffer, file_name="学籍.csv", township="联合乡", generated_by="测试", masked=True
    )
    data = buffer.getvalue()
    assert_no_formula_or_link(data)
    book = workbook(data)
    (stranger,) = rows_of(book["在名单未在台账"])
    assert stranger[:5] == [2, "=1+1", "430121********" + stranger[2][-4:], "@SUM(A1)", "http://x"]
    (bad,) = rows_of(book["名单中有误的行"])
    assert bad[1] == "+1" and bad[3] == "http://x" and "*" in bad[2]
    for sheet in book.worksheets:
        assert "身份证号、电话已脱敏" in sheet["A4"].value
        for row in rows_of(sheet):
            assert row[2] is None or "****" in row[2], (sheet.title, row)
    for sheet in (book["在名单未在台账"], book["名单中有误的行"]):
        for cell in sheet[DATA_START][1:]:
            assert cell.value is None or cell.data_type == "s", cell.value
    assert book["在台账未在名单(疑似未入学辍学)"].max_row > DATA_START  # masked rows are there


def test_open_cases_without_csrf_token_opens_nothing(app, client_as, world, register):
    clerk = client_as(Role.CLERK)
    result_url = upload(clerk, roster(register)).headers["Location"]
    form = open_cases_form(clerk, result_url).set("child_id", world.child_b)
    assert form.remove("csrf_token").submit(clerk).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(DropoutCase.id))) == 1
    # The control: the page's form with its token opens the case.
    form = open_cases_form(clerk, result_url).set("child_id", world.child_b)
    assert form.submit(clerk).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(DropoutCase.id))) == 2


def test_a_file_without_an_id_column_is_refused(client_as, world):
    clerk = client_as(Role.CLERK)
    content = xlsx([("王小明", "联合乡中心小学")], ("姓名", "学校"), title=None)
    response = upload(clerk, content)
    assert response.status_code == 400
    assert "缺少必需的列" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.VILLAGE, Role.SCHOOL, Role.LEADER, Role.INSPECTOR])
def test_only_clerks_and_admins_may_cross_check(app, client_as, world, register, role):
    result_url = upload(client_as(Role.CLERK), roster(register)).headers["Location"]
    other = client_as(role)
    assert other.get("/admin/crosscheck/").status_code == 403
    assert other.get(result_url).status_code == 403
    token = {"csrf_token": session_token(other)}
    assert other.post(result_url + "/export", data=token).status_code == 403
    data = {"child_id": str(world.child_b), "csrf_token": session_token(other)}
    response = other.post(result_url + "/open-cases", data=data)
    assert response.status_code == 403


def test_unknown_roster_is_404(client_as, world):
    admin = client_as(Role.ADMIN)
    assert admin.get("/admin/crosscheck/result/" + "f" * 64).status_code == 404
    token = {"csrf_token": session_token(admin)}
    assert admin.post("/admin/crosscheck/result/nothex/export", data=token).status_code == 404


def test_the_single_school_option_carries_through_to_the_action(app, client_as, world, register):
    clerk = client_as(Role.CLERK)
    form = upload_form(clerk, roster(register), "中心小学学籍.xlsx").set("schools", True)
    result_url = form.submit(clerk).headers["Location"]
    assert result_url.endswith("schools=roster")
    html = clerk.get(result_url).get_data(as_text=True)
    assert "只比对在联合乡中心小学就读的儿童" in html
    assert f'name="child_id" value="{world.child_b}"' not in html
    form = open_cases_form(clerk, result_url)
    assert form.value("schools") == "roster"  # the option travels with the form
    # 李小红 (新华小学) is not on this comparison's list, so no case opens for her.
    forge_entry(form, "child_id", world.child_b).submit(clerk)
    with app.app_context():
        assert db.session.scalar(select(func.count(DropoutCase.id))) == 1


def test_a_roster_of_a_few_children_warns_pages_and_asks_before_opening_many(
    app, client_as, world, register
):
    """An 11-row roster once made 1,394 children "suspected", all opened with one click."""
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        school = db.session.get(School, world.school_a)
        many = [
            f.make_child(name=f"在册{n:02d}", village=village, school=school).id for n in range(60)
        ]
        db.session.commit()
    clerk = client_as(Role.CLERK)
    result_url = upload(clerk, roster(register)).headers["Location"]
    html = clerk.get(result_url).get_data(as_text=True)
    # 1 of 64 school-age children expected on a full roster: 1.6%.
    assert "名单只覆盖了在册儿童的 1.6%" in html and "是否选错了文件或学校？" in html
    assert 'id="only-roster-schools"' in html
    # The suspected list comes in pages of 50; the rest are on page 2.
    assert html.count('name="child_id"') == 50
    assert 'id="missing-pages"' in html and "第1/2页" in html
    page_2 = clerk.get(result_url + "?page=2").get_data(as_text=True)
    # 62 missing (child_b, the one with a case, the 60), less page 1; the open case has no box.
    assert page_2.count('name="child_id"') == 62 - 50 - 1
    assert clerk.get(result_url + "?page=99").status_code == 200  # the last page
    assert 'data-confirm-many="将为 {n} 名儿童立疑似控辍案件' in html

    # Eight ticked: the server asks again with the count, and opens nothing yet.
    chosen = many[:8]
    form = form_of(html, result_url, action="/open-cases")
    form = tick_many(form, chosen)
    response = form.submit(clerk)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "将为 <strong>8</strong> 名儿童立疑似控辍案件" in page
    assert cases_opened(app) == 0
    confirm_form = form_of(response, result_url + "/open-cases", action="/open-cases")
    assert confirm_form.value("confirmed") == "8"
    response = confirm_form.submit(clerk)
    assert response.status_code == 302
    assert "已为8名儿童立疑似控辍案件" in clerk.get(result_url).get_data(as_text=True)
    assert cases_opened(app) == 8
    # A handful goes through at once, as before.
    form = tick_many(open_cases_form(clerk, result_url), many[8:11])
    assert form.submit(clerk).status_code == 302
    assert cases_opened(app) == 11


def test_a_roster_covering_the_register_shows_no_warning(app, client_as, world, register):
    numbers = register["numbers"]
    rows = [
        (name, numbers[name], "联合乡中心小学", "6", "1班", "")
        for name in ("李小红", "已立案")
        if name in numbers
    ]
    content = xlsx(
        [("王小明", numbers["王小明"], "联合乡中心小学", "6", "1班", ""), *rows],
        ROSTER_HEADER,
    )
    clerk = client_as(Role.CLERK)
    html = clerk.get(upload(clerk, content).headers["Location"]).get_data(as_text=True)
    assert "名单只覆盖了" not in html


def tick_many(form, child_ids):
    for child_id in child_ids:
        box = [c for c in form.named("child_id") if c.value == str(child_id)]
        assert box, child_id
        box[0].checked = True
    return form


def cases_opened(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(DropoutCase.id)).where(
                DropoutCase.source == CaseSource.ROSTER_COMPARISON
            )
        )
