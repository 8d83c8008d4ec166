"""Uploaded lists are bounded before they are parsed, judged once, and name duplicates briefly.

Issue 11, item 15: a 1.8 MB CSV of 300,000 rows sharing one ID number took 100 s and
7.7 GB (each duplicate's message listed every other line); a 2.4 MB .xlsx unpacking to
620 MB took 2.5 GB on upload and 5 GB on preview; a 1,000,000-row CSV cost 17 s and
1.3 GB on every view of its preview. ``bench/upload.py`` measures the real sizes; these
tests pin each limit with small settings.
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Any

import pytest
from flask import Flask

from admin_app.choices import ImportSource, Role
from admin_app.extensions import db
from admin_app.lists import import_plans
from admin_app.lists.imports import duplicate_message, plan_file
from admin_app.models import Child
from admin_app.reports.tables import Limits, TableError, read_table
from tests import factories as f
from tests.helpers import upload
from tests.spreadsheets import csv_bytes, poverty_row, xlsx

POVERTY = ImportSource.POVERTY


@pytest.fixture(autouse=True)
def import_dir(app: Flask, tmp_path: Any) -> None:
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")


def rows_of(count: int, number: str | None = None) -> list[tuple[Any, ...]]:
    return [poverty_row(number or f.make_id_number(), name="张三") for _ in range(count)]


# --- Duplicates ----------------------------------------------------------------------------


def test_a_duplicate_names_a_few_other_lines_and_counts_the_rest():
    lines = list(range(3, 3003))
    assert duplicate_message(lines, 3) == (
        "同一身份证号在文件中出现3,000次（另见第4、5、6行等共2,999行），请核对后只保留一行"
    )
    assert "另见第3、4、5行等共2,999行" in duplicate_message(lines, 700)
    assert "（另见第9行）" in duplicate_message([8, 9], 8)


def test_thousands_of_rows_sharing_an_id_number_get_short_messages(app, world):
    number = f.make_id_number()
    content = csv_bytes(rows_of(3000, number))
    with app.app_context():
        plan = plan_file(db.session, content, "名单.csv", POVERTY)
    longest = max(len(message) for row in plan.rows for message in row.errors)
    assert longest < 120, longest  # it held 2,999 line numbers
    assert "等共2,999行" in plan.rows[0].errors[0]


# --- Rows and unpacked size ------------------------------------------------------------------


def test_a_csv_over_the_row_limit_is_refused_on_the_form(app, client_as, world):
    app.config["IMPORT_MAX_ROWS"] = 50
    clerk = client_as(Role.CLERK)
    response = upload(clerk, csv_bytes(rows_of(51)), name="名单.csv")
    assert response.status_code == 400
    assert "超过每次导入50行的上限" in response.get_data(as_text=True)
    assert upload(clerk, csv_bytes(rows_of(50)), name="名单.csv").status_code == 302


def test_a_workbook_declaring_too_many_rows_is_refused_before_it_is_parsed(monkeypatch):
    content = xlsx(rows_of(60))
    assert b"<dimension" in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_filelike", never)
    with pytest.raises(TableError, match="上限"):
        read_table(content, "a.xlsx", ("name", "id_number"), (), Limits(max_rows=30))


def test_a_workbook_unpacking_past_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    content = xlsx(rows_of(300))
    monkeypatch.setattr(
        "python_calamine.CalamineWorkbook.from_filelike",
        lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")),
    )
    with pytest.raises(TableError, match="解压后超过"):
        read_table(content, "a.xlsx", ("name", "id_number"), (), Limits(max_unpacked=10_000))


def understate_sizes(content: bytes, name: str, size: int) -> bytes:
    """The same zip with ``name``'s uncompressed size written as ``size`` in both headers."""
    data = bytearray(content)
    encoded = name.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        name_length = struct.unpack_from("<H", data, local + 26)[0]
        if bytes(data[local + 30 : local + 30 + name_length]) == encoded:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == encoded:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_a_zip_directory_that_understates_a_sheet_is_refused():
    content = understate_sizes(xlsx(rows_of(300)), "xl/worksheets/sheet1.xml", 1000)
    with pytest.raises(TableError, match="损坏"):
        read_table(content, "a.xlsx", ("name", "id_number"), (), Limits(max_unpacked=10_000))


def test_rows_are_cut_to_the_header_width(app, world):
    row = (*poverty_row(f.make_id_number(), name="张三"), *(["x"] * 500))
    table = read_table(csv_bytes([row]), "a.csv", ("name", "id_number", "village"), ("id_number",))
    assert len(table.rows[0][1]) == len(table.headers) == 8


# --- Judged once per upload ------------------------------------------------------------------


def test_the_preview_shows_the_plan_kept_at_upload_until_the_register_changes(
    app, client_as, world, monkeypatch
):
    clerk = client_as(Role.CLERK)
    content = csv_bytes([*rows_of(450), poverty_row("123", name="坏行")])
    response = upload(clerk, content, name="名单.csv")
    assert response.status_code == 302
    preview = response.headers["Location"]

    judged: list[str] = []
    original = plan_file

    def counting(*args: Any, **kwargs: Any) -> Any:
        judged.append(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr("admin_app.views.data_import.plan_file", counting)
    for query in ("", "&page=2", "&page=3&show=create", "&show=error", "&page=-1"):
        page = clerk.get(preview + query)
        assert page.status_code == 200, query
    assert judged == []  # every view read the kept plan
    html = clerk.get(preview + "&show=error").get_data(as_text=True)
    assert "坏行" in html and '有错误 <strong class="text-danger">1</strong>' in html

    with app.app_context():  # the register changes: the kept plan is stale
        db.session.get(Child, world.child_a).class_name = "9班"
        db.session.commit()
    assert clerk.get(preview).status_code == 200
    assert judged == ["名单.csv"]
    assert clerk.get(preview + "&page=2").status_code == 200
    assert judged == ["名单.csv"]  # judged again once, and kept again


def test_a_kept_plan_of_another_day_or_format_is_not_used(app, world, tmp_path):
    import datetime as dt

    content = csv_bytes(rows_of(3))
    with app.app_context():
        plan = plan_file(db.session, content, "a.csv", POVERTY, sha256="a" * 64)
        today = import_plans.register_fingerprint(db.session, dt.date(2026, 9, 1))
        tomorrow = import_plans.register_fingerprint(db.session, dt.date(2026, 9, 2))
    import_plans.save_plan(tmp_path, plan, today)
    assert import_plans.load_summary(tmp_path, "a" * 64, POVERTY, today) is not None
    assert import_plans.load_summary(tmp_path, "a" * 64, POVERTY, tomorrow) is None
    assert import_plans.load_summary(tmp_path, "a" * 64, ImportSource.ROSTER, today) is None
    assert import_plans.load_summary(tmp_path, "../x", POVERTY, today) is None
