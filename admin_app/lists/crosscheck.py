"""比对核查: the children register against a school roster or the poverty office's list.

The policy finds hidden dropouts by comparison: a school-age child on a village register
who is on no school's roster is 疑似未入学/辍学 until checked. Four lists come out:

- matched: on the register and on the roster;
- missing: on the register (school-age, expected in school) but not on the roster;
- unregistered: on the roster but in no village's register (入户 to register them);
- without ID: register children with no ID number, who cannot be compared (入户核实).

Roster rows whose ID number is unusable are listed apart, with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.core import CLOSED_STATUSES, CaseError, open_case
from ..choices import AuditAction, CaseKind, CaseSource, ChildStatus
from ..models import AuditLog, Child, DropoutCase, School, Village, utcnow
from ..reports.columns import CHILD, sheet_column
from ..reports.tables import Limits, Table, cell_text, read_table
from ..reports.xlsx import Col, Heading, ReportWriter, Written
from ..util.dates import (
    COMPULSORY_AGE_MAX,
    COMPULSORY_AGE_MIN,
    age_on,
    local_today,
    school_year_cutoff,
)
from .imports import CHUNK, PlaceFinder, parse_id_number

ROSTER_FIELDS = ("name", "id_number", "school", "grade", "class_name", "student_no", "village")
#: A child with one of these statuses is not expected on a roster (DESIGN.md §4).
NOT_EXPECTED = frozenset(
    {ChildStatus.ELSEWHERE, ChildStatus.EXEMPTED, ChildStatus.MOVED_OUT, ChildStatus.COMPLETED}
)


@dataclass(slots=True)
class RegisterRow:
    child_id: int
    name: str
    id_number: str | None
    village: str
    school: str
    status: ChildStatus
    birth_date: dt.date
    has_open_case: bool = False
    roster_school: str = ""
    school_id: int | None = None


@dataclass(slots=True)
class RosterRow:
    line: int
    name: str
    id_number: str
    school: str
    grade: str
    reason: str = ""


@dataclass
class CrossCheck:
    matched: list[RegisterRow] = field(default_factory=list)
    missing: list[RegisterRow] = field(default_factory=list)
    unregistered: list[RosterRow] = field(default_factory=list)
    without_id: list[RegisterRow] = field(default_factory=list)
    invalid: list[RosterRow] = field(default_factory=list)
    roster_rows: int = 0
    #: Register schools the roster names (for comparing a single school's roster).
    roster_schools: list[str] = field(default_factory=list)
    only_roster_schools: bool = False
    #: Register children who should be on a complete roster, and how many of them are.
    expected: int = 0
    expected_matched: int = 0

    @property
    def coverage(self) -> float | None:
        """The share of the expected register children the roster lists (None: none expected)."""
        return self.expected_matched / self.expected if self.expected else None

    @property
    def low_coverage(self) -> bool:
        """A roster that lists few of the children is most likely the wrong file or school.

        An 11-row roster of one class, compared with the whole township, put 1,394 children
        on the "suspected" list; the result page warns before anyone opens cases from it.
        """
        share = self.coverage
        return share is not None and share < LOW_COVERAGE


#: Below this share of the register (see ``CrossCheck.low_coverage``) the page warns.
LOW_COVERAGE = 0.5
#: Opening more cases than this at once asks again, with the count (``open-cases``).
CONFIRM_ABOVE = 5


def coverage_warning(check: CrossCheck) -> str | None:
    """The warning the result page shows above a roster that covers little of the register."""
    if not check.low_coverage or check.coverage is None:
        return None
    share = f"{check.coverage * 100:.1f}".rstrip("0").rstrip(".")
    hint = "" if check.only_roster_schools else "若名单只是个别学校的，请只比对这些学校。"
    return (
        f"名单只覆盖了在册儿童的 {share}%（在册适龄儿童 {check.expected} 名，名单匹配 "
        f"{check.expected_matched} 名），是否选错了文件或学校？{hint}"
        "“在台账未在名单”中的儿童大多并非疑似辍学，请核实后再立案。"
    )


def read_roster(content: bytes, file_name: str, limits: Limits | None = None) -> Table:
    """A roster or list needs an ID column; names, schools and grades are shown if present."""
    return read_table(content, file_name, ROSTER_FIELDS, ("id_number",), limits)


def _school_age(birth_date: dt.date, cutoff: dt.date) -> bool:
    return COMPULSORY_AGE_MIN <= age_on(birth_date, cutoff) <= COMPULSORY_AGE_MAX


def cross_check(
    session: Session,
    table: Table,
    today: dt.date | None = None,
    *,
    only_roster_schools: bool = False,
) -> CrossCheck:
    """Compare the register with a roster by ID number (one pass over each side).

    ``only_roster_schools`` is for one school's roster: only children the register
    places at a school the roster names can then be missing from it (otherwise every
    child of the other schools would look like a dropout).
    """
    today = today or local_today()
    cutoff = school_year_cutoff(today)
    result = CrossCheck(roster_rows=len(table.rows), only_roster_schools=only_roster_schools)
    roster: dict[str, RosterRow] = {}

    def get(row: tuple[Any, ...], name: str) -> Any:
        position = table.columns.get(name)
        return row[position] if position is not None and position < len(row) else None

    for line, row in table.rows:
        number, problem = parse_id_number(get(row, "id_number"))
        entry = RosterRow(
            line=line,
            name=cell_text(get(row, "name")),
            id_number=number,
            school=cell_text(get(row, "school")),
            grade=cell_text(get(row, "grade")),
        )
        if not number:
            problem = "缺少身份证号"
        if problem:
            entry.reason = problem
            result.invalid.append(entry)
        else:
            roster.setdefault(number, entry)

    finder = PlaceFinder(session.scalars(select(School)), "学校")
    school_ids = {
        place.id
        for place in (finder.find(name)[0] for name in {r.school for r in roster.values()} if name)
        if place is not None
    }
    result.roster_schools = sorted(finder.by_id[i].name for i in school_ids)

    open_cases = set(
        session.scalars(
            select(DropoutCase.child_id).where(DropoutCase.status.not_in(CLOSED_STATUSES))
        )
    )
    stmt = (
        select(
            Child.id,
            Child.name,
            Child.id_number,
            Village.name.label("village"),
            School.name.label("school"),
            Child.status,
            Child.birth_date,
            Child.school_id,
        )
        .join(Village, Village.id == Child.village_id)
        .outerjoin(School, School.id == Child.school_id)
        .order_by(Village.name, Child.name, Child.id)
    )
    seen: set[str] = set()
    for row in session.execute(stmt):
        entry = RegisterRow(
            child_id=row.id,
            name=row.name,
            id_number=row.id_number,
            village=row.village,
            school=row.school or "",
            status=row.status,
            birth_date=row.birth_date,
            has_open_case=row.id in open_cases,
            school_id=row.school_id,
        )
        expected = row.status not in NOT_EXPECTED and _school_age(row.birth_date, cutoff)
        if only_roster_schools and row.school_id not in school_ids:
            expected = False
        if expected:
            result.expected += 1
        if row.id_number is None:
            if expected:
                result.without_id.append(entry)
            continue
        on_roster = roster.get(row.id_number)
        if on_roster is not None and expected:
            result.expected_matched += 1
        if on_roster is not None:
            seen.add(row.id_number)
            entry.roster_school = on_roster.school
            result.matched.append(entry)
        elif expected:
            result.missing.append(entry)
    result.unregistered = [r for number, r in roster.items() if number not in seen]
    return result


def missing_child_ids(check: CrossCheck) -> set[int]:
    return {row.child_id for row in check.missing}


def open_suspected_cases(
    session: Session, child_ids: Iterable[int], actor: Any, on: dt.date
) -> tuple[list[int], list[int]]:
    """Open a 疑似 (suspected) 控辍案件 from 学籍比对 for each child; commit.

    Each goes through ``cases.open_case``, so the case gets its 立案 step like any other;
    a child it refuses (an open case already, or out of compulsory education) is skipped.
    The kind is 辍学 for a child the register shows at a school or already as 辍学, else
    未入学. ``actor`` (a user or None) is named on the step and in the audit log.

    Returns (children given a new case, children skipped).
    """
    wanted = sorted({int(i) for i in child_ids})
    opened: list[int] = []
    skipped: list[int] = []
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for child in session.scalars(select(Child).where(Child.id.in_(chunk)).order_by(Child.id)):
            was_at_school = child.school_id is not None or child.status == ChildStatus.DROPOUT
            kind = (
                CaseKind.NOT_ENROLLED
                if child.status == ChildStatus.NOT_ENROLLED or not was_at_school
                else CaseKind.DROPOUT
            )
            try:
                open_case(
                    session,
                    child,
                    kind,
                    CaseSource.ROSTER_COMPARISON,
                    child.status_reason,
                    on=on,
                    actor=actor,
                    reason_note="学籍比对：在村台账中但不在上传的学籍名单中",
                    today=on,
                )
            except CaseError:
                skipped.append(child.id)
            else:
                opened.append(child.id)
    if opened:
        session.add(
            AuditLog(
                at=utcnow(),
                user_id=getattr(actor, "id", None),
                username=getattr(actor, "username", None),
                action=AuditAction.CREATE,
                table_name=DropoutCase.__tablename__,
                note=f"学籍比对：为{len(opened)}名儿童立疑似控辍案件",
            )
        )
    session.commit()
    return opened, skipped


# --- The workbook ------------------------------------------------------------------------

#: Register children (matched, missing, without ID): the register's own values.
REGISTER_COLUMNS = (
    Col("儿童编号", "child_id", 9),
    sheet_column(CHILD["name"], "name", 10),
    sheet_column(CHILD["id_number"], "id_number", 20, "id"),
    sheet_column(CHILD["village"], "village", 12),
    Col("台账学校", "school", 18),
    Col("就学状态", "status", 10),
    Col("名单学校", "roster_school", 18),
)
#: Roster rows (unregistered, unusable ID): what the roster said, by its line number.
ROSTER_COLUMNS = (
    Col("名单行号", "line", 8, "int"),
    sheet_column(CHILD["name"], "name", 10),
    sheet_column(CHILD["id_number"], "id_number", 20, "id"),
    Col("学校", "school", 18),
    Col("年级", "grade", 6),
    Col("说明", "reason", 36, "wrap"),
)
#: One sheet per list, in the order the clerk works through them.
SHEETS: tuple[tuple[str, str, tuple[Col, ...]], ...] = (
    ("missing", "在台账未在名单(疑似未入学辍学)", REGISTER_COLUMNS),
    ("unregistered", "在名单未在台账", ROSTER_COLUMNS),
    ("without_id", "无身份证号(入户核实)", REGISTER_COLUMNS),
    ("matched", "已匹配", REGISTER_COLUMNS),
    ("invalid", "名单中有误的行", ROSTER_COLUMNS),
)


def crosscheck_description(check: CrossCheck, file_name: str) -> str:
    """What was compared, in words: for the title rows and the archive record."""
    parts = [f"比对名单：{file_name}（{check.roster_rows}行）"]
    if check.only_roster_schools:
        parts.append(f"只比对在{'、'.join(check.roster_schools) or '名单所列学校'}就读的儿童")
    parts.append(f"疑似未入学辍学{len(check.missing)}人")
    return "；".join(parts)


def crosscheck_workbook(
    check: CrossCheck,
    target: str | IO[bytes],
    *,
    file_name: str,
    township: str,
    generated_by: str,
    masked: bool,
    as_of: dt.date | None = None,
) -> Written:
    """Each list on its own sheet of one workbook, through the report engine.

    Every sheet has the title rows (its list's name, the township, the register's date,
    who generated it, the roster compared), a frozen header with autofilter and A4
    landscape print setup; ID numbers are text, masked when ``masked``.
    """
    heading = Heading(
        title=f"{township}比对核查结果",
        township=township,
        period=(as_of or local_today()).isoformat(),
        generated_by=generated_by,
        filters=crosscheck_description(check, file_name),
        masked=masked,
        period_label="数据截至",
    )
    writer = ReportWriter(target, heading)
    for key, title, columns in SHEETS:
        list_heading = replace(heading, title=f"{township}比对核查：{title}")
        writer.sheet(title, columns, getattr(check, key), heading=list_heading, frozen_columns=2)
    return writer.close()
