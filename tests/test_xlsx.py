"""The streaming Excel engine on its own: safe text, typed cells, layout, sheet continuation."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

from admin_app.choices import ChildStatus
from admin_app.xlsx import Col, Heading, ReportWriter, Summary, sheet_name, write_report
from tests.xlsx_helpers import (
    HOSTILE,
    assert_no_formula_or_link,
    cell_types,
    headers_of,
    rows_of,
    workbook,
)

ID_NUMBER = "43012120140315123X"
COLUMNS = (
    Col("姓名", "name", 10),
    Col("身份证号", "id_number", 20, "id", mask="id"),
    Col("电话", "phone", 13, "id", mask="phone"),
    Col("出生日期", "born", 11, "date"),
    Col("金额(元)", "amount", 10, "money"),
    Col("年级", "grade", 5, "int"),
    Col("状态", "status", 8),
    Col("在外务工", "migrant", 6),
)


def heading(masked: bool = False) -> Heading:
    return Heading(
        "联合乡控辍保学测试表", "联合乡", "2026年度", "张督导（督导员）", "行政村：全部", masked
    )


def row(name: str = "王小明", **kw: object) -> SimpleNamespace:
    values = {
        "name": name,
        "id_number": ID_NUMBER,
        "phone": "13812345678",
        "born": dt.date(2014, 3, 15),
        "amount": Decimal("1234.50"),
        "grade": 6,
        "status": ChildStatus.DROPOUT,
        "migrant": True,
    }
    values.update(kw)
    return SimpleNamespace(**values)


def render(rows, masked=False, **kw) -> bytes:
    buffer = io.BytesIO()
    write_report(buffer, heading(masked), "测试", COLUMNS, rows, **kw)
    return buffer.getvalue()


def test_hostile_text_stays_text_never_formula_link_or_number():
    data = render([row(value, phone=value) for value in HOSTILE])
    assert_no_formula_or_link(data)
    sheet = workbook(data).worksheets[0]
    # A carriage return is stored as the OOXML escape _x000D_, which Excel decodes and
    # openpyxl leaves as is in inline strings.
    assert [r[0].replace("_x000D_", "\r") for r in rows_of(sheet)] == list(HOSTILE)
    for cell in sheet["A"][5:]:
        assert cell.data_type == "s", cell.value
    types = cell_types(data)
    assert all(types[f"A{6 + i}"] == "inlineStr" for i in range(len(HOSTILE)))


def test_cells_are_typed_and_id_numbers_kept_exactly_as_text():
    data = render([row(), row("李小红", id_number="430121201403151236", grade=None)])
    sheet = workbook(data).worksheets[0]
    first, second = rows_of(sheet)
    assert first == [
        "王小明",
        ID_NUMBER,
        "13812345678",
        dt.datetime(2014, 3, 15),
        1234.5,
        6,
        "辍学",
        "是",
    ]
    assert second[1] == "430121201403151236" and second[5] is None
    types = cell_types(data)
    assert types["B6"] == "inlineStr" and types["C6"] == "inlineStr"  # never a number
    assert types["D6"] == "n" and types["E6"] == "n" and types["F6"] == "n"
    assert sheet["D6"].number_format == "yyyy-mm-dd"


def test_masked_workbook_hides_birth_date_and_phone_middle():
    data = render([row()], masked=True)
    sheet = workbook(data).worksheets[0]
    (values,) = rows_of(sheet)
    assert values[1] == "430121********123X"
    assert values[2] == "138****5678"
    assert "身份证号、电话已脱敏" in sheet["A4"].value


def test_title_rows_headers_and_print_layout():
    data = render([row()])
    sheet = workbook(data).worksheets[0]
    assert sheet["A1"].value == "联合乡控辍保学测试表"
    assert sheet["A2"].value == "乡镇：联合乡　　考核周期：2026年度"
    assert "生成时间：" in sheet["A3"].value and "生成人：张督导（督导员）" in sheet["A3"].value
    assert headers_of(sheet) == [c.label for c in COLUMNS]
    assert sheet.freeze_panes == "A6"
    assert sheet.auto_filter.ref == "A5:H6"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.print_title_rows == "$5:$5"  # the header row on every printed page
    assert "&P" in sheet.oddFooter.center.text
    assert sheet["A6"].font.name == "宋体" and sheet["A5"].font.b
    assert round(sheet.column_dimensions["B"].width) == 21  # width 20 (+ Excel's padding)


def test_rows_continue_on_a_new_sheet_before_the_row_limit():
    rows = [row(f"儿童{i:02d}") for i in range(12)]
    buffer = io.BytesIO()
    written = write_report(
        buffer,
        heading(),
        "测试",
        COLUMNS,
        iter(rows),
        max_rows=10,  # 5 title/header rows + 5 data rows per sheet
        summaries=(Summary("合计", None, ("金额(元)",)),),
    )
    assert written.rows == 12
    assert written.sheets == ["测试", "测试（续1）", "测试（续2）"]
    book = workbook(buffer.getvalue())
    assert book.sheetnames == ["测试", "测试（续1）", "测试（续2）", "汇总"]
    names = []
    for sheet in book.worksheets[:3]:
        assert sheet.max_row <= 10
        assert headers_of(sheet)[0] == "姓名"
        assert sheet["A1"].value == "联合乡控辍保学测试表"
        names += [r[0] for r in rows_of(sheet)]
    assert names == [f"儿童{i:02d}" for i in range(12)]
    summary = book["汇总"]
    assert rows_of(summary)[0] == ["合计", 12, 12 * 1234.5]


def test_summary_counts_and_sums_per_group():
    rows = [row(status=ChildStatus.DROPOUT), row(status=ChildStatus.DROPOUT), row(status=None)]
    buffer = io.BytesIO()
    write_report(
        buffer,
        heading(),
        "测试",
        COLUMNS,
        rows,
        summaries=(Summary("按状态", "状态", ("金额(元)",)),),
    )
    summary = workbook(buffer.getvalue())["汇总"]
    assert headers_of(summary) == ["按状态", "行数", "金额(元)"]
    assert rows_of(summary)[:3] == [["辍学", 2, 2469.0], ["（空）", 1, 1234.5], ["合计", 3, 3703.5]]


def test_an_empty_report_still_opens_with_its_headers():
    data = render([])
    sheet = workbook(data).worksheets[0]
    assert headers_of(sheet) == [c.label for c in COLUMNS] and rows_of(sheet) == []


def test_one_workbook_holds_several_lists_each_with_its_own_title_and_masking():
    buffer = io.BytesIO()
    writer = ReportWriter(buffer, heading(), max_rows=8)  # 3 data rows per sheet
    first = writer.sheet("名单", COLUMNS, iter([row(f"甲{i}") for i in range(4)]))
    masked = Heading("联合乡另一张表", "联合乡", "2026年度", "张督导（督导员）", masked=True)
    second = writer.sheet(
        "名单", COLUMNS, [row("乙")], heading=masked, summaries=(Summary("合计"),)
    )
    written = writer.close()
    assert (first.rows, second.rows, written.rows) == (4, 1, 5)
    assert first.sheets == ["名单", "名单（续1）"] and second.sheets == ["名单(2)"]
    assert written.sheets == ["名单", "名单（续1）", "名单(2)"]
    data = buffer.getvalue()
    assert_no_formula_or_link(data)
    book = workbook(data)
    assert book.sheetnames == ["名单", "名单（续1）", "名单(2)", "汇总"]
    assert [r[0] for r in rows_of(book["名单"]) + rows_of(book["名单（续1）"])] == [
        "甲0",
        "甲1",
        "甲2",
        "甲3",
    ]
    assert rows_of(book["名单"])[0][1] == ID_NUMBER  # the workbook's heading: unmasked
    other = book["名单(2)"]
    assert other["A1"].value == "联合乡另一张表" and "已脱敏" in other["A4"].value
    assert rows_of(other)[0][1] == "430121********123X"
    for sheet in book.worksheets[:3]:
        assert headers_of(sheet) == [c.label for c in COLUMNS]
        assert sheet.freeze_panes == "A6" and sheet.auto_filter.ref.startswith("A5:H")
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert rows_of(book["汇总"])[0] == ["合计", 1]


def test_sheet_names_are_valid_and_unique():
    assert sheet_name("辍学/未入学劝返台账", []) == "辍学_未入学劝返台账"
    assert sheet_name("汇总", ["汇总"]) == "汇总(2)"
    assert len(sheet_name("长" * 40, [])) == 31
