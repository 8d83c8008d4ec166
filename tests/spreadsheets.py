"""Workbooks and CSV files as county offices send them, generated for the import tests."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

POVERTY_HEADER = ("序号", "姓名", "证件号码", "性别", "出生年月", "村（社区）", "就读学校", "年级")
ROSTER_HEADER = ("姓名", "公民身份号码", "学校名称", "年级", "班级", "全国学籍号")


def xlsx(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = POVERTY_HEADER,
    title: str | None = "联合乡2026年建档立卡适龄儿童名单",
    blank_rows_after_title: int = 1,
) -> bytes:
    """A workbook with a merged title row, blank rows, the header and the rows.

    Numbers stay numbers (as when Excel turns an ID number into 4.30121201003E+17).
    """
    workbook = Workbook()
    sheet = workbook.active
    line = 1
    if title:
        sheet.cell(row=1, column=1, value=title)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        line += 1 + blank_rows_after_title
    for column, text in enumerate(header, start=1):
        sheet.cell(row=line, column=column, value=text)
    for row in rows:
        line += 1
        if row is None:  # a blank row in the middle of the data
            continue
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=line, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: Sequence[Sequence[Any]], header: Sequence[str] = POVERTY_HEADER, encoding: str = "utf-8"
) -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def poverty_row(
    number: str,
    name: str = "李小花",
    village: str = "联合村",
    school: str = "联合乡中心小学",
    grade: Any = "三年级",
    sex: str = "",
    birth: Any = "",
) -> tuple[Any, ...]:
    return ("", name, number, sex, birth, village, school, grade)
