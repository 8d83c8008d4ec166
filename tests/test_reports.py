"""报表导出: the official sheets, masking per role, the archive of issued files, bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from admin_app.choices import (
    AuditAction,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    AuditLog,
    Child,
    ExportRecord,
)
from admin_app.reports.xlsx import FONT_SIZE, XLSX_MIMETYPE, fit_scale, local_now
from admin_app.util.dates import local_today
from tests.helpers import by_header, export, issue, report_form, seed_report_data
from tests.xlsx_helpers import (
    HOSTILE,
    assert_no_formula_or_link,
    column_widths,
    headers_of,
    rows_of,
    sign_off_of,
    workbook,
)


@pytest.fixture
def data(app, world):
    return seed_report_data(app, world)


# --- Done when ------------------------------------------------------------------------------


def test_inspector_issues_accountability_sheet_and_downloads_it_again(app, client_as, data):
    inspector = client_as(Role.INSPECTOR)
    assert "问责台账" in inspector.get("/admin/reports/").get_data(as_text=True)
    response = issue(inspector, "accountability", data["period"])
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    book = workbook(response.data)
    assert book.sheetnames == ["问责台账", "问责台账（全部列）", "汇总"]
    sheet = book["问责台账"]
    assert sheet["A1"].value == "联合乡控辍保学问责台账"
    assert "2026年度" in sheet["A2"].value and "测试督导员" in sheet["A3"].value
    assert headers_of(sheet)[:3] == ["序号", "排名", "行政村"]
    assert [r[0] for r in rows_of(sheet)] == [1, 2]
    assert "单位负责人（签字）" in sign_off_of(sheet)[0] and "日期" in sign_off_of(sheet)[1]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.print_title_rows == "$5:$5"
    assert_no_formula_or_link(response.data)
    rows = {row["行政村"]: row for row in by_header(sheet)}
    assert set(rows) == {"联合村", "新华村"}
    assert "刘主任" in rows["联合村"]["政府线责任人"]
    assert "陈校长" in rows["联合村"]["学校线责任人"]
    assert "赵主任" in rows["新华村"]["政府线责任人"]
    assert "周校长" in rows["新华村"]["学校线责任人"]
    assert rows["新华村"]["乡—村责任书"] == "未签订" and rows["联合村"]["乡—村责任书"] == "已签订"
    assert rows["新华村"]["逾期案件(件)"] == 1 and "李小红" in rows["新华村"]["逾期案件儿童"]
    assert rows["联合村"]["逾期案件(件)"] == 0
    assert rows["新华村"]["扣分合计"] > 0 and rows["新华村"]["未达标指标"]

    # Archived: exports/<year>/<name>.xlsx, with who, filters, rows, sha256, masked.
    with app.app_context():
        record = db.session.scalar(select(ExportRecord))
        assert record.report == "accountability" and record.username == "inspector"
        assert record.row_count == 2 and record.masked is True
        assert record.filters["period"] == "2026年度"
        assert record.sha256 == hashlib.sha256(response.data).hexdigest()
        path = Path(app.config["EXPORTS_DIR"]) / record.path
        assert record.path.startswith(f"{local_now().year}/") and path.suffix == ".xlsx"
        assert path.read_bytes() == response.data
        record_id = record.id
    page = inspector.get("/admin/reports/").get_data(as_text=True)
    assert "问责台账_2026年度" in page and f"/admin/reports/download/{record_id}" in page
    again = inspector.get(f"/admin/reports/download/{record_id}")
    assert again.status_code == 200 and again.data == response.data
    with app.app_context():
        notes = db.session.scalars(select(AuditLog.note).where(AuditLog.user_id.is_not(None))).all()
    assert any(n and n.startswith("再次下载：问责台账") for n in notes)


# --- The other sheets ----------------------------------------------------------------------


def test_case_ledger_lists_case_visits_notices_and_persons(client_as, data):
    response = issue(client_as(Role.CLERK), "cases", data["period"])
    # The title's "/" never reaches a path or the download name.
    assert "filename*=UTF-8''%E8%BE%8D%E5%AD%A6_" in response.headers["Content-Disposition"]
    book = workbook(response.data)
    assert book.sheetnames == ["劝返台账", "劝返台账（全部列）", "汇总"]
    paper, full = book.worksheets[:2]
    for sheet in (paper, full):
        (row,) = by_header(sheet)
        assert row["序号"] == 1
        assert row["儿童姓名"] == "李小红" and row["行政村"] == "新华村"
        assert row["原因"] == "学习困难/厌学" and row["状态"] == "劝返中"
        assert "2026-03-20" in row["劝返走访"] and "联劝字〔2026〕1号" in row["文书"]
        assert row["村级责任人"] == "赵主任" and row["学校责任人"] == "周校长"
        assert row["发现日期"] == dt.datetime(2026, 3, 1)
        assert len(sign_off_of(sheet)) == 2
    (row,) = by_header(full)
    assert row["走访次数"] == 1 and {"身份证号", "监护人电话"} <= set(row)
    assert full["A1"].value.endswith("（全部列）")
    summary = rows_of(book["汇总"])
    assert ["劝返中", 1, 1.0] in summary


def test_case_ledger_prints_at_nine_points_or_more_on_a4_landscape(client_as, data):
    """Twenty columns one page wide shrank the type to 5 pt: paper gets fewer columns."""
    book = workbook(issue(client_as(Role.CLERK), "cases", data["period"]).data)
    paper, full = book.worksheets[:2]
    setup = paper.page_setup
    assert setup.orientation == "landscape" and setup.paperSize == 9
    # One page wide (1 is the default, left out of the file), as many pages down as needed.
    assert paper.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1)
    assert setup.fitToHeight == 0

    def printed_size(sheet) -> float:
        widths = column_widths(sheet)
        assert len(widths) == len(headers_of(sheet))
        return FONT_SIZE * fit_scale(widths)

    assert printed_size(paper) >= 9
    assert printed_size(full) < 6  # what the paper sheet spares the reader
    assert set(headers_of(paper)) < set(headers_of(full)) | {"序号"}


def test_accountability_sheet_prints_at_nine_points_or_more_on_a4_landscape(client_as, data):
    """Seventeen columns one page wide printed at 6 pt (LibreOffice): paper gets thirteen."""
    book = workbook(issue(client_as(Role.INSPECTOR), "accountability", data["period"]).data)
    paper, full = book.worksheets[:2]

    def printed_size(sheet) -> float:
        return FONT_SIZE * fit_scale(column_widths(sheet))

    assert printed_size(paper) >= 9 and printed_size(full) < 7
    assert "村代码" in headers_of(full) and "村代码" not in headers_of(paper)
    assert {"问责措施", "政府线责任人", "学校线责任人", "扣分合计"} <= set(headers_of(paper))


def test_assistance_ledger_sums_amounts_and_filters_villages(app, client_as, data, world):
    clerk = client_as(Role.CLERK)
    book = workbook(issue(clerk, "assistance", data["period"]).data)
    rows = by_header(book.worksheets[0])
    assert sorted(r["金额(元)"] for r in rows) == [200.5, 300.0]
    assert ["合计", 2, 500.5] in rows_of(book["汇总"])
    only_a = workbook(issue(clerk, "assistance", data["period"], villages=world.village_a).data)
    assert [r["行政村"] for r in by_header(only_a.worksheets[0])] == ["联合村"]
    assert "行政村：联合村" in only_a.worksheets[0]["A4"].value


def test_agreement_sheet_and_ranking_sheet(client_as, data):
    clerk = client_as(Role.CLERK)
    book = workbook(issue(clerk, "agreements", data["period"]).data)
    rows = by_header(book.worksheets[0])
    assert len(rows) == 4
    assert {r["状态"] for r in rows} == {"已签订", "草拟"}
    ranking = workbook(issue(clerk, "ranking", data["period"]).data)
    rows = by_header(ranking.worksheets[0])
    assert [r["排名"] for r in rows] == [1, 2]
    assert ranking.worksheets[0].freeze_panes == "D6"


def test_ranking_export_goes_through_the_engine_and_is_archived(app, client_as, data):
    response = export(client_as(Role.VILLAGE), f"/admin/ranking/?period={data['period']}")
    rows = by_header(workbook(response.data).worksheets[0])
    assert [r["行政村"] for r in rows] == ["联合村"]  # a village cadre: their own village
    with app.app_context():
        record = db.session.scalar(select(ExportRecord))
        assert record.report == "ranking" and record.role == Role.VILLAGE


# --- Masking -------------------------------------------------------------------------------


def id_number_of(app, child_id: int) -> str:
    with app.app_context():
        return db.session.get(Child, child_id).id_number


def test_id_and_phone_numbers_masked_unless_the_role_may_read_them(app, client_as, world, data):
    full = id_number_of(app, world.child_a)
    masked = full[:6] + "********" + full[-4:]

    leader_book = workbook(issue(client_as(Role.LEADER), "children").data)
    assert leader_book.worksheets[0]["A2"].value.startswith("乡镇：联合乡　　数据截至：")
    leader_rows = by_header(leader_book.worksheets[0])
    leader_row = next(r for r in leader_rows if r["姓名"] == "王小明")
    assert leader_row["身份证号"] == masked and leader_row["监护人电话"] == "138****5678"

    clerk = client_as(Role.CLERK)
    assert report_form(clerk).value("mask") == "y"  # masked unless unticked
    clerk_rows = by_header(workbook(issue(clerk, "children", mask=False).data).worksheets[0])
    clerk_row = next(r for r in clerk_rows if r["姓名"] == "王小明")
    assert clerk_row["身份证号"] == full and clerk_row["监护人电话"] == "13812345678"
    with app.app_context():
        notes = db.session.scalars(
            select(AuditLog.note).where(AuditLog.action == AuditAction.EXPORT)
        ).all()
    assert any("未脱敏" in n for n in notes)  # the unmasked export is in the audit log

    chosen = by_header(workbook(issue(clerk, "children", mask=True).data).worksheets[0])
    assert next(r for r in chosen if r["姓名"] == "王小明")["身份证号"] == masked
    with app.app_context():
        flags = db.session.scalars(select(ExportRecord.masked).order_by(ExportRecord.id)).all()
    assert flags == [True, False, True]


def test_hostile_user_data_never_becomes_formula_link_or_number(app, client_as, world):
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        child.name, child.class_name, child.guardian_name = HOSTILE[0], HOSTILE[1], HOSTILE[2]
        child.guardian_relation, child.status_note = HOSTILE[3], HOSTILE[4]
        child.ethnicity = HOSTILE[5]
        db.session.commit()
    response = issue(client_as(Role.CLERK), "children")
    assert_no_formula_or_link(response.data)
    row = next(
        r for r in by_header(workbook(response.data).worksheets[0]) if r["班级"] == HOSTILE[1]
    )
    assert (row["姓名"], row["班级"], row["监护人"]) == HOSTILE[:3]
    assert (row["与儿童关系"], row["民族"]) == (HOSTILE[3], HOSTILE[5])


def test_the_children_register_ignores_the_period_the_page_preselects(app, client_as, data):
    clerk = client_as(Role.CLERK)
    form = report_form(clerk).set("report", "children")
    assert form.value("period") == str(data["period"])  # preselected for the other reports
    book = workbook(form.submit(clerk).data)
    assert book.worksheets[0]["A2"].value.startswith("乡镇：联合乡　　数据截至：")
    with app.app_context():
        record = db.session.scalar(select(ExportRecord))
        # Named by what it holds: the register as of today, not an assessment period.
        today = local_today().isoformat()
        assert record.title == f"适龄儿童少年台账_数据截至{today}"
        assert record.filters["period"] is None


# --- The archive, by role ------------------------------------------------------------------


def test_archive_lists_and_serves_files_by_role(app, client_as, data):
    issue(client_as(Role.CLERK), "children", mask=False)  # unticked: unmasked
    issue(client_as(Role.LEADER), "children")  # masked
    export(client_as(Role.VILLAGE), f"/admin/ranking/?period={data['period']}")
    with app.app_context():
        records = {
            (r.username, r.report): r.id for r in db.session.scalars(select(ExportRecord)).all()
        }
    clerk_file, leader_file = records[("clerk", "children")], records[("leader", "children")]
    village_file = records[("village", "ranking")]

    def listed(role: Role) -> set[int]:
        page = client_as(role).get("/admin/reports/").get_data(as_text=True)
        return {i for i in records.values() if f'/admin/reports/download/{i}"' in page}

    assert listed(Role.ADMIN) == {clerk_file, leader_file, village_file}
    assert listed(Role.CLERK) == {clerk_file, leader_file}
    assert listed(Role.LEADER) == {leader_file}  # never an unmasked file
    leader = client_as(Role.LEADER)
    assert leader.get(f"/admin/reports/download/{clerk_file}").status_code == 404
    assert leader.get(f"/admin/reports/download/{leader_file}").status_code == 200
    assert client_as(Role.CLERK).get(f"/admin/reports/download/{village_file}").status_code == 404


def test_reports_page_is_for_township_roles(client, client_as):
    assert client.get("/admin/reports/").status_code == 302
    for role in (Role.VILLAGE, Role.SCHOOL):
        assert client_as(role).get("/admin/reports/").status_code == 403
        assert client_as(role).get("/admin/reports/download/1").status_code == 403
    for role in (Role.ADMIN, Role.CLERK, Role.LEADER, Role.INSPECTOR):
        client = client_as(role)
        assert client.get("/admin/reports/").status_code == 200
        assert 'href="/admin/reports/"' in client.get("/admin/").get_data(as_text=True)


# --- Bad input -----------------------------------------------------------------------------


def test_bad_input_is_answered_in_chinese_never_with_a_500(app, client_as, data):
    clerk = client_as(Role.CLERK)
    # What a user can pick: a report that needs a period, with none chosen.
    response = report_form(clerk).update({"report": "accountability", "period": ""}).submit(clerk)
    assert response.status_code == 200
    assert "须选择考核周期" in response.get_data(as_text=True)
    # What only a tampered page sends.
    forged = [
        ({"report": "nope"}, "请选择报表"),
        ({"report": "accountability", "period": "abc"}, "所选考核周期无效"),
        ({"report": "accountability", "period": "99999"}, "所选考核周期不存在"),
        ({"report": "children", "villages": "abc"}, "所选行政村无效"),
        ({"report": "children", "villages": "99999"}, "所选行政村无效"),
    ]
    for values, message in forged:
        form = report_form(clerk)
        for name, value in values.items():
            if name == "report" and value in form.options("report"):
                form.set(name, value)
            else:
                form.force(name, value)
        response = form.submit(clerk)
        assert response.status_code == 200, values
        assert message in response.get_data(as_text=True), values
    no_token = report_form(clerk).set("report", "children").remove("csrf_token").submit(clerk)
    assert no_token.status_code == 400
    assert clerk.get("/admin/reports/download/99999").status_code == 404
    assert clerk.get("/admin/reports/?page=abc").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ExportRecord)) is None  # nothing issued half-way


def test_a_file_gone_from_the_archive_is_said_so(app, client_as, data):
    clerk = client_as(Role.CLERK)
    issue(clerk, "children")
    with app.app_context():
        record = db.session.scalar(select(ExportRecord))
        (Path(app.config["EXPORTS_DIR"]) / record.path).unlink()
        record_id = record.id
    response = clerk.get(f"/admin/reports/download/{record_id}", follow_redirects=True)
    assert response.status_code == 200
    assert "该文件已不在归档目录中" in response.get_data(as_text=True)


def test_row_limit_from_config_continues_on_new_sheets(app, client_as, data):
    app.config["EXPORT_MAX_ROWS"] = 6  # one data row per sheet
    book = workbook(issue(client_as(Role.CLERK), "children").data)
    assert book.sheetnames == ["儿童台账", "儿童台账（续1）", "汇总"]
    assert sum(len(rows_of(s)) for s in book.worksheets[:2]) == 2
