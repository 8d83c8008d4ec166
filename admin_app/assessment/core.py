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

import copy
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from ..choices import (
    IN_SCHOOL_STATUSES,
    PARENT_LEVELS,
    SUPPORT_KINDS,
    AgreementLevel,
    AgreementStatus,
    CaseStatus,
    ChildStatus,
    IndicatorMethod,
    OutOfSchoolReason,
)
from ..models import (
    AssessmentIndicator,
    AssessmentPeriod,
    AssistanceRecord,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    HouseholdCategorySpan,
    Inspection,
    InspectionScore,
    ResponsibilityAgreement,
    Village,
)
from ..util.dates import COMPULSORY_AGE_MAX, COMPULSORY_AGE_MIN, local_today, school_year_cutoff
from ..util.sqlutil import hash_id_sets_in_memory
from . import dataversion
from .timeliness import first_visit_due, first_visit_timely, judged_before

HUNDRED = Decimal(100)
#: Lawful absence (义务教育法 第十一条第二款): neither enrolled nor out of school. These
#: children leave 应入学 and the 巩固率 cohort and are counted on their own.
LAWFUL_ABSENCE = (ChildStatus.SUSPENDED, ChildStatus.EXEMPTED)
#: Statuses that take a child out of 应入学 (DESIGN.md §4).
NOT_DUE = (*LAWFUL_ABSENCE, ChildStatus.MOVED_OUT, ChildStatus.COMPLETED)
#: Statuses at the period's end that take a child out of the 巩固率 cohort.
LEFT_COHORT = (*LAWFUL_ABSENCE, ChildStatus.MOVED_OUT)
OUT_OF_SCHOOL = (ChildStatus.DROPOUT, ChildStatus.NOT_ENROLLED)
#: Statuses in a local school, for which the ledger needs school, grade and class.
LOCAL_SCHOOL = (ChildStatus.ENROLLED, ChildStatus.INCLUSIVE)
RETAINED = (*IN_SCHOOL_STATUSES, ChildStatus.COMPLETED)


# --- Parameters of each method (the low-code part) ------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter of a scoring method: its Chinese label, default and bounds."""

    label: str
    default: float
    minimum: float = 0.0
    maximum: float | None = None
    integer: bool = False
    #: Written into the default scheme's row (``default_params``); False for a deduction
    #: that is off (0) unless an admin turns it on.
    seeded: bool = True


def method_params(indicator: AssessmentIndicator) -> dict[str, float]:
    """The indicator's parameters, with defaults for any left out."""
    given = indicator.params or {}
    return {
        key: float(given.get(key, spec.default))
        for key, spec in METHODS[IndicatorMethod(indicator.method)].params.items()
    }


def default_params(method: IndicatorMethod) -> dict[str, float]:
    """The parameters the default scheme's row of this method is seeded with."""
    return {key: spec.default for key, spec in METHODS[method].params.items() if spec.seeded}


def pick_param(
    indicators: Iterable[AssessmentIndicator], method: IndicatorMethod, key: str
) -> float:
    """``key`` of the first of ``indicators`` scored by ``method``, or the method's default."""
    for indicator in indicators:
        if indicator.method == method:
            return method_params(indicator)[key]
    return float(METHODS[method].params[key].default)


def scheme_param(session: Session, method: IndicatorMethod, key: str) -> float:
    """A parameter of the configured scheme: that of the method's indicator, or its default.

    The one reader for every place outside the ranking that needs a number of the
    scheme — the dashboard's 入学率/巩固率 targets, the overdue watch's N days (and 问责's),
    the 巩固率 target of the proposals — so they read what an admin set at 考核指标.
    An active indicator wins (the first in the scheme's order); an inactive one still
    holds its setting (an admin who stops scoring 劝返及时率 keeps the watch's N days).
    """
    indicators = session.scalars(
        select(AssessmentIndicator)
        .where(AssessmentIndicator.method == method)
        .order_by(
            AssessmentIndicator.active.desc(),
            AssessmentIndicator.sort_order,
            AssessmentIndicator.id,
        )
    )
    return pick_param(indicators, method, key)


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
    specs = METHODS[method].params
    unknown = sorted(set(params) - set(specs))
    if unknown:
        allowed = "、".join(f"{k}（{s.label}）" for k, s in specs.items()) or "无"
        return f"“{method.label}”没有参数 {'、'.join(unknown)}；可用参数：{allowed}"
    problems = param_errors(method, params)
    return next(iter(problems.values()), None)


def param_errors(method: IndicatorMethod, params: dict[str, Any]) -> dict[str, str]:
    """Each known parameter's problem by its key (the form shows it at that field)."""
    problems: dict[str, str] = {}
    for key, value in params.items():
        spec = METHODS[method].params.get(key)
        if spec is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems[key] = f"{spec.label}应为数字"
        elif not _finite(value):
            problems[key] = f"{spec.label}应为有限的数字"
        elif spec.integer and value != int(value):
            problems[key] = f"{spec.label}应为整数"
        elif value < spec.minimum or (spec.maximum is not None and value > spec.maximum):
            upper = "" if spec.maximum is None else f"至{spec.maximum:g}"
            problems[key] = f"{spec.label}应在{spec.minimum:g}{upper}之间"
    return problems


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
        """The period's dates and its cohort: children of compulsory age (6–15 completed
        years on 31 August) in any school year overlapping the period, so a child who turns
        16 during it still counts for what happened while of age (DESIGN.md §4)."""
        first, last = school_year_cutoff(period.start_on), school_year_cutoff(period.end_on)
        born_by = last.replace(year=last.year - COMPULSORY_AGE_MIN)
        born_after = first.replace(year=first.year - COMPULSORY_AGE_MAX - 1)
        return cls(period.start_on, period.end_on, born_after, born_by)


def status_as_of(day: dt.date) -> Any:
    """(child_id, status, reason) of the history row holding on ``day``, one per child."""
    held = ChildStatusChange
    return (
        select(held.child_id, held.to_status.label("status"), held.reason.label("reason"))
        .where(held.effective_on <= day, or_(held.ended_on.is_(None), held.ended_on > day))
        .subquery()
    )


#: An agreement that was signed: 已失效 ones were too, and count for the periods they covered.
WAS_SIGNED = (AgreementStatus.SIGNED, AgreementStatus.EXPIRED)


def agreement_in_force(window: Window) -> ColumnElement[bool]:
    """Signed on or before the period's end and valid during it (DESIGN.md §4).

    Read from the dates, not today's status: an agreement now 已失效 still covered the
    period it was signed for (its later expiry does not undo that); a draft covers nothing.
    """
    return and_(
        ResponsibilityAgreement.status.in_(WAS_SIGNED),
        ResponsibilityAgreement.signed_on <= window.end,
        or_(
            ResponsibilityAgreement.valid_until.is_(None),
            ResponsibilityAgreement.valid_until >= window.start,
        ),
    )


def poor_out_of_school_during(window: Window) -> Select[Any]:
    """Children who were 辍学/未入学 for 家庭经济困难 at any time during the period (a status
    row overlapping it by at least a day): the 一票否决, even if back in school by its end."""
    held = ChildStatusChange
    return select(held.child_id).where(
        held.to_status.in_(OUT_OF_SCHOOL),
        held.reason == OutOfSchoolReason.POVERTY,
        held.effective_on <= window.end,
        or_(
            held.ended_on.is_(None),
            and_(held.ended_on > window.start, held.ended_on > held.effective_on),
        ),
    )


def _valid_parent_agreement(window: Window) -> ColumnElement[bool]:
    return and_(ResponsibilityAgreement.level.in_(PARENT_LEVELS), agreement_in_force(window))


def supported_during(window: Window) -> ColumnElement[bool]:
    """Category spans of a 脱贫/监测/低保/特困/残疾 household overlapping the period."""
    span = HouseholdCategorySpan
    return and_(
        or_(span.held_from.is_(None), span.held_from <= window.end),
        or_(span.held_until.is_(None), span.held_until > window.start),
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
#: Bit 0 is SCHOOL_AGE, then the end status's code in STATUS_BITS bits, then the flags.
STATUS_SHIFT, STATUS_BITS = 1, 4
STATUS_MASK = (1 << STATUS_BITS) - 1
_FLAGS = STATUS_SHIFT + STATUS_BITS
SCHOOL_AGE = 1
START_IN_SCHOOL, POOR_DURING, COVERED = 1 << _FLAGS, 1 << (_FLAGS + 1), 1 << (_FLAGS + 2)
RECORD_COMPLETE, ENROLMENT_COMPLETE = 1 << (_FLAGS + 3), 1 << (_FLAGS + 4)
SUPPORTED, ASSISTED = 1 << (_FLAGS + 5), 1 << (_FLAGS + 6)


def check_status_capacity(statuses: int) -> None:
    """Refuse to start when the statuses do not fit their bits of the profile.

    A status code over STATUS_MASK would spill into START_IN_SCHOOL and be read back as
    another status: every indicator would silently count the wrong children. Widen
    STATUS_BITS (the flags move with it) when ChildStatus grows past 16 members.
    """
    if statuses > STATUS_MASK + 1:
        raise RuntimeError(
            f"{statuses} child statuses do not fit the profile's {STATUS_BITS} status bits: "
            "widen assessment.STATUS_BITS"
        )


check_status_capacity(len(ChildStatus))


@dataclass(frozen=True)
class Profile:
    school_age: bool
    end_status: ChildStatus
    start_in_school: bool
    poor_during: bool
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
            poor_during=bool(bits & POOR_DURING),
            covered=bool(bits & COVERED),
            record_complete=bool(bits & RECORD_COMPLETE),
            enrolment_complete=bool(bits & ENROLMENT_COMPLETE),
            supported=bool(bits & SUPPORTED),
            assisted=bool(bits & ASSISTED),
        )


FACT_COLUMNS = (
    "due",
    "lawful_absence",
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
    profile = Profile.decode(bits)
    due = profile.school_age and profile.end_status not in NOT_DUE
    present = profile.end_status != ChildStatus.MOVED_OUT
    enrolled_at_start = (
        profile.school_age and profile.start_in_school and profile.end_status not in LEFT_COHORT
    )
    dropout = due and profile.end_status in OUT_OF_SCHOOL
    ledger_ok = profile.record_complete and (
        profile.end_status not in LOCAL_SCHOOL or profile.enrolment_complete
    )
    return {
        "due": due,
        "lawful_absence": profile.school_age and profile.end_status in LAWFUL_ABSENCE,
        "enrolled": due and profile.end_status in IN_SCHOOL_STATUSES,
        "enrolled_at_start": enrolled_at_start,
        "retained": enrolled_at_start and profile.end_status in RETAINED,
        "dropout": dropout,
        "poor_dropout": profile.school_age and profile.poor_during,
        "covered": due and profile.covered,
        "registered": present,
        "ledger_ok": present and ledger_ok,
        "supported": due and profile.supported,
        "assisted": due and profile.supported and profile.assisted,
    }


def _bit(condition: ColumnElement[bool], bit: int) -> ColumnElement[int]:
    return case((condition, bit), else_=0)


def profile_query(window: Window, probe: bool) -> Select[Any]:
    """(child_id, village_id, profile) for every child with a status on the window's end."""
    end = status_as_of(window.end)
    start = status_as_of(window.start)
    in_window = and_(
        AssistanceRecord.given_on.between(window.start, window.end),
        AssistanceRecord.kind.in_(SUPPORT_KINDS),
    )
    span = HouseholdCategorySpan
    if probe:
        # SQLite evaluates CASE lazily and has no hash join: probing an index per child
        # (assistance only for supported households) beats building and indexing id sets.
        supported: ColumnElement[bool] = exists().where(
            span.household_id == Child.household_id, supported_during(window)
        )
        covered: ColumnElement[bool] = or_(
            exists().where(
                ResponsibilityAgreement.child_id == Child.id, _valid_parent_agreement(window)
            ),
            exists().where(
                ResponsibilityAgreement.household_id == Child.household_id,
                ResponsibilityAgreement.child_id.is_(None),
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
                select(ResponsibilityAgreement.child_id).where(
                    _valid_parent_agreement(window), ResponsibilityAgreement.child_id.is_not(None)
                )
            ),
            Child.household_id.in_(
                select(ResponsibilityAgreement.household_id).where(
                    _valid_parent_agreement(window), ResponsibilityAgreement.child_id.is_(None)
                )
            ),
        )
        supported = Child.household_id.in_(
            select(span.household_id).where(supported_during(window))
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
        + _bit(Child.id.in_(poor_out_of_school_during(window)), POOR_DURING)
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
    )


def count_profiles(session: Session, stmt: Select[Any]) -> list[tuple[int, int, int]]:
    """(village_id, profile, children) from the profile rows, counted as they stream by.

    SQLite can only group by sorting, and building 100,000 result rows costs more than
    counting them: so the statement's rows are read from the driver's cursor and a Counter
    does the grouping (faster at county scale; the figures are in docs/性能.md). Every
    value in the statement is a date or a code of ours, rendered as a literal.
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
    days: int | None = None,
    village_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
) -> dict[int, VillageCounts]:
    """Every village's counts for the period (or those of ``village_ids``), in a constant
    number of queries. ``days`` is 劝返及时率's N (by default the scheme's); ``today``
    bounds which cases can be judged."""
    if days is None:
        days = int(scheme_param(session, IndicatorMethod.VISIT_TIMELINESS, "days"))
    window = Window.of(period)
    counts: dict[int, VillageCounts] = defaultdict(VillageCounts)
    probe = probes_cheaply(session)
    stmt = profile_query(window, probe)
    if village_ids is not None:
        stmt = stmt.where(Child.village_id.in_(list(village_ids)))
    if probe:
        grouped_rows = count_profiles(session, stmt)
    else:
        hash_id_sets_in_memory(session)
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

    before = judged_before(period.end_on, today or local_today())
    for village_id, judged, timely in session.execute(case_counts(window, before, days)):
        village = counts[village_id]
        village.cases, village.timely_cases = judged, int(timely or 0)

    scores = (
        select(
            Inspection.village_id,
            func.coalesce(func.sum(InspectionScore.score), 0),
            func.coalesce(func.sum(InspectionScore.max_points), 0),
            func.count(func.distinct(Inspection.id)),
            func.max(case((Inspection.concealment_found, 1), else_=0)),
        )
        .outerjoin(InspectionScore, InspectionScore.inspection_id == Inspection.id)
        .where(inspected_in(window))
        .group_by(Inspection.village_id)
    )
    for village_id, score, maximum, n, concealed in session.execute(scores):
        village = counts[village_id]
        village.inspection_score, village.inspection_max = Decimal(score), Decimal(maximum)
        village.inspections, village.concealment = n, bool(concealed)

    for village_id in session.scalars(village_agreements(window)):
        counts[village_id].village_agreement = True
    return counts


def inspected_in(window: Window) -> ColumnElement[bool]:
    """Inspections dated in the period: an inspection belongs to every period its date
    falls in (a 2026-05 inspection counts for 2026年度 and for 2025—2026学年 alike), not
    only to the one its form was filed under."""
    return Inspection.inspected_on.between(window.start, window.end)


def case_counts(window: Window, before: dt.date, days: int) -> Select[Any]:
    """(village, judged, timely) of the cases opened in the window whose N days ran out
    before ``before`` (``timeliness``: the rule the overdue watch and 问责 share)."""
    return (
        select(
            Child.village_id,
            func.count(DropoutCase.id),
            func.sum(case((first_visit_timely(days), 1), else_=0)),
        )
        .join(Child, Child.id == DropoutCase.child_id)
        .where(
            DropoutCase.discovered_on.between(window.start, window.end),
            first_visit_due(before, days),
        )
        .group_by(Child.village_id)
    )


def village_cases(window: Window, before: dt.date, days: int, village_id: int) -> Select[Any]:
    """One village's cases opened in the window, each with its first visit and verdict
    (``judged``, ``timely``), for the drill-down."""
    first_visit = (
        select(func.min(CaseVisit.visited_on))
        .where(CaseVisit.case_id == DropoutCase.id)
        .scalar_subquery()
    )
    return (
        select(
            DropoutCase.id,
            DropoutCase.child_id,
            Child.name,
            DropoutCase.discovered_on,
            first_visit.label("first_visit"),
            case((first_visit_due(before, days), True), else_=False).label("judged"),
            case((first_visit_timely(days), True), else_=False).label("timely"),
        )
        .join(Child, Child.id == DropoutCase.child_id)
        .where(
            DropoutCase.discovered_on.between(window.start, window.end),
            Child.village_id == village_id,
        )
        .order_by(DropoutCase.discovered_on, DropoutCase.id)
    )


def village_agreements(window: Window) -> Select[Any]:
    """Villages whose 乡政府—村委会 agreement was in force for the period."""
    return (
        select(ResponsibilityAgreement.village_id)
        .where(
            ResponsibilityAgreement.level == AgreementLevel.TOWNSHIP_VILLAGE,
            agreement_in_force(window),
            ResponsibilityAgreement.village_id.is_not(None),
        )
        .distinct()
    )


# --- Scoring ----------------------------------------------------------------------------


@dataclass
class IndicatorScore:
    """One indicator of one village: its numbers and its exact score, or 无数据.

    ``exact`` is the score as a fraction, never rounded: totals and ranks are computed
    from it, and ``score`` rounds it to 0.01 for display only (rounding before summing
    made 74.5015 and 74.5052 share a rank). ``exact`` is None when the indicator has no
    data for the village in the period (``left_out`` says why): it is then not scored.
    """

    code: str
    name: str
    method: IndicatorMethod
    points: Decimal
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    exact: Fraction | None
    note: str = ""
    left_out: str = ""

    @property
    def scored(self) -> bool:
        return self.exact is not None

    @property
    def score(self) -> Decimal | None:
        """The score rounded to 0.01 for display; None for 无数据."""
        return None if self.exact is None else display(self.exact)

    @property
    def value(self) -> Decimal | None:
        """The indicator's value in percent (or a count for 辍学劝返), None when undefined."""
        if not self.scored:
            return None
        if self.method == IndicatorMethod.DROPOUT_RETURN:
            return Decimal(self.numerator or 0)
        if not self.denominator:
            return None
        return rate(self.numerator or 0, self.denominator)

    @property
    def deduction(self) -> Decimal:
        """Points lost (0 for an indicator not scored: nothing was lost, nothing earned)."""
        return Decimal(0) if self.exact is None else display(Fraction(self.points) - self.exact)


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal:
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def display(value: Fraction) -> Decimal:
    """An exact value rounded half up to 0.01, for screens and sheets only."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def _floor(value: Fraction) -> Fraction:
    return max(Fraction(0), value)


def _param(value: float) -> Fraction:
    return Fraction(str(value))


Number = int | Decimal


def _score_enrolment(
    full: Fraction, numerator: Number, denominator: Number, p: dict[str, Fraction], _: Any
) -> tuple[Fraction, str]:
    required = math.ceil(Fraction(denominator) * p["target"] / 100)
    short = max(0, required - int(numerator))
    return full - p["deduct_per_child"] * short, f"差{short}人" if short else ""


def _score_retention(
    full: Fraction, numerator: Number, denominator: Number, p: dict[str, Fraction], _: Any
) -> tuple[Fraction, str]:
    gap = p["target"] - Fraction(numerator) * 100 / Fraction(denominator)
    if gap <= 0:
        return full, ""
    steps = math.ceil(gap / p["step_pp"])
    return full - p["deduct_per_step"] * steps, f"低于目标{steps}档"


def _score_dropout_return(
    full: Fraction, numerator: Number, _denominator: Number, p: dict[str, Fraction], _: Any
) -> tuple[Fraction, str]:
    note = f"{numerator}人未劝返" if numerator else ""
    return full - p["deduct_per_child"] * int(numerator), note


def _score_proportional(
    full: Fraction, numerator: Number, denominator: Number, _p: Any, _: Any
) -> tuple[Fraction, str]:
    return full * Fraction(numerator) / Fraction(denominator), ""


def _score_agreement(
    full: Fraction,
    numerator: Number,
    denominator: Number,
    p: dict[str, Fraction],
    counts: VillageCounts,
) -> tuple[Fraction, str]:
    exact, _ = _score_proportional(full, numerator, denominator, p, counts)
    if counts.village_agreement:
        return exact, ""
    return exact - p["village_agreement_deduct"], "未签乡政府—村委会责任书"


def _facts(numerator: str, denominator: str) -> Callable[[VillageCounts], tuple[Number, Number]]:
    """The (numerator, denominator) of a child-based method: two of ``child_flags``' counts."""
    return lambda counts: (counts.facts[numerator], counts.facts[denominator])


@dataclass(frozen=True)
class Method:
    """One scoring method of DESIGN.md §4–5, declared once: what an admin can set, what
    the drill-down explains, which counts it reads and how they become points.

    ``score`` gets the full points, the numbers, the parameters (exact) and the village's
    counts, and returns the exact score before the floor at 0, with a note; it is called
    only when the denominator is not 0 (otherwise the indicator is 无数据: ``no_data``).
    """

    params: dict[str, Param]
    #: How the number turns into points, shown on the drill-down; ``{key}`` is a parameter.
    formula: str
    #: Why nothing is scored when the denominator is 0 (DESIGN.md §4: no data in P).
    no_data: str
    numbers: Callable[[VillageCounts], tuple[Number, Number]]
    score: Callable[
        [Fraction, Number, Number, dict[str, Fraction], VillageCounts], tuple[Fraction, str]
    ]
    #: Child-based methods: (denominator flag, numerator flag, label of the shortfall,
    #: label of the counted) for the drill-down's lists of children.
    evidence: tuple[str, str, str, str] | None = None


METHODS: dict[IndicatorMethod, Method] = {
    IndicatorMethod.ENROLMENT_RATE: Method(
        params={
            "target": Param("目标入学率(%)", 100, 0, 100),
            "deduct_per_child": Param("每差1人扣分", 3),
        },
        formula=(
            "入学率 = 应入学儿童中在校（在校就读、异地就读、随班就读、送教上门、特教学校）人数 ÷ "
            "应入学人数（6–15周岁，不含依法休学、免缓学、迁出/死亡、已完成义务教育）；"
            "低于目标时每差1人扣{deduct_per_child}分"
        ),
        no_data="无应入学儿童",
        numbers=_facts("enrolled", "due"),
        score=_score_enrolment,
        evidence=("due", "enrolled", "未在校的应入学儿童", "在校"),
    ),
    IndicatorMethod.RETENTION_RATE: Method(
        params={
            "target": Param("目标巩固率(%)", 99, 0, 100),
            "step_pp": Param("每低于目标多少个百分点为一档", 0.5, 0.01, 100),
            "deduct_per_step": Param("每档扣分", 5),
        },
        formula=(
            "巩固率 = 期初在校且期末仍在校（含已完成义务教育、异地就读）人数 ÷ 期初在校人数"
            "（不含期末迁出/死亡或依法休学、免缓学的）；"
            "低于{target}%时每低{step_pp}个百分点扣{deduct_per_step}分"
            "（不足一档按一档计）"
        ),
        no_data="期初无在校儿童",
        numbers=_facts("retained", "enrolled_at_start"),
        score=_score_retention,
        evidence=("enrolled_at_start", "retained", "期初在校、期末流失", "巩固"),
    ),
    IndicatorMethod.DROPOUT_RETURN: Method(
        params={"deduct_per_child": Param("每名未劝返辍学儿童扣分", 5)},
        formula=(
            "期末仍为辍学或未入学（既未劝返复学也未依法安置）的应入学儿童，"
            "每人扣{deduct_per_child}分"
        ),
        no_data="无应入学儿童",
        numbers=_facts("dropout", "due"),
        score=_score_dropout_return,
        evidence=("dropout", "never", "期末仍辍学/未入学", ""),
    ),
    IndicatorMethod.AGREEMENT_COVERAGE: Method(
        params={
            "village_agreement_deduct": Param("未签乡政府—村委会责任书扣分", 0, seeded=False),
        },
        formula=(
            "责任书覆盖率 = 监护人在期末前签订、本期内有效的家长责任书（任一条线；其后失效不影响）"
            "的应入学儿童 ÷ 应入学人数；"
            "得分 = 分值 × 覆盖率；未签乡政府—村委会责任书另扣{village_agreement_deduct}分"
        ),
        no_data="无应入学儿童",
        numbers=_facts("covered", "due"),
        score=_score_agreement,
        evidence=("due", "covered", "监护人未签家长责任书", "已签"),
    ),
    IndicatorMethod.LEDGER_COMPLETENESS: Method(
        params={},
        formula=(
            "台账完整率 = 必填项齐全的儿童 ÷ 本村在册儿童（身份证号或无证原因、监护人、"
            "监护人电话、家庭户；在本地学校就读的另需学校、年级、班级）；得分 = 分值 × 完整率"
        ),
        no_data="无在册儿童",
        numbers=_facts("ledger_ok", "registered"),
        score=_score_proportional,
        evidence=("registered", "ledger_ok", "台账缺项的儿童", "齐全"),
    ),
    IndicatorMethod.ASSISTANCE_COVERAGE: Method(
        # Not a scoring parameter: the 送教上门 frequency lives with the indicator that
        # counts 送教上门 as support, so an admin sets it at 考核指标 (``cases.hometeaching``).
        params={
            "home_teaching_per_month": Param(
                "送教上门每月至少次数", 2, 1, 31, integer=True, seeded=False
            ),
        },
        formula=(
            "帮扶覆盖率 = 本期得到帮扶（资助、补助、学习帮扶、心理辅导、送教上门、社会救助、"
            "法律援助；走访不算）的脱贫/监测/低保/特困/残疾家庭（本期内属此类）应入学儿童 ÷ "
            "此类儿童；得分 = 分值 × 覆盖率"
        ),
        no_data="无脱贫/监测/低保/特困/残疾家庭应入学儿童",
        numbers=_facts("assisted", "supported"),
        score=_score_proportional,
        evidence=("supported", "assisted", "本期无帮扶记录的困难家庭儿童", "已帮扶"),
    ),
    IndicatorMethod.VISIT_TIMELINESS: Method(
        params={"days": Param("首次走访期限(天)", 7, 1, 90, integer=True)},
        formula=(
            "劝返及时率 = 本期发现、到期末{days}天期限已满的控辍案件中{days}天内首次走访的 ÷ "
            "本期发现、期限已满的案件（发现未满{days}天的案件既不算及时也不算逾期）；"
            "得分 = 分值 × 及时率"
        ),
        no_data="本期无走访期限已满的控辍案件",
        numbers=lambda counts: (counts.timely_cases, counts.cases),
        score=_score_proportional,
    ),
    IndicatorMethod.INSPECTION_SCORE: Method(
        params={},
        formula=(
            "督导检查得分率 = 检查日期在本期内的各次督导评分之和 ÷ 满分之和；得分 = 分值 × 得分率"
        ),
        no_data="本期无督导检查评分",
        numbers=lambda counts: (counts.inspection_score, counts.inspection_max),
        score=_score_proportional,
    ),
}
assert set(METHODS) == set(IndicatorMethod), "declare every IndicatorMethod in METHODS"

#: Each method's parameters (the 考核指标 form's number boxes).
PARAMS: dict[IndicatorMethod, dict[str, Param]] = {
    method: declared.params for method, declared in METHODS.items()
}


def score_indicator(indicator: AssessmentIndicator, counts: VillageCounts) -> IndicatorScore:
    """Score one indicator exactly (floored at 0), or leave it out when it has no data."""
    method = IndicatorMethod(indicator.method)
    declared = METHODS[method]
    points = Decimal(indicator.points)
    numerator, denominator = declared.numbers(counts)
    if not denominator:
        return IndicatorScore(
            indicator.code,
            indicator.name,
            method,
            points,
            numerator,
            denominator,
            None,
            left_out=declared.no_data,
        )
    params = {key: _param(value) for key, value in method_params(indicator).items()}
    exact, note = declared.score(Fraction(points), numerator, denominator, params, counts)
    return IndicatorScore(
        indicator.code,
        indicator.name,
        method,
        points,
        numerator,
        denominator,
        _floor(exact),
        note,
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
    #: 全县部署: ``rank`` is among the villages of the village's township; ``county_rank``
    #: among every village of the database (the 县教育局's 全县 ranking).
    township_id: int | None = None
    county_rank: int = 0
    previous_county_rank: int | None = None

    # Cached: the scores never change once ranked, and the ranking page and the chart ask
    # for each total five times (Fraction sums: a fifth of the page's time at 300 villages).
    @cached_property
    def scored_points(self) -> Decimal:
        """Full points of the indicators scored (those with data)."""
        return sum((s.points for s in self.scores if s.scored), Decimal(0))

    @cached_property
    def exact_total(self) -> Fraction | None:
        """Points earned ÷ points of the scored indicators × 100, exactly (DESIGN.md §4);
        None when nothing could be scored."""
        if not self.scored_points:
            return None
        earned = sum((s.exact for s in self.scores if s.exact is not None), Fraction(0))
        return earned * 100 / Fraction(self.scored_points)

    @property
    def total(self) -> Decimal | None:
        """The total rounded to 0.01 for display; ranks use ``exact_total``."""
        exact = self.exact_total
        return None if exact is None else display(exact)

    @property
    def left_out(self) -> list[IndicatorScore]:
        """The indicators not scored for this village (无数据), with ``left_out`` saying why."""
        return [s for s in self.scores if not s.scored]

    @property
    def left_out_text(self) -> str:
        return "；".join(f"{s.name}（{s.left_out}）" for s in self.left_out)

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
    """The N days of 劝返及时率 in the scheme being scored (``pick_param``'s rule)."""
    return int(pick_param(indicators, IndicatorMethod.VISIT_TIMELINESS, "days"))


def rank_villages(
    session: Session,
    period: AssessmentPeriod,
    village_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
) -> list[VillageResult]:
    """Score and rank every village for the period (DESIGN.md §5).

    Ranks are by total; equal totals share a rank and are listed by fewer dropouts, then
    higher 入学率, then village code. Villages under 一票否决 rank after all others.
    ``rank`` is among the villages of the same township (a township assesses its own
    villages), ``county_rank`` among all of them; the list is in the county's order, which
    is each township's order too. ``village_ids`` limits what is returned, not what is
    ranked: a village cadre sees their own village with its rank among all.
    """
    indicators = active_indicators(session)
    counts = count_all(session, period, timeliness_days(indicators), today=today)
    villages = session.execute(
        select(Village.id, Village.name, Village.code, Village.township_id)
    ).all()
    results = []
    for village_id, name, code, township_id in villages:
        village_counts = counts.get(village_id) or VillageCounts()
        reasons = []
        if village_counts.facts["poor_dropout"]:
            reasons.append(f"因贫失学辍学{village_counts.facts['poor_dropout']}人")
        if village_counts.concealment:
            reasons.append("督导发现瞒报漏报")
        scores = [score_indicator(i, village_counts) for i in indicators]
        result = VillageResult(village_id, name, code, scores, village_counts, reasons)
        result.township_id = township_id
        results.append(result)
    by_township: dict[int | None, list[VillageResult]] = {}
    for result in results:
        by_township.setdefault(result.township_id, []).append(result)
    for members in by_township.values():
        assign_ranks(members)
    township_ranks = {r.village_id: r.rank for r in results}
    assign_ranks(results)
    for result in results:
        result.county_rank, result.rank = result.rank, township_ranks[result.village_id]
    if village_ids is not None:
        wanted = set(village_ids)
        results = [r for r in results if r.village_id in wanted]
    return results


def order_key(result: VillageResult) -> tuple[Any, ...]:
    """Veto last; then the exact total, high first (a village with nothing scored after
    the rest); then fewer dropouts, higher exact 入学率, village code (DESIGN.md §5)."""
    total = result.exact_total
    due = result.counts.facts["due"]
    enrolment = Fraction(result.counts.facts["enrolled"], due) if due else Fraction(1)
    return (
        result.veto,
        total is None,
        -(total or 0),
        result.dropouts,
        -enrolment,
        result.code or "",
    )


def assign_ranks(results: list[VillageResult]) -> None:
    """Rank by the exact totals: villages share a rank only when their totals are equal,
    not merely equal once rounded for display."""
    results.sort(key=order_key)
    for index, result in enumerate(results):
        before = results[index - 1] if index else None
        shares = before is not None and (before.veto, before.exact_total) == (
            result.veto,
            result.exact_total,
        )
        result.rank = before.rank if shares else index + 1


def previous_period(session: Session, period: AssessmentPeriod) -> AssessmentPeriod | None:
    """The latest period that ended before this one began."""
    return session.scalar(
        select(AssessmentPeriod)
        .where(AssessmentPeriod.end_on < period.start_on)
        .order_by(AssessmentPeriod.end_on.desc())
        .limit(1)
    )


def ranked(
    session: Session, period: AssessmentPeriod, today: dt.date | None = None
) -> list[VillageResult]:
    """``rank_villages`` of every village, kept while the data is unchanged
    (``dataversion``): the results are shared between requests and must not be changed.

    The key holds all ``rank_villages`` reads besides the rows every write versions:
    the period (its dates too, though editing a period is a write) and today, which
    decides the cases whose N days have run out.
    """
    today = today or local_today()
    key = (period.id, period.start_on, period.end_on, today)
    return dataversion.cached(
        session, "rank_villages", key, lambda: rank_villages(session, period, today=today)
    )


def ranking_with_change(
    session: Session,
    period: AssessmentPeriod,
    village_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
    *,
    across_county: bool = False,
) -> list[VillageResult]:
    """The ranking of the period with each village's rank in the previous one (较上期).

    Both rankings come from ``ranked``; the results are copies, each the caller's own
    (``copy.copy`` keeps the totals already worked out). ``across_county``: the ranks are
    among every village (全县), not among the village's township's."""
    wanted = None if village_ids is None else set(village_ids)
    everyone = ranked(session, period, today)
    results = [copy.copy(r) for r in everyone if wanted is None or r.village_id in wanted]
    earlier = previous_period(session, period)
    if earlier is not None:
        before = {r.village_id: r for r in ranked(session, earlier, today)}
        for result in results:
            old = before.get(result.village_id)
            result.previous_rank = old.rank if old else None
            result.previous_county_rank = old.county_rank if old else None
    if across_county:
        for result in results:
            result.rank, result.previous_rank = result.county_rank, result.previous_county_rank
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
    #: Rows the indicator leaves out on purpose (e.g. cases still inside their N days).
    pending: list[Any] = field(default_factory=list)
    pending_label: str = ""


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
    session: Session,
    period: AssessmentPeriod,
    village: VillageResult,
    today: dt.date | None = None,
) -> list[Evidence]:
    """For each indicator of one village: the formula, the numbers and the rows behind them."""
    children = village_children(session, period, village.village_id)
    window = Window.of(period)
    indicators = {i.code: i for i in active_indicators(session)}
    evidence = []
    for score in village.scores:
        indicator = indicators[score.code]
        declared = METHODS[score.method]
        formula = declared.formula.format(
            **{k: f"{v:g}" for k, v in method_params(indicator).items()}
        )
        if declared.evidence is not None:
            base, hit, missing_label, counted_label = declared.evidence
            members = [c for c in children if c.flags[base]]
            counted = [c for c in members if c.flags.get(hit)]
            missing = [c for c in members if not c.flags.get(hit)]
            evidence.append(
                Evidence(score, formula, counted, missing, missing_label, counted_label)
            )
        elif score.method == IndicatorMethod.VISIT_TIMELINESS:
            days = int(method_params(indicator)["days"])
            before = judged_before(period.end_on, today or local_today())
            cases = session.execute(village_cases(window, before, days, village.village_id)).all()
            evidence.append(
                Evidence(
                    score,
                    formula,
                    [c for c in cases if c.judged and c.timely],
                    [c for c in cases if c.judged and not c.timely],
                    f"未在{days}天内首次走访",
                    "及时",
                    pending=[c for c in cases if not c.judged],
                    pending_label=f"发现未满{days}天，尚不评判",
                )
            )
        else:
            inspections = session.scalars(
                select(Inspection)
                .where(inspected_in(window), Inspection.village_id == village.village_id)
                .order_by(Inspection.inspected_on)
            ).all()
            evidence.append(Evidence(score, formula, list(inspections), [], "", "督导检查"))
    return evidence


def veto_children(session: Session, period: AssessmentPeriod, village_id: int) -> list[ChildRow]:
    return [c for c in village_children(session, period, village_id) if c.flags["poor_dropout"]]


def absent_children(session: Session, period: AssessmentPeriod, village_id: int) -> list[ChildRow]:
    """The village's children lawfully absent (休学/免缓学) at the period's end: shown on
    their own, since they count neither as enrolled nor as out of school."""
    return [c for c in village_children(session, period, village_id) if c.flags["lawful_absence"]]


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
