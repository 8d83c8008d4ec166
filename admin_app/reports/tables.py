"""Reading the spreadsheets clerks receive: .xlsx or .csv, a title above the header, blanks.

Shared by imports (``admin_app.lists.imports``) and the cross-check
(``admin_app.lists.crosscheck``).
A file is refused as a whole here — too large, not a spreadsheet, corrupt, empty, no
header — with a Chinese message; rows are judged one by one by the callers.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..util.files import private_folder, write_private
from .columns import LIST_COLUMNS

#: How many rows above the header a file may carry (titles, notes, 填报单位…).
HEADER_SEARCH_ROWS = 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
#: Days an upload is kept for its preview and commit.
KEEP_DAYS = 30
#: Data rows a list may hold (app config ``IMPORT_MAX_ROWS``): twice the largest county
#: list the panel is built for. Every row is judged and kept in memory while judging.
MAX_ROWS = 200_000
#: Bytes the sheets of a workbook may unpack to (app config ``IMPORT_MAX_UNPACKED_BYTES``).
#: The sheet is parsed in memory (about twice its XML size); a 10 MB upload can unpack
#: to gigabytes; the limit leaves room for the largest county list (docs/性能.md).
MAX_UNPACKED_BYTES = 120 * 1024 * 1024
#: Texts shorter than this are shared between rows (ID numbers, 18 characters, are not).
SHARED_TEXT = 16
#: Where a worksheet declares the cells it spans (``<dimension ref="A1:L1000"/>``).
DIMENSION_RE = re.compile(rb'<dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')


@dataclass(frozen=True)
class Limits:
    """How much of a file is read before it is refused as a whole."""

    max_rows: int = MAX_ROWS
    max_unpacked: int = MAX_UNPACKED_BYTES

    def too_many_rows(self, rows: int | None = None) -> TableError:
        counted = f"有{rows:,}行以上，" if rows else ""
        return TableError(
            f"文件{counted}超过每次导入{self.max_rows:,}行的上限，未读取。请按乡镇或学校拆分后分批上传。"
        )


class TableError(Exception):
    """The whole file is refused; ``str(error)`` is the Chinese message for the user."""


def normalize_header(text: Any) -> str:
    """Headers as typed by many hands: full-width letters, spaces, ``*`` marking required."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"[\s*＊:：]+", "", value)


def _alias_index(fields: Iterable[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for name in fields:
        column = LIST_COLUMNS[name]
        for alias in (column.label, *column.aliases):
            index.setdefault(normalize_header(alias), name)
    return index


def match_header(text: Any, index: dict[str, str]) -> str | None:
    """The field a header cell names, also when it carries a note such as ``身份证号(18位)``."""
    key = normalize_header(text)
    if not key:
        return None
    if key in index:
        return index[key]
    bare = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", key)
    return index.get(bare)


def cell_text(value: Any) -> str:
    """A cell as the clerk sees it (for previews and the rejects workbook)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.12g}"
    return str(value).strip()


def _blank(row: tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


@dataclass
class Table:
    """A sheet's header and data rows; ``line`` numbers are the ones Excel shows."""

    headers: list[str]
    #: field name -> column index
    columns: dict[str, int]
    header_line: int
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    #: The worksheet the header was found on.
    sheet: str = ""

    @property
    def unknown_headers(self) -> list[str]:
        known = set(self.columns.values())
        return [h for i, h in enumerate(self.headers) if h and i not in known]


def _csv_rows(content: bytes) -> Iterator[tuple[Any, ...]]:
    if b"\x00" in content[:4096]:
        raise TableError("文件不是Excel工作簿(.xlsx)或CSV文本文件，无法读取。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError("CSV文件的文字编码无法识别，请另存为“CSV UTF-8”或Excel工作簿(.xlsx)。")
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        yield tuple(row)


def check_workbook(content: bytes, limits: Limits) -> None:
    """Refuse a workbook too big to parse, before parsing it.

    calamine parses a whole sheet into memory before the first row comes out, so the
    defence against a small file that unpacks to gigabytes is to look first: the zip
    directory's uncompressed sizes of the sheets and shared strings, then those parts
    unpacked as a stream and counted (a directory that understates a size fails its
    CRC check here), and each sheet's ``<dimension ref>`` for its rows. Rows are
    counted again while the sheet is read, for sheets without a dimension.
    """
    limit_mb = f"{limits.max_unpacked / 1024 / 1024:,.0f}MB"
    too_big = TableError(
        f"工作簿解压后超过{limit_mb}的上限，未读取。"
        "请删除多余的工作表、列和格式，或拆分后分批上传。"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = [
                info
                for info in archive.infolist()
                if info.filename.startswith("xl/worksheets/")
                or info.filename == "xl/sharedStrings.xml"
            ]
            if sum(info.file_size for info in parts) > limits.max_unpacked:
                raise too_big
            unpacked = 0
            for info in parts:
                with archive.open(info) as part:
                    head = part.read(4096)
                    unpacked += len(head)
                    while chunk := part.read(1 << 20):
                        unpacked += len(chunk)
                        if unpacked > limits.max_unpacked:
                            raise too_big
                found = DIMENSION_RE.search(head) if info.filename.endswith(".xml") else None
                if found and int(found.group(1)) > limits.max_rows + HEADER_SEARCH_ROWS:
                    raise limits.too_many_rows(int(found.group(1)) - HEADER_SEARCH_ROWS)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise TableError(
            "Excel文件已损坏或不是有效的工作簿，无法打开。请重新保存后再上传。"
        ) from exc


def _xlsx_sheets(content: bytes, limits: Limits) -> Iterator[tuple[str, Iterator[tuple[Any, ...]]]]:
    """Each sheet's rows, read with calamine (Rust): about ten times faster than
    openpyxl's read-only mode, which a 100,000-row county list needs. Leading blank rows
    are included, so row numbers are the ones Excel shows."""
    from python_calamine import CalamineWorkbook, PasswordError

    check_workbook(content, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = list(workbook.sheet_names)
    except PasswordError as exc:
        raise TableError("工作簿设有打开密码，请取消密码后再上传。") from exc
    except Exception as exc:  # any parse failure of an untrusted file means "corrupt"
        raise TableError(
            "Excel文件已损坏或不是有效的工作簿，无法打开。请重新保存后再上传。"
        ) from exc
    if not names:
        raise TableError("工作簿中没有工作表。")
    for index, name in enumerate(names):
        yield name, _sheet_rows(workbook, index)


def _sheet_rows(workbook: Any, index: int) -> Iterator[tuple[Any, ...]]:
    try:
        for row in workbook.get_sheet_by_index(index).iter_rows():
            yield tuple(row)
    except Exception as exc:
        raise TableError("Excel文件已损坏，读取到一半出错。请重新保存后再上传。") from exc


def raw_sheets(
    content: bytes, file_name: str, limits: Limits | None = None
) -> Iterator[tuple[str, Iterator[tuple[Any, ...]]]]:
    """(sheet name, rows) of a file, by what the bytes are rather than what the name says."""
    if not content:
        raise TableError("上传的文件是空的。")
    if content.startswith(XLS_MAGIC):
        raise TableError("暂不支持旧版Excel(.xls)文件，请在Excel中“另存为”.xlsx工作簿后再上传。")
    if content.startswith(XLSX_MAGIC):
        return _xlsx_sheets(content, limits or Limits())
    if file_name.lower().endswith((".csv", ".txt")):
        return iter([(file_name, _csv_rows(content))])
    raise TableError("文件不是Excel工作簿(.xlsx)或CSV文件，无法读取。")


def _find_header(
    rows: Iterator[tuple[Any, ...]], index: dict[str, str], limits: Limits
) -> tuple[Table | None, bool]:
    """Scan a sheet's first rows for the header: (table with its rows, sheet had data)."""
    seen_any = False
    for line, row in enumerate(rows, start=1):
        if _blank(row):
            continue
        seen_any = True
        if line > HEADER_SEARCH_ROWS:
            return None, True
        columns: dict[str, int] = {}
        for position, cell in enumerate(row):
            name = match_header(cell, index)
            if name is not None and name not in columns:
                columns[name] = position
        if len(columns) >= 2:
            headers = [cell_text(c) for c in row]
            while headers and not headers[-1]:
                headers.pop()
            table = Table(headers=headers, columns=columns, header_line=line)
            table.rows = _data_rows(rows, line + 1, len(headers), limits)
            return table, True
    return None, seen_any


def _data_rows(
    rows: Iterator[tuple[Any, ...]], first_line: int, width: int, limits: Limits
) -> list[tuple[int, tuple[Any, ...]]]:
    """The non-blank rows below the header, cut to the header's width (cells beyond the
    last header have no column to go to), refused past ``limits.max_rows``.

    Equal short texts are kept once: a list repeats its villages, schools, grades,
    sexes and many names on every row, and separate strings for each cell cost far more
    memory (docs/性能.md).
    """
    kept: list[tuple[int, tuple[Any, ...]]] = []
    shared: dict[str, str] = {}
    for number, data in enumerate(rows, start=first_line):
        if _blank(data):
            continue
        if len(kept) >= limits.max_rows:
            raise limits.too_many_rows(limits.max_rows)
        cells = data[:width] if len(data) > width else data
        kept.append(
            (
                number,
                tuple(
                    shared.setdefault(c, c) if type(c) is str and len(c) < SHARED_TEXT else c
                    for c in cells
                ),
            )
        )
    return kept


def read_table(
    content: bytes,
    file_name: str,
    fields: Iterable[str],
    required: Iterable[str],
    limits: Limits | None = None,
) -> Table:
    """Find the header, map it to ``fields``, keep the non-blank rows below it.

    The header is the first row, among a sheet's first rows, naming at least two known
    fields; sheets without one (a cover or 填表说明 sheet) are passed over. Every
    ``required`` field must have a column, or the file is refused naming what is missing.
    """
    limits = limits or Limits()
    index = _alias_index(fields)
    required = list(required)
    table: Table | None = None
    seen_any = False
    for sheet, rows in raw_sheets(content, file_name, limits):
        table, had_data = _find_header(rows, index, limits)
        seen_any = seen_any or had_data
        if table is not None:
            table.sheet = sheet
            break
    if not seen_any:
        raise TableError("工作表是空的，没有任何数据。")
    if table is None:
        expected = "、".join(LIST_COLUMNS[name].label for name in required)
        raise TableError(
            f"在前{HEADER_SEARCH_ROWS}行中找不到表头。表头应包含{expected}等列"
            "（也可用“证件号码”“公民身份号码”等常见写法）。"
        )
    missing = [name for name in required if name not in table.columns]
    if missing:
        names = "、".join(
            f"“{LIST_COLUMNS[n].label}”(或{'、'.join(LIST_COLUMNS[n].aliases[:3]) or '无别名'})"
            for n in missing
        )
        raise TableError(f"第{table.header_line}行表头缺少必需的列：{names}。")
    if not table.rows:
        raise TableError(f"第{table.header_line}行表头下面没有数据行。")
    return table


# --- Uploaded files, kept between the preview and the commit ---------------------------


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def store_upload(
    directory: str | Path, content: bytes, file_name: str, keep_days: int = KEEP_DAYS
) -> str:
    """Keep the uploaded bytes under their hash, so the commit re-reads exactly what was
    previewed (the browser never carries row data back). Uploads older than
    ``keep_days`` are removed: they hold children's ID numbers and are no longer needed
    (a committed batch keeps its rejects workbook, not the upload)."""
    folder = private_folder(Path(directory))
    cutoff = time.time() - keep_days * 86400
    for old in [*folder.glob("*.bin"), *folder.glob("*.json")]:
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    sha = sha256_of(content)
    path = folder / f"{sha}.bin"
    if path.exists():
        path.touch()  # uploaded again: kept another KEEP_DAYS
    else:
        write_private(path, content)
    meta = {"file_name": file_name, "size": len(content)}
    write_private(folder / f"{sha}.json", json.dumps(meta, ensure_ascii=False).encode())
    return sha


def load_upload(directory: str | Path, sha: str) -> tuple[bytes, str] | None:
    """The stored bytes and original file name, or None (unknown or malformed hash)."""
    if not SHA_RE.match(sha or ""):
        return None
    folder = Path(directory)
    path = folder / f"{sha}.bin"
    if not path.exists():
        return None
    content = path.read_bytes()
    if sha256_of(content) != sha:
        return None
    try:
        meta = json.loads((folder / f"{sha}.json").read_text())
        file_name = str(meta.get("file_name") or "upload.xlsx")
    except (OSError, ValueError):
        file_name = "upload.xlsx"
    return content, file_name
