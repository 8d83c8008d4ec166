"""The streaming Excel engine: every workbook the panel issues is written here.

Rows arrive as an iterator (straight from a ``yield_per`` query) and go to XlsxWriter in
``constant_memory`` mode, so a 100,000-row ledger never sits in memory. A report is a
declaration — a tuple of ``Col`` (label, value, width, format, mask) — and the engine
turns each column into one precomputed cell writer, so the per-cell cost stays close to a
bare XlsxWriter loop. ``write_report`` writes one report; ``ReportWriter`` puts several
lists into one workbook (比对核查's five), each with the same title rows and safety.

Safety: every text cell is written with ``write_string``, never ``write``: a value such as
``=1+1``, ``@SUM(A1)``, ``{=1}``, ``-2+3``, ``http://x`` or one starting with a tab stays
text — no formula, no hyperlink, no number. The workbook's own conversions are switched off
as well, and text cells carry Excel's quote prefix so that editing one keeps it text.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellDatetimeTuple,
    CellNumberTuple,
    CellStringTuple,
    Worksheet,
)

from ..access.masking import mask_id_number, mask_phone
from ..choices import CodeEnum

#: Rows on one Excel worksheet (1,048,576); reports continue on a new sheet before it.
EXCEL_MAX_ROWS = 1_048_576
#: The font the township's printers and Excel/WPS on Chinese Windows all have.
FONT = "宋体"
#: Title, township/period, generated at/by, filters, then the header row.
HEADER_ROW = 4
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
A4 = 9
#: The body font size (points) of every sheet.
FONT_SIZE = 10
#: Points one line of 10 pt 宋体 takes in a row (Excel's own row is 14.25; LibreOffice's
#: fallback CJK fonts run a little taller, so a line gets 15).
LINE_HEIGHT = 15.0
#: Excel's highest row (points): text beyond it cannot be shown on paper at all.
MAX_ROW_HEIGHT = 409.0
#: A4 landscape less the 0.4-inch left and right margins every sheet has, in points.
PRINTABLE_WIDTH = 841.89 - 2 * 0.4 * 72
#: 序号: wide enough for six digits (100,000 rows) without Excel's ####.
NUMBER_WIDTH = 6
#: The sign-off block under a 台账, as township 台账 are handed to the 县教育局.
SIGN_OFF = (
    "填表人：＿＿＿＿＿＿　　审核人：＿＿＿＿＿＿　　单位负责人（签字）：＿＿＿＿＿＿",
    "填报单位（盖章）：＿＿＿＿＿＿＿＿＿＿　　日期：　　　　年　　月　　日",
)
#: Height of a sign-off row (points): room for a signature or a stamp.
SIGN_OFF_HEIGHT = 36.0

Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class Col:
    """One column of a report: header label, how to get the value from a row, and its look.

    ``value`` is an attribute name (dotted for related objects: ``"village.name"``) or a
    function of the row. ``format`` is one of ``FORMATS``; ``mask`` is ``"id"`` or
    ``"phone"`` for numbers that roles without the right see masked. ``key`` names the
    column for a ``Summary``: by default ``value`` when that is an attribute name.
    """

    label: str
    value: str | Getter
    width: float = 12
    format: str = "text"
    mask: str | None = None
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key and isinstance(self.value, str):
            object.__setattr__(self, "key", self.value)

    def getter(self) -> Getter:
        if callable(self.value):
            return self.value
        return operator.attrgetter(self.value)


@dataclass(frozen=True)
class Summary:
    """A block of the summary sheet: rows counted (and columns summed) per value of ``by``.

    ``by`` is the key of a column of the report (None: one grand-total line); ``sums`` are
    the keys of number columns to add up. The sheet heads them with the columns' labels.
    """

    title: str
    by: str | None = None
    sums: tuple[str, ...] = ()
    #: Header of the count column: what a row is (村数, 案件数 …).
    count_label: str = "行数"


@dataclass(frozen=True)
class Heading:
    """What the title rows say about the file."""

    title: str
    township: str
    period: str
    generated_by: str
    filters: str = ""
    masked: bool = False
    generated_at: dt.datetime = field(default_factory=lambda: local_now())
    #: What ``period`` is: an assessment period, or the day of the data for current-state lists.
    period_label: str = "考核周期"

    def place_line(self) -> str:
        return f"乡镇：{self.township}　　{self.period_label}：{self.period}"

    def generated_line(self) -> str:
        when = f"{self.generated_at:%Y-%m-%d %H:%M}"
        return f"生成时间：{when}（北京时间）　　生成人：{self.generated_by}"


@dataclass
class Written:
    rows: int
    sheets: list[str]


def local_now() -> dt.datetime:
    from ..util.dates import LOCAL_TZ

    return dt.datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


# --- Paper: how much room text takes ----------------------------------------------------

#: Tokens Excel keeps together on a line: a run of printable ASCII (a word, a date, a
#: number), a space, or one wide character (CJK may break between any two).
_TOKENS = re.compile(r"[!-~]+| +|[^ -~]")


def text_width(text: str) -> int:
    """Width in column units (one ``0`` of the body font): 宋体 draws CJK double width.

    UTF-8 spends 1 byte on ASCII and 3 on CJK, so ``(bytes - chars) // 2`` adds one unit per
    wide character without a Python loop over the text.
    """
    chars = len(text)
    return chars + (len(text.encode()) - chars) // 2


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes in a wrapping cell ``width`` units wide (XlsxWriter cannot autofit).

    Greedy, as Excel and LibreOffice lay it out: words of ASCII move whole to the next line,
    CJK breaks anywhere, an explicit newline starts a line, spaces at a break vanish.
    """
    per_line = max(1, int(width))
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for token in _TOKENS.findall(paragraph):
            size = text_width(token)
            if token[0] == " ":
                used = min(per_line, used + size)  # a space at the end of a line is dropped
                continue
            if used + size <= per_line:
                used += size
            elif size <= per_line:
                lines, used = lines + 1, size
            else:  # longer than a line: cut where the line ends
                if used:
                    lines += 1
                lines += (size - 1) // per_line
                used = size - (size - 1) // per_line * per_line
    return lines


def row_height(lines: int) -> float:
    """Points for a row of ``lines`` lines of body text, within Excel's limit."""
    return min(MAX_ROW_HEIGHT, max(1, lines) * LINE_HEIGHT)


def column_points(width: float) -> float:
    """A column's printed width in points: Excel gives ``width`` digits of 7 px plus 5 px."""
    return (7 * width + 5) * 0.75


def fit_scale(widths: Iterable[float]) -> float:
    """The print scale that fits columns of ``widths`` across one A4 landscape page (≤ 1).

    A sheet printed ``fit_to_pages(1, 0)`` is shrunk by this much: body text prints at
    ``FONT_SIZE × fit_scale``. Paper layouts are chosen so that stays ≥ 9 pt.
    """
    total = sum(column_points(w) for w in widths)
    return min(1.0, PRINTABLE_WIDTH / total) if total else 1.0


# --- Cell values -------------------------------------------------------------------------


def as_text(value: Any) -> str:
    """The words a clerk expects in a cell: labels for codes, 是/否, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, CodeEnum):  # before str: a CodeEnum is a str (its code)
        return value.label
    if isinstance(value, str):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, list | tuple | set):
        return "；".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


#: format name → (XlsxWriter format properties, kind of cell written)
FORMATS: dict[str, tuple[dict[str, Any], str]] = {
    # Text wraps within its column, never cut off on paper; each row is made tall enough.
    "text": ({"quote_prefix": True, "text_wrap": True}, "text"),
    "wrap": ({"quote_prefix": True, "text_wrap": True}, "text"),
    "id": ({"quote_prefix": True}, "text"),
    "int": ({"num_format": "0"}, "number"),
    "number": ({"num_format": "0.00"}, "number"),
    "money": ({"num_format": "#,##0.00"}, "number"),
    "date": ({"num_format": "yyyy-mm-dd"}, "date"),
    "datetime": ({"num_format": "yyyy-mm-dd hh:mm"}, "date"),
}


def _cell_writer(kind: str) -> Callable[..., Any]:
    """One function per number or date column, chosen once, that writes a non-empty value.

    Text (masked or not) is written inline by the row loop, which also measures it.
    """
    if kind == "number":

        def write_number(sheet: Worksheet, r: int, c: int, v: Any, fmt: Any) -> None:
            number = v if type(v) is int or type(v) is float else as_number(v)
            if number is None:
                sheet.write_string(r, c, as_text(v), fmt)
            else:
                sheet.write_number(r, c, number, fmt)

        return write_number

    def write_date(sheet: Worksheet, r: int, c: int, v: Any, fmt: Any) -> None:
        if isinstance(v, dt.date):
            sheet.write_datetime(r, c, v, fmt)
        else:
            sheet.write_string(r, c, as_text(v), fmt)

    return write_date


MASKS: dict[str, Callable[[str], str]] = {"id": mask_id_number, "phone": mask_phone}


# --- Workbook ----------------------------------------------------------------------------


#: Text that XlsxWriter writes with some change (XML escapes, ``_xHHHH_`` escapes, a
#: ``preserve`` for edge whitespace, a rich string): such a cell takes XlsxWriter's own path.
TEXT_NEEDING_CARE = re.compile(r'[\x00-\x1f"&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$')
#: Cells whose XML is the same whatever they hold, given a cell format.
_PLAIN_CELLS = (CellNumberTuple, CellDatetimeTuple, CellBlankTuple)
_column_name = functools.cache(xl_col_to_name)


class StreamedWorksheet(Worksheet):
    """A ``constant_memory`` worksheet: flushed rows leave memory whole, and plain cells
    are written to the XML in one step.

    Memory: XlsxWriter flushes each row's cells when the next row starts but keeps every
    ``set_row`` height (``row_info``, and ``row_sizes`` for placing images, which these
    sheets have none of) until the file closes: a ledger with many wrapped rows grew by
    some 20 MB per 100,000 rows at province scale. A flushed row is never written again in
    this mode, so its height can go with its cells.

    Speed: about four cells in five of a ledger are text with nothing to escape, numbers,
    dates or blanks with a cell format. XlsxWriter's ``_write_cell`` builds an attribute
    list and runs five escaping checks for each; for these cells the result is known
    without them, and ``_write_cell`` here writes it directly (a province ledger of a
    million rows is some 22 million cells). Every other cell goes to XlsxWriter's own
    ``_write_cell``. ``tests/test_xlsx.py`` compares the sheet XML with stock XlsxWriter's
    byte for byte over every kind of cell.

    Plugged in through the workbook's ``worksheet_class``, XlsxWriter's documented way to
    subclass a sheet.
    """

    def _write_single_row(self, current_row_num: int = 0) -> None:
        flushed = self.previous_row
        super()._write_single_row(current_row_num)
        self.row_info.pop(flushed, None)
        self.row_sizes.pop(flushed, None)

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        kind = type(cell)
        # Without a cell format, a row's or a column's applies: XlsxWriter decides.
        plain = cell.format and (
            kind in _PLAIN_CELLS
            or (kind is CellStringTuple and not TEXT_NEEDING_CARE.search(cell.string))
        )
        if not plain:
            super()._write_cell(row, col, cell)
            return
        start = f'<c r="{_column_name(col)}{row + 1}" s="{cell.format._get_xf_index()}"'
        if kind is CellStringTuple:
            self.fh.write(f'{start} t="inlineStr"><is><t>{cell.string}</t></is></c>')
        elif kind is CellBlankTuple:
            self.fh.write(f"{start}/>")
        else:
            self.fh.write(f"{start}><v>{cell.number:.16G}</v></c>")


class StreamedWorkbook(xlsxwriter.Workbook):
    worksheet_class = StreamedWorksheet


def new_workbook(target: str | IO[bytes]) -> xlsxwriter.Workbook:
    """A workbook that streams rows to disk and never converts a string into anything else."""
    return StreamedWorkbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": {"font_name": FONT, "font_size": 10},
        },
    )


def sheet_name(name: str, taken: Iterable[str]) -> str:
    """A valid, unique worksheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Sheet"
    clean = clean[:31]
    taken = {t.lower() for t in taken}
    candidate, n = clean, 2
    while candidate.lower() in taken:
        suffix = f"({n})"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    return candidate


def header_footer_text(text: str) -> str:
    """Page header text: ``&`` starts a control code there, so a literal one is doubled."""
    return text.replace("&", "&&")


class Styles:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": FONT, "font_size": 10}
        self.title = book.add_format({**base, "bold": True, "font_size": 16, "align": "center"})
        self.meta = book.add_format({**base, "quote_prefix": True})
        self.head = book.add_format(
            {
                **base,
                "bold": True,
                "bg_color": "#DDEBF7",
                "border": 1,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
            }
        )
        self.sign_off = book.add_format({**base, "valign": "vcenter", "text_wrap": True})
        self.book = book
        self._cells: dict[str, Any] = {}

    def cell(self, name: str) -> Any:
        if name not in self._cells:
            props, _ = FORMATS[name]
            self._cells[name] = self.book.add_format(
                {"font_name": FONT, "font_size": 10, "border": 1, "valign": "top", **props}
            )
        return self._cells[name]


def start_sheet(
    book: xlsxwriter.Workbook,
    styles: Styles,
    name: str,
    heading: Heading,
    labels: Sequence[str],
    widths: Sequence[float],
    frozen_columns: int = 0,
) -> Worksheet:
    """Title rows, the frozen header row and the print setup of one worksheet."""
    sheet = book.add_worksheet(sheet_name(name, [ws.name for ws in book.worksheets()]))
    last_col = max(0, len(labels) - 1)
    if last_col:
        # merge_range writes through the generic write(): merge blank, then write_string.
        sheet.merge_range(0, 0, 0, last_col, "", styles.title)
    sheet.write_string(0, 0, heading.title, styles.title)
    sheet.set_row(0, 26)
    sheet.write_string(1, 0, heading.place_line(), styles.meta)
    sheet.write_string(2, 0, heading.generated_line(), styles.meta)
    notes = [heading.filters] if heading.filters else []
    notes.append("身份证号、电话已脱敏" if heading.masked else "身份证号、电话未脱敏，请妥善保管")
    sheet.write_string(3, 0, "；".join(notes), styles.meta)
    for col, label in enumerate(labels):
        sheet.write_string(HEADER_ROW, col, label, styles.head)
    # Bold is a little wider than the body font: a unit less per line keeps headers whole.
    lines = max((wrapped_lines(lb, w - 1) for lb, w in zip(labels, widths, strict=True)), default=1)
    sheet.set_row(HEADER_ROW, row_height(max(2, lines)))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(HEADER_ROW + 1, frozen_columns)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_header(f"&L{header_footer_text(heading.title)}&R{header_footer_text(heading.period)}")
    sheet.set_footer("&C第 &P 页，共 &N 页")
    return sheet


class ReportWriter:
    """One workbook holding one or more reports, each on its own sheet(s), streamed.

    ``write_report`` is the one-report case. A workbook of several lists (比对核查's five)
    opens a writer and calls ``sheet`` once per list, then ``close``. Every sheet gets the
    same title rows, frozen header, autofilter, print setup, safe cells and masking; each
    continues on a new sheet before ``max_rows`` and may have its own 汇总 sheet.
    """

    def __init__(
        self, target: str | IO[bytes], heading: Heading, *, max_rows: int = EXCEL_MAX_ROWS
    ) -> None:
        if max_rows - HEADER_ROW - 1 < 1:
            raise ValueError("max_rows leaves no room for data rows")
        self.per_sheet = max_rows - HEADER_ROW - 1
        self.heading = heading
        self.book = new_workbook(target)
        self.styles = Styles(self.book)
        self.rows = 0
        self.sheets: list[str] = []

    def sheet(
        self,
        name: str,
        columns: Sequence[Col],
        rows: Iterable[Any],
        *,
        heading: Heading | None = None,
        summaries: Sequence[Summary] = (),
        frozen_columns: int = 0,
        numbered: bool = False,
        sign_off: bool = False,
    ) -> Written:
        """Stream ``rows`` onto a sheet ``name`` (and its continuations); return what was written.

        ``heading`` replaces the workbook's title rows for this list (its own title; its
        ``masked`` flag decides the masking of the ``mask`` columns). With ``summaries`` a
        汇总 sheet follows, counted while the rows stream by. ``frozen_columns`` stay in
        view when scrolling right (e.g. rank and village). For paper, a 台账 is ``numbered``
        (a 序号 column first) and has the ``sign_off`` block (填表人、审核人 …) under its table.
        """
        heading = heading or self.heading
        book, styles, per_sheet = self.book, self.styles, self.per_sheet
        if numbered:
            columns = [Col("序号", "", NUMBER_WIDTH, "int"), *columns]
            frozen_columns += 1
        labels = [c.label for c in columns]
        widths = [c.width for c in columns]
        # Per column, chosen once: getter, writer (None: text, written inline below), format,
        # the masking of a text column, and the width to measure its text against.
        plan = []
        for col, c in enumerate(columns):
            props, kind = FORMATS[c.format]
            hide = MASKS.get(c.mask or "") if heading.masked else None
            plan.append(
                (
                    col,
                    c.getter() if not (numbered and col == 0) else None,
                    None if kind == "text" else _cell_writer(kind),
                    styles.cell(c.format),
                    hide,
                    c.width if props.get("text_wrap") else 0,
                )
            )
        if numbered:
            plan = plan[1:]  # 序号 is the row's number, written before the loop over columns
        number_format = styles.cell("int")
        tallies = [Tally(s, columns) for s in summaries]
        names: list[str] = []
        current = start_sheet(book, styles, name, heading, labels, widths, frozen_columns)
        write_string, write_blank = current.write_string, current.write_blank
        names.append(current.name)
        row_index = HEADER_ROW
        on_sheet = 0
        total = 0
        for record in rows:
            if on_sheet == per_sheet:
                self._finish(current, row_index, widths, sign_off)
                more = f"{name}（续{len(names)}）"
                current = start_sheet(book, styles, more, heading, labels, widths, frozen_columns)
                write_string, write_blank = current.write_string, current.write_blank
                names.append(current.name)
                row_index, on_sheet = HEADER_ROW, 0
            row_index += 1
            total += 1
            lines = 1
            values: list[Any] = []
            if numbered:
                current.write_number(row_index, 0, total, number_format)
                values.append(total)
            for col, get, put, fmt, hide, wrap_width in plan:
                value = get(record)
                values.append(value)
                if value is None or value == "":
                    write_blank(row_index, col, None, fmt)  # its border, on paper too
                    continue
                if put is not None:
                    put(current, row_index, col, value, fmt)
                    continue
                text = value if type(value) is str else as_text(value)
                if hide is not None:
                    text = hide(text)
                write_string(row_index, col, text, fmt)
                # Most cells fit on a line for sure (every character at most double width).
                if wrap_width and (2 * len(text) > wrap_width or "\n" in text):
                    needed = wrapped_lines(text, wrap_width)
                    if needed > lines:
                        lines = needed
            if lines > 1:
                # XlsxWriter cannot autofit; the row, still the current one, gets its height.
                current.set_row(row_index, row_height(lines))
            for tally in tallies:
                tally.add(values)
            on_sheet += 1
        self._finish(current, row_index, widths, sign_off)
        if summaries:
            # After the rows, so the file opens on them; its totals were counted as they streamed.
            taken = [ws.name for ws in book.worksheets()]
            summary_sheet = book.add_worksheet(sheet_name("汇总", taken))
            write_summary(summary_sheet, styles, heading, tallies, total, sign_off=sign_off)
        self.rows += total
        self.sheets += names
        return Written(rows=total, sheets=names)

    def _finish(
        self, sheet: Worksheet, last_row: int, widths: Sequence[float], sign_off: bool
    ) -> None:
        sheet.autofilter(HEADER_ROW, 0, max(last_row, HEADER_ROW), max(0, len(widths) - 1))
        if sign_off:
            write_sign_off(sheet, self.styles, last_row + 2, widths)

    def close(self) -> Written:
        """Finish the file; the rows and data sheets of every list written into it."""
        self.book.close()
        return Written(rows=self.rows, sheets=list(self.sheets))


def write_report(
    target: str | IO[bytes],
    heading: Heading,
    sheet: str,
    columns: Sequence[Col],
    rows: Iterable[Any],
    *,
    summaries: Sequence[Summary] = (),
    max_rows: int = EXCEL_MAX_ROWS,
    frozen_columns: int = 0,
    numbered: bool = False,
    sign_off: bool = False,
) -> Written:
    """Stream ``rows`` into a one-report workbook at ``target``; return how many were written.

    A worksheet holds at most ``max_rows`` rows (Excel's limit by default); the rows that
    do not fit continue on a new sheet with the same title and header rows. With
    ``summaries`` a last sheet 汇总 lists the totals, counted while the rows stream by.
    ``frozen_columns`` stay in view when scrolling right (e.g. rank and village). A
    ``numbered`` sheet starts with a 序号 column; ``sign_off`` puts the sign-off block under
    the table (and the summary), as a 台账 is handed in on paper.
    """
    writer = ReportWriter(target, heading, max_rows=max_rows)
    writer.sheet(
        sheet,
        columns,
        rows,
        summaries=summaries,
        frozen_columns=frozen_columns,
        numbered=numbered,
        sign_off=sign_off,
    )
    return writer.close()


def write_sign_off(
    sheet: Worksheet,
    styles: Styles,
    first_row: int,
    widths: Sequence[float],
    lines: Sequence[str] = SIGN_OFF,
) -> int:
    """The sign-off lines under a table, in one row merged across its width; the next row.

    One row, not one per line: a page break falls between rows, and a block split over
    two pages (填报单位 and 日期 alone on a page under a repeated header) was what printing
    showed. A sheet printed one page wide prints nothing right of its last column, so the
    lines wrap within the table's width, the row tall enough and roomy enough to sign in.
    ``lines`` are a report's own block where it has one (a 月报's signed names and times).
    """
    width = sum(widths)
    text = "\n".join(lines)
    needed = sum(wrapped_lines(line, width) for line in lines)
    if len(widths) > 1:
        sheet.merge_range(first_row, 0, first_row, len(widths) - 1, "", styles.sign_off)
    sheet.write_string(first_row, 0, text, styles.sign_off)
    sheet.set_row(first_row, max(SIGN_OFF_HEIGHT * len(lines), row_height(needed)))
    return first_row + 1


class Tally:
    """Counts and sums for one summary block, fed with each row's values as it streams."""

    def __init__(self, summary: Summary, columns: Sequence[Col]) -> None:
        keys = [c.key for c in columns]
        self.summary = summary
        self.by = keys.index(summary.by) if summary.by else None
        self.sums = [keys.index(key) for key in summary.sums]
        self.sum_labels = [columns[index].label for index in self.sums]
        self.groups: dict[str, list[float]] = {}

    def add(self, values: Sequence[Any]) -> None:
        key = "合计" if self.by is None else (as_text(values[self.by]) or "（空）")
        acc = self.groups.get(key)
        if acc is None:
            acc = self.groups[key] = [0.0] * (1 + len(self.sums))
        acc[0] += 1
        for i, index in enumerate(self.sums, start=1):
            number = values[index]
            if number is not None and number != "":
                acc[i] += as_number(number) or 0.0


def write_summary(
    sheet: Worksheet,
    styles: Styles,
    heading: Heading,
    tallies: Sequence[Tally],
    total: int,
    *,
    sign_off: bool = False,
) -> None:
    """The 汇总 sheet: one block per summary, each with a 合计 line (and a 台账's sign-off)."""
    width = 2 + max((len(t.sums) for t in tallies), default=0)
    sheet.merge_range(0, 0, 0, width - 1, "", styles.title)
    sheet.write_string(0, 0, f"{heading.title}（汇总）", styles.title)
    sheet.write_string(1, 0, heading.place_line(), styles.meta)
    sheet.write_string(2, 0, heading.generated_line(), styles.meta)
    sheet.write_string(3, 0, f"{heading.filters or '全部'}；明细共 {total} 行", styles.meta)
    text, number = styles.cell("text"), styles.cell("number")
    row = HEADER_ROW
    for tally in tallies:
        heads = [tally.summary.title, tally.summary.count_label, *tally.sum_labels]
        for col, label in enumerate(heads):
            sheet.write_string(row, col, label, styles.head)
        row += 1
        totals = [0.0] * (1 + len(tally.sums))
        for key, acc in tally.groups.items():
            sheet.write_string(row, 0, key, text)
            for col, value in enumerate(acc, start=1):
                sheet.write_number(row, col, value, number if col > 1 else styles.cell("int"))
                totals[col - 1] += value
            row += 1
        if tally.by is not None:
            sheet.write_string(row, 0, "合计", text)
            for col, value in enumerate(totals, start=1):
                sheet.write_number(row, col, value, number if col > 1 else styles.cell("int"))
            row += 1
        row += 1
    widths = [28.0] + [14.0] * (width - 1)
    if sign_off:
        write_sign_off(sheet, styles, row, widths)
    sheet.set_column(0, 0, widths[0])
    sheet.set_column(1, width - 1, widths[1])
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.set_footer("&C第 &P 页，共 &N 页")
