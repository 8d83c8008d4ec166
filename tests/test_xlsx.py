"""The streaming Excel engine on its own: safe text, typed cells, layout, sheet continuation."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import xlsxwriter

from admin_app.choices import ChildStatus
from admin_app.reports.xlsx import (
    LINE_HEIGHT,
    MAX_ROW_HEIGHT,
    Col,
    Heading,
    ReportWriter,
    StreamedWorkbook,
    Summary,
    fit_scale,
    row_height,
    sheet_name,
    text_width,
    wrapped_lines,
    write_report,
)
from tests.xlsx_helpers import (
    HOSTILE,
    assert_no_formula_or_link,
    cell_types,
    headers_of,
    rows_of,
    sign_off_of,
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
        summaries=(Summary("合计", by=None, sums=("amount",)),),
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
        summaries=(Summary("按状态", by="status", sums=("amount",)),),
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


# --- Paper: wrapping, row heights, 序号, sign-off -----------------------------------------


def test_text_width_counts_cjk_double_and_wrapped_lines_follow_the_column_width():
    assert text_width("王小明") == 6 and text_width("ab 1") == 4 and text_width("（扣2分）") == 9
    assert wrapped_lines("", 10) == 1 and wrapped_lines("王小明", 6) == 1
    assert wrapped_lines("一二三四五", 4) == 3  # two wide characters a line
    assert wrapped_lines("甲\n乙\n丙", 20) == 3  # an explicit newline starts a line
    # A date moves whole to the next line rather than being split.
    assert wrapped_lines("第1次 2026-03-20 赵主任", 12) == 3
    assert wrapped_lines("x" * 25, 10) == 3  # a word longer than a line is cut
    assert wrapped_lines("控辍率指标值" * 10, 34) == 4  # 120 units over 34 a line
    assert row_height(1) == LINE_HEIGHT and row_height(3) == 3 * LINE_HEIGHT
    assert row_height(1000) == MAX_ROW_HEIGHT  # Excel's tallest row


def test_print_scale_of_a_layout():
    assert fit_scale([10] * 10) == 1.0  # 100 units fit A4 landscape unshrunk
    assert 0.54 < fit_scale([12.75] * 20) < 0.56  # 255 units print at 55 %


def long_row(**kw: object) -> SimpleNamespace:
    return row(**{"status": "因外出务工随父母迁居外省，现由祖父母监护，多次联系未果" * 2, **kw})


def test_text_wraps_and_each_row_is_tall_enough_for_its_longest_cell():
    data = render([row(), long_row(), row(name="甲\n乙\n丙")])
    sheet = workbook(data).worksheets[0]
    assert sheet["A6"].alignment.wrap_text and sheet["G6"].alignment.wrap_text
    assert not sheet["B6"].alignment.wrap_text  # an ID number is never broken
    # One line: the row keeps its default height.
    assert sheet.row_dimensions[6].height is None
    # 状态 is 8 units wide: 54 wide characters at 4 a line need 14 lines.
    assert wrapped_lines(sheet["G7"].value, 8) == 14
    assert sheet.row_dimensions[7].height == 14 * LINE_HEIGHT
    assert sheet.row_dimensions[8].height == 3 * LINE_HEIGHT


def test_a_long_ledger_keeps_every_row_height_without_holding_them_in_memory():
    """XlsxWriter alone keeps each ``set_row`` until the file closes: memory grew per row."""
    buffer = io.BytesIO()
    writer = ReportWriter(buffer, heading())
    writer.sheet("测试", COLUMNS, [long_row(name=f"学生{n}") for n in range(300)])
    writer.close()
    streamed = writer.book.worksheets()[0]
    assert len(streamed.row_info) <= 2 and len(streamed.row_sizes) <= 2
    sheet = workbook(buffer.getvalue()).worksheets[0]
    assert {sheet.row_dimensions[r].height for r in range(6, 306)} == {14 * LINE_HEIGHT}
    assert sheet["A305"].value == "学生299"


def sheet_xml(book_class: type, write: Callable[[Any, Any], None]) -> bytes:
    buffer = io.BytesIO()
    book = book_class(buffer, {"constant_memory": True, "strings_to_numbers": False})
    write(book, book.add_worksheet())
    book.close()
    with zipfile.ZipFile(buffer) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_the_fast_cell_writer_writes_what_xlsxwriter_writes_byte_for_byte():
    """The streamed sheet writes plain cells itself: the XML must be XlsxWriter's own."""
    texts = [
        "王小明",
        "420102201001011234",
        "a&b",
        "<r>not rich</r>",
        'say "hi"',
        "x > y",
        " leading",
        "trailing ",
        "\u3000全角空格",
        "two\nlines",
        "tab\tinside",
        "bell\x07",
        "_x0041_",
        "_x00zz_",
        "\ufffe",
        "😀 wide",
        *HOSTILE,
    ]

    def write(book: Any, sheet: Any) -> None:
        plain = book.add_format({"border": 1})
        date = book.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
        row_fmt = book.add_format({"bold": True})
        sheet.set_column(3, 3, 12, book.add_format({"italic": True}))
        sheet.set_row(1, 30)
        sheet.set_row(2, None, row_fmt)
        for r, text in enumerate(texts):
            sheet.write_string(r, 0, text, plain)
            sheet.write_string(r, 1, text)  # no format: the row's or column's, if any
            sheet.write_string(r, 3, text)
            sheet.write_number(r, 4, r * 1.5 - 7, plain)
            sheet.write_number(r, 5, 10**r, plain)
            sheet.write_datetime(r, 6, dt.date(2010, 1, 1) + dt.timedelta(days=r), date)
            sheet.write_blank(r, 7, None, plain)
            sheet.write_blank(r, 8, None)
        end = len(texts)
        sheet.write_boolean(end, 0, True, plain)
        sheet.write_formula(end, 1, "=1+1", plain)
        sheet.write_rich_string(end, 2, "a", row_fmt, "b", plain)
        sheet.write_url(end, 3, "https://example.org", plain, "link")
        sheet.merge_range(end + 1, 0, end + 1, 4, "merged", plain)

    assert sheet_xml(StreamedWorkbook, write) == sheet_xml(xlsxwriter.Workbook, write)


def test_headers_fit_their_row():
    columns = (Col("义务教育巩固率\n得分(满分10)", "name", 9), *COLUMNS[1:])
    buffer = io.BytesIO()
    write_report(buffer, heading(), "测试", columns, [row()])
    sheet = workbook(buffer.getvalue()).worksheets[0]
    # 14 units over 8 a line (bold: one unit less) is 2 lines, 12 units is 2 more.
    assert sheet.row_dimensions[5].height == 4 * LINE_HEIGHT


def test_a_ledger_has_numbered_rows_bordered_empty_cells_and_a_sign_off_block():
    buffer = io.BytesIO()
    write_report(
        buffer,
        heading(),
        "测试",
        COLUMNS,
        [row(), row("李小红", phone=None, grade=None), row("张三")],
        summaries=(Summary("合计", by=None, sums=("amount",)),),
        frozen_columns=1,
        numbered=True,
        sign_off=True,
    )
    book = workbook(buffer.getvalue())
    sheet = book.worksheets[0]
    assert headers_of(sheet) == ["序号", *(c.label for c in COLUMNS)]
    table = rows_of(sheet)
    assert [r[0] for r in table] == [1, 2, 3] and [r[1] for r in table] == [
        "王小明",
        "李小红",
        "张三",
    ]
    assert sheet.freeze_panes == "C6"  # 序号 and the column asked for
    assert sheet.auto_filter.ref == "A5:I8"  # the table only, not the sign-off
    # An empty cell is drawn like the others: the table prints as a grid.
    assert sheet["D7"].value is None and sheet["D7"].border.left.style == "thin"
    assert sheet["G7"].value is None and sheet["G7"].border.bottom.style == "thin"
    # Under the table, after a blank row: the five places to sign or stamp.
    assert sheet["A9"].value is None
    lines = sign_off_of(sheet)
    # One row holding both lines, so a page break can never split the block.
    assert sheet["A10"].value.split("\n") == lines and sheet["A11"].value is None
    for word in ("填表人", "审核人", "单位负责人（签字）", "填报单位（盖章）", "日期"):
        assert word in "".join(lines), word
    assert "A10:I10" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.row_dimensions[10].height >= 4 * LINE_HEIGHT  # room to sign and stamp
    summary = book["汇总"]
    assert rows_of(summary)[0] == ["合计", 3, 3 * 1234.5] and len(sign_off_of(summary)) == 2


def test_a_plain_list_has_no_number_column_and_no_sign_off():
    sheet = workbook(render([row()])).worksheets[0]
    assert headers_of(sheet)[0] == "姓名" and sign_off_of(sheet) == []
