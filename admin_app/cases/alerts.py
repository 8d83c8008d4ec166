"""动态监测预警: the conditions the township watches for, raised as alerts with an owner,
a due date and a closing action.

Four conditions, one rule each (``scan``):

* 失学无案件 — a child whose status is 未入学 or 辍学 and who has no open 控辍案件. 待核实
  is not one: the county list named the child without a school, and the 待核实儿童 screen
  already asks for that verification (it ends in school or in a case). The occurrence is
  the status row that made the child out of school: a child who returns and drops out
  again raises a new alert.
* 重点群体状态变化 — a 就学状态 change of a child of a key group (留守, 残疾, 孤儿·事实无人
  抚养, or of a 脱贫户/防返贫监测户 household), except a change to 未入学/辍学 (that raises
  失学无案件). Read from ``ChildStatusChange`` rows newer than the last scan's (and dated
  within ``WINDOW_DAYS``): a registration (no previous status) is no change.
* 缺勤超限 — a school's absence report of ``absence_threshold`` or more school days (county
  practice: 3 days raise a suspected dropout), reported within ``WINDOW_DAYS``.
* 失联 — a case in status 失联; the occurrence is its 登记失联 step.

Owner: the absence report's school (学校线) for 缺勤超限, the child's village (政府线) for the
rest. Each alert is due ``DUE_DAYS[kind]`` days after it was raised. An occurrence raises one
alert ever (unique kind + source key), so the scan is idempotent and a closed alert stays
closed. The scan also closes alerts whose condition is gone (``_resolve``): a case opened
(已开案), the child back in school (已返校), a 失联 case found. Closing by hand needs an
action and a note (``close``).

When it runs: on the home page and the alert list at most once per ``SCAN_INTERVAL``
(``scan_if_due``), right after an absence report is saved, and from ``flask scan-alerts``
(cron, once a night). Each rule is one query over indexed rows (out-of-school statuses,
status changes after a remembered id, recent absence reports, 失联 cases), so a county's
100,000 children are not read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..choices import (
    CHILD_KEY_GROUPS,
    HOUSEHOLD_CATEGORIES,
    IN_SCHOOL_STATUSES,
    OUT_OF_SCHOOL_STATUSES,
    AgreementLine,
    AlertAction,
    AlertKind,
    AlertStatus,
    CaseEventKind,
    CaseStatus,
    ChildStatus,
)
from ..models import (
    AbsenceReport,
    Alert,
    CaseEvent,
    Child,
    ChildStatusChange,
    DropoutCase,
    Household,
    School,
    User,
    Village,
    utcnow,
)
from ..util.dates import local_today
from ..util.siteflags import flag, set_flag
from .core import CLOSED_STATUSES

#: Days from raising to the due date, per kind: a child out of school or an absence that
#: long wants a visit within the days the county expects; a change or a lost child a week.
DUE_DAYS: dict[AlertKind, int] = {
    AlertKind.OUT_OF_SCHOOL: 3,
    AlertKind.KEY_GROUP_CHANGE: 7,
    AlertKind.ABSENCE: 3,
    AlertKind.UNREACHED: 7,
}
#: Status changes and absence reports older than this are history, not a watch: a first
#: scan of an old database (or a lowered threshold) does not flood the lists.
WINDOW_DAYS = 60
#: The key groups (``Child`` columns) and household categories whose children are watched.
KEY_GROUPS = ("is_left_behind", "is_disabled", "is_orphan")
KEY_CATEGORIES = ("is_poverty_alleviated", "is_monitored")

#: The setting: consecutive school days of absence that raise 缺勤超限 (``SiteFlag``).
ABSENCE_DAYS_FLAG = "alert_absence_days"
DEFAULT_ABSENCE_DAYS = 3
ABSENCE_DAYS_MIN, ABSENCE_DAYS_MAX = 1, 30
#: Longest absence a report may state (a term's school days).
REPORT_DAYS_MAX = 120

SCANNED_FLAG = "alerts_scanned_at"
CHANGE_SEEN_FLAG = "alerts_status_change_seen"
SCAN_INTERVAL = dt.timedelta(minutes=1)
#: Alerts listed on the home page; the rest are a link away.
SHOWN_ON_HOME = 5
NOTE_MAX = 500
#: The closer's name of the scan's own closings.
AUTOMATIC = "系统自动"


class AlertError(Exception):
    """A refused write, with a Chinese message per form field ("_" for the whole form)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


@dataclass
class ScanResult:
    raised: dict[AlertKind, int] = field(default_factory=lambda: dict.fromkeys(AlertKind, 0))
    closed: int = 0

    @property
    def total_raised(self) -> int:
        return sum(self.raised.values())


# --- The setting ---------------------------------------------------------------------------


def absence_threshold(session: Session) -> int:
    """The consecutive school days of unexcused absence that raise 缺勤超限 (default 3)."""
    raw = flag(session, ABSENCE_DAYS_FLAG)
    try:
        days = int(raw) if raw is not None else DEFAULT_ABSENCE_DAYS
    except ValueError:
        return DEFAULT_ABSENCE_DAYS
    return days if ABSENCE_DAYS_MIN <= days <= ABSENCE_DAYS_MAX else DEFAULT_ABSENCE_DAYS


def set_absence_threshold(session: Session, days: int | None) -> None:
    if days is None or not ABSENCE_DAYS_MIN <= days <= ABSENCE_DAYS_MAX:
        raise AlertError(
            {"days": f"缺勤预警天数应为{ABSENCE_DAYS_MIN}–{ABSENCE_DAYS_MAX}之间的整数"}
        )
    set_flag(session, ABSENCE_DAYS_FLAG, str(days))


# --- Absence reports -------------------------------------------------------------------------


def check_absence_report(session: Session, report: AbsenceReport) -> dict[str, str]:
    """Why this absence report cannot be saved, per field; empty when it can."""
    errors: dict[str, str] = {}
    today = local_today()
    child = report.child
    if child is None:
        errors["child"] = "请选择缺勤的学生"
    elif child.status in (ChildStatus.COMPLETED, ChildStatus.MOVED_OUT):
        errors["child"] = f"该儿童状态为“{child.status.label}”，不属于控辍保学对象"
    if report.from_on is None:
        errors["from_on"] = "请填写缺勤开始日期"
    elif report.from_on > today:
        errors["from_on"] = "缺勤开始日期不能晚于今天"
    elif child is not None and report.from_on < child.birth_date:
        errors["from_on"] = "缺勤开始日期早于出生日期"
    if report.days is None:
        errors["days"] = "请填写连续缺勤天数"
    elif not 1 <= report.days <= REPORT_DAYS_MAX:
        errors["days"] = f"连续缺勤天数应在1–{REPORT_DAYS_MAX}天之间"
    if report.reason is not None and len(report.reason) > NOTE_MAX:
        errors["reason"] = f"缺勤原因/说明最多{NOTE_MAX}字"
    return errors


def stamp_absence_report(report: AbsenceReport, actor: User | None) -> None:
    """A new report's school (the child's, whose line owns the alert) and reporter."""
    if report.school_id is None and report.child is not None:
        report.school_id = report.child.school_id
    if actor is not None and report.reported_by_id is None:
        report.reported_by_id = actor.id
        report.reported_by_name = actor.display_name


# --- Scanning --------------------------------------------------------------------------------


def _key(prefix: str, *parts: Any) -> Any:
    """``prefix:part:part`` as SQL (``||`` on both databases)."""
    expr: Any = literal(prefix)
    for part in parts:
        expr = expr + literal(":") + cast(part, String)
    return expr


def _unraised(kind: AlertKind, key: Any) -> ColumnElement[bool]:
    return ~exists().where(Alert.kind == kind, Alert.source_key == key)


def key_group_criterion() -> ColumnElement[bool]:
    """Children of a watched key group (theirs or their household's)."""
    categories = select(Household.id).where(
        or_(*(getattr(Household, name).is_(True) for name in KEY_CATEGORIES))
    )
    return or_(
        *(getattr(Child, name).is_(True) for name in KEY_GROUPS),
        Child.household_id.in_(categories),
    )


def _key_group_labels(session: Session, child: Child) -> str:
    labels = [CHILD_KEY_GROUPS[name] for name in KEY_GROUPS if getattr(child, name)]
    if child.household is not None:
        labels += [
            HOUSEHOLD_CATEGORIES[name] for name in KEY_CATEGORIES if getattr(child.household, name)
        ]
    return "、".join(labels)


def _new_alert(
    session: Session,
    kind: AlertKind,
    key: str,
    child: Child,
    today: dt.date,
    detail: str,
    school_id: int | None = None,
) -> Alert:
    alert = Alert(
        kind=kind,
        source_key=key,
        child_id=child.id,
        village_id=child.village_id,
        owner_line=AgreementLine.SCHOOL if school_id is not None else AgreementLine.GOVERNMENT,
        school_id=school_id,
        raised_on=today,
        due_on=today + dt.timedelta(days=DUE_DAYS[kind]),
        detail=detail,
        status=AlertStatus.OPEN,
    )
    session.add(alert)
    return alert


def _open_case_id() -> Any:
    return (
        select(func.min(DropoutCase.id))
        .where(DropoutCase.child_id == Child.id, DropoutCase.status.not_in(CLOSED_STATUSES))
        .scalar_subquery()
    )


def _raise_out_of_school(session: Session, today: dt.date) -> int:
    kind = AlertKind.OUT_OF_SCHOOL
    key = _key("status", ChildStatusChange.id)
    rows = session.execute(
        select(Child, ChildStatusChange.id, ChildStatusChange.effective_on)
        .join(ChildStatusChange, ChildStatusChange.child_id == Child.id)
        .where(
            Child.status.in_(OUT_OF_SCHOOL_STATUSES),
            ChildStatusChange.ended_on.is_(None),
            ChildStatusChange.to_status == Child.status,
            _open_case_id().is_(None),
            _unraised(kind, key),
        )
        .order_by(Child.id)
    ).all()
    for child, change_id, since in rows:
        reason = f"（{child.status_reason.label}）" if child.status_reason else ""
        detail = f"自{since}起{child.status.label}{reason}，尚未立控辍案件：请核实并立案劝返。"
        _new_alert(session, kind, f"status:{change_id}", child, today, detail)
    return len(rows)


def _raise_key_group_changes(session: Session, today: dt.date) -> int:
    kind = AlertKind.KEY_GROUP_CHANGE
    seen = int(flag(session, CHANGE_SEEN_FLAG) or 0)
    newest = session.scalar(select(func.max(ChildStatusChange.id))) or 0
    if newest <= seen:
        return 0
    key = _key("status", ChildStatusChange.id)
    rows = session.execute(
        select(Child, ChildStatusChange)
        .join(ChildStatusChange, ChildStatusChange.child_id == Child.id)
        .where(
            ChildStatusChange.id > seen,
            ChildStatusChange.id <= newest,
            ChildStatusChange.from_status.is_not(None),
            ChildStatusChange.from_status != ChildStatusChange.to_status,
            ChildStatusChange.to_status.not_in(OUT_OF_SCHOOL_STATUSES),
            ChildStatusChange.effective_on >= today - dt.timedelta(days=WINDOW_DAYS),
            key_group_criterion(),
            _unraised(kind, key),
        )
        .order_by(ChildStatusChange.id)
    ).all()
    for child, change in rows:
        groups = _key_group_labels(session, child)
        detail = (
            f"重点群体（{groups}）儿童就学状态于{change.effective_on}由“{change.from_status.label}”"
            f"变为“{change.to_status.label}”：请入户了解情况、落实帮扶。"
        )
        _new_alert(session, kind, f"status:{change.id}", child, today, detail)
    set_flag(session, CHANGE_SEEN_FLAG, str(newest))
    return len(rows)


def _raise_absences(session: Session, today: dt.date) -> int:
    kind = AlertKind.ABSENCE
    threshold = absence_threshold(session)
    key = _key("absence", AbsenceReport.id)
    rows = session.execute(
        select(AbsenceReport, Child)
        .join(Child, Child.id == AbsenceReport.child_id)
        .where(
            AbsenceReport.days >= threshold,
            AbsenceReport.from_on >= today - dt.timedelta(days=WINDOW_DAYS),
            _unraised(kind, key),
        )
        .order_by(AbsenceReport.id)
    ).all()
    for report, child in rows:
        note = f"；学校说明：{report.reason}" if report.reason else ""
        detail = (
            f"自{report.from_on}起连续缺勤{report.days}天（达到{threshold}天预警线），"
            f"疑似辍学：请家访核实、劝返{note}。"
        )
        school_id = report.school_id or child.school_id
        _new_alert(session, kind, f"absence:{report.id}", child, today, detail, school_id)
    return len(rows)


def _raise_unreached(session: Session, today: dt.date) -> int:
    kind = AlertKind.UNREACHED
    step = (
        select(func.coalesce(func.max(CaseEvent.id), 0))
        .where(CaseEvent.case_id == DropoutCase.id, CaseEvent.kind == CaseEventKind.UNREACHED)
        .scalar_subquery()
    )
    key = _key("case", DropoutCase.id, step)
    rows = session.execute(
        select(DropoutCase, Child, step)
        .join(Child, Child.id == DropoutCase.child_id)
        .where(DropoutCase.status == CaseStatus.UNREACHED, _unraised(kind, key))
        .order_by(DropoutCase.id)
    ).all()
    for found, child, step_id in rows:
        detail = (
            f"{found}（{found.kind.label}）登记失联：须报县政府，并继续通过亲属、村组、务工地查找。"
        )
        _new_alert(session, kind, f"case:{found.id}:{step_id}", child, today, detail)
    return len(rows)


def _close(
    alert: Alert, action: AlertAction, note: str, actor: User | None, now: dt.datetime
) -> None:
    alert.status = AlertStatus.CLOSED
    alert.closed_action = action
    alert.closed_note = note
    alert.closed_by_id = actor.id if actor is not None else None
    alert.closed_by_name = actor.display_name if actor is not None else AUTOMATIC
    alert.closed_at = now


def _resolve(session: Session, now: dt.datetime) -> int:
    """Close the open alerts whose condition is gone; how many."""
    rows = session.execute(
        select(Alert, Child.status, _open_case_id())
        .join(Child, Child.id == Alert.child_id)
        .where(
            Alert.status == AlertStatus.OPEN,
            Alert.kind.in_((AlertKind.OUT_OF_SCHOOL, AlertKind.ABSENCE, AlertKind.UNREACHED)),
        )
    ).all()
    closed = 0
    for alert, status, case_id in rows:
        if alert.kind == AlertKind.UNREACHED:
            case = session.get(DropoutCase, int(alert.source_key.split(":")[1]))
            if case is not None and case.status == CaseStatus.UNREACHED:
                continue
            found = case.status.label if case is not None else "已删除"
            _close(alert, AlertAction.HANDLED, f"案件状态已变为“{found}”", None, now)
        elif case_id is not None:
            _close(alert, AlertAction.CASE_OPENED, f"已立控辍案件#{case_id}", None, now)
        elif alert.kind == AlertKind.OUT_OF_SCHOOL and status not in OUT_OF_SCHOOL_STATUSES:
            action = AlertAction.RETURNED if status in IN_SCHOOL_STATUSES else AlertAction.HANDLED
            _close(alert, action, f"就学状态已变为“{status.label}”", None, now)
        else:
            continue
        closed += 1
    return closed


def scan(session: Session, today: dt.date | None = None) -> ScanResult:
    """Close the alerts whose condition is gone, then raise one for each condition that has
    none; the caller commits. Running it twice in a row changes nothing the second time."""
    today = today or local_today()
    result = ScanResult()
    result.closed = _resolve(session, utcnow())
    session.flush()
    result.raised[AlertKind.OUT_OF_SCHOOL] = _raise_out_of_school(session, today)
    result.raised[AlertKind.KEY_GROUP_CHANGE] = _raise_key_group_changes(session, today)
    result.raised[AlertKind.ABSENCE] = _raise_absences(session, today)
    result.raised[AlertKind.UNREACHED] = _raise_unreached(session, today)
    session.flush()
    return result


def scan_if_due(session: Session, now: dt.datetime | None = None) -> bool:
    """Scan and commit, unless a scan ran within ``SCAN_INTERVAL``; whether it scanned.

    For pages that show alerts (the home page, the alert list): the alerts are at most a
    minute behind without a nightly job, and a page reads them in a transaction that has
    written nothing (the home page's figures are cached only for such). Two processes
    scanning at once raise the same alert twice: the unique key refuses the second,
    which then rolls back — the first one's alerts stand.
    """
    now = now or utcnow()
    last = flag(session, SCANNED_FLAG)
    if last is not None:
        try:
            if now - dt.datetime.fromisoformat(last) < SCAN_INTERVAL:
                return False
        except ValueError:
            pass
    try:
        result = scan(session)
        set_flag(session, SCANNED_FLAG, now.isoformat(timespec="seconds"))
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return result.total_raised > 0 or result.closed > 0


# --- Closing by hand -------------------------------------------------------------------------


def close(
    session: Session,
    alert: Alert,
    action: AlertAction | str | None,
    note: str | None,
    actor: User | None,
) -> None:
    """Close an open alert with the action taken and a note on what was done."""
    errors: dict[str, str] = {}
    if alert.status != AlertStatus.OPEN:
        by = alert.closed_by_name or ""
        raise AlertError({"_": f"该预警已由{by}关闭，无需再次处理"})
    try:
        action = AlertAction(action) if action else None
    except ValueError:
        action = None
    if action is None:
        errors["action"] = "请选择处理结果"
    text = (note or "").strip()
    if not text:
        errors["note"] = "请填写处理情况（做了什么、结果如何）"
    elif len(text) > NOTE_MAX:
        errors["note"] = f"处理情况最多{NOTE_MAX}字"
    if errors:
        raise AlertError(errors)
    assert action is not None
    _close(alert, action, text, actor, utcnow())
    session.flush()


# --- Reading ---------------------------------------------------------------------------------


def open_alerts(scope: ColumnElement[bool]) -> Any:
    return select(Alert).where(scope, Alert.status == AlertStatus.OPEN)


def home_panel(session: Session, scope: ColumnElement[bool], today: dt.date) -> dict[str, Any]:
    """The home page's 我的待办预警 within ``scope`` (a criterion on Alert): open alerts by
    kind, how many are overdue, and the first few by due date."""
    by_kind = dict.fromkeys(AlertKind, 0)
    overdue = 0
    for kind, n, late in session.execute(
        select(Alert.kind, func.count(Alert.id), func.count(case((Alert.due_on < today, 1))))
        .where(scope, Alert.status == AlertStatus.OPEN)
        .group_by(Alert.kind)
    ):
        by_kind[kind] = n
        overdue += late
    first = session.execute(
        select(Alert, Child.name, Village.name, School.name)
        .join(Child, Child.id == Alert.child_id)
        .join(Village, Village.id == Alert.village_id)
        .outerjoin(School, School.id == Alert.school_id)
        .where(scope, Alert.status == AlertStatus.OPEN)
        .order_by(Alert.due_on, Alert.id)
        .limit(SHOWN_ON_HOME)
    ).all()
    return {
        "by_kind": by_kind,
        "total": sum(by_kind.values()),
        "overdue": overdue,
        "first": [
            {
                "id": alert.id,
                "kind": alert.kind,
                "child": child,
                "child_id": alert.child_id,
                "owner": school if alert.owner_line == AgreementLine.SCHOOL else village,
                "due_on": alert.due_on,
                "overdue": alert.due_on < today,
            }
            for alert, child, village, school in first
        ],
    }


def is_overdue(alert: Alert, today: dt.date) -> bool:
    return alert.status == AlertStatus.OPEN and alert.due_on < today


def owner_name(alert: Alert) -> str:
    if alert.owner_line == AgreementLine.SCHOOL and alert.school is not None:
        return alert.school.name
    return alert.village.name if alert.village is not None else ""


def filter_criteria(
    kind: str | None, status: str | None, line: str | None, today: dt.date
) -> list[ColumnElement[bool]]:
    """The alert list's filters (values already checked against the choices)."""
    criteria: list[ColumnElement[bool]] = []
    if kind:
        criteria.append(Alert.kind == AlertKind(kind))
    if status == "overdue":
        criteria.append(and_(Alert.status == AlertStatus.OPEN, Alert.due_on < today))
    elif status:
        criteria.append(Alert.status == AlertStatus(status))
    if line:
        criteria.append(Alert.owner_line == AgreementLine(line))
    return criteria
