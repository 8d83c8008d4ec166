"""名单导入: messy county lists are previewed row by row and committed all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from admin_app.choices import AuditAction, ChildStatus, ImportSource, Role, Sex
from admin_app.extensions import db
from admin_app.lists import imports
from admin_app.lists.imports import RowAction, plan_file
from admin_app.models import AuditLog, Child, ChildStatusChange, ImportBatch, Village
from admin_app.reports.tables import Table, TableError, load_upload, store_upload
from tests import factories as f
from tests.forms import open_form
from tests.helpers import session_token, upload, upload_form
from tests.spreadsheets import POVERTY_HEADER, ROSTER_HEADER, csv_bytes, poverty_row, xlsx
from tests.xlsx_helpers import (
    DATA_START,
    HOSTILE,
    assert_no_formula_or_link,
    cell_types,
    headers_of,
    rows_of,
    workbook,
)

BIRTH = dt.date(2016, 5, 20)


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def plan_of(app, content: bytes, kind=ImportSource.POVERTY, name="名单.xlsx"):
    with app.app_context():
        return plan_file(db.session, content, name, kind)


def by_line(plan) -> dict[int, Any]:
    return {r.line: r for r in plan.rows}


def new_id(sex: Sex = Sex.FEMALE, birth: dt.date = BIRTH) -> str:
    return f.make_id_number(birth, sex)


def existing_id(app, child_id: int) -> str:
    with app.app_context():
        return db.session.get(Child, child_id).id_number


# --- The plan: every nasty case of a county list ---------------------------------------


def test_title_row_blank_rows_and_header_aliases_are_tolerated(app, world):
    content = xlsx([poverty_row(new_id()), None, poverty_row(new_id(), name="张小军")])
    plan = plan_of(app, content)
    assert plan.table.header_line == 3  # merged title, a blank row, then the header
    assert [r.line for r in plan.rows] == [4, 6]
    assert [r.action for r in plan.rows] == [RowAction.CREATE, RowAction.CREATE]
    assert plan.table.unknown_headers == ["序号"]


def test_a_cover_sheet_before_the_list_is_passed_over(app, world):
    book = load_workbook(io.BytesIO(xlsx([poverty_row(new_id())])))
    cover = book.create_sheet("填表说明", 0)
    cover["A1"] = "身份证号请设置为文本格式"
    cover["A2"] = "姓名须与户口簿一致"
    buffer = io.BytesIO()
    book.save(buffer)
    plan = plan_of(app, buffer.getvalue())
    assert plan.table.sheet == "Sheet" and plan.table.header_line == 3
    assert [r.action for r in plan.rows] == [RowAction.CREATE]


def test_full_width_digits_spaces_and_lowercase_x_are_cleaned(app, world):
    number = next(n for n in (new_id() for _ in range(200)) if n.endswith("X"))
    messy = " ".join(number[:6]) + "\u3000" + number[6:17] + "x"
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in messy)
    plan = plan_of(app, xlsx([poverty_row(full_width)]))
    row = plan.rows[0]
    assert row.errors == []
    assert row.id_number == number
    assert row.action == RowAction.CREATE


def test_an_id_number_stored_as_a_number_is_refused_as_precision_lost(app, world):
    rows = [poverty_row(4.30121201003e17), poverty_row("4.30121201003E+17", name="张三")]
    plan = plan_of(app, xlsx(rows))
    first, second = plan.rows
    assert first.action == RowAction.ERROR
    assert "存成了数字" in first.errors[0] and "4.30121201003e+17" in first.errors[0]
    assert "后几位已经丢失" in first.errors[0]
    assert "科学计数法" in second.errors[0]


def test_each_row_lists_every_reason(app, world):
    good = new_id(Sex.MALE)
    bad_checksum = good[:17] + ("0" if good[17] != "0" else "1")
    male = new_id(Sex.MALE)
    rows = [
        poverty_row(bad_checksum),
        poverty_row(male, sex="女", birth="2015-01-01"),
        poverty_row(new_id(), village="联和村"),
        poverty_row(new_id(), name="", school="中心小学校"),
        poverty_row(good, name="甲"),
        poverty_row(good, name="乙"),
        poverty_row(new_id(), grade="十二年级"),
    ]
    lines = by_line(plan_of(app, xlsx(rows)))
    assert lines[4].errors == ["身份证号校验码错误，请逐位核对"]
    assert any("出生日期与身份证号不一致" in e for e in lines[5].errors)
    assert any("性别与身份证号不一致（身份证号中为男）" in e for e in lines[5].errors)
    assert lines[6].errors == ["找不到行政村“联和村”，是否为“联合村”？"]
    assert "缺少必填项“姓名”" in lines[7].errors
    assert any(e.startswith("找不到学校“中心小学校”，是否为") for e in lines[7].errors)
    assert "另见第9行" in lines[8].errors[0] and "另见第8行" in lines[9].errors[0]
    assert lines[10].errors == ["年级“十二年级”无法识别，请写成1–9或“六年级”“初一”"]
    assert all(lines[n].action == RowAction.ERROR for n in lines)


def test_year_month_birth_dates_are_checked_against_the_id_number(app, world):
    rows = [
        poverty_row(new_id(), birth="2016.05"),
        poverty_row(new_id(), birth="2016年6月"),
    ]
    first, second = plan_of(app, xlsx(rows)).rows
    assert first.action == RowAction.CREATE
    assert second.errors == ["出生年月与身份证号不一致（身份证号中为2016-05）"]


def test_register_rules_apply_to_new_children(app, world):
    rows = [poverty_row(new_id(), grade="")]
    row = plan_of(app, xlsx(rows)).rows[0]
    assert row.action == RowAction.ERROR
    assert "在校儿童须填写年级" in row.errors


def test_a_roster_updates_school_and_grade_of_a_known_child(app, world):
    number = existing_id(app, world.child_b)
    content = xlsx([("李小红", number, "联合乡中心小学", "初一", "2班", "G1")], ROSTER_HEADER)
    row = plan_of(app, content, ImportSource.ROSTER).rows[0]
    assert row.action == RowAction.UPDATE
    assert row.changes["就读学校"] == ("新华小学", "联合乡中心小学")
    assert row.changes["年级"] == ("6", "7")
    assert row.changes["学段"] == ("小学", "初中")


def test_a_known_id_number_with_another_name_is_refused(app, world):
    number = existing_id(app, world.child_b)
    content = xlsx([("李小兰", number, "联合乡中心小学", "6", "2班", "")], ROSTER_HEADER)
    row = plan_of(app, content, ImportSource.ROSTER).rows[0]
    assert row.action == RowAction.ERROR
    assert row.errors == [
        "姓名与台账不一致：该身份证号在台账中为“李小红”（新华村），请核对身份证号或姓名"
    ]


def test_a_roster_row_unknown_to_the_register_needs_a_village(app, world):
    content = xlsx([("赵小兵", new_id(), "联合乡中心小学", "3", "1班", "")], ROSTER_HEADER)
    row = plan_of(app, content, ImportSource.ROSTER).rows[0]
    assert row.errors == ["台账中没有这个身份证号；新登记的儿童须填写“行政村”"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_and_gbk(app, world, encoding):
    content = csv_bytes([poverty_row(new_id()), poverty_row("123")], encoding=encoding)
    plan = plan_of(app, content, name="名单.csv")
    assert [r.action for r in plan.rows] == [RowAction.CREATE, RowAction.ERROR]
    assert plan.rows[0].name == "李小花"
    assert plan.rows[1].errors == ["身份证号应为18位，当前为3位"]


# --- Bad files: refused as a whole --------------------------------------------------------


def corrupt_xlsx() -> bytes:
    good = xlsx([poverty_row("1")])
    return good[: len(good) // 2]


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "photo.xlsx", "不是Excel工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "old.xls", "旧版Excel(.xls)"),
        (corrupt_xlsx(), "broken.xlsx", "已损坏"),
        (xlsx([], title=None, header=()), "empty.xlsx", "工作表是空的"),
        (xlsx([("a", "b")], header=("甲", "乙"), title=None), "other.xlsx", "找不到表头"),
        (xlsx([], title="名单"), "header-only.xlsx", "表头下面没有数据行"),
        (b"", "zero.xlsx", "文件是空的"),
        (xlsx([("王", "1")], header=("姓名", "性别"), title=None), "noid.xlsx", "缺少必需的列"),
    ],
)
def test_bad_files_are_refused_with_a_reason(app, world, content, name, message):
    with pytest.raises(TableError, match=re.escape(message)):
        plan_of(app, content, name=name)


# --- Commit: one transaction, upsert, idempotent -------------------------------------------


def commit(app, content: bytes, kind=ImportSource.POVERTY, user_id=None) -> ImportBatch:
    with app.app_context():
        plan = plan_file(db.session, content, "名单.xlsx", kind, sha256="a" * 64)
        batch = imports.commit_plan(db.session, plan, user_id=user_id, username="tester")
        db.session.refresh(batch)
        db.session.expunge(batch)
        return batch


def test_commit_writes_valid_rows_and_reimport_changes_nothing(app, world):
    known = existing_id(app, world.child_a)
    fresh = new_id()
    content = xlsx([poverty_row(fresh), poverty_row(known, name="王小明"), poverty_row("bad")])
    children_before = count(app, Child)

    batch = commit(app, content)
    assert (batch.n_new, batch.n_updated, batch.n_unchanged, batch.n_rejected) == (1, 1, 0, 1)
    assert count(app, Child) == children_before + 1
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.id_number == fresh))
        assert (child.name, child.birth_date, child.sex) == ("李小花", BIRTH, Sex.FEMALE)
        assert child.status == ChildStatus.ENROLLED and child.grade == 3 and child.is_poor
        assert child.village.name == "联合村" and child.school.name == "联合乡中心小学"
        history = db.session.scalars(
            select(ChildStatusChange).where(ChildStatusChange.child_id == child.id)
        ).all()
        assert [h.to_status for h in history] == [ChildStatus.ENROLLED]
        assert db.session.get(Child, world.child_a).is_poor
        stamps = dict(db.session.execute(select(Child.id, Child.updated_at)).all())
        audit_before = db.session.scalar(select(func.count(AuditLog.id)))

    again = commit(app, content)
    assert (again.n_new, again.n_updated, again.n_unchanged, again.n_rejected) == (0, 0, 2, 1)
    assert count(app, Child) == children_before + 1
    with app.app_context():
        assert dict(db.session.execute(select(Child.id, Child.updated_at)).all()) == stamps
        # Only the import event itself is logged: no row changed.
        assert db.session.scalar(select(func.count(AuditLog.id))) == audit_before + 1


def test_a_failure_in_the_middle_of_the_commit_leaves_nothing(app, world, monkeypatch):
    known = existing_id(app, world.child_a)
    content = xlsx([poverty_row(new_id()), poverty_row(known, name="王小明")])

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_write_updates", explode)
    before = (count(app, Child), count(app, ChildStatusChange), count(app, AuditLog))
    with pytest.raises(imports.ImportFailed, match="已全部撤销"):
        commit(app, content)
    assert (count(app, Child), count(app, ChildStatusChange), count(app, AuditLog)) == before
    assert count(app, ImportBatch) == 0
    with app.app_context():
        assert not db.session.get(Child, world.child_a).is_poor


def test_update_writes_a_before_after_audit_row(app, world):
    number = existing_id(app, world.child_b)
    content = xlsx([("李小红", number, "联合乡中心小学", "6", "3班", "")], ROSTER_HEADER)
    batch = commit(app, content, ImportSource.ROSTER)
    with app.app_context():
        row = db.session.scalar(
            select(AuditLog).where(
                AuditLog.action == AuditAction.UPDATE, AuditLog.record_id == str(world.child_b)
            )
        )
        assert row.before == {"school_id": world.school_b, "class_name": "1班"}
        assert row.after == {"school_id": world.school_a, "class_name": "3班"}
        assert row.note == f"导入批次#{batch.id}"


# --- The screen -------------------------------------------------------------------------


def commit_form(client, preview_url: str):
    """The preview page's 确认导入 form."""
    return open_form(client, preview_url, action="/commit/")


def test_clerk_uploads_previews_commits_and_downloads_the_rejects(app, client_as, world):
    clerk = client_as(Role.CLERK)
    fresh = new_id()
    content = xlsx([poverty_row(fresh), poverty_row(4.30121201003e17, name="张三")])
    response = upload(clerk, content)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = clerk.get(preview_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "新增 <strong>1</strong>" in html
        and '有错误 <strong class="text-danger">1</strong>' in html
    )
    assert "存成了数字" in html
    assert "行政村：联合村" in html and "年级：3" in html  # what the new row will hold
    assert count(app, Child) == 2  # the preview wrote nothing

    rejects = clerk.get(
        re.search(r'href="([^"]+/rejects/[^"]+)"', html).group(1).replace("&amp;", "&")
    )
    assert rejects.status_code == 200
    sheet = workbook(rejects.data).active
    assert sheet["A1"].value == "联合乡名单导入未导入的行"
    assert sheet["A2"].value == "乡镇：联合乡　　导入文件：名单.xlsx"
    assert "生成人：测试乡镇工作人员（乡镇工作人员）" in sheet["A3"].value
    assert "共2行，未导入1行" in sheet["A4"].value and "未脱敏" in sheet["A4"].value
    assert headers_of(sheet) == ["原行号", *POVERTY_HEADER, "未导入原因"]
    (rejected,) = rows_of(sheet)
    assert rejected[0] == 5 and rejected[2] == "张三" and "存成了数字" in rejected[-1]
    assert rejected[3] == "4.30121201003e+17"  # as Excel showed the ID stored as a number
    assert sheet.freeze_panes == "B6" and sheet.auto_filter.ref == "A5:J6"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9

    sha = preview_url.split("/preview/")[1].split("?")[0]
    response = commit_form(clerk, preview_url).submit(clerk)
    assert response.status_code == 302
    assert count(app, Child) == 3
    listing = clerk.get("/admin/import/").get_data(as_text=True)
    assert "名单.xlsx" in listing and "导入完成" in listing
    with app.app_context():
        batch = db.session.scalar(select(ImportBatch))
        assert batch.sha256 == sha and batch.user.username == "clerk"
        assert (batch.n_new, batch.n_rejected) == (1, 1)
        event = db.session.scalar(select(AuditLog).where(AuditLog.action == AuditAction.IMPORT))
        assert event.username == "clerk" and "新增1" in event.note
    stored = clerk.get(f"/admin/import/batch/{batch.id}/rejects")
    assert stored.status_code == 200
    assert [r[2] for r in rows_of(workbook(stored.data).active)] == ["张三"]
    assert "已于" in clerk.get(preview_url).get_data(as_text=True)


def rejects(plan, masked: bool = False) -> bytes:
    buffer = io.BytesIO()
    imports.rejects_workbook(
        plan, buffer, township="联合乡", generated_by="测试（乡镇工作人员）", masked=masked
    )
    return buffer.getvalue()


def test_hostile_cells_of_a_rejected_row_stay_text(app, world):
    header = (*POVERTY_HEADER, "=2*3")
    row = ("", "=1+1", "@SUM(A1)", "", "", "http://x", "\t=2+2", "三年级", "+1")
    plan = plan_of(app, csv_bytes([row], header), name="名单.csv")
    assert plan.rows[0].action == RowAction.ERROR
    data = rejects(plan)
    assert_no_formula_or_link(data)
    sheet = workbook(data).active
    assert headers_of(sheet)[-2] == "=2*3"
    (cells,) = [list(r) for r in sheet.iter_rows(min_row=DATA_START)]
    # The reader trims the leading tab of a cell; what is left is still formula-like text.
    assert [c.value for c in cells[2:10]] == [
        "=1+1",
        "@SUM(A1)",
        None,
        None,
        "http://x",
        "=2+2",
        "三年级",
        "+1",
    ]
    assert all(c.data_type == "s" for c in cells[2:10] if c.value is not None)
    types = cell_types(data)
    assert {types[ref] for ref in ("C6", "D6", "G6", "H6", "J6", "J5")} == {"inlineStr"}


def test_every_hostile_value_in_a_rejected_row_stays_text(app, world):
    """Whatever the reader keeps (here a leading tab too) is written as text, never more."""
    headers = [f"列{i}" for i in range(len(HOSTILE))]
    plan = imports.ImportPlan(
        ImportSource.POVERTY,
        "名单.csv",
        "a" * 64,
        Table(headers=headers, columns={}, header_line=1),
        [imports.RowResult(line=2, cells=HOSTILE, errors=["缺少必填项“姓名”"])],
    )
    data = rejects(plan)
    assert_no_formula_or_link(data)
    (cells,) = [list(r) for r in workbook(data).active.iter_rows(min_row=DATA_START)]
    values = [c.value.replace("_x000D_", "\r") for c in cells[1 : len(HOSTILE) + 1]]
    assert values == list(HOSTILE) and "\tleading tab" in values
    assert all(c.data_type == "s" for c in cells[1:])
    types = cell_types(data)
    assert {t for ref, t in types.items() if ref.endswith("6") and ref != "A6"} == {"inlineStr"}


def test_rejects_workbook_masks_the_id_column_for_a_masked_role(app, world):
    wrong_check_digit = "430121201502020001"
    plan = plan_of(app, xlsx([poverty_row(wrong_check_digit, name="张三")]))
    (row,) = rows_of(workbook(rejects(plan, masked=True)).active)
    assert row[3] == "430121********0001"  # 证件号码, recognised as the ID column
    assert row[2] == "张三" and "校验码" in row[-1]
    (row,) = rows_of(workbook(rejects(plan)).active)
    assert row[3] == wrong_check_digit


def test_commit_after_the_register_changed_shows_the_preview_again(app, client_as, world):
    clerk = client_as(Role.CLERK)
    fresh = new_id()
    content = xlsx([poverty_row(fresh)])
    preview_url = upload(clerk, content).headers["Location"]
    stale = commit_form(clerk, preview_url)
    # While the preview is open, someone registers the child the list would add.
    with app.app_context():
        f.make_child(
            name="张小花", village=db.session.get(Village, world.village_a), id_number=fresh
        )
        db.session.commit()
    response = stale.submit(clerk)
    assert response.status_code == 302 and "/preview/" in response.headers["Location"]
    assert count(app, ImportBatch) == 0


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"just some words", "notes.txt.xlsx", "不是Excel工作簿"),
        (corrupt_xlsx(), "broken.xlsx", "已损坏"),
        (xlsx([], title=None, header=()), "empty.xlsx", "工作表是空的"),
    ],
)
def test_bad_uploads_are_refused_on_the_form(app, client_as, world, content, name, message):
    clerk = client_as(Role.CLERK)
    response = upload(clerk, content, name=name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, ImportBatch) == 0 and count(app, Child) == 2


def test_a_file_over_the_import_limit_is_refused(app, client_as, world):
    app.config["IMPORT_MAX_BYTES"] = 1000
    clerk = client_as(Role.CLERK)
    response = upload(clerk, xlsx([poverty_row(new_id())]))
    assert response.status_code == 400
    assert "文件超过大小上限" in response.get_data(as_text=True)


def test_a_body_over_max_content_length_gets_the_form_not_a_bare_413(app, client_as, world):
    clerk = client_as(Role.CLERK)
    form = upload_form(clerk, b"x" * 5000)
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = form.submit(clerk)
    assert response.status_code == 400
    assert "文件超过大小上限" in response.get_data(as_text=True)


def test_upload_without_csrf_token_stores_nothing(app, client_as, world, tmp_path):
    clerk = client_as(Role.CLERK)
    form = upload_form(clerk, xlsx([poverty_row(new_id())])).remove("csrf_token")
    assert form.submit(clerk).status_code == 400
    assert not (tmp_path / "imports").exists()
    # The control: the same upload with the page's token is stored for its preview.
    assert upload(clerk, xlsx([poverty_row(new_id())])).status_code == 302
    assert (tmp_path / "imports").exists()


def test_commit_without_csrf_token_writes_nothing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    preview_url = upload(clerk, xlsx([poverty_row(new_id())])).headers["Location"]
    form = commit_form(clerk, preview_url).remove("csrf_token")
    assert form.submit(clerk).status_code == 400
    assert count(app, Child) == 2 and count(app, ImportBatch) == 0
    # The control: the preview's form as the page holds it writes the list.
    assert commit_form(clerk, preview_url).submit(clerk).status_code == 302
    assert count(app, Child) == 3 and count(app, ImportBatch) == 1


@pytest.mark.parametrize("role", [Role.VILLAGE, Role.SCHOOL, Role.LEADER, Role.INSPECTOR])
def test_only_clerks_and_admins_may_import(app, client_as, world, role):
    """Village and school users are refused outright: a county list spans villages."""
    clerk = client_as(Role.CLERK)
    preview_url = upload(clerk, xlsx([poverty_row(new_id())])).headers["Location"]
    sha = preview_url.split("/preview/")[1].split("?")[0]
    other = client_as(role)
    assert other.get("/admin/import/").status_code == 403
    assert other.get(preview_url).status_code == 403
    assert other.get(f"/admin/import/rejects/{sha}?kind=poverty").status_code == 403
    response = other.post(
        f"/admin/import/commit/{sha}",
        data={"kind": "poverty", "expected": "1-0-0-0", "csrf_token": session_token(other)},
    )
    assert response.status_code == 403
    data = {
        "csrf_token": session_token(other),
        "kind": "poverty",
        "file": (io.BytesIO(xlsx([poverty_row(new_id())])), "名单.xlsx"),
    }
    assert other.post("/admin/import/upload", data=data).status_code == 403
    assert count(app, Child) == 2
    assert "名单导入" not in other.get("/admin/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/admin/import/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/import/preview/" + "0" * 64 + "?kind=poverty",
        "/admin/import/preview/../../etc/passwd?kind=poverty",
        "/admin/import/preview/nothex?kind=roster",
        "/admin/import/rejects/" + "0" * 64 + "?kind=nonsense",
        "/admin/import/batch/999/rejects",
    ],
)
def test_unknown_uploads_are_404_not_500(client_as, world, url):
    assert client_as(Role.ADMIN).get(url).status_code == 404


# --- CLI ----------------------------------------------------------------------------------


def test_cli_previews_and_commits(app, runner, world, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx([poverty_row(new_id()), poverty_row("123", name="错号")]))
    result = runner.invoke(args=["import", str(path), "--kind", "poverty"])
    assert result.exit_code == 0, result.output
    assert "共2行：新增1，更新0，无变化0，有错误1" in result.output
    assert "第5行 错号 123：身份证号应为18位" in result.output
    assert "未写入" in result.output
    assert count(app, Child) == 2

    result = runner.invoke(args=["import", str(path), "--kind", "poverty", "--commit"])
    assert result.exit_code == 0, result.output
    assert "新增1" in result.output and count(app, Child) == 3


def test_cli_refuses_a_bad_file(runner, world, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"")
    result = runner.invoke(args=["import", str(path), "--kind", "roster"])
    assert result.exit_code != 0 and "文件是空的" in result.output


def test_uploads_older_than_the_keeping_period_are_removed(tmp_path):
    folder = tmp_path / "uploads"
    old = store_upload(folder, b"old list", "old.csv")
    month_ago = time.time() - 31 * 86400
    for path in folder.iterdir():
        os.utime(path, (month_ago, month_ago))
    new = store_upload(folder, b"new list", "new.csv")
    assert load_upload(folder, old) is None
    assert load_upload(folder, new) == (b"new list", "new.csv")


def test_an_import_update_outdates_a_clerks_open_form(app, client_as, world):
    """The import's bulk UPDATE bumps each child's version as an ORM save would."""
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, f"/admin/child/edit/?id={world.child_b}")
    number = existing_id(app, world.child_b)
    rows = [("李小红", number, "联合乡中心小学", "6", "3班", "")]
    commit(app, xlsx(rows, ROSTER_HEADER), ImportSource.ROSTER)
    with app.app_context():
        assert db.session.get(Child, world.child_b).version == 2
        assert db.session.get(Child, world.child_a).version == 1  # not in the file

    html = form.set("remarks", "家访已核实").submit(clerk).get_data(as_text=True)

    assert "未保存：您打开此记录后，已有他人修改并保存了它" in html
    assert "班级：1班 → 3班" in html
    with app.app_context():
        child = db.session.get(Child, world.child_b)
        assert (child.class_name, child.remarks) == ("3班", None)
