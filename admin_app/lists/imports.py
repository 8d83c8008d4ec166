"""Importing the county's lists into the children register (排查摸底).

Two kinds of list: the poverty office's 帮扶对象名单 and the schools' 学籍名单. A file is
read (``admin_app.reports.tables``), every row is judged — the register's own rule
``validation.check_child`` plus what only a file can get wrong (an ID number Excel
stored as a number, an unknown village with the closest name suggested, the same ID
number twice) — and the result is a plan: per row create / update / unchanged / error
with every reason. Committing applies the valid rows of a freshly computed plan in one
transaction with bulk statements (no query per row), upserting by ID number.

A list speaks for a date (名单日期, asked on upload). Its 户主 column names the child's
household, never the guardian: the household is linked, or created, by 户主 and village.
A poverty list sets the household's support category (户类别, 脱贫户 when the list has no
such column) from that date, so the children it names count for 帮扶覆盖率. A child new to
the register whom a poverty list names without a school is registered 待核实 (DESIGN.md
§4) until ``admin_app.cases.verification`` finds out whether the child is in school.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..assessment import dataversion
from ..choices import AuditAction, ChildStatus, HouseholdCategory, ImportSource, Sex, Stage
from ..models import (
    AuditLog,
    Child,
    ChildStatusChange,
    Household,
    HouseholdCategorySpan,
    ImportBatch,
    School,
    Village,
    utcnow,
)
from ..reports.columns import CHILD
from ..reports.tables import Limits, Table, cell_text, read_table
from ..reports.xlsx import Col, Heading, Written, write_report
from ..util.audit import json_value
from ..util.dates import local_today
from .bulk import insert_rows
from .validation import check_child, id_number_error, normalize_id_number

#: The columns each kind of list may carry, and those it must carry.
FIELDS: dict[ImportSource, tuple[str, ...]] = {
    ImportSource.POVERTY: (
        "name",
        "id_number",
        "sex",
        "birth_date",
        "ethnicity",
        "village",
        "guardian_name",
        "guardian_phone",
        "school",
        "grade",
        "class_name",
        "student_no",
        "household_head",
        "household_category",
    ),
    ImportSource.ROSTER: (
        "name",
        "id_number",
        "sex",
        "birth_date",
        "ethnicity",
        "school",
        "grade",
        "class_name",
        "student_no",
        "village",
        "guardian_name",
        "guardian_phone",
        "household_head",
    ),
}
REQUIRED: dict[ImportSource, tuple[str, ...]] = {
    ImportSource.POVERTY: ("name", "id_number", "village"),
    ImportSource.ROSTER: ("name", "id_number", "school"),
}
#: Child columns an import writes (a poverty list also marks 家庭经济困难).
WRITTEN = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "village_id",
    "school_id",
    "stage",
    "grade",
    "class_name",
    "student_no",
    "guardian_name",
    "guardian_phone",
    "is_poor",
    "household_id",
)
CHANGE_LABELS = {
    **{name: CHILD[name].label for name in CHILD},
    "village_id": CHILD["village"].label,
    "school_id": CHILD["school"].label,
    "household_id": CHILD["household"].label,
}
#: Words of a 户类别 cell and the category they name; the first match wins, so 防返贫
#: 监测 is read before 脱贫 (a 脱贫不稳定户 is a 监测户).
CATEGORY_WORDS = (
    (("监测", "防返贫", "边缘", "突发严重困难"), HouseholdCategory.MONITORED),
    (("脱贫", "建档立卡", "贫困户"), HouseholdCategory.POVERTY_ALLEVIATED),
    (("低保",), HouseholdCategory.DIBAO),
    (("特困", "五保"), HouseholdCategory.TEKUN),
    (("残疾",), HouseholdCategory.DISABLED_FAMILY),
)
#: The category a poverty list without a 户类别 column gives (县扶贫办's 建档立卡 list).
DEFAULT_CATEGORY = HouseholdCategory.POVERTY_ALLEVIATED
SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$")
SPACE_RE = re.compile(r"\s+")
DIGITS_RE = re.compile(r"\d+")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
JUNIOR_NAMES = {"初一": 7, "初二": 8, "初三": 9, "初中一年级": 7, "初中二年级": 8, "初中三年级": 9}
SEX_WORDS = {"男": Sex.MALE, "男性": Sex.MALE, "M": Sex.MALE, "1": Sex.MALE}
SEX_WORDS |= {"女": Sex.FEMALE, "女性": Sex.FEMALE, "F": Sex.FEMALE, "2": Sex.FEMALE}
#: Rows per statement when looking up or writing in bulk.
CHUNK = 900


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"

    @property
    def label(self) -> str:
        return {"create": "新增", "update": "更新", "unchanged": "无变化", "error": "有错误"}[
            self.value
        ]


class ImportFailed(Exception):
    """The commit failed and was rolled back; nothing was written."""


#: One key tuple per distinct set of written columns (see ``RowResult.values``).
_SHARED_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}


@dataclass(slots=True)
class RowResult:
    """One data row of the file and what the import will do with it."""

    line: int
    #: The row's cells as text, kept for rejected rows (the rejects workbook).
    cells: tuple[Any, ...]
    name: str = ""
    id_number: str = ""
    action: RowAction = RowAction.ERROR
    errors: list[str] = field(default_factory=list)
    #: For updates: label -> (old, new) as text (creates are described on demand).
    changes: dict[str, Any] = field(default_factory=dict)
    #: For updates: column name -> (old, new) as the audit log stores them.
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    child_id: int | None = None
    #: The row's village as the preview shows it (the register's name, or the cell).
    village: str = ""
    #: What the clerk should know of a row that is imported all the same (a tuple: most
    #: rows have none, and an empty list per row of a 200,000-row file adds up).
    notes: tuple[str, ...] = ()
    #: (village_id, 户主) of a household the commit creates for this row, if any.
    household_key: tuple[int, str] | None = None
    #: The household and the category it gains, as the preview shows them.
    household_text: str = ""
    category_text: str = ""
    #: The column values to write (creates and updates) as one key tuple shared by all
    #: rows and a tuple of values (a dict per row cost far more memory, docs/性能.md).
    #: Read and set through ``values``.
    value_keys: tuple[str, ...] = ()
    value_items: tuple[Any, ...] = ()

    @property
    def values(self) -> dict[str, Any]:
        """Column values to write (for creates and updates)."""
        return dict(zip(self.value_keys, self.value_items, strict=True))

    @values.setter
    def values(self, values: dict[str, Any]) -> None:
        keys = tuple(values)
        self.value_keys = _SHARED_KEYS.setdefault(keys, keys)
        self.value_items = tuple(values.values())


@dataclass
class ImportPlan:
    kind: ImportSource
    file_name: str
    sha256: str
    table: Table
    rows: list[RowResult]
    places: dict[str, PlaceFinder] = field(default_factory=dict)
    households: HouseholdIndex = field(default_factory=lambda: HouseholdIndex())

    def describe(self, row: RowResult) -> dict[str, str]:
        """What a new row will hold, as text: built for the rows a page shows, not for all."""
        shown = {
            CHANGE_LABELS[k]: _shown(k, v, self.places)
            for k, v in row.values.items()
            if k in WRITTEN and k != "household_id" and v not in (None, "")
        }
        if row.values.get("status") == ChildStatus.PENDING:
            shown[CHILD["status"].label] = ChildStatus.PENDING.label
        if row.household_text:
            shown[CHANGE_LABELS["household_id"]] = row.household_text
        if row.category_text:
            shown["户类别"] = row.category_text
        return shown

    @property
    def counts(self) -> dict[RowAction, int]:
        counted = Counter(r.action for r in self.rows)
        return {action: counted.get(action, 0) for action in RowAction}

    def summary(self) -> str:
        counts = self.counts
        return (
            f"共{len(self.rows)}行：新增{counts[RowAction.CREATE]}，更新{counts[RowAction.UPDATE]}，"
            f"无变化{counts[RowAction.UNCHANGED]}，有错误{counts[RowAction.ERROR]}"
        )


# --- Reading single cells --------------------------------------------------------------


def parse_id_number(value: Any) -> tuple[str, str | None]:
    """The cleaned ID number and why it is refused, if it is."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        # Excel keeps 15 significant digits: an 18-digit number is already cut short.
        shown = f"{float(value):.12g}" if abs(value) >= 1e15 else cell_text(value)
        return shown, (
            f"身份证号在Excel中被存成了数字（显示为{shown}），后几位已经丢失、无法还原；"
            "请把该列设置为“文本”格式，按原件重新录入"
        )
    number = normalize_id_number(value)
    if not number:
        return "", None
    if SCIENTIFIC_RE.match(number):
        return number, (
            f"身份证号被写成了科学计数法（{number}），后几位已经丢失、无法还原；"
            "请把该列设置为“文本”格式，按原件重新录入"
        )
    return number, id_number_error(number)


def parse_date(value: Any) -> tuple[dt.date | None, tuple[int, int] | None, str | None]:
    """A date, or only a year and month (``出生年月``), or why it cannot be read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None, None
    if isinstance(value, dt.datetime):
        return value.date(), None, None
    if isinstance(value, dt.date):
        return value, None, None
    text = unicodedata.normalize("NFKC", cell_text(value))
    digits = DIGITS_RE.findall(text)
    try:
        if len(digits) == 1 and len(digits[0]) == 8:
            compact = digits[0]
            return dt.date(int(compact[:4]), int(compact[4:6]), int(compact[6:])), None, None
        if len(digits) == 1 and isinstance(value, int | float) and 1 < float(value) < 80000:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value)), None, None
        if len(digits) == 3 and len(digits[0]) == 4:
            return dt.date(int(digits[0]), int(digits[1]), int(digits[2])), None, None
        if len(digits) == 2 and len(digits[0]) == 4 and 1 <= int(digits[1]) <= 12:
            return None, (int(digits[0]), int(digits[1])), None
        if len(digits) == 1 and len(digits[0]) == 6 and 1 <= int(digits[0][4:]) <= 12:
            return None, (int(digits[0][:4]), int(digits[0][4:])), None
    except ValueError:
        pass
    return None, None, f"出生日期“{text}”无法识别，请写成2014-03-15的形式"


def parse_grade(value: Any) -> tuple[int | None, str | None]:
    text = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")
    if not text:
        return None, None
    if text in JUNIOR_NAMES:
        return JUNIOR_NAMES[text], None
    core = text.removesuffix("年级")
    if core.isdigit():
        grade = int(core)
    elif core in CHINESE_DIGITS:
        grade = CHINESE_DIGITS[core]
    else:
        return None, f"年级“{text}”无法识别，请写成1–9或“六年级”“初一”"
    if not 1 <= grade <= 9:
        return None, "年级应在1–9之间"
    return grade, None


def parse_sex(value: Any) -> tuple[Sex | None, str | None]:
    text = unicodedata.normalize("NFKC", cell_text(value)).strip().upper()
    if not text:
        return None, None
    sex = SEX_WORDS.get(text)
    return (sex, None) if sex else (None, f"性别“{text}”无法识别，请写“男”或“女”")


class PlaceFinder:
    """Villages or schools by name; an unknown name gets the closest known one suggested."""

    def __init__(self, places: Iterable[Any], kind: str) -> None:
        self.kind = kind
        self.by_name: dict[str, Any] = {}
        for place in places:
            self.by_name[self._key(place.name)] = place
        self.names = [p.name for p in self.by_name.values()]
        self.by_id = {p.id: p for p in self.by_name.values()}
        self._found: dict[str, tuple[Any | None, str | None]] = {}

    @staticmethod
    def _key(name: str) -> str:
        return SPACE_RE.sub("", unicodedata.normalize("NFKC", name))

    def find(self, name: str) -> tuple[Any | None, str | None]:
        """The place and None, or None and why (a list repeats few names: memoised)."""
        if name not in self._found:
            self._found[name] = self._find(name)
        return self._found[name]

    def _find(self, name: str) -> tuple[Any | None, str | None]:
        key = self._key(name)
        for candidate in (key, key + "村", key.removesuffix("委会"), key.removesuffix("民委员会")):
            if candidate in self.by_name:
                return self.by_name[candidate], None
        close = difflib.get_close_matches(key, self.names, n=1, cutoff=0.4)
        if close:
            return None, f"找不到{self.kind}“{name}”，是否为“{close[0]}”？"
        return None, f"找不到{self.kind}“{name}”，请先在系统设置中登记或改正名称"


class _Draft:
    """What ``check_child`` needs of a child, without building 100,000 ORM objects."""

    __slots__ = (
        "birth_date",
        "class_name",
        "ethnicity",
        "grade",
        "guardian_name",
        "guardian_phone",
        "guardian_relation",
        "household",
        "household_id",
        "id",
        "id_number",
        "is_poor",
        "name",
        "no_id_reason",
        "school",
        "school_id",
        "sex",
        "stage",
        "status",
        "status_effective_on",
        "status_note",
        "status_reason",
        "student_no",
        "village",
        "village_id",
    )

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))


class _HouseholdRef:
    __slots__ = ("id", "village_id")

    def __init__(self, household_id: int, village_id: int) -> None:
        self.id, self.village_id = household_id, village_id


CATEGORY_COLUMNS = [getattr(Household, c.attr) for c in HouseholdCategory]


@dataclass
class HouseholdIndex:
    """The register's households a list's rows can name, and what committing does to them.

    Rows name a household by 户主 within their village; the lookups are loaded once per
    file. ``new`` and ``gains`` are the plan: households to create (with the categories
    the list gives them) and categories existing households take on from the list date.
    """

    #: (village_id, 户主) -> ids of the register's households so named.
    by_head: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    #: Household id -> its 户主, and the categories it holds today.
    heads: dict[int, str] = field(default_factory=dict)
    held: dict[int, set[HouseholdCategory]] = field(default_factory=dict)
    new: dict[tuple[int, str], set[HouseholdCategory]] = field(default_factory=dict)
    gains: dict[int, set[HouseholdCategory]] = field(default_factory=dict)

    def remember(
        self, household_id: int, village_id: int, head: str, flags: Iterable[bool]
    ) -> None:
        if household_id in self.heads:
            return
        self.heads[household_id] = head
        self.held[household_id] = {c for c, on in zip(HouseholdCategory, flags, strict=True) if on}
        self.by_head.setdefault((village_id, head), []).append(household_id)

    @classmethod
    def load(cls, session: Session, heads: set[str], existing: Iterable[Any]) -> HouseholdIndex:
        """The households named by ``heads`` and those the file's known children belong to."""
        index = cls()
        for row in existing:
            if row.household_id is not None:
                index.remember(
                    row.household_id,
                    row.household_village_id,
                    row.household_head,
                    [getattr(row, f"household_{c.attr}") for c in HouseholdCategory],
                )
        names = sorted(heads)
        for start in range(0, len(names), CHUNK):
            stmt = select(
                Household.id, Household.village_id, Household.head_name, *CATEGORY_COLUMNS
            ).where(Household.head_name.in_(names[start : start + CHUNK]))
            for household_id, village_id, head, *flags in session.execute(stmt):
                index.remember(household_id, village_id, head, flags)
        return index


def parse_category(value: Any) -> tuple[HouseholdCategory | None, str | None]:
    """The support category a 户类别 cell names (``脱贫户``, ``监测对象``, ``低保户`` …)."""
    text = cell_text(value)
    if not text:
        return None, None
    for words, category in CATEGORY_WORDS:
        if any(word in text for word in words):
            return category, None
    known = "、".join(c.label for c in HouseholdCategory)
    return None, f"无法识别的户类别“{text}”（可填：{known}）"


# --- Judging a file --------------------------------------------------------------------


def _existing_children(session: Session, numbers: list[str]) -> dict[str, Any]:
    """Register rows for the file's ID numbers, in a few queries (CHUNK numbers each)."""
    columns = [
        Child.id,
        Child.id_number,
        Child.name,
        Child.sex,
        Child.birth_date,
        Child.ethnicity,
        Child.village_id,
        Child.school_id,
        Child.stage,
        Child.grade,
        Child.class_name,
        Child.student_no,
        Child.guardian_name,
        Child.guardian_relation,
        Child.guardian_phone,
        Child.is_poor,
        Child.no_id_reason,
        Child.status,
        Child.status_reason,
        Child.status_note,
        Child.household_id,
        Household.village_id.label("household_village_id"),
        Household.head_name.label("household_head"),
        *(column.label(f"household_{column.key}") for column in CATEGORY_COLUMNS),
    ]
    found: dict[str, Any] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        stmt = (
            select(*columns)
            .outerjoin(Household, Household.id == Child.household_id)
            .where(Child.id_number.in_(chunk))
        )
        for row in session.execute(stmt):
            found[row.id_number] = row
    return found


def _shown(name: str, value: Any, places: dict[str, PlaceFinder]) -> str:
    if value is None:
        return ""
    if name == "village_id":
        return places["village"].by_id[value].name
    if name == "school_id":
        return places["school"].by_id[value].name
    if name == "is_poor":
        return "是" if value else "否"
    if isinstance(value, Sex | Stage):
        return value.label
    return str(value)


def _judge_row(
    line: int,
    row: tuple[Any, ...],
    table: Table,
    kind: ImportSource,
    places: dict[str, PlaceFinder],
) -> tuple[RowResult, dict[str, Any]]:
    """Read one row's cells into values; errors found in the cells alone."""
    result = RowResult(line=line, cells=row)  # as text below, for rejected rows only
    errors = result.errors
    values: dict[str, Any] = {}
    width = len(row)
    cells = {n: row[i] for n, i in table.columns.items() if i < width}
    get = cells.get

    number, problem = parse_id_number(get("id_number"))
    result.id_number = number
    if problem:
        errors.append(problem)
    for name in REQUIRED[kind]:
        raw = get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors.append(f"缺少必填项“{CHILD[name].label}”")

    name = cell_text(get("name"))
    result.name = name
    if name:
        values["name"] = SPACE_RE.sub("", unicodedata.normalize("NFKC", name))
    sex, problem = parse_sex(get("sex"))
    if problem:
        errors.append(problem)
    elif sex:
        values["sex"] = sex
    birth, year_month, problem = parse_date(get("birth_date"))
    if problem:
        errors.append(problem)
    elif birth:
        values["birth_date"] = birth
    elif year_month:
        values["_year_month"] = year_month
    grade, problem = parse_grade(get("grade"))
    if problem:
        errors.append(problem)
    elif grade:
        values["grade"] = grade
        values["stage"] = Stage.PRIMARY if grade <= 6 else Stage.JUNIOR
    for place in ("village", "school"):
        text = cell_text(get(place))
        if text:
            found, problem = places[place].find(text)
            if problem:
                errors.append(problem)
            else:
                values[f"{place}_id"] = found.id
    result.village = cell_text(get("village"))
    for name in ("ethnicity", "class_name", "student_no", "guardian_name", "guardian_phone"):
        text = cell_text(get(name))
        if text:
            values[name] = unicodedata.normalize("NFKC", text).strip()
    head = SPACE_RE.sub("", unicodedata.normalize("NFKC", cell_text(get("household_head"))))
    if head:
        values["_head"] = head[:50]
    if kind == ImportSource.POVERTY:
        values["is_poor"] = True
        category, problem = parse_category(get("household_category"))
        if problem:
            errors.append(problem)
        values["_category"] = category or DEFAULT_CATEGORY
    return result, values


#: Other lines a duplicate's message names; the rest are counted.
DUPLICATE_LINES_SHOWN = 3


def duplicate_message(lines: list[int], line: int) -> str:
    """Why the row on ``line`` is refused when its ID number is on all of ``lines``.

    A few other lines and how many there are: naming every other line made each of
    300,000 rows sharing one ID number carry 300,000 line numbers (quadratic time, and
    gigabytes before the file failed).
    """
    others = [n for n in lines[: DUPLICATE_LINES_SHOWN + 1] if n != line]
    others = others[:DUPLICATE_LINES_SHOWN]
    named = "、".join(str(n) for n in others)
    total = len(lines) - 1
    more = f"等共{total:,}行" if total > len(others) else ""
    return f"同一身份证号在文件中出现{len(lines):,}次（另见第{named}行{more}），请核对后只保留一行"


def plan_import(
    session: Session,
    table: Table,
    kind: ImportSource,
    *,
    file_name: str = "",
    sha256: str = "",
    today: dt.date | None = None,
) -> ImportPlan:
    """Judge every row of ``table``: what committing would do, and every reason it can't."""
    today = today or local_today()
    places = {
        "village": PlaceFinder(session.scalars(select(Village)), "行政村"),
        "school": PlaceFinder(session.scalars(select(School)), "学校"),
    }
    judged = [_judge_row(line, row, table, kind, places) for line, row in table.rows]
    # Each row's cells now live on in its result only, which lets a valid row's go once
    # it is judged (rejected rows keep theirs for the rejects workbook).
    table.rows = []

    lines_by_number: dict[str, list[int]] = defaultdict(list)
    for result, _ in judged:
        if result.id_number:
            lines_by_number[result.id_number].append(result.line)
    for result, _ in judged:
        lines = lines_by_number.get(result.id_number, [])
        if len(lines) > 1:
            result.errors.append(duplicate_message(lines, result.line))

    numbers = [r.id_number for r, _ in judged if r.id_number and not r.errors]
    existing = _existing_children(session, numbers)
    heads = {values["_head"] for result, values in judged if "_head" in values}
    households = HouseholdIndex.load(session, heads, existing.values())
    for result, values in judged:
        if not result.errors:
            _judge_against_register(
                session, result, values, existing, places, households, kind, today
            )
        values.clear()  # the row's own values are in result.values now: 200,000 dicts less
        if result.errors:
            result.action = RowAction.ERROR
            result.values = {}
            result.cells = tuple(cell_text(c) for c in result.cells)
        else:
            result.cells = ()
    return ImportPlan(kind, file_name, sha256, table, [r for r, _ in judged], places, households)


def _judge_against_register(
    session: Session,
    result: RowResult,
    values: dict[str, Any],
    existing: dict[str, Any],
    places: dict[str, PlaceFinder],
    households: HouseholdIndex,
    kind: ImportSource,
    today: dt.date,
) -> None:
    """Merge the row into the register's record (or a new one) and apply check_child."""
    current = existing.get(result.id_number)
    year_month = values.pop("_year_month", None)
    head = values.pop("_head", None)
    category = values.pop("_category", None)
    if current is None:
        # A poverty list names children, not schools: a new child it places in no school
        # is 待核实 (in N, not enrolled) rather than refused or assumed to be in school.
        pending = kind == ImportSource.POVERTY and "school_id" not in values
        base: dict[str, Any] = {
            "status": ChildStatus.PENDING if pending else ChildStatus.ENROLLED,
            "ethnicity": "汉族",
            "is_poor": False,
        }
        if "village_id" not in values:
            result.errors.append("台账中没有这个身份证号；新登记的儿童须填写“行政村”")
            return
    else:
        base = dict(current._mapping)
        if values.get("name") and values["name"] != current.name:
            # An ID number typed wrong can still pass its checksum and land on another
            # child: a name that disagrees is refused, never written over the register.
            village = places["village"].by_id.get(current.village_id)
            result.errors.append(
                f"姓名与台账不一致：该身份证号在台账中为“{current.name}”"
                f"（{village.name if village else ''}），请核对身份证号或姓名"
            )
            return
        if base.get("household_id") is not None:
            base["household"] = _HouseholdRef(base["household_id"], base["household_village_id"])
    merged = {**base, **values, "id_number": result.id_number}
    merged["village"] = places["village"].by_id.get(merged.get("village_id"))
    merged["school"] = places["school"].by_id.get(merged.get("school_id"))
    if merged["village"] is not None:
        result.village = merged["village"].name
    draft = _Draft(**merged)
    problems = check_child(session, draft, today, check_unique=False)
    result.errors.extend(dict.fromkeys(problems.values()))
    birth = draft.birth_date
    if year_month and birth and (birth.year, birth.month) != year_month:
        result.errors.append(f"出生年月与身份证号不一致（身份证号中为{birth:%Y-%m}）")
    if result.errors:
        return
    after = {name: getattr(draft, name) for name in WRITTEN}
    household_changed = _link_household(result, after, draft.village_id, head, category, households)
    if current is None:
        result.action = RowAction.CREATE
        result.values = {**after, "id_number": result.id_number, "status": base["status"]}
        return
    result.child_id = current.id
    changed = {
        name: (base.get(name), value) for name, value in after.items() if value != base.get(name)
    }
    if not changed and not household_changed:
        result.action = RowAction.UNCHANGED
        return
    result.action = RowAction.UPDATE
    result.values = {"id": current.id, **after}
    result.changes = {
        CHANGE_LABELS[k]: (_shown(k, old, places), _shown(k, new, places))
        for k, (old, new) in changed.items()
        if k != "household_id"
    }
    if result.household_key is not None or "household_id" in changed:
        result.changes[CHANGE_LABELS["household_id"]] = ("", result.household_text)
    if result.category_text:
        result.changes["户类别"] = ("", result.category_text)
    result.diff = {k: (json_value(old), json_value(new)) for k, (old, new) in changed.items()}


def _link_household(
    result: RowResult,
    after: dict[str, Any],
    village_id: int,
    head: str | None,
    category: HouseholdCategory | None,
    households: HouseholdIndex,
) -> bool:
    """Find (or plan) the row's household by 户主 and village, and the category it gains.

    The child's household in the register wins over the list's 户主 (a head who changed,
    a name typed another way): the row is imported and the disagreement noted. True when
    committing the row changes a household (creates, links or gives it a category).
    """
    target = after.get("household_id")
    new_key: tuple[int, str] | None = None
    if target is not None:
        if head and households.heads.get(target) != head:
            result.notes += (
                f"台账中该儿童属于“{households.heads.get(target)}户”，名单户主为“{head}”："
                "仍按台账的家庭户处理，请核对",
            )
    elif head:
        named = households.by_head.get((village_id, head), [])
        if len(named) == 1:
            target = named[0]
        elif named:
            result.notes += (
                f"该村有{len(named)}户户主名为“{head}”，无法确定是哪一户，未关联家庭户："
                "请在台账中为该儿童选择家庭户",
            )
        else:
            new_key = (village_id, head)
    elif category is not None:
        result.notes += (
            "名单未填户主，台账中也没有该儿童的家庭户：未登记户类别，"
            "该儿童暂不计入帮扶覆盖率，请在台账中为其选择家庭户",
        )
    changed = False
    if new_key is not None:
        result.household_key = new_key
        result.household_text = f"{head}户（新建）"
        gained = households.new.setdefault(new_key, set())
        changed = True
    elif target is not None:
        after["household_id"] = target
        result.household_text = f"{households.heads.get(target)}户"
        gained = households.gains.setdefault(target, set())
        if category is not None and category in households.held.get(target, set()):
            category = None
    else:
        return False
    if category is not None:
        gained.add(category)
        result.category_text = category.label
        changed = True
    return changed


def plan_file(
    session: Session,
    content: bytes,
    file_name: str,
    kind: ImportSource,
    sha256: str = "",
    today: dt.date | None = None,
    limits: Limits | None = None,
) -> ImportPlan:
    """Read and judge a file (raises ``tables.TableError`` for a file refused as a whole)."""
    table = read_table(content, file_name, FIELDS[kind], REQUIRED[kind], limits)
    plan = plan_import(session, table, kind, file_name=file_name, sha256=sha256, today=today)
    return plan


def parse_list_date(value: str | None, today: dt.date | None = None) -> tuple[dt.date, str | None]:
    """The 名单日期 a clerk typed (blank: today) and why it is refused, if it is."""
    today = today or local_today()
    text = (value or "").strip()
    if not text:
        return today, None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return today, "名单日期格式应为“年-月-日”，如2026-03-01"
    if day > today:
        return today, "名单日期不能晚于今天"
    if day.year < 2000:
        return today, "名单日期不能早于2000年"
    return day, None


# --- Committing ------------------------------------------------------------------------


def _insert_children(session: Session, rows: list[RowResult], now: dt.datetime) -> list[int]:
    """Bulk insert the new children and return their ids in the rows' order.

    The ids are read back by ID number: RETURNING in parameter order makes SQLite send
    one statement per row, and COPY returns nothing.
    """
    insert_rows(
        session,
        Child.__table__,
        (r.values for r in rows),
        same_for_all={"created_at": now, "updated_at": now},
    )
    numbers = [r.id_number for r in rows]
    ids: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        stmt = select(Child.id_number, Child.id).where(Child.id_number.in_(chunk))
        ids.update((number, child_id) for number, child_id in session.execute(stmt))
    return [ids[number] for number in numbers]


def _insert_history(
    session: Session,
    rows: list[RowResult],
    on: dt.date,
    user_id: int | None,
    note: str,
) -> None:
    """The first status row of each new child (the ORM hook does this for single saves),
    from the date the list speaks for."""
    now = utcnow()
    insert_rows(
        session,
        ChildStatusChange.__table__,
        (
            {
                "child_id": r.child_id,
                "from_status": None,
                "to_status": r.values["status"],
                "effective_on": on,
                "ended_on": None,
                "reason": None,
                "changed_by_id": user_id,
                "changed_at": now,
                "note": note,
            }
            for r in rows
        ),
    )


def _write_households(
    session: Session,
    plan: ImportPlan,
    on: dt.date,
    user_id: int | None,
    now: dt.datetime,
) -> tuple[dict[tuple[int, str], int], list[dict[str, Any]]]:
    """Create the plan's new households and give households the categories the list sets,
    each category held from ``on`` (its span written here, as the flush hook would).

    Returns the new households' ids by (village_id, 户主) and their audit rows' contents.
    """
    index = plan.households
    keys = list(index.new)
    created: dict[tuple[int, str], int] = {}
    if keys:
        rows = [
            {
                "village_id": village_id,
                "head_name": head,
                **{c.attr: c in index.new[(village_id, head)] for c in HouseholdCategory},
                "created_at": now,
                "updated_at": now,
            }
            for village_id, head in keys
        ]
        stmt = insert(Household).returning(Household.id, sort_by_parameter_order=True)
        ids = session.scalars(stmt, rows).all()
        created = dict(zip(keys, ids, strict=True))
    gains = {h: cats for h, cats in index.gains.items() if cats}
    for household_id, categories in gains.items():
        session.execute(
            update(Household)
            .where(Household.id == household_id)
            .values(
                version=Household.version + 1,
                updated_at=now,
                **{c.attr: True for c in categories},
            )
        )
    spans = [(created[key], category) for key in keys for category in sorted(index.new[key])] + [
        (h, category) for h, categories in gains.items() for category in sorted(categories)
    ]
    insert_rows(
        session,
        HouseholdCategorySpan.__table__,
        (
            {
                "household_id": household_id,
                "category": category,
                "held_from": on,
                "held_until": None,
                "changed_by_id": user_id,
                "changed_at": now,
            }
            for household_id, category in spans
        ),
    )
    audit = [
        {
            "action": AuditAction.CREATE.value,
            "record_id": str(created[key]),
            "before": None,
            "after": {"village_id": key[0], "head_name": key[1]}
            | {c.attr: True for c in sorted(index.new[key])},
        }
        for key in keys
    ] + [
        {
            "action": AuditAction.UPDATE.value,
            "record_id": str(h),
            "before": {c.attr: False for c in sorted(categories)},
            "after": {c.attr: True for c in sorted(categories)},
        }
        for h, categories in gains.items()
    ]
    return created, audit


def _write_updates(session: Session, rows: list[RowResult], now: dt.datetime) -> None:
    """Update the changed children, bumping each one's ``version`` as the ORM would.

    A clerk who has one of these children open in an edit form is then refused with what
    the import changed, instead of silently writing the old values back
    (``admin_app.util.locking``). Rows are grouped by the columns they change, each group one
    executemany of ``UPDATE … SET …, version = version + 1 WHERE id = ?``.
    """
    table = Child.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        values = {key: value for key, value in r.values.items() if key != "id"}
        values["updated_at"] = now
        params = {f"v_{key}": value for key, value in values.items()}
        groups.setdefault(tuple(sorted(values)), []).append({"row_id": r.values["id"], **params})
    for keys, params in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                version=table.c.version + 1,
                **{key: bindparam(f"v_{key}", type_=table.c[key].type) for key in keys},
            )
        )
        for start in range(0, len(params), CHUNK):
            session.execute(stmt, params[start : start + CHUNK])


def commit_plan(
    session: Session,
    plan: ImportPlan,
    *,
    user_id: int | None,
    username: str | None,
    ip: str | None = None,
    today: dt.date | None = None,
    list_date: dt.date | None = None,
) -> ImportBatch:
    """Apply the plan's valid rows in one transaction, or nothing at all.

    New children are inserted with their first status row; changed children are updated
    (only the rows that differ, so re-importing a file changes nothing); households are
    created or given the list's category; the batch, one audit row per changed child or
    household (before/after) and one import event are written in the same transaction.
    ``list_date`` (名单日期, default today) is when the new statuses and categories start.
    Raises ``ImportFailed`` after rolling back.
    """
    today = today or local_today()
    on = list_date or today
    now = utcnow()
    creates = [r for r in plan.rows if r.action == RowAction.CREATE]
    updates = [r for r in plan.rows if r.action == RowAction.UPDATE]
    counts = plan.counts
    try:
        batch = ImportBatch(
            source=plan.kind,
            file_name=plan.file_name[:255],
            sha256=plan.sha256,
            user_id=user_id,
            created_at=now,
            list_date=on,
            n_new=len(creates),
            n_updated=len(updates),
            n_unchanged=counts[RowAction.UNCHANGED],
            n_rejected=counts[RowAction.ERROR],
        )
        session.add(batch)
        session.flush()
        # COPY and executemany below go through the driver's own cursor, unseen by the
        # data version's engine hook: the cached screens must still see this import.
        dataversion.bump(session)
        created, household_audit = _write_households(session, plan, on, user_id, now)
        for r in (*creates, *updates):
            if r.household_key is not None:
                household_id = created[r.household_key]
                r.values = {**r.values, "household_id": household_id}
                if r.action == RowAction.UPDATE:
                    r.diff["household_id"] = (None, household_id)
        new_ids = _insert_children(session, creates, now)
        for result, child_id in zip(creates, new_ids, strict=True):
            result.child_id = child_id
        note = f"名单导入：{plan.kind.label}“{plan.file_name}”（批次#{batch.id}）"[:200]
        _insert_history(session, creates, on, user_id, note)
        _write_updates(session, updates, now)
        event = {"at": now, "user_id": user_id, "username": username, "ip": ip}
        audit_rows = [
            {
                **event,
                "action": AuditAction.UPDATE.value,
                "table_name": Child.__tablename__,
                "record_id": str(r.child_id),
                "before": {k: old for k, (old, _) in r.diff.items()},
                "after": {k: new for k, (_, new) in r.diff.items()},
                "note": f"导入批次#{batch.id}",
            }
            for r in updates
            if r.diff
        ]
        audit_rows += [
            {
                **event,
                **change,
                "table_name": Household.__tablename__,
                "note": f"导入批次#{batch.id}，名单日期{on.isoformat()}",
            }
            for change in household_audit
        ]
        audit_rows.append(
            {
                **event,
                "action": AuditAction.IMPORT.value,
                "table_name": ImportBatch.__tablename__,
                "record_id": str(batch.id),
                "before": None,
                "after": None,
                "note": (
                    f"{plan.kind.label}“{plan.file_name}”：新增{len(creates)}，"
                    f"更新{len(updates)}，无变化{counts[RowAction.UNCHANGED]}，"
                    f"拒绝{counts[RowAction.ERROR]}，新建家庭户{len(created)}"
                )[:500],
            }
        )
        for start in range(0, len(audit_rows), CHUNK):
            session.execute(insert(AuditLog), audit_rows[start : start + CHUNK])
        session.commit()
    except Exception as exc:
        session.rollback()
        raise ImportFailed("导入失败，已全部撤销，未写入任何数据。") from exc
    return batch


# --- The rejects workbook ----------------------------------------------------------------


def rejects_columns(table: Table) -> list[Col]:
    """原行号, the file's own columns under its own headers, then the reasons.

    A column the import recognised as an ID or phone number carries the register's mask
    declaration, so a role that may not read them gets them masked like everywhere else.
    """
    masks = {index: CHILD[name].mask for name, index in table.columns.items() if name in CHILD}

    def cell(index: int) -> Callable[[RowResult], Any]:
        return lambda row: row.cells[index] if index < len(row.cells) else None

    return [
        Col("原行号", "line", 8, "int"),
        *(
            Col(header or "", cell(index), 20 if masks.get(index) else 14, "text", masks.get(index))
            for index, header in enumerate(table.headers)
        ),
        Col("未导入原因", lambda row: "；".join(row.errors), 60, "wrap"),
    ]


def rejects_workbook(
    plan: ImportPlan,
    target: str | IO[bytes],
    *,
    township: str,
    generated_by: str,
    masked: bool,
) -> Written:
    """The rejected rows as they came, with the reasons beside them, to send back.

    Written by the report engine like every workbook the panel issues: title rows naming
    the file, frozen header with autofilter, A4 landscape, and every cell the county
    office typed a string (no formula, no link; ID numbers keep all 18 digits).
    """
    heading = Heading(
        title=f"{township}名单导入未导入的行",
        township=township,
        period=plan.file_name,
        generated_by=generated_by,
        filters=f"{plan.kind.label}；共{len(plan.rows)}行，未导入{plan.counts[RowAction.ERROR]}行",
        masked=masked,
        period_label="导入文件",
    )
    rejected = (row for row in plan.rows if row.action == RowAction.ERROR)
    return write_report(
        target, heading, "未导入的行", rejects_columns(plan.table), rejected, frozen_columns=1
    )
