"""The official sheets (DESIGN.md §6) as declarations: one column list per report.

Each report says which rows it reads (a streamed query for the big ones) and, per column,
its value, width and format; a column the registers have takes its label and mask from
``admin_app.reports.columns`` (``sheet_column``), and the summaries name columns by key.
``admin_app.reports.xlsx`` does the rest. A new report is a ``Report(...)`` here and an entry in
``REPORTS``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..access.scope import apply_scope, township_of, visible_village_ids
from ..assessment import accountability
from ..assessment.core import IndicatorScore, VillageResult, active_indicators, ranking_with_change
from ..cases.core import visit_days
from ..choices import CHILD_KEY_GROUPS, IndicatorMethod
from ..models import (
    AssessmentPeriod,
    AssistanceRecord,
    CaseVisit,
    Child,
    DropoutCase,
    ExportRecord,
    Household,
    Notice,
    ResponsibilityAgreement,
    School,
    User,
    Village,
)
from ..util.dates import local_today
from .archive import issue
from .columns import AGREEMENT, ASSISTANCE, CASE, CHILD, HOUSEHOLD, sheet_column
from .display import points
from .xlsx import EXCEL_MAX_ROWS, Col, Heading, ReportWriter, Summary, Written

#: Rows fetched per round trip while streaming (SQLAlchemy ``yield_per``).
BATCH = 2000


@dataclass
class ReportRequest:
    """What the user asked for: the period, the villages (None: all), masked or not."""

    user: User
    period: AssessmentPeriod | None = None
    village_ids: list[int] | None = None
    masked: bool = True
    #: 全县部署: rank every village together (the 县教育局's 全县 ranking), not by township.
    across_county: bool = False


Rows = Callable[[Session, ReportRequest], Iterable[Any]]
Columns = tuple[Col, ...] | Callable[[Session, ReportRequest], tuple[Col, ...]]


@dataclass(frozen=True, kw_only=True)
class Report:
    key: str
    title: str
    sheet: str
    columns: Columns
    rows: Rows
    summaries: tuple[Summary, ...] = ()
    needs_period: bool = True
    description: str = ""
    frozen_columns: int = 0
    #: The columns that go on paper where all of them would print too small: the first
    #: sheet holds these, a second sheet every column (and the summaries count that one).
    paper_columns: tuple[Col, ...] | None = None
    #: A 台账 numbers its rows (序号); a table whose rows are ranks already does not.
    numbered: bool = True

    def columns_for(self, session: Session, request: ReportRequest) -> tuple[Col, ...]:
        return self.columns(session, request) if callable(self.columns) else self.columns


def stream(session: Session, stmt: Any) -> Iterator[Any]:
    """Rows of a query a batch at a time (a server-side cursor on PostgreSQL)."""
    yield from session.execute(stmt.execution_options(yield_per=BATCH))


def in_villages(stmt: Any, column: Any, request: ReportRequest) -> Any:
    return stmt if request.village_ids is None else stmt.where(column.in_(request.village_ids))


def narrowed(columns: tuple[Col, ...], **widths: float) -> tuple[Col, ...]:
    """The columns of ``widths`` (by key, in that order) at those widths: a sheet's
    paper edition, every column as the full sheet declares it but narrower."""
    by_key = {column.key: column for column in columns}
    return tuple(replace(by_key[key], width=width) for key, width in widths.items())


def joined(values: Iterable[Any], sep: str = "；") -> str:
    return sep.join(str(v) for v in values if v)


# --- 适龄儿童少年台账 (the children ledger; also the benchmark's 100,000 rows) ------------------


def _key_groups(row: Any) -> str:
    return "、".join(label for key, label in CHILD_KEY_GROUPS.items() if getattr(row, key))


CHILDREN_COLUMNS = (
    sheet_column(CHILD["village"], "village_name", 10),
    sheet_column(HOUSEHOLD["group_name"], "group_name", 9),
    sheet_column(CHILD["name"], "name", 8),
    sheet_column(CHILD["sex"], "sex", 5),
    sheet_column(CHILD["id_number"], "id_number", 20, "id"),
    sheet_column(CHILD["no_id_reason"], "no_id_reason", 10),
    sheet_column(CHILD["birth_date"], "birth_date", 11, "date"),
    sheet_column(CHILD["ethnicity"], "ethnicity", 6),
    sheet_column(CHILD["guardian_name"], "guardian_name", 8),
    sheet_column(CHILD["guardian_relation"], "guardian_relation", 7),
    sheet_column(CHILD["guardian_phone"], "guardian_phone", 13, "id"),
    sheet_column(CHILD["guardian_migrant"], "guardian_migrant", 7),
    Col("重点群体", _key_groups, 16, "wrap", key="key_groups"),
    sheet_column(CHILD["school"], "school_name", 16),
    sheet_column(CHILD["stage"], "stage", 5),
    sheet_column(CHILD["grade"], "grade", 5, "int"),
    sheet_column(CHILD["class_name"], "class_name", 6),
    sheet_column(CHILD["student_no"], "student_no", 20, "id"),
    sheet_column(CHILD["status"], "status", 9),
    sheet_column(CHILD["status_reason"], "status_reason", 12),
    sheet_column(CHILD["status_note"], "status_note", 16, "wrap"),
)


def children_statement(request: ReportRequest) -> Any:
    stmt = (
        select(
            Village.name.label("village_name"),
            Household.group_name,
            Child.name,
            Child.sex,
            Child.id_number,
            Child.no_id_reason,
            Child.birth_date,
            Child.ethnicity,
            Child.guardian_name,
            Child.guardian_relation,
            Child.guardian_phone,
            Child.guardian_migrant,
            *(getattr(Child, key) for key in CHILD_KEY_GROUPS),
            School.name.label("school_name"),
            Child.stage,
            Child.grade,
            Child.class_name,
            Child.student_no,
            Child.status,
            Child.status_reason,
            Child.status_note,
        )
        .join(Village, Village.id == Child.village_id)
        .outerjoin(Household, Household.id == Child.household_id)
        .outerjoin(School, School.id == Child.school_id)
        .order_by(Child.village_id, Child.id)
    )
    return apply_scope(in_villages(stmt, Child.village_id, request), Child, request.user)


def children_rows(session: Session, request: ReportRequest) -> Iterable[Any]:
    return stream(session, children_statement(request))


# --- 问责台账 ------------------------------------------------------------------------------


def failing(result: VillageResult) -> list[IndicatorScore]:
    return [s for s in result.scores if s.score is not None and s.score < s.points]


def value_text(score: IndicatorScore) -> str:
    if not score.scored:
        return "无数据"
    if score.method == IndicatorMethod.DROPOUT_RETURN:
        return f"{score.numerator}人"
    value = score.value
    return "—" if value is None else f"{value}%"


def accountability_rows(session: Session, request: ReportRequest) -> Iterable[Any]:
    """One line per village: shortfalls, overdue cases, deductions, persons, actions."""
    period = request.period
    assert period is not None
    results = ranking_with_change(session, period, request.village_ids)
    ids = [r.village_id for r in results]
    persons = accountability.responsible_persons(session, period.end_on.year, ids)
    overdue = accountability.overdue_cases(session, period, visit_days(session), ids)
    actions = accountability.actions_by_village(session, period, ids)
    for result in results:
        responsible = persons.get(result.village_id, accountability.Responsible())
        records = actions.get(result.village_id, [])
        cases = overdue.get(result.village_id, [])
        yield SimpleNamespace(
            rank=result.rank,
            village=result.name,
            code=result.code,
            total=result.total,
            veto="是" if result.veto else "否",
            veto_reasons="；".join(result.veto_reasons),
            failing=joined(
                f"{s.name}{value_text(s)}（扣{points(s.deduction)}分）" for s in failing(result)
            ),
            failing_count=len(failing(result)),
            left_out=result.left_out_text,
            deduction=sum((s.deduction for s in result.scores), 0),
            overdue=len(cases),
            overdue_names=joined((name for _, name in cases), "、"),
            government=joined(str(p) for p in responsible.government) or accountability.NO_PERSON,
            school=joined(str(p) for p in responsible.school) or accountability.NO_PERSON,
            village_agreement="已签订" if result.counts.village_agreement else "未签订",
            actions=joined(
                f"{r.person}：{r.action.label}（{r.status.label}）{r.problem}" for r in records
            ),
            action_count=len(records),
        )


ACCOUNTABILITY_COLUMNS = (
    Col("排名", "rank", 5, "int"),
    Col("行政村", "village", 10),
    Col("村代码", "code", 13, "id"),
    Col("总分", "total", 7, "number"),
    Col("一票否决", "veto", 6),
    Col("否决原因", "veto_reasons", 12, "wrap"),
    Col("未达标指标", "failing", 34, "wrap"),
    Col("未达标项数", "failing_count", 6, "int"),
    Col("未计分指标(无数据)", "left_out", 18, "wrap"),
    Col("扣分合计", "deduction", 7, "number"),
    Col("逾期案件(件)", "overdue", 7, "int"),
    Col("逾期案件儿童", "overdue_names", 14, "wrap"),
    Col("乡—村责任书", "village_agreement", 8),
    Col("政府线责任人", "government", 22, "wrap"),
    Col("学校线责任人", "school", 22, "wrap"),
    Col("问责措施", "actions", 34, "wrap"),
    Col("问责记录(条)", "action_count", 7, "int"),
)

#: What of the 问责台账 goes on paper: thirteen columns (and 序号) of 146 units print one
#: A4 landscape page wide at about 9.5 pt, where all seventeen shrank to 6 pt (LibreOffice's
#: print of the demo's sheet). 村代码, 否决原因, 未达标项数 and 无数据 stay on the sheet of
#: all columns.
ACCOUNTABILITY_PAPER_COLUMNS = narrowed(
    ACCOUNTABILITY_COLUMNS,
    rank=5,
    village=8,
    total=6,
    veto=5,
    failing=26,
    deduction=6,
    overdue=5,
    overdue_names=12,
    village_agreement=6,
    government=16,
    school=16,
    actions=24,
    action_count=5,
)


# --- 辍学/未入学劝返台账 ------------------------------------------------------------------------


def case_rows(session: Session, request: ReportRequest) -> Iterable[Any]:
    """Every case open at some time in the period, with its visits and notices."""
    period = request.period
    assert period is not None
    stmt = (
        select(
            DropoutCase,
            Village.name.label("village"),
            Child.name.label("child"),
            Child.id_number,
            Child.sex,
            Child.birth_date,
            Child.guardian_name,
            Child.guardian_phone,
        )
        .join(Child, Child.id == DropoutCase.child_id)
        .join(Village, Village.id == Child.village_id)
        .where(
            DropoutCase.discovered_on <= period.end_on,
            or_(DropoutCase.closed_on.is_(None), DropoutCase.closed_on >= period.start_on),
        )
        .order_by(Child.village_id, DropoutCase.discovered_on, DropoutCase.id)
    )
    stmt = apply_scope(in_villages(stmt, Child.village_id, request), DropoutCase, request.user)
    rows = session.execute(stmt).all()
    ids = [row.DropoutCase.id for row in rows]
    visits: dict[int, list[CaseVisit]] = defaultdict(list)
    notices: dict[int, list[Notice]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for visit in session.scalars(
            select(CaseVisit).where(CaseVisit.case_id.in_(chunk)).order_by(CaseVisit.seq)
        ):
            visits[visit.case_id].append(visit)
        for notice in session.scalars(
            select(Notice).where(Notice.case_id.in_(chunk)).order_by(Notice.issued_on)
        ):
            notices[notice.case_id].append(notice)
    for row in rows:
        case = row.DropoutCase
        yield SimpleNamespace(
            village=row.village,
            child=row.child,
            id_number=row.id_number,
            sex=row.sex,
            birth_date=row.birth_date,
            guardian=row.guardian_name,
            phone=row.guardian_phone,
            kind=case.kind,
            discovered_on=case.discovered_on,
            source=case.source,
            reason=case.reason,
            reason_note=case.reason_note,
            visit_count=len(visits[case.id]),
            visits=joined(
                f"第{v.seq}次 {v.visited_on} {v.persons}：{v.result or ''}" for v in visits[case.id]
            ),
            notices=joined(
                f"{n.kind.label}{n.number}（{n.issued_on}发，"
                f"限{n.deadline or '—'}，{n.result or '未回复'}）"
                for n in notices[case.id]
            ),
            village_person=case.village_person,
            school_person=case.school_person,
            status=case.status,
            closed_on=case.closed_on,
            outcome=case.outcome,
        )


CASE_COLUMNS = (
    Col("行政村", "village", 10),
    Col("儿童姓名", "child", 8),
    sheet_column(CHILD["id_number"], "id_number", 20, "id"),
    sheet_column(CHILD["sex"], "sex", 5),
    sheet_column(CHILD["birth_date"], "birth_date", 11, "date"),
    sheet_column(CHILD["guardian_name"], "guardian", 8),
    sheet_column(CHILD["guardian_phone"], "phone", 13, "id"),
    Col("类型", "kind", 7),
    sheet_column(CASE["discovered_on"], "discovered_on", 11, "date"),
    sheet_column(CASE["source"], "source", 9),
    Col("原因", "reason", 12),
    sheet_column(CASE["reason_note"], "reason_note", 14, "wrap"),
    Col("走访次数", "visit_count", 6, "int"),
    Col("劝返走访", "visits", 34, "wrap"),
    Col("文书", "notices", 30, "wrap"),
    sheet_column(CASE["village_person"], "village_person", 9),
    sheet_column(CASE["school_person"], "school_person", 9),
    Col("状态", "status", 8),
    sheet_column(CASE["closed_on"], "closed_on", 11, "date"),
    Col("结果", "outcome", 20, "wrap"),
)

#: What of the case ledger goes on paper: the case and its handling, the child named by
#: village and name. Twelve columns (and 序号) of 152 units print one A4 landscape page
#: wide at 9.3 pt; all twenty would shrink to 5.4 pt. Numbers, guardian and 走访次数
#: (the 劝返走访 text counts its visits) stay on the sheet of all columns.
CASE_PAPER_COLUMNS = narrowed(
    CASE_COLUMNS,
    village=8,
    child=8,
    kind=7,
    discovered_on=10,
    reason=10,
    visits=30,
    notices=26,
    village_person=8,
    school_person=8,
    status=7,
    closed_on=10,
    outcome=14,
)


# --- 村级考核排名表 -----------------------------------------------------------------------------


def ranking_rows(session: Session, request: ReportRequest) -> Iterable[Any]:
    assert request.period is not None
    return ranking_with_change(
        session, request.period, request.village_ids, across_county=request.across_county
    )


def ranking_columns(session: Session, request: ReportRequest) -> tuple[Col, ...]:
    """Fixed columns around one value and one score column per active indicator."""
    cols = [
        Col("排名", "rank", 5, "int"),
        Col("较上期", lambda r: "—" if r.change is None else f"{r.change:+d}", 6),
        Col("行政村", "name", 10),
        Col("村代码", "code", 13, "id"),
    ]
    for indicator in active_indicators(session):
        code = indicator.code
        cols.append(
            Col(f"{indicator.name}\n指标值", lambda r, c=code: _score_text(r, c), 9),
        )
        cols.append(
            Col(
                f"{indicator.name}\n得分(满分{points(indicator.points)})",
                lambda r, c=code: _score(r, c),
                9,
                "number",
            )
        )
    cols.append(Col("休学/免缓学(人)", lambda r: r.counts.facts["lawful_absence"], 8, "int"))
    cols.append(Col("总分", "total", 7, "number"))
    cols.append(Col("未计分指标(无数据)", lambda r: r.left_out_text or "—", 18, "wrap"))
    cols.append(Col("一票否决", lambda r: "；".join(r.veto_reasons) or "否", 14, "wrap"))
    return tuple(cols)


def _score_text(result: VillageResult, code: str) -> str | None:
    score = result.score_of(code)
    return None if score is None else value_text(score)


def _score(result: VillageResult, code: str) -> Any:
    score = result.score_of(code)
    return None if score is None else score.score


# --- 帮扶台账 ---------------------------------------------------------------------------------


ASSISTANCE_COLUMNS = (
    sheet_column(ASSISTANCE["child.village"], "village", 10),
    Col("儿童姓名", "child", 8),
    sheet_column(CHILD["id_number"], "id_number", 20, "id"),
    sheet_column(ASSISTANCE["kind"], "kind", 12),
    sheet_column(ASSISTANCE["given_on"], "given_on", 11, "date"),
    sheet_column(ASSISTANCE["person"], "person", 9),
    sheet_column(ASSISTANCE["amount"], "amount", 10, "money"),
    sheet_column(ASSISTANCE["content"], "content", 30, "wrap"),
    sheet_column(ASSISTANCE["outcome"], "outcome", 24, "wrap"),
)


def assistance_rows(session: Session, request: ReportRequest) -> Iterable[Any]:
    period = request.period
    assert period is not None
    stmt = (
        select(
            Village.name.label("village"),
            Child.name.label("child"),
            Child.id_number,
            AssistanceRecord.kind,
            AssistanceRecord.given_on,
            AssistanceRecord.person,
            AssistanceRecord.amount,
            AssistanceRecord.content,
            AssistanceRecord.outcome,
        )
        .join(Child, Child.id == AssistanceRecord.child_id)
        .join(Village, Village.id == Child.village_id)
        .where(AssistanceRecord.given_on.between(period.start_on, period.end_on))
        .order_by(Child.village_id, AssistanceRecord.given_on, AssistanceRecord.id)
    )
    stmt = apply_scope(in_villages(stmt, Child.village_id, request), AssistanceRecord, request.user)
    return stream(session, stmt)


# --- 责任书签订情况表 --------------------------------------------------------------------------


AGREEMENT_COLUMNS = (
    sheet_column(AGREEMENT["year"], "year", 6, "int"),
    sheet_column(AGREEMENT["line"], "line", 7),
    sheet_column(AGREEMENT["level"], "level", 16),
    sheet_column(AGREEMENT["party_a_name"], "party_a_name", 8),
    sheet_column(AGREEMENT["party_a_org"], "party_a_org", 18),
    sheet_column(AGREEMENT["party_b_name"], "party_b_name", 8),
    sheet_column(AGREEMENT["party_b_org"], "party_b_org", 18),
    sheet_column(AGREEMENT["village"], "village", 10),
    sheet_column(AGREEMENT["school"], "school", 16),
    sheet_column(AGREEMENT["child"], "child", 8),
    sheet_column(AGREEMENT["target_enrolment_rate"], "target_enrolment_rate", 8, "number"),
    sheet_column(AGREEMENT["target_retention_rate"], "target_retention_rate", 8, "number"),
    sheet_column(AGREEMENT["signed_on"], "signed_on", 11, "date"),
    sheet_column(AGREEMENT["valid_until"], "valid_until", 11, "date"),
    sheet_column(AGREEMENT["status"], "status", 7),
)


def agreement_rows(session: Session, request: ReportRequest) -> Iterable[Any]:
    """Agreements of the period's year; with villages chosen, those of the villages
    (school-line agreements of teachers name no village and are then left out)."""
    period = request.period
    assert period is not None
    stmt = (
        select(
            ResponsibilityAgreement.year,
            ResponsibilityAgreement.line,
            ResponsibilityAgreement.level,
            ResponsibilityAgreement.party_a_name,
            ResponsibilityAgreement.party_a_org,
            ResponsibilityAgreement.party_b_name,
            ResponsibilityAgreement.party_b_org,
            Village.name.label("village"),
            School.name.label("school"),
            Child.name.label("child"),
            ResponsibilityAgreement.target_enrolment_rate,
            ResponsibilityAgreement.target_retention_rate,
            ResponsibilityAgreement.signed_on,
            ResponsibilityAgreement.valid_until,
            ResponsibilityAgreement.status,
        )
        .outerjoin(Village, Village.id == ResponsibilityAgreement.village_id)
        .outerjoin(School, School.id == ResponsibilityAgreement.school_id)
        .outerjoin(Child, Child.id == ResponsibilityAgreement.child_id)
        .where(ResponsibilityAgreement.year == period.end_on.year)
        .order_by(
            ResponsibilityAgreement.level,
            ResponsibilityAgreement.village_id,
            ResponsibilityAgreement.school_id,
            ResponsibilityAgreement.id,
        )
    )
    return stream(
        session,
        apply_scope(
            in_villages(stmt, ResponsibilityAgreement.village_id, request),
            ResponsibilityAgreement,
            request.user,
        ),
    )


# --- The catalogue ----------------------------------------------------------------------------

REPORTS: dict[str, Report] = {
    r.key: r
    for r in (
        Report(
            key="accountability",
            title="问责台账",
            sheet="问责台账",
            columns=ACCOUNTABILITY_COLUMNS,
            rows=accountability_rows,
            summaries=(
                Summary(
                    "全乡合计",
                    by=None,
                    sums=("deduction", "overdue", "action_count"),
                    count_label="村数",
                ),
                Summary(
                    "一票否决", by="veto", sums=("overdue", "action_count"), count_label="村数"
                ),
                Summary("乡—村责任书", by="village_agreement", count_label="村数"),
            ),
            description="每村未达标指标、逾期案件、扣分、双线责任人及问责措施",
            frozen_columns=2,
            paper_columns=ACCOUNTABILITY_PAPER_COLUMNS,
        ),
        Report(
            key="cases",
            title="辍学/未入学劝返台账",
            sheet="劝返台账",
            columns=CASE_COLUMNS,
            rows=case_rows,
            summaries=(
                Summary("按状态", by="status", sums=("visit_count",), count_label="案件数"),
                Summary("按原因", by="reason", count_label="案件数"),
                Summary("按行政村", by="village", count_label="案件数"),
            ),
            description="本期内在办的每个控辍案件：原因、走访、文书、责任人、状态",
            frozen_columns=2,
            paper_columns=CASE_PAPER_COLUMNS,
        ),
        Report(
            key="ranking",
            title="村级考核排名表",
            sheet="村级考核排名",
            columns=ranking_columns,
            rows=ranking_rows,
            summaries=(Summary("全乡", by=None, sums=("total",), count_label="村数"),),
            description="各村考核得分、排名及较上期变化",
            frozen_columns=3,
            numbered=False,
        ),
        Report(
            key="assistance",
            title="帮扶台账",
            sheet="帮扶台账",
            columns=ASSISTANCE_COLUMNS,
            rows=assistance_rows,
            summaries=(
                Summary("按帮扶类型", by="kind", sums=("amount",), count_label="记录数"),
                Summary("按行政村", by="village", sums=("amount",), count_label="记录数"),
            ),
            description="本期每条帮扶记录及金额",
            frozen_columns=2,
        ),
        Report(
            key="agreements",
            title="责任书签订情况表",
            sheet="责任书",
            columns=AGREEMENT_COLUMNS,
            rows=agreement_rows,
            summaries=(
                Summary("按层级", by="level", count_label="份数"),
                Summary("按状态", by="status", count_label="份数"),
                Summary("按行政村", by="village", count_label="份数"),
            ),
            description="考核年度的双线目标责任书及签订状态",
        ),
        Report(
            key="children",
            title="适龄儿童少年台账",
            sheet="儿童台账",
            columns=CHILDREN_COLUMNS,
            rows=children_rows,
            summaries=(
                Summary("按行政村", by="village_name", count_label="人数"),
                Summary("按就学状态", by="status", count_label="人数"),
            ),
            needs_period=False,
            description="在册儿童的当前信息（不按考核周期）",
            frozen_columns=3,
        ),
    )
}


# --- Issuing -------------------------------------------------------------------------------------


def period_text(period: AssessmentPeriod | None) -> str:
    if period is None:
        return local_today().isoformat()
    return f"{period.name}（{period.start_on}至{period.end_on}）"


def period_label(period: AssessmentPeriod | None) -> str:
    return "考核周期" if period is not None else "数据截至"


def village_names(session: Session, ids: list[int] | None) -> list[str]:
    if ids is None:
        return []
    stmt = select(Village.name).where(Village.id.in_(ids)).order_by(Village.name)
    return list(session.scalars(stmt))


def heading_for(session: Session, report: Report, request: ReportRequest) -> Heading:
    names = village_names(session, request.village_ids)
    shown = "、".join(names[:20]) + (f"等{len(names)}个村" if len(names) > 20 else "")
    return Heading(
        title=f"{current_app.config['TOWNSHIP_NAME']}控辍保学{report.title}",
        township=current_app.config["TOWNSHIP_NAME"],
        period=period_text(request.period),
        generated_by=f"{request.user.display_name}（{request.user.role.label}）",
        filters=f"行政村：{shown or '全部'}",
        masked=request.masked,
        period_label=period_label(request.period),
    )


def render(
    session: Session,
    report: Report,
    request: ReportRequest,
    target: str | Path | IO[bytes],
    max_rows: int | None = None,
) -> Written:
    """Write one report to ``target`` (a path or a binary file object).

    Every official sheet is for paper: its rows numbered (序号) unless they are ranks, the
    sign-off block under it. A report with paper columns
    gets them on its first sheet and all columns on a second; its row count is the first's.
    """
    limit = max_rows or current_app.config.get("EXPORT_MAX_ROWS", EXCEL_MAX_ROWS)
    heading = heading_for(session, report, request)
    writer = ReportWriter(
        str(target) if isinstance(target, Path) else target, heading, max_rows=limit
    )
    columns = report.columns_for(session, request)
    if report.paper_columns is None:
        first = writer.sheet(
            report.sheet,
            columns,
            report.rows(session, request),
            summaries=report.summaries,
            frozen_columns=report.frozen_columns,
            numbered=report.numbered,
            sign_off=True,
        )
    else:
        first = writer.sheet(
            report.sheet,
            report.paper_columns,
            report.rows(session, request),
            frozen_columns=report.frozen_columns,
            numbered=report.numbered,
            sign_off=True,
        )
        writer.sheet(
            f"{report.sheet}（全部列）",
            columns,
            report.rows(session, request),
            heading=replace(heading, title=f"{heading.title}（全部列）"),
            summaries=report.summaries,
            frozen_columns=report.frozen_columns,
            numbered=report.numbered,
            sign_off=True,
        )
    writer.close()
    return Written(rows=first.rows, sheets=first.sheets)


def file_title(report_title: str, period: AssessmentPeriod | None) -> str:
    """What the file holds, for its name: the period, or the day of a current-state list."""
    if period is not None:
        return f"{report_title}_{period.name}"
    return f"{report_title}_数据截至{local_today().isoformat()}"


def issue_report(session: Session, report: Report, request: ReportRequest) -> ExportRecord:
    """Render a report into the archive and record it (see ``admin_app.reports.archive.issue``)."""
    if request.village_ids is None and township_of(request.user) is not None:
        # A township user's report covers their township: its villages are named, and
        # the reports that rank or list villages read no other township's.
        request = replace(request, village_ids=visible_village_ids(session, request.user))
    period = request.period
    title = file_title(report.title, period)
    filters = {
        "period_id": period.id if period else None,
        "period": period.name if period else None,
        "village_ids": request.village_ids,
        "villages": village_names(session, request.village_ids),
    }
    return issue(
        report=report.key,
        title=title,
        user=request.user,
        filters=filters,
        masked=request.masked,
        write=lambda path: render(session, report, request, path).rows,
    )
