"""Village assessment: indicators of DESIGN.md §4, scored by the configured scheme of §5.

Every number is computed from the records for a period P = [start, end], with each child's
status *as of* a date read from the status history (not today's status). The child-based
indicators come from one "profile" query (see ``profile_query``): each child's attributes
for the period packed into a small integer, which ``child_flags`` turns into numerators and
denominators. Grouped by village and profile it answers for all villages in one statement;
filtered to one village it lists the children behind each number (the drill-down). Cases,
inspections and the township–village agreements take one query each, so a ranking costs
the same handful of queries for 12 villages or 300.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from .choices import (
    IN_SCHOOL_STATUSES,
    PARENT_LEVELS,
    AgreementLevel,
    AgreementStatus,
    CaseStatus,
    ChildStatus,
    IndicatorMethod,
    OutOfSchoolReason,
)
from .dates import COMPULSORY_AGE_MAX, COMPULSORY_AGE_MIN, school_year_cutoff
from .models import (
    AssessmentIndicator,
    AssessmentPeriod,
    AssistanceRecord,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    Household,
    Inspection,
    InspectionScore,
    ResponsibilityAgreement,
    Village,
)

HUNDRED = Decimal(100)
#: Statuses that take a child out of 应入学 (DESIGN.md §4).
NOT_DUE = (ChildStatus.EXEMPTED, ChildStatus.MOVED_OUT, ChildStatus.COMPLETED)
OUT_OF_SCHOOL = (ChildStatus.DROPOUT, ChildStatus.NOT_ENROLLED)
#: Statuses in a local school, for which the ledger needs school, grade and class.
LOCAL_SCHOOL = (ChildStatus.ENROLLED, ChildStatus.INCLUSIVE)
RETAINED = (*IN_SCHOOL_STATUSES, ChildStatus.COMPLETED)


# --- Parameters of each method (the low-code part) ------------------------------------


@dataclass(frozen=True)
class Param:
    label: str
    default: float
    minimum: float = 0.0
    maximum: float | None = None
    integer: bool = False


PARAMS: dict[IndicatorMethod, dict[str, Param]] = {
    IndicatorMethod.ENROLMENT_RATE: {
        "target": Param("目标入学率(%)", 100, 0, 100),
        "deduct_per_child": Param("每差1人扣分", 3),
    },
    IndicatorMethod.RETENTION_RATE: {
        "target": Param("目标巩固率(%)", 99, 0, 100),
        "step_pp": Param("每低于目标多少个百分点为一档", 0.5, 0.01, 100),
        "deduct_per_step": Param("每档扣分", 5),
    },
    IndicatorMethod.DROPOUT_RETURN: {"deduct_per_child": Param("每名未劝返辍学儿童扣分", 5)},
    IndicatorMethod.AGREEMENT_COVERAGE: {
        "village_agreement_deduct": Param("未签乡政府—村委会责任书扣分", 0),
    },
    IndicatorMethod.LEDGER_COMPLETENESS: {},
    IndicatorMethod.ASSISTANCE_COVERAGE: {},
    IndicatorMethod.VISIT_TIMELINESS: {"days": Param("首次走访期限(天)", 7, 1, 90, integer=True)},
    IndicatorMethod.INSPECTION_SCORE: {},
}

#: How each method turns its number into points, shown on the drill-down.
FORMULAS: dict[IndicatorMethod, str] = {
    IndicatorMethod.ENROLMENT_RATE: (
        "入学率 = 应入学儿童中在校（在校就读、异地就读、随班就读、送教上门、特教学校）人数 ÷ "
        "应入学人数（6–15周岁，不含免缓学、迁出/死亡、已完成义务教育）；"
        "低于目标时每差1人扣{deduct_per_child}分"
    ),
    IndicatorMethod.RETENTION_RATE: (
        "巩固率 = 期初在校且期末仍在校（含已完成义务教育、异地就读）人数 ÷ 期初在校人数"
        "（不含期末迁出/死亡）；低于{target}%时每低{step_pp}个百分点扣{deduct_per_step}分"
        "（不足一档按一档计）"
    ),
    IndicatorMethod.DROPOUT_RETURN: (
        "期末仍为辍学或未入学（既未劝返复学也未依法安置）的应入学儿童，每人扣{deduct_per_child}分"
    ),
    IndicatorMethod.AGREEMENT_COVERAGE: (
        "责任书覆盖率 = 监护人签订了本期有效家长责任书（任一条线）的应入学儿童 ÷ 应入学人数；"
        "得分 = 分值 × 覆盖率；未签乡政府—村委会责任书另扣{village_agreement_deduct}分"
    ),
    IndicatorMethod.LEDGER_COMPLETENESS: (
        "台账完整率 = 必填项齐全的儿童 ÷ 本村在册儿童（身份证号或无证原因、监护人、监护人电话、"
        "家庭户；在本地学校就读的另需学校、年级、班级）；得分 = 分值 × 完整率"
    ),
    IndicatorMethod.ASSISTANCE_COVERAGE: (
        "帮扶覆盖率 = 本期有帮扶记录的脱贫/监测/低保/特困/残疾家庭应入学儿童 ÷ 此类儿童；"
        "得分 = 分值 × 覆盖率"
    ),
    IndicatorMethod.VISIT_TIMELINESS: (
        "劝返及时率 = 本期发现的控辍案件中{days}天内首次走访的 ÷ 本期发现的案件；"
        "得分 = 分值 × 及时率"
    ),
    IndicatorMethod.INSPECTION_SCORE: (
        "督导检查得分率 = 本期各次督导评分之和 ÷ 满分之和；得分 = 分值 × 得分率；本期未督导为0分"
    ),
}


def method_params(indicator: AssessmentIndicator) -> dict[str, float]:
    """The indicator's parameters, with defaults for any left out."""
    given = indicator.params or {}
    return {
        key: float(given.get(key, spec.default))
        for key, spec in PARAMS[IndicatorMethod(indicator.method)].items()
    }


def _finite(value: float) -> bool:
    """Whether a number can be used as a float (1e999 is inf, 10**400 overflows float)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def check_params(method: IndicatorMethod, params: Any) -> str | None:
    """Why these parameters are impossible for the method, in Chinese, or None."""
    if params is None:
        return None
    if not isinstance(params, dict):
        return '参数应为键值对，例如 {"target": 100}'
    specs = PARAMS[method]
    unknown = sorted(set(params) - set(specs))
    if unknown:
        allowed = "、".join(f"{k}（{s.label}）" for k, s in specs.items()) or "无"
        return f"“{method.label}”没有参数 {'、'.join(unknown)}；可用参数：{allowed}"
    for key, value in params.items():
        spec = specs[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{spec.label}（{key}）应为数字"
        if not _finite(value):
            return f"{spec.label}（{key}）应为有限的数字"
        if spec.integer and value != int(value):
            return f"{spec.label}（{key}）应为整数"
        if value < spec.minimum or (spec.maximum is not None and value > spec.maximum):
            upper = "" if spec.maximum is None else f"至{spec.maximum:g}"
            return f"{spec.label}（{key}）应在{spec.minimum:g}{upper}之间"
    return None


# --- The facts query --------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The dates a period's indicators are taken on."""

    start: dt.date
    end: dt.date
    born_after: dt.date
    born_by: dt.date

    @classmethod
    def of(cls, period: AssessmentPeriod) -> Window:
        cutoff = school_year_cutoff(period.end_on)
        # 6–15 completed years on the cutoff (31 August of the school year).
        born_by = cutoff.replace(year=cutoff.year - COMPULSORY_AGE_MIN)
        born_after = cutoff.replace(year=cutoff.year - COMPULSORY_AGE_MAX - 1)
        return cls(period.start_on, period.end_on, born_after, born_by)


def status_as_of(day: dt.date) -> Any:
    """(child_id, status, reason) of the history row holding on ``day``, one per child."""
    held = ChildStatusChange
    return (
        select(held.child_id, held.to_status.label("status"), held.reason.label("reason"))
        .where(held.effective_on <= day, or_(held.ended_on.is_(None), held.ended_on > day))
        .subquery()
    )


def _valid_parent_agreement(window: Window) -> ColumnElement[bool]:
    A = ResponsibilityAgreement
    return and_(
        A.level.in_(PARENT_LEVELS),
        A.status == AgreementStatus.SIGNED,
        A.signed_on <= window.end,
        or_(A.valid_until.is_(None), A.valid_until >= window.start),
    )


# --- Child profiles -------------------------------------------------------------------
#
# The database reports each child's raw attributes for the period packed into one small
# integer (a "profile"); ``child_flags`` turns a profile into the numerators and
# denominators of DESIGN.md §4. The ranking groups children by (village, profile), so
# 100,000 children arrive as a few thousand rows; the drill-down reads profiles child by
# child. Both go through the same Python rules.

STATUS_CODE = {status: code for code, status in enumerate(ChildStatus)}
CODE_STATUS = dict(enumerate(ChildStatus))
SCHOOL_AGE, START_IN_SCHOOL, POOR_REASON, COVERED = 1, 1 << 5, 1 << 6, 1 << 7
RECORD_COMPLETE, ENROLMENT_COMPLETE, SUPPORTED, ASSISTED = 1 << 8, 1 << 9, 1 << 10, 1 << 11
STATUS_SHIFT, STATUS_MASK = 1, 0b1111


@dataclass(frozen=True)
class Profile:
    school_age: bool
    end_status: ChildStatus
    start_in_school: bool
    poor_reason: bool
    covered: bool
    record_complete: bool
    enrolment_complete: bool
    supported: bool
    assisted: bool

    @classmethod
    def decode(cls, bits: int) -> Profile:
        return cls(
            school_age=bool(bits & SCHOOL_AGE),
            end_status=CODE_STATUS[(bits >> STATUS_SHIFT) & STATUS_MASK],
            start_in_school=bool(bits & START_IN_SCHOOL),
            poor_reason=bool(bits & POOR_REASON),
            covered=bool(bits & COVERED),
            record_complete=bool(bits & RECORD_COMPLETE),
            enrolment_complete=bool(bits & ENROLMENT_COMPLETE),
            supported=bool(bits & SUPPORTED),
            assisted=bool(bits & ASSISTED),
        )


FACT_COLUMNS = (
    "due",
    "enrolled",
    "enrolled_at_start",
    "retained",
    "dropout",
    "poor_dropout",
    "covered",
    "registered",
    "ledger_ok",
    "supported",
    "assisted",
)


@lru_cache(maxsize=4096)
def child_flags(bits: int) -> dict[str, bool]:
    """Which numerators and denominators of DESIGN.md §4 a child with this profile counts in."""
    p = Profile.decode(bits)
    due = p.school_age and p.end_status not in NOT_DUE
    present = p.end_status != ChildStatus.MOVED_OUT
    enrolled_at_start = p.start_in_school and present
    dropout = due and p.end_status in OUT_OF_SCHOOL
    ledger_ok = p.record_complete and (p.end_status not in LOCAL_SCHOOL or p.enrolment_complete)
    return {
        "due": due,
        "enrolled": due and p.end_status in IN_SCHOOL_STATUSES,
        "enrolled_at_start": enrolled_at_start,
        "retained": enrolled_at_start and p.end_status in RETAINED,
        "dropout": dropout,
        "poor_dropout": dropout and p.poor_reason,
        "covered": due and p.covered,
        "registered": present,
        "ledger_ok": present and ledger_ok,
        "supported": due and p.supported,
        "assisted": due and p.supported and p.assisted,
    }


def _bit(condition: ColumnElement[bool], bit: int) -> ColumnElement[int]:
    return case((condition, bit), else_=0)


def profile_query(window: Window, probe: bool) -> Select[Any]:
    """(child_id, village_id, profile) for every child with a status on the window's end."""
    end = status_as_of(window.end)
    start = status_as_of(window.start)
    supported = or_(
        Household.is_poverty_alleviated,
        Household.is_monitored,
        Household.is_dibao,
        Household.is_tekun,
        Household.is_disabled_family,
    )
    in_window = AssistanceRecord.given_on.between(window.start, window.end)
    A = ResponsibilityAgreement
    if probe:
        # SQLite evaluates CASE lazily and has no hash join: probing an index per child
        # (assistance only for supported households) beats building and indexing id sets.
        covered: ColumnElement[bool] = or_(
            exists().where(A.child_id == Child.id, _valid_parent_agreement(window)),
            exists().where(
                A.household_id == Child.household_id,
                A.child_id.is_(None),
                _valid_parent_agreement(window),
            ),
        )
        assisted: ColumnElement[bool] = and_(
            supported, exists().where(AssistanceRecord.child_id == Child.id, in_window)
        )
    else:
        # PostgreSQL hashes each id set once ("hashed SubPlan"): no join, no DISTINCT.
        covered = or_(
            Child.id.in_(
                select(A.child_id).where(_valid_parent_agreement(window), A.child_id.is_not(None))
            ),
            Child.household_id.in_(
                select(A.household_id).where(_valid_parent_agreement(window), A.child_id.is_(None))
            ),
        )
        assisted = Child.id.in_(select(AssistanceRecord.child_id).where(in_window))
    record_complete = and_(
        or_(Child.id_number.is_not(None), Child.no_id_reason.is_not(None)),
        Child.guardian_name.is_not(None),
        Child.guardian_phone.is_not(None),
        Child.household_id.is_not(None),
    )
    enrolment_complete = and_(
        Child.school_id.is_not(None), Child.grade.is_not(None), Child.class_name.is_not(None)
    )
    status_bits = case(
        {status.value: code << STATUS_SHIFT for status, code in STATUS_CODE.items()},
        value=end.c.status,
        else_=0,
    )
    profile = (
        _bit(
            and_(Child.birth_date > window.born_after, Child.birth_date <= window.born_by),
            SCHOOL_AGE,
        )
        + status_bits
        + _bit(start.c.status.in_(IN_SCHOOL_STATUSES), START_IN_SCHOOL)
        + _bit(end.c.reason == OutOfSchoolReason.POVERTY, POOR_REASON)
        + _bit(covered, COVERED)
        + _bit(record_complete, RECORD_COMPLETE)
        + _bit(enrolment_complete, ENROLMENT_COMPLETE)
        + _bit(supported, SUPPORTED)
        + _bit(assisted, ASSISTED)
    )
    return (
        select(
            Child.id.label("child_id"),
            Child.village_id.label("village_id"),
            profile.label("profile"),
        )
        .join(end, end.c.child_id == Child.id)
        .outerjoin(start, start.c.child_id == Child.id)
        .outerjoin(Household, Household.id == Child.household_id)
    )


def count_profiles(session: Session, stmt: Select[Any]) -> list[tuple[int, int, int]]:
    """(village_id, profile, children) from the profile rows, counted as they stream by.

    SQLite can only group by sorting, and building 100,000 result rows costs more than
    counting them: so the statement's rows are read from the driver's cursor and a Counter
    does the grouping (the ranking took 0.54 s with the grouped statement, 0.38 s so, at
    county scale). Every value in the statement is a date or a code of ours, rendered as
    a literal.
    """
    sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    result = session.connection().exec_driver_sql(sql)
    try:
        # The DBAPI cursor itself: rows as plain tuples, no Row objects.
        counted = Counter((village_id, bits) for _, village_id, bits in result.cursor)
    finally:
        result.close()
    return [(village_id, bits, n) for (village_id, bits), n in counted.items()]


def probes_cheaply(session: Session) -> bool:
    """Whether per-child index probes beat hashing id sets once (SQLite, see above)."""
    return session.get_bind().dialect.name == "sqlite"


@dataclass
class VillageCounts:
    """Raw counts of one village for a period, before any scoring."""

    facts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACT_COLUMNS, 0))
    cases: int = 0
    timely_cases: int = 0
    inspection_score: Decimal = Decimal(0)
    inspection_max: Decimal = Decimal(0)
    inspections: int = 0
    concealment: bool = False
    village_agreement: bool = False


def count_all(
    session: Session,
    period: AssessmentPeriod,
    days: int,
    village_ids: Iterable[int] | None = None,
) -> dict[int, VillageCounts]:
    """Every village's counts for the period (or those of ``village_ids``), in a constant
    number of queries."""
    window = Window.of(period)
    counts: dict[int, VillageCounts] = defaultdict(VillageCounts)
    probe = probes_cheaply(session)
    stmt = profile_query(window, probe)
    if village_ids is not None:
        stmt = stmt.where(Child.village_id.in_(list(village_ids)))
    if probe:
        grouped_rows = count_profiles(session, stmt)
    else:
        profiles = stmt.subquery()
        grouped_rows = session.execute(
            select(profiles.c.village_id, profiles.c.profile, func.count()).group_by(
                profiles.c.village_id, profiles.c.profile
            )
        ).all()
    for village_id, bits, n in grouped_rows:
        facts = counts[village_id].facts
        for name, counted in child_flags(bits).items():
            if counted:
                facts[name] += n

    for village_id, discovered_on, first_visit in session.execute(case_timeliness(window)):
        village = counts[village_id]
        village.cases += 1
        village.timely_cases += is_timely(discovered_on, first_visit, days)

    scores = (
        select(
            Inspection.village_id,
            func.coalesce(func.sum(InspectionScore.score), 0),
            func.coalesce(func.sum(InspectionScore.max_points), 0),
            func.count(func.distinct(Inspection.id)),
            func.max(case((Inspection.concealment_found, 1), else_=0)),
        )
        .outerjoin(InspectionScore, InspectionScore.inspection_id == Inspection.id)
        .where(Inspection.period_id == period.id)
        .group_by(Inspection.village_id)
    )
    for village_id, score, maximum, n, concealed in session.execute(scores):
        village = counts[village_id]
        village.inspection_score, village.inspection_max = Decimal(score), Decimal(maximum)
        village.inspections, village.concealment = n, bool(concealed)

    for village_id in session.scalars(village_agreements(window)):
        counts[village_id].village_agreement = True
    return counts


def case_timeliness(window: Window, village_id: int | None = None) -> Select[Any]:
    """Cases discovered in the window with their first visit date (village, found, first)."""
    first_visit = (
        select(func.min(CaseVisit.visited_on))
        .where(CaseVisit.case_id == DropoutCase.id)
        .scalar_subquery()
    )
    stmt = (
        select(Child.village_id, DropoutCase.discovered_on, first_visit.label("first_visit"))
        .join(Child, Child.id == DropoutCase.child_id)
        .where(DropoutCase.discovered_on.between(window.start, window.end))
    )
    if village_id is not None:
        stmt = stmt.where(Child.village_id == village_id)
    return stmt


def is_timely(discovered_on: dt.date, first_visit: dt.date | None, days: int) -> bool:
    return first_visit is not None and (first_visit - discovered_on).days <= days


def village_agreements(window: Window) -> Select[Any]:
    A = ResponsibilityAgreement
    return (
        select(A.village_id)
        .where(
            A.level == AgreementLevel.TOWNSHIP_VILLAGE,
            A.status == AgreementStatus.SIGNED,
            A.signed_on <= window.end,
            or_(A.valid_until.is_(None), A.valid_until >= window.start),
            A.village_id.is_not(None),
        )
        .distinct()
    )


# --- Scoring ----------------------------------------------------------------------------


@dataclass
class IndicatorScore:
    code: str
    name: str
    method: IndicatorMethod
    points: Decimal
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    score: Decimal
    note: str = ""

    @property
    def value(self) -> Decimal | None:
        """The indicator's value in percent (or a count for 辍学劝返), None when undefined."""
        if self.method == IndicatorMethod.DROPOUT_RETURN:
            return Decimal(self.numerator or 0)
        if not self.denominator:
            return None
        return rate(self.numerator or 0, self.denominator)

    @property
    def deduction(self) -> Decimal:
        return self.points - self.score


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal:
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def _round(value: Decimal) -> Decimal:
    return max(Decimal(0), value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _proportional(points: Decimal, numerator: int | Decimal, denominator: int | Decimal) -> Decimal:
    if not denominator:
        return points
    return _round(points * Decimal(numerator) / Decimal(denominator))


def score_indicator(indicator: AssessmentIndicator, counts: VillageCounts) -> IndicatorScore:
    method = IndicatorMethod(indicator.method)
    points = Decimal(indicator.points)
    p = method_params(indicator)
    f = counts.facts
    note = ""
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    if method == IndicatorMethod.ENROLMENT_RATE:
        numerator, denominator = f["enrolled"], f["due"]
        required = math.ceil(Decimal(denominator) * Decimal(str(p["target"])) / HUNDRED)
        short = max(0, required - numerator)
        score = _round(points - Decimal(str(p["deduct_per_child"])) * short)
        if short:
            note = f"差{short}人"
    elif method == IndicatorMethod.RETENTION_RATE:
        numerator, denominator = f["retained"], f["enrolled_at_start"]
        score = points
        if denominator:
            gap = Decimal(str(p["target"])) - Decimal(numerator) * HUNDRED / Decimal(denominator)
            if gap > 0:
                steps = math.ceil(gap / Decimal(str(p["step_pp"])))
                score = _round(points - Decimal(str(p["deduct_per_step"])) * steps)
                note = f"低于目标{steps}档"
    elif method == IndicatorMethod.DROPOUT_RETURN:
        numerator, denominator = f["dropout"], f["due"]
        score = _round(points - Decimal(str(p["deduct_per_child"])) * numerator)
        if numerator:
            note = f"{numerator}人未劝返"
    elif method == IndicatorMethod.AGREEMENT_COVERAGE:
        numerator, denominator = f["covered"], f["due"]
        score = _proportional(points, numerator, denominator)
        if not counts.village_agreement:
            score = _round(score - Decimal(str(p["village_agreement_deduct"])))
            note = "未签乡政府—村委会责任书"
    elif method == IndicatorMethod.LEDGER_COMPLETENESS:
        numerator, denominator = f["ledger_ok"], f["registered"]
        score = _proportional(points, numerator, denominator)
    elif method == IndicatorMethod.ASSISTANCE_COVERAGE:
        numerator, denominator = f["assisted"], f["supported"]
        score = _proportional(points, numerator, denominator)
    elif method == IndicatorMethod.VISIT_TIMELINESS:
        numerator, denominator = counts.timely_cases, counts.cases
        score = _proportional(points, numerator, denominator)
    else:  # IndicatorMethod.INSPECTION_SCORE
        numerator, denominator = counts.inspection_score, counts.inspection_max
        if counts.inspection_max:
            score = _proportional(points, numerator, denominator)
        else:
            score, note = Decimal(0), "本期无督导评分"
    return IndicatorScore(
        indicator.code, indicator.name, method, points, numerator, denominator, _round(score), note
    )


# --- Ranking ----------------------------------------------------------------------------


@dataclass
class VillageResult:
    village_id: int
    name: str
    code: str | None
    scores: list[IndicatorScore]
    counts: VillageCounts
    veto_reasons: list[str]
    rank: int = 0
    previous_rank: int | None = None

    @property
    def total(self) -> Decimal:
        return sum((s.score for s in self.scores), Decimal(0))

    @property
    def veto(self) -> bool:
        return bool(self.veto_reasons)

    @property
    def dropouts(self) -> int:
        return self.counts.facts["dropout"]

    @property
    def enrolment_rate(self) -> Decimal:
        due = self.counts.facts["due"]
        return rate(self.counts.facts["enrolled"], due) if due else HUNDRED

    @property
    def change(self) -> int | None:
        """Places gained (positive) or lost since the previous period."""
        return None if self.previous_rank is None else self.previous_rank - self.rank

    def score_of(self, code: str) -> IndicatorScore | None:
        return next((s for s in self.scores if s.code == code), None)


def active_indicators(session: Session) -> list[AssessmentIndicator]:
    return list(
        session.scalars(
            select(AssessmentIndicator)
            .where(AssessmentIndicator.active.is_(True))
            .order_by(AssessmentIndicator.sort_order, AssessmentIndicator.id)
        )
    )


def timeliness_days(indicators: Iterable[AssessmentIndicator]) -> int:
    for indicator in indicators:
        if indicator.method == IndicatorMethod.VISIT_TIMELINESS:
            return int(method_params(indicator)["days"])
    return int(PARAMS[IndicatorMethod.VISIT_TIMELINESS]["days"].default)


def rank_villages(
    session: Session,
    period: AssessmentPeriod,
    village_ids: Iterable[int] | None = None,
) -> list[VillageResult]:
    """Score and rank every village for the period (DESIGN.md §5).

    Ranks are by total; equal totals share a rank and are listed by fewer dropouts, then
    higher 入学率, then village code. Villages under 一票否决 rank after all others.
    ``village_ids`` limits what is returned, not what is ranked: a village cadre sees
    their own village with its rank among all.
    """
    indicators = active_indicators(session)
    counts = count_all(session, period, timeliness_days(indicators))
    villages = session.execute(select(Village.id, Village.name, Village.code)).all()
    results = []
    for village_id, name, code in villages:
        village_counts = counts.get(village_id) or VillageCounts()
        reasons = []
        if village_counts.facts["poor_dropout"]:
            reasons.append(f"因贫失学辍学{village_counts.facts['poor_dropout']}人")
        if village_counts.concealment:
            reasons.append("督导发现瞒报漏报")
        scores = [score_indicator(i, village_counts) for i in indicators]
        results.append(VillageResult(village_id, name, code, scores, village_counts, reasons))
    assign_ranks(results)
    if village_ids is not None:
        wanted = set(village_ids)
        results = [r for r in results if r.village_id in wanted]
    return results


def order_key(result: VillageResult) -> tuple[Any, ...]:
    return (result.veto, -result.total, result.dropouts, -result.enrolment_rate, result.code or "")


def assign_ranks(results: list[VillageResult]) -> None:
    results.sort(key=order_key)
    for index, result in enumerate(results):
        before = results[index - 1] if index else None
        shares = before is not None and (before.veto, before.total) == (result.veto, result.total)
        result.rank = before.rank if shares else index + 1


def previous_period(session: Session, period: AssessmentPeriod) -> AssessmentPeriod | None:
    """The latest period that ended before this one began."""
    return session.scalar(
        select(AssessmentPeriod)
        .where(AssessmentPeriod.end_on < period.start_on)
        .order_by(AssessmentPeriod.end_on.desc())
        .limit(1)
    )


def ranking_with_change(
    session: Session, period: AssessmentPeriod, village_ids: Iterable[int] | None = None
) -> list[VillageResult]:
    results = rank_villages(session, period, village_ids)
    earlier = previous_period(session, period)
    if earlier is not None:
        before = {r.village_id: r.rank for r in rank_villages(session, earlier)}
        for result in results:
            result.previous_rank = before.get(result.village_id)
    return results


# --- Drill-down -------------------------------------------------------------------------


@dataclass
class Evidence:
    """What stands behind one indicator of one village: the formula and the rows."""

    score: IndicatorScore
    formula: str
    counted: list[Any]
    missing: list[Any]
    missing_label: str
    counted_label: str


#: For each child-based method: (denominator flag, numerator flag, label of the shortfall).
CHILD_EVIDENCE: dict[IndicatorMethod, tuple[str, str, str, str]] = {
    IndicatorMethod.ENROLMENT_RATE: ("due", "enrolled", "未在校的应入学儿童", "在校"),
    IndicatorMethod.RETENTION_RATE: ("enrolled_at_start", "retained", "期初在校、期末流失", "巩固"),
    IndicatorMethod.DROPOUT_RETURN: ("dropout", "never", "期末仍辍学/未入学", ""),
    IndicatorMethod.AGREEMENT_COVERAGE: ("due", "covered", "监护人未签家长责任书", "已签"),
    IndicatorMethod.LEDGER_COMPLETENESS: ("registered", "ledger_ok", "台账缺项的儿童", "齐全"),
    IndicatorMethod.ASSISTANCE_COVERAGE: (
        "supported",
        "assisted",
        "本期无帮扶记录的困难家庭儿童",
        "已帮扶",
    ),
}


@dataclass
class ChildRow:
    id: int
    name: str
    status: ChildStatus | None
    flags: dict[str, int]


def village_children(session: Session, period: AssessmentPeriod, village_id: int) -> list[ChildRow]:
    """Every child of one village with the flags they count under, and their status at the end."""
    stmt = profile_query(Window.of(period), probes_cheaply(session))
    profiles = stmt.where(Child.village_id == village_id).subquery()
    rows = session.execute(
        select(profiles.c.child_id, profiles.c.profile, Child.name)
        .join(Child, Child.id == profiles.c.child_id)
        .order_by(Child.name, Child.id)
    )
    return [
        ChildRow(
            child_id,
            name,
            Profile.decode(bits).end_status,
            {flag: int(counted) for flag, counted in child_flags(bits).items()},
        )
        for child_id, bits, name in rows
    ]


def explain_village(
    session: Session, period: AssessmentPeriod, village: VillageResult
) -> list[Evidence]:
    """For each indicator of one village: the formula, the numbers and the rows behind them."""
    children = village_children(session, period, village.village_id)
    window = Window.of(period)
    indicators = {i.code: i for i in active_indicators(session)}
    evidence = []
    for score in village.scores:
        indicator = indicators[score.code]
        formula = FORMULAS[score.method].format(
            **{k: f"{v:g}" for k, v in method_params(indicator).items()}
        )
        if score.method in CHILD_EVIDENCE:
            base, hit, missing_label, counted_label = CHILD_EVIDENCE[score.method]
            members = [c for c in children if c.flags[base]]
            counted = [c for c in members if c.flags.get(hit)]
            missing = [c for c in members if not c.flags.get(hit)]
            evidence.append(
                Evidence(score, formula, counted, missing, missing_label, counted_label)
            )
        elif score.method == IndicatorMethod.VISIT_TIMELINESS:
            days = int(method_params(indicator)["days"])
            cases = session.execute(
                case_timeliness(window, village.village_id).add_columns(
                    DropoutCase.id, Child.name, DropoutCase.child_id
                )
            ).all()
            late = [c for c in cases if not is_timely(c.discovered_on, c.first_visit, days)]
            timely = [c for c in cases if is_timely(c.discovered_on, c.first_visit, days)]
            evidence.append(
                Evidence(score, formula, timely, late, f"未在{days}天内首次走访", "及时")
            )
        else:
            inspections = session.scalars(
                select(Inspection)
                .where(
                    Inspection.period_id == period.id, Inspection.village_id == village.village_id
                )
                .order_by(Inspection.inspected_on)
            ).all()
            evidence.append(Evidence(score, formula, list(inspections), [], "", "督导检查"))
    return evidence


def veto_children(session: Session, period: AssessmentPeriod, village_id: int) -> list[ChildRow]:
    return [c for c in village_children(session, period, village_id) if c.flags["poor_dropout"]]


# --- Dashboard --------------------------------------------------------------------------


def current_period(session: Session, today: dt.date) -> AssessmentPeriod | None:
    """The period to show by default: the shortest one containing today, else the latest."""
    containing = session.scalars(
        select(AssessmentPeriod).where(
            AssessmentPeriod.start_on <= today, AssessmentPeriod.end_on >= today
        )
    ).all()
    if containing:
        return min(containing, key=lambda p: (p.end_on - p.start_on, -p.id))
    return session.scalar(
        select(AssessmentPeriod).order_by(AssessmentPeriod.end_on.desc()).limit(1)
    )


def persuading_cases(session: Session, village_ids: Iterable[int]) -> dict[int, int]:
    """Open cases in 劝返中 per village (today's state, for the dashboard)."""
    stmt = (
        select(Child.village_id, func.count(DropoutCase.id))
        .join(Child, Child.id == DropoutCase.child_id)
        .where(DropoutCase.status == CaseStatus.PERSUADING)
        .group_by(Child.village_id)
    )
    stmt = stmt.where(Child.village_id.in_(list(village_ids)))
    return dict(session.execute(stmt).all())
