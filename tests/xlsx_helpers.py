"""Reading issued workbooks back: openpyxl for values, the raw sheet XML for what Excel would do."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from openpyxl import load_workbook

DATA_START = 6  # title rows 1–4, header row 5
SIGN_OFF_START = "填表人"

#: Values a cell may hold that Excel, unguarded, would turn into a formula, a number or a link.
HOSTILE = ("=1+1", "@SUM(A1)", "{=1}", "-2+3", "http://x", "\tleading tab", "+1", "\r=1")


def workbook(data: bytes) -> Any:
    assert data[:2] == b"PK", "not an xlsx file"
    return load_workbook(io.BytesIO(data))


def rows_of(sheet: Any) -> list[list[Any]]:
    """The table's rows: from the first data row to the last before a 台账's sign-off block."""
    rows = []
    for row in sheet.iter_rows(min_row=DATA_START, values_only=True):
        if isinstance(row[0], str) and row[0].startswith(SIGN_OFF_START):
            while rows and all(v is None for v in rows[-1]):
                rows.pop()  # the blank row between the table and its sign-off
            break
        rows.append(list(row))
    return rows


def sign_off_of(sheet: Any) -> list[str]:
    """The sign-off lines under a 台账's table (empty for other sheets)."""
    return [
        line
        for row in sheet.iter_rows(min_row=DATA_START, max_col=1, values_only=True)
        if isinstance(row[0], str) and row[0].startswith(("填表人", "填报单位"))
        for line in row[0].split("\n")
    ]


def headers_of(sheet: Any) -> list[Any]:
    return [c.value for c in sheet[DATA_START - 1]]


def sheet_xml(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        }


def assert_no_formula_or_link(data: bytes) -> None:
    """No data row of any sheet holds a formula; no sheet has a hyperlink."""
    for name, xml in sheet_xml(data).items():
        assert "hyperlink" not in xml.lower(), name
        assert not name.startswith("xl/worksheets/_rels/"), name
        for number, row in re.findall(r'<row r="(\d+)"[^>]*>(.*?)</row>', xml, re.S):
            if int(number) >= DATA_START:
                assert "<f>" not in row and "<f " not in row, (name, number, row[:300])


def cell_types(data: bytes, sheet_index: int = 1) -> dict[str, str]:
    """Cell reference → its XML type (``inlineStr``, ``n`` for numbers, ``str`` for formulas)."""
    xml = sheet_xml(data)[f"xl/worksheets/sheet{sheet_index}.xml"]
    types = {}
    for ref, attrs in re.findall(r'<c r="([A-Z]+\d+)"([^>]*)', xml):
        match = re.search(r't="(\w+)"', attrs)
        types[ref] = match.group(1) if match else "n"
    return types


def column_widths(sheet: Any) -> list[float]:
    """Each column's width as declared (Excel's 0.71 padding taken off); openpyxl reads
    neighbouring columns of one width as one group."""
    widths: dict[int, float] = {}
    for dim in sheet.column_dimensions.values():
        for index in range(dim.min, dim.max + 1):
            widths[index] = round(dim.width - 0.7109375, 2)
    return [widths[i] for i in sorted(widths)]
