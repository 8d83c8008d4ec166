"""月报 and 学期报 as records: a snapshot frozen when prepared, then 填报 → 审核 → 上报.

The township hands the 县教育局 a monthly report (as of the 28th) and a term report (as of
3/20 and 9/20). Preparing one computes its figures and the three registers (适龄儿童台账,
疑似辍学台账, 辍学台账) as of its date and stores them: what the leader reviewed and the
county received is what stays on record, whatever changes in the registers afterwards.
Each step is signed by its user with a timestamp; a submitted report is locked, and a
correction is a new version with its reason, the old one kept (已更正).

Who may take which step is the ``"submission"`` row of ``access.permissions``; this module
checks it on every step, so the CLI, the seed and the tests meet the same rules as the page.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from ..access.permissions import allows
from ..access.scope import is_township_wide, scope_criterion
from ..assessment.core import (
    SCHOOL_AGE,
    Window,
    child_flags,
    probes_cheaply,
    profile_query,
    rate,
)
from ..choices import (
    IN_SCHOOL_STATUSES,
    OUT_OF_SCHOOL_STATUSES,
    CaseStatus,
    ChildStatus,
    ReportKind,
    Role,
    SubmissionStatus,
)
from ..models import (
    CaseEvent,
    Child,
    ChildStatusChange,
    DropoutCase,
    ReportSubmission,
    School,
    Township,
    User,
    Village,
    utcnow,
)
from ..util.dates import beijing_minute, beijing_time, local_today, school_year_cutoff
from ..util.params import parse_id
from ..util.sqlutil import hash_id_sets_in_memory
from .xlsx import Col, Heading, ReportWriter, write_sign_off

#: The screen's key in ``access.permissions``.
SCREEN = "submission"
#: Its own actions besides read/create (填报)/edit (重新填报)/delete.
REVIEW, RETURN, SUBMIT, CORRECT = "review", "return", "submit", "correct"

#: The day of the month a 月报 is taken on, and the days of the two term reports.
MONTH_DAY = 28
SPRING, AUTUMN = "spring", "autumn"
TERM_DAY = {SPRING: (3, 20), AUTUMN: (9, 20)}
TERM_NAME = {SPRING: "春季学期", AUTUMN: "秋季学期"}
#: How late in a term its report may be taken (the term's last day).
TERM_LAST_DAY = {SPRING: (7, 31), AUTUMN: (12, 31)}

#: A case that is 疑似辍学 on a day: found, not yet confirmed or cleared.
SUSPECTED_CASE = frozenset({CaseStatus.SUSPECTED, CaseStatus.VERIFYING, CaseStatus.UNREACHED})
#: Statuses under which a report may still be changed by its preparer.
OPEN_STATUSES = frozenset({SubmissionStatus.PREPARED, SubmissionStatus.RETURNED})
#: Reasons are kept whole but not without bound.
REASON_MAX = 500
SNAPSHOT_SCHEMA = 1


class SubmissionError(Exception):
    """A refused step; ``errors`` maps a form field (or ``""`` for the page) to Chinese."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__("；".join(self.errors.values()))


# --- Periods -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A reporting period: its code, name, the day its figures start and its as-of days."""

    kind: ReportKind
    code: str
    label: str
    start: dt.date
    default_as_of: dt.date
    last_day: dt.date


def month_period(year: int, month: int) -> Period:
    """月报 of a month: from the day after last month's 28th to this month's 28th, so
    consecutive reports cover every day once."""
    first = dt.date(year, month, 1)
    previous = (first - dt.timedelta(days=1)).replace(day=MONTH_DAY)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return Period(
        ReportKind.MONTHLY,
        f"{year:04d}-{month:02d}",
        f"{year}年{month}月",
        previous + dt.timedelta(days=1),
        dt.date(year, month, MONTH_DAY),
        last,
    )


def term_period(year: int, term: str) -> Period:
    """学期报: as of 3/20 (春季) or 9/20 (秋季); its changes since the previous term's report."""
    month, day = TERM_DAY[term]
    if term == AUTUMN:
        previous = dt.date(year, *TERM_DAY[SPRING])
    else:
        previous = dt.date(year - 1, *TERM_DAY[AUTUMN])
    return Period(
        ReportKind.TERM,
        f"{year:04d}-{term}",
        f"{year}年{TERM_NAME[term]}",
        previous + dt.timedelta(days=1),
        dt.date(year, month, day),
        dt.date(year, *TERM_LAST_DAY[term]),
    )


def parse_period(kind: ReportKind, code: str) -> Period | None:
    """The period a code names (``2026-10``, ``2026-autumn``), or None for anything else."""
    year_text, _, rest = (code or "").strip().partition("-")
    if not (year_text.isdigit() and len(year_text) == 4 and 2000 <= int(year_text) <= 2100):
        return None
    year = int(year_text)
    if kind == ReportKind.MONTHLY:
        if not (rest.isdigit() and len(rest) == 2 and 1 <= int(rest) <= 12):
            return None
        return month_period(year, int(rest))
    if rest in TERM_DAY:
        return term_period(year, rest)
    return None


def recent_periods(kind: ReportKind, today: dt.date, count: int = 12) -> list[Period]:
    """The periods a clerk picks from, newest first: those begun by today."""
    found: list[Period] = []
    if kind == ReportKind.MONTHLY:
        year, month = today.year, today.month
        while len(found) < count:
            found.append(month_period(year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return found
    year = today.year
    while len(found) < count:
        for term in (AUTUMN, SPRING):
            period = term_period(year, term)
            if period.start <= today and len(found) < count:
                found.append(period)
        year -= 1
    return found


def as_of_error(period: Period, as_of: dt.date, today: dt.date) -> str | None:
    if as_of < period.start:
        return f"数据截至日期不能早于本期统计起始日 {period.start.isoformat()}"
    if as_of > period.last_day:
        return f"数据截至日期不能晚于{period.label}的最后一天 {period.last_day.isoformat()}"
    if as_of > today:
        return "数据截至日期不能晚于今天"
    return None


# --- Who sees what ---------------------------------------------------------------------------


def visible(user: Any) -> ColumnElement[bool]:
    """The reports ``user`` may read: the township's staff every one; the 县教育局 those
    that were 上报 (a corrected one too, marked 已更正), never a draft; nobody else any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if not allows(user, SCREEN, "read"):
        return false()
    if user.role == Role.COUNTY:
        return ReportSubmission.submitted_at.is_not(None)
    # A township's staff, their township's reports (all of them when kept to none).
    return scope_criterion(ReportSubmission, user) if is_township_wide(user) else false()


def get_visible(session: Session, raw_id: Any, user: Any) -> ReportSubmission | None:
    key = parse_id(raw_id)
    if key is None:
        return None
    return session.scalar(select(ReportSubmission).where(ReportSubmission.id == key, visible(user)))


def allowed_steps(user: Any, sub: ReportSubmission) -> list[str]:
    """The step buttons ``user`` gets on ``sub``: its status allows them and so does the role."""
    by_status = {
        SubmissionStatus.PREPARED: ["edit", REVIEW, RETURN, "delete"],
        SubmissionStatus.RETURNED: ["edit", "delete"],
        SubmissionStatus.REVIEWED: [SUBMIT, RETURN],
        SubmissionStatus.SUBMITTED: [CORRECT],
        SubmissionStatus.SUPERSEDED: [],
    }[sub.status]
    return [step for step in by_status if allows(user, SCREEN, step)]


# --- The snapshot ----------------------------------------------------------------------------


def _label(value: Any) -> str:
    return "" if value is None else getattr(value, "label", str(value))


def _status_on(day: dt.date) -> Any:
    held = ChildStatusChange
    return (
        select(
            held.child_id,
            held.to_status.label("status"),
            held.reason.label("reason"),
            held.effective_on.label("since"),
        )
        .where(held.effective_on <= day, or_(held.ended_on.is_(None), held.ended_on > day))
        .subquery()
    )


def _case_status_on(
    session: Session, child_ids: Iterable[int], as_of: dt.date
) -> dict[int, DropoutCase | Any]:
    """Each child's latest case found by ``as_of``, with the status it had on that day
    (read from its steps; a case without recorded steps keeps its status)."""
    ids = list(child_ids)
    found: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cases = session.scalars(
            select(DropoutCase)
            .where(DropoutCase.child_id.in_(chunk), DropoutCase.discovered_on <= as_of)
            .order_by(DropoutCase.discovered_on, DropoutCase.id)
        ).all()
        if not cases:
            continue
        statuses: dict[int, CaseStatus] = {}
        for case_id, to_status in session.execute(
            select(CaseEvent.case_id, CaseEvent.to_status)
            .where(
                CaseEvent.case_id.in_([c.id for c in cases]),
                CaseEvent.to_status.is_not(None),
                CaseEvent.happened_on <= as_of,
            )
            .order_by(CaseEvent.happened_on, CaseEvent.id)
        ):
            statuses[case_id] = to_status
        for case in cases:
            found[case.child_id] = SimpleNamespace(
                case=case, status=statuses.get(case.id, case.status)
            )
    return found


def _percent(numerator: int, denominator: int) -> str:
    if not denominator:
        return "—"
    value: Decimal = rate(numerator, denominator)
    return f"{value}%"


FIGURE_KEYS = (
    "due",
    "enrolled",
    "out_of_school",
    "lawful_absence",
    "suspected",
    "new_dropouts",
    "returned",
    "year_new_dropouts",
    "year_returned",
)
#: The county's layout of the figures, in its order.
FIGURE_LABELS = {
    "due": "应入学(人)",
    "enrolled": "在校(人)",
    "rate": "入学率",
    "out_of_school": "辍学/未入学在册(人)",
    "lawful_absence": "休学/免缓学(人)",
    "suspected": "疑似辍学(人)",
    "new_dropouts": "本期新增辍学(人)",
    "returned": "本期劝返复学(人)",
    "year_new_dropouts": "本学年累计新增辍学(人)",
    "year_returned": "本学年累计劝返复学(人)",
}


def build_snapshot(
    session: Session, township: Township, period: Period, as_of: dt.date
) -> dict[str, Any]:
    """The figures and the three registers of ``township`` as of ``as_of``, as JSON-ready data.

    A child's membership and status come from the assessment's own profile query
    (``assessment.core``: cohort of compulsory age, status from the history on ``as_of``),
    so 应入学, 在校 and 辍学 agree with the ranking's figures. New dropouts and returns are
    the status changes dated within the period (and within the school year so far).
    """
    village_ids = list(
        session.scalars(select(Village.id).where(Village.township_id == township.id))
    )
    window = Window.of(SimpleNamespace(start_on=period.start, end_on=as_of))
    probe = probes_cheaply(session)
    if not probe:
        hash_id_sets_in_memory(session)
    flags: dict[int, dict[str, bool]] = {}
    if village_ids:
        stmt = profile_query(window, probe).where(Child.village_id.in_(village_ids))
        for child_id, _, bits in session.execute(stmt):
            if bits & SCHOOL_AGE:
                flags[child_id] = child_flags(bits)

    held = _status_on(as_of)
    children: list[dict[str, Any]] = []
    info: dict[int, dict[str, Any]] = {}
    if flags:
        rows = session.execute(
            select(
                Child.id,
                Child.name,
                Child.sex,
                Child.id_number,
                Child.birth_date,
                Village.name.label("village"),
                School.name.label("school"),
                Child.stage,
                Child.grade,
                Child.class_name,
                held.c.status,
                held.c.reason,
                held.c.since,
            )
            .join(Village, Village.id == Child.village_id)
            .outerjoin(School, School.id == Child.school_id)
            .join(held, held.c.child_id == Child.id)
            .where(Child.village_id.in_(village_ids))
            .order_by(Village.code, Village.name, Child.id)
        ).all()
        for row in rows:
            if row.id not in flags or row.status == ChildStatus.MOVED_OUT:
                continue
            record = {
                "village": row.village,
                "school": row.school or "",
                "name": row.name,
                "sex": _label(row.sex),
                "id_number": row.id_number or "",
                "birth_date": row.birth_date.isoformat(),
                "stage": _label(row.stage),
                "grade": row.grade,
                "class_name": row.class_name or "",
                "status": _label(row.status),
                "reason": _label(row.reason),
                "since": row.since.isoformat(),
            }
            info[row.id] = {**record, "code": row.status}
            children.append(record)

    year_start = school_year_cutoff(as_of) + dt.timedelta(days=1)
    first_day = min(year_start, period.start)
    new_ids: set[int] = set()
    movements: dict[str, list[dict[str, Any]]] = {"new_dropouts": [], "returned": []}
    year_counts: dict[str, list[int]] = {"year_new_dropouts": [], "year_returned": []}
    period_counts: dict[str, list[int]] = {"new_dropouts": [], "returned": []}
    if info:
        change = ChildStatusChange
        ids = list(info)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for child_id, from_status, to_status, on, reason in session.execute(
                select(
                    change.child_id,
                    change.from_status,
                    change.to_status,
                    change.effective_on,
                    change.reason,
                )
                .where(
                    change.child_id.in_(chunk),
                    change.effective_on.between(first_day, as_of),
                )
                .order_by(change.effective_on, change.id)
            ):
                was_out = from_status in OUT_OF_SCHOOL_STATUSES
                if to_status in OUT_OF_SCHOOL_STATUSES and not was_out:
                    what = "new_dropouts"
                elif was_out and to_status in IN_SCHOOL_STATUSES:
                    what = "returned"
                else:
                    continue
                if on >= year_start:
                    year_counts[f"year_{what}"].append(child_id)
                if on < period.start:
                    continue
                period_counts[what].append(child_id)
                if what == "new_dropouts":
                    new_ids.add(child_id)
                child = info[child_id]
                movements[what].append(
                    {
                        "village": child["village"],
                        "school": child["school"],
                        "name": child["name"],
                        "sex": child["sex"],
                        "id_number": child["id_number"],
                        "on": on.isoformat(),
                        "from": _label(from_status),
                        "to": _label(to_status),
                        "reason": _label(reason),
                    }
                )

    cases = _case_status_on(session, list(info), as_of)
    suspected: list[dict[str, Any]] = []
    dropouts: list[dict[str, Any]] = []
    suspected_ids: set[int] = set()
    for child_id, child in info.items():
        found = cases.get(child_id)
        base = {k: v for k, v in child.items() if k != "code"}
        if found is not None and found.status in SUSPECTED_CASE:
            case = found.case
            suspected_ids.add(child_id)
            suspected.append(
                {
                    **base,
                    "case_kind": _label(case.kind),
                    "discovered_on": case.discovered_on.isoformat(),
                    "source": _label(case.source),
                    "case_status": _label(found.status),
                    "case_reason": _label(case.reason),
                }
            )
        if flags[child_id]["dropout"]:
            dropouts.append(
                {
                    **base,
                    "case_status": _label(found.status) if found is not None else "未立案",
                    "new_in_period": "是" if child_id in new_ids else "否",
                }
            )

    by_village: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURE_KEYS, 0))
    by_school: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURE_KEYS, 0))
    total = dict.fromkeys(FIGURE_KEYS, 0)

    def add(child_id: int, field: str) -> None:
        child = info[child_id]
        by_village[child["village"]][field] += 1
        by_school[child["school"] or "（未填学校）"][field] += 1
        total[field] += 1

    for child_id, child_flag in flags.items():
        if child_id not in info:
            continue
        by_village[info[child_id]["village"]]  # every village with children gets a row
        by_school[info[child_id]["school"] or "（未填学校）"]
        for field, flag in (
            ("due", "due"),
            ("enrolled", "enrolled"),
            ("out_of_school", "dropout"),
            ("lawful_absence", "lawful_absence"),
        ):
            if child_flag[flag]:
                add(child_id, field)
        if child_id in suspected_ids:
            add(child_id, "suspected")
    for counted in (period_counts, year_counts):
        for field, ids_ in counted.items():
            for child_id in ids_:
                add(child_id, field)

    def line(name: str, counts: dict[str, int]) -> dict[str, Any]:
        return {"name": name, **counts, "rate": _percent(counts["enrolled"], counts["due"])}

    villages_order = list(
        session.scalars(
            select(Village.name)
            .where(Village.township_id == township.id)
            .order_by(Village.code, Village.name)
        )
    )
    return {
        "schema": SNAPSHOT_SCHEMA,
        "township": township.name,
        "kind": period.kind.label,
        "period_label": period.label,
        "period_start": period.start.isoformat(),
        "as_of": as_of.isoformat(),
        "year_start": year_start.isoformat(),
        "figures": {
            "total": line("合计", total),
            "villages": [
                line(name, by_village[name]) for name in villages_order if name in by_village
            ],
            "schools": [line(name, by_school[name]) for name in sorted(by_school)],
        },
        "movements": movements,
        "registers": {"children": children, "suspected": suspected, "dropouts": dropouts},
    }


def dump(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))


def load(sub: ReportSubmission) -> dict[str, Any]:
    return json.loads(sub.snapshot)


# --- The steps ------------------------------------------------------------------------------


def _check_role(user: User, action: str, what: str) -> None:
    if not allows(user, SCREEN, action):
        raise SubmissionError(f"您的角色（{user.role.label}）不能{what}")


def _sign(sub: ReportSubmission, step: str, user: User, note: str | None = None) -> None:
    entry = {"step": step, "by": user.display_name, "at": beijing_minute(utcnow())}
    if note:
        entry["note"] = note
    # A new list: the JSON column notices reassignment, not an append.
    sub.steps = [*(sub.steps or []), entry]


def _reason(reason: str | None, field: str, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise SubmissionError({field: f"请填写{what}"})
    if len(text) > REASON_MAX:
        raise SubmissionError({field: f"{what}不能超过{REASON_MAX}字"})
    return text


def current_version(
    session: Session, township_id: int, kind: ReportKind, period_code: str
) -> ReportSubmission | None:
    return session.scalar(
        select(ReportSubmission)
        .where(
            ReportSubmission.township_id == township_id,
            ReportSubmission.kind == kind,
            ReportSubmission.period == period_code,
        )
        .order_by(ReportSubmission.revision.desc())
        .limit(1)
    )


def prepare(
    session: Session,
    user: User,
    township: Township,
    kind: ReportKind,
    period_code: str,
    as_of: dt.date | None = None,
    *,
    today: dt.date | None = None,
) -> ReportSubmission:
    """填报: freeze the period's figures and registers as of ``as_of`` (default: the 28th,
    or 3/20 / 9/20); the caller commits. One report per period: a second is refused and
    pointed at the first (a change after 上报 is a correction of it)."""
    _check_role(user, "create", "填报")
    period = parse_period(kind, period_code)
    if period is None:
        raise SubmissionError({"period": "请选择有效的报送期"})
    today = today or local_today()
    as_of = as_of or min(period.default_as_of, today)
    problem = as_of_error(period, as_of, today)
    if problem:
        raise SubmissionError({"as_of": problem})
    existing = current_version(session, township.id, kind, period.code)
    if existing is not None:
        raise SubmissionError(
            {
                "period": f"{township.name}{period.label}{kind.label}已有第{existing.revision}版"
                f"（{existing.status.label}），请在该报表的详情页操作，不能重复填报"
            }
        )
    snapshot = build_snapshot(session, township, period, as_of)
    sub = ReportSubmission(
        township=township,
        kind=kind,
        period=period.code,
        period_label=period.label,
        period_start=period.start,
        as_of=as_of,
        revision=1,
        status=SubmissionStatus.PREPARED,
        prepared_by_id=user.id,
        prepared_by_name=user.display_name,
        prepared_at=utcnow(),
        steps=[],
        snapshot=dump(snapshot),
    )
    _sign(sub, "填报", user, f"数据截至{as_of.isoformat()}")
    session.add(sub)
    session.flush()
    return sub


def _period_of(sub: ReportSubmission) -> Period:
    period = parse_period(sub.kind, sub.period)
    assert period is not None, sub.period
    return period


def regenerate(
    session: Session,
    user: User,
    sub: ReportSubmission,
    as_of: dt.date | None = None,
    *,
    today: dt.date | None = None,
) -> ReportSubmission:
    """重新填报 a report not yet reviewed (or sent back): a fresh snapshot, signed anew."""
    _check_role(user, "edit", "重新填报")
    if sub.status not in OPEN_STATUSES:
        raise SubmissionError(f"报表{sub.status.label}，不能重新填报")
    period = _period_of(sub)
    as_of = as_of or sub.as_of
    problem = as_of_error(period, as_of, today or local_today())
    if problem:
        raise SubmissionError({"as_of": problem})
    township = session.get(Township, sub.township_id)
    assert township is not None
    sub.snapshot = dump(build_snapshot(session, township, period, as_of))
    sub.as_of = as_of
    sub.status = SubmissionStatus.PREPARED
    sub.prepared_by_id, sub.prepared_by_name, sub.prepared_at = (
        user.id,
        user.display_name,
        utcnow(),
    )
    sub.reviewed_by_id = sub.reviewed_by_name = sub.reviewed_at = None
    _sign(sub, "重新填报", user, f"数据截至{as_of.isoformat()}")
    session.flush()
    return sub


def review(session: Session, user: User, sub: ReportSubmission) -> ReportSubmission:
    """审核 (the township leader) of a prepared report."""
    _check_role(user, REVIEW, "审核")
    if sub.status != SubmissionStatus.PREPARED:
        raise SubmissionError(f"报表{sub.status.label}，不能审核（须为“已填报”）")
    sub.status = SubmissionStatus.REVIEWED
    sub.reviewed_by_id, sub.reviewed_by_name, sub.reviewed_at = (
        user.id,
        user.display_name,
        utcnow(),
    )
    _sign(sub, "审核", user)
    session.flush()
    return sub


def send_back(
    session: Session, user: User, sub: ReportSubmission, reason: str | None
) -> ReportSubmission:
    """退回: the leader sends a prepared or reviewed report back to the preparer, with why."""
    _check_role(user, RETURN, "退回")
    if sub.status not in (SubmissionStatus.PREPARED, SubmissionStatus.REVIEWED):
        raise SubmissionError(f"报表{sub.status.label}，不能退回")
    text = _reason(reason, "reason", "退回原因")
    sub.status = SubmissionStatus.RETURNED
    sub.return_reason = text
    sub.reviewed_by_id = sub.reviewed_by_name = sub.reviewed_at = None
    _sign(sub, "退回", user, text)
    session.flush()
    return sub


def submit(session: Session, user: User, sub: ReportSubmission) -> ReportSubmission:
    """上报 to the 县教育局: only a reviewed report; from now on it is locked."""
    _check_role(user, SUBMIT, "上报")
    if sub.status != SubmissionStatus.REVIEWED:
        raise SubmissionError(f"报表{sub.status.label}，不能上报（须先经乡领导审核）")
    sub.status = SubmissionStatus.SUBMITTED
    sub.submitted_by_id, sub.submitted_by_name, sub.submitted_at = (
        user.id,
        user.display_name,
        utcnow(),
    )
    _sign(sub, "上报", user)
    session.flush()
    return sub


def correct(
    session: Session,
    user: User,
    sub: ReportSubmission,
    reason: str | None,
    *,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
) -> ReportSubmission:
    """更正 a submitted report: a new version (same period, as of the same day unless told),
    freshly prepared, with the reason; the submitted one stays on record as 已更正."""
    _check_role(user, CORRECT, "更正")
    if sub.status != SubmissionStatus.SUBMITTED:
        raise SubmissionError(f"报表{sub.status.label}，只有已上报的报表可以更正")
    text = _reason(reason, "reason", "更正原因")
    period = _period_of(sub)
    as_of = as_of or sub.as_of
    problem = as_of_error(period, as_of, today or local_today())
    if problem:
        raise SubmissionError({"as_of": problem})
    township = session.get(Township, sub.township_id)
    assert township is not None
    new = ReportSubmission(
        township=township,
        kind=sub.kind,
        period=sub.period,
        period_label=sub.period_label,
        period_start=sub.period_start,
        as_of=as_of,
        revision=sub.revision + 1,
        supersedes=sub,
        correction_reason=text,
        status=SubmissionStatus.PREPARED,
        prepared_by_id=user.id,
        prepared_by_name=user.display_name,
        prepared_at=utcnow(),
        steps=[],
        snapshot=dump(build_snapshot(session, township, period, as_of)),
    )
    _sign(new, "更正填报", user, f"更正第{sub.revision}版：{text}")
    sub.status = SubmissionStatus.SUPERSEDED
    _sign(sub, "已更正", user, f"由第{new.revision}版更正：{text}")
    session.add(new)
    session.flush()
    return new


def delete(session: Session, user: User, sub: ReportSubmission) -> None:
    """Delete a report never reviewed nor submitted (one prepared by mistake). Deleting a
    correction's draft puts the version it corrected back as 已上报."""
    _check_role(user, "delete", "删除")
    if sub.status not in OPEN_STATUSES:
        raise SubmissionError(f"报表{sub.status.label}，不能删除")
    previous = sub.supersedes
    if previous is not None:
        previous.status = SubmissionStatus.SUBMITTED
        _sign(previous, "撤回更正", user, f"第{sub.revision}版更正稿已删除")
    session.delete(sub)
    session.flush()


# --- The workbook ----------------------------------------------------------------------------


def _row_getter(key: str) -> Any:
    return lambda row: row.get(key)


def _cols(*spec: tuple[str, str, float] | tuple[str, str, float, str]) -> tuple[Col, ...]:
    cols = []
    for item in spec:
        label, key, width = item[0], item[1], item[2]
        mask = item[3] if len(item) > 3 else None
        fmt = "id" if mask else ("int" if key in FIGURE_KEYS or key == "grade" else "text")
        cols.append(Col(label, _row_getter(key), width, fmt, mask=mask, key=key))
    return tuple(cols)


FIGURE_COLUMNS = (
    Col("单位", _row_getter("name"), 18, key="name"),
    *(
        Col(label, _row_getter(key), 9, "text" if key == "rate" else "int", key=key)
        for key, label in FIGURE_LABELS.items()
    ),
)
PERSON = (
    ("行政村", "village", 10),
    ("学校", "school", 16),
    ("姓名", "name", 8),
    ("性别", "sex", 5),
    ("身份证号", "id_number", 20, "id"),
)
MOVEMENT_COLUMNS = _cols(
    *PERSON,
    ("变动日期", "on", 11),
    ("原状态", "from", 9),
    ("新状态", "to", 9),
    ("原因", "reason", 12),
)
CHILD_COLUMNS = _cols(
    *PERSON,
    ("出生日期", "birth_date", 11),
    ("学段", "stage", 5),
    ("年级", "grade", 5),
    ("班级", "class_name", 6),
    ("就学状态", "status", 9),
    ("原因", "reason", 12),
    ("状态起始日", "since", 11),
)
SUSPECTED_COLUMNS = _cols(
    *PERSON,
    ("就学状态", "status", 9),
    ("案件类型", "case_kind", 7),
    ("发现日期", "discovered_on", 11),
    ("来源", "source", 9),
    ("案件状态", "case_status", 8),
    ("原因", "case_reason", 12),
)
DROPOUT_COLUMNS = _cols(
    *PERSON,
    ("出生日期", "birth_date", 11),
    ("就学状态", "status", 9),
    ("原因", "reason", 12),
    ("起始日期", "since", 11),
    ("本期新增", "new_in_period", 7),
    ("案件状态", "case_status", 9),
)


def sign_off_lines(sub: ReportSubmission) -> list[str]:
    """The sign-off block: who prepared, reviewed and submitted it and when; the version."""

    def signed(role: str, name: str | None, at: dt.datetime | None) -> str:
        if not name:
            return f"{role}：＿＿＿＿＿＿（未签）"
        return f"{role}：{name}　{beijing_minute(at)}"

    lines = [
        "　　".join(
            (
                signed("填报人", sub.prepared_by_name, sub.prepared_at),
                signed("审核人", sub.reviewed_by_name, sub.reviewed_at),
                signed("上报人", sub.submitted_by_name, sub.submitted_at),
            )
        )
    ]
    version = f"版本：第{sub.revision}版　状态：{sub.status.label}"
    if sub.supersedes_id is not None and sub.correction_reason:
        version += f"　更正第{sub.revision - 1}版，更正原因：{sub.correction_reason}"
    lines.append(version)
    lines.append("填报单位（盖章）：＿＿＿＿＿＿＿＿＿＿")
    return lines


class _SignedWriter(ReportWriter):
    """The engine's writer with this report's own sign-off block (names and times)."""

    def __init__(self, *args: Any, lines: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines

    def _finish(self, sheet: Any, last_row: int, widths: Any, sign_off: bool) -> None:
        super()._finish(sheet, last_row, widths, False)
        if sign_off:
            write_sign_off(sheet, self.styles, last_row + 2, widths, self.lines)


def workbook(sub: ReportSubmission, downloaded_by: User, masked: bool) -> bytes:
    """The report's workbook, from its stored snapshot (never recomputed)."""
    snap = load(sub)
    buffer = io.BytesIO()
    title = f"{snap['township']}控辍保学{sub.period_label}{sub.kind.label}"
    period = f"{sub.period_label}（{sub.period_start.isoformat()}至{sub.as_of.isoformat()}）"
    generated = beijing_time(sub.prepared_at or utcnow()).replace(second=0, microsecond=0)
    heading = Heading(
        title=title,
        township=snap["township"],
        period=period,
        generated_by=f"{sub.prepared_by_name or ''}（填报）",
        filters=(
            f"第{sub.revision}版，{sub.status.label}；"
            f"下载：{downloaded_by.display_name} {beijing_minute(utcnow())}"
        ),
        masked=masked,
        generated_at=generated,
        period_label="统计周期",
    )
    writer = _SignedWriter(buffer, heading, lines=sign_off_lines(sub))
    figures = snap["figures"]
    writer.sheet(
        "汇总",
        FIGURE_COLUMNS,
        [
            {**figures["total"], "name": "全乡合计"},
            *({**v, "name": f"村：{v['name']}"} for v in figures["villages"]),
            *({**s, "name": f"校：{s['name']}"} for s in figures["schools"]),
        ],
        frozen_columns=1,
        sign_off=True,
    )
    for name, columns, rows, subtitle in (
        ("本期新增辍学", MOVEMENT_COLUMNS, snap["movements"]["new_dropouts"], "本期新增辍学名单"),
        ("本期劝返复学", MOVEMENT_COLUMNS, snap["movements"]["returned"], "本期劝返复学名单"),
        ("辍学台账", DROPOUT_COLUMNS, snap["registers"]["dropouts"], "辍学台账"),
        ("疑似辍学台账", SUSPECTED_COLUMNS, snap["registers"]["suspected"], "疑似辍学台账"),
        ("适龄儿童台账", CHILD_COLUMNS, snap["registers"]["children"], "适龄儿童台账"),
    ):
        writer.sheet(
            name,
            columns,
            rows,
            heading=replace(heading, title=f"{title}·{subtitle}"),
            frozen_columns=3,
            numbered=True,
            sign_off=True,
        )
    writer.close()
    return buffer.getvalue()


def file_name(sub: ReportSubmission) -> str:
    snap = load(sub)
    return f"{snap['township']}{sub.period_label}{sub.kind.label}_第{sub.revision}版.xlsx"
