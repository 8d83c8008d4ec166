"""List exports: the export button gives exactly the rows of the list — filters, search, sort,
row scope — through the report engine, masked per role, archived."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, ExportRecord, Village
from admin_app.reports.xlsx import XLSX_MIMETYPE
from tests.factories import make_child
from tests.helpers import export, session_token, view_of
from tests.xlsx_helpers import HOSTILE, assert_no_formula_or_link, headers_of, rows_of, workbook


def names(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX_MIMETYPE
    sheet = workbook(response.data).worksheets[0]
    column = headers_of(sheet).index("姓名")
    return [row[column] for row in rows_of(sheet)]


def more_children(app, world) -> None:
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        for name in ("王一", "王二", "张三"):
            make_child(name=name, village=village)
        db.session.commit()


def test_export_button_on_every_list_and_the_child_columns(app, client_as, world):
    clerk = client_as(Role.CLERK)
    html = clerk.get("/admin/child/").get_data(as_text=True)
    assert "/admin/child/export/xlsx/" in html
    response = export(clerk, "/admin/child/")
    assert response.status_code == 200
    sheet = workbook(response.data).worksheets[0]
    assert headers_of(sheet)[:3] == ["姓名", "身份证号", "性别"]
    assert sheet["A1"].value == "联合乡适龄儿童少年"
    for endpoint in ("household", "agreement", "plan", "assistance", "inspection", "score"):
        assert export(clerk, f"/admin/{endpoint}/").status_code == 200, endpoint
    assert export(client_as(Role.ADMIN), "/admin/user/").status_code == 200


def test_export_honours_filters_search_and_sort(app, client_as, world):
    more_children(app, world)
    clerk = client_as(Role.CLERK)
    village_arg = view_of(app, "child").filter_arg("行政村")
    assert sorted(names(export(clerk, "/admin/child/"))) == sorted(
        ["王小明", "李小红", "王一", "王二", "张三"]
    )
    filtered = names(export(clerk, f"/admin/child/?{village_arg}={world.village_b}"))
    assert filtered == ["李小红"]
    searched = names(export(clerk, "/admin/child/?search=王"))
    assert sorted(searched) == ["王一", "王二", "王小明"]
    # sort=0 is the first sortable list column (姓名); desc=1 reverses it.
    ordered = names(export(clerk, "/admin/child/?search=王&sort=0&desc=1"))
    assert ordered == sorted(searched, reverse=True)
    response = export(clerk, f"/admin/child/?search=王&{village_arg}={world.village_a}")
    sheet = workbook(response.data).worksheets[0]
    assert "搜索“王”" in sheet["A4"].value and "行政村为联合村" in sheet["A4"].value
    with app.app_context():
        record = db.session.scalars(select(ExportRecord).order_by(ExportRecord.id.desc())).first()
        assert record.report == "list:child" and record.row_count == 3


def test_export_keeps_the_row_scope(app, client_as, world):
    more_children(app, world)
    assert sorted(names(export(client_as(Role.VILLAGE), "/admin/child/"))) == sorted(
        ["王小明", "王一", "王二", "张三"]
    )
    assert names(export(client_as(Role.SCHOOL), "/admin/child/")) == ["王小明"]
    # A filter naming another village does not widen the scope.
    village_arg = view_of(app, "child").filter_arg("行政村")
    url = f"/admin/child/?{village_arg}={world.village_b}"
    assert names(export(client_as(Role.VILLAGE), url)) == []
    school = client_as(Role.SCHOOL)
    data = {"csrf_token": session_token(school)}
    assert school.post("/admin/audit/export/xlsx/", data=data).status_code == 403


def test_export_masks_for_roles_that_may_not_read_numbers(app, client_as, world):
    with app.app_context():
        full = db.session.get(Child, world.child_a).id_number
    for role, expected in ((Role.LEADER, full[:6] + "********" + full[-4:]), (Role.CLERK, full)):
        sheet = workbook(export(client_as(role), "/admin/child/").data).worksheets[0]
        headers = headers_of(sheet)
        row = next(r for r in rows_of(sheet) if r[headers.index("姓名")] == "王小明")
        assert row[headers.index("身份证号")] == expected, role
        phone = row[headers.index("监护人电话")]
        assert phone == ("138****5678" if role == Role.LEADER else "13812345678")


def test_hostile_values_in_a_list_export_stay_text(app, client_as, world):
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        for value in HOSTILE:
            make_child(name=value[:50], village=village, class_name=value[:20])
        db.session.commit()
    response = export(client_as(Role.CLERK), "/admin/child/")
    assert_no_formula_or_link(response.data)
    exported = {n.replace("_x000D_", "\r") for n in names(response)}
    assert set(HOSTILE) <= exported


def test_other_export_types_and_bad_arguments(client_as, world):
    clerk = client_as(Role.CLERK)
    data = {"csrf_token": session_token(clerk)}
    assert clerk.post("/admin/child/export/csv/", data=data).status_code == 404
    for query in ("sort=abc", "sort=99", "desc=x", "flt0_99=1", "page_size=-1"):
        assert export(clerk, f"/admin/child/?{query}").status_code == 200, query
        assert clerk.get(f"/admin/child/?{query}").status_code == 200, query
    # A NUL byte is refused request-wide with a Chinese 400 (tests/test_hostile_input.py).
    assert clerk.get("/admin/child/export/xlsx/?search=%00").status_code == 400
