"""Row scope: which rows a user may reach, as SQL criteria.

One function answers for every path — list, count, details, edit, delete, inline edit,
bulk actions, related pickers, exports and rankings — so that a village cadre can never
reach another village's child by a path someone forgot to filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, false, inspect, or_, select, true
from sqlalchemy.orm import Session

from ..choices import AgreementLine, Role
from ..models import (
    AbsenceReport,
    Accountability,
    Alert,
    AssessmentIndicator,
    AssessmentPeriod,
    AssistancePlan,
    AssistanceRecord,
    AuditLog,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    ExportRecord,
    HomeTeachingSession,
    Household,
    HouseholdCategorySpan,
    ImportBatch,
    Inspection,
    InspectionItem,
    InspectionScore,
    LoginThrottle,
    Notice,
    NoticeCounter,
    ReportSubmission,
    ResponsibilityAgreement,
    School,
    SiteFlag,
    TermCheck,
    TermCheckEntry,
    Township,
    User,
    Village,
)
from ..util.params import parse_id

Criterion = ColumnElement[bool]
Row = TypeVar("Row")


def _children_in_scope(user: Any) -> Criterion:
    if user.role == Role.VILLAGE:
        return Child.village_id == user.village_id
    return Child.school_id == user.school_id


def _child_ids(user: Any) -> Any:
    return select(Child.id).where(_children_in_scope(user))


def _household_ids(user: Any) -> Any:
    if user.role == Role.VILLAGE:
        return select(Household.id).where(Household.village_id == user.village_id)
    return select(Child.household_id).where(
        Child.school_id == user.school_id, Child.household_id.is_not(None)
    )


def _case_ids(user: Any) -> Any:
    return select(DropoutCase.id).where(DropoutCase.child_id.in_(_child_ids(user)))


def _village_only(column: Any) -> Callable[[Any], Criterion]:
    def criterion(user: Any) -> Criterion:
        return column == user.village_id if user.role == Role.VILLAGE else false()

    return criterion


_LOCAL_SCOPES: dict[type, Callable[[Any], Criterion]] = {
    Child: _children_in_scope,
    Household: lambda u: Household.id.in_(_household_ids(u)),
    Village: lambda u: (
        Village.id == u.village_id
        if u.role == Role.VILLAGE
        else Village.id.in_(select(Child.village_id).where(Child.school_id == u.school_id))
    ),
    # School names are public: a village cadre records which school a child attends.
    School: lambda u: true() if u.role == Role.VILLAGE else School.id == u.school_id,
    ChildStatusChange: lambda u: ChildStatusChange.child_id.in_(_child_ids(u)),
    ResponsibilityAgreement: lambda u: (
        ResponsibilityAgreement.village_id == u.village_id
        if u.role == Role.VILLAGE
        else ResponsibilityAgreement.school_id == u.school_id
    ),
    # A child's plan (一人一案) by its child alone; a household's (一家一案) by its household:
    # a school must not read the plan of a pupil's sibling at another school.
    AssistancePlan: lambda u: or_(
        and_(AssistancePlan.child_id.is_not(None), AssistancePlan.child_id.in_(_child_ids(u))),
        and_(
            AssistancePlan.child_id.is_(None),
            AssistancePlan.household_id.in_(_household_ids(u)),
        ),
    ),
    AssistanceRecord: lambda u: AssistanceRecord.child_id.in_(_child_ids(u)),
    DropoutCase: lambda u: DropoutCase.child_id.in_(_child_ids(u)),
    CaseVisit: lambda u: CaseVisit.case_id.in_(_case_ids(u)),
    Notice: lambda u: Notice.case_id.in_(_case_ids(u)),
    CaseEvent: lambda u: CaseEvent.case_id.in_(_case_ids(u)),
    Inspection: _village_only(Inspection.village_id),
    InspectionScore: lambda u: InspectionScore.inspection_id.in_(
        select(Inspection.id).where(Inspection.village_id == u.village_id)
        if u.role == Role.VILLAGE
        else select(Inspection.id).where(false())
    ),
    Accountability: _village_only(Accountability.village_id),
    # 送教上门: by the child, so a school reaches its pupils' sessions and a village its own.
    HomeTeachingSession: lambda u: HomeTeachingSession.child_id.in_(_child_ids(u)),
    # 动态监测预警: a line sees the alerts it owns; absence reports go with their child.
    Alert: lambda u: (
        and_(Alert.owner_line == AgreementLine.GOVERNMENT, Alert.village_id == u.village_id)
        if u.role == Role.VILLAGE
        else and_(Alert.owner_line == AgreementLine.SCHOOL, Alert.school_id == u.school_id)
    ),
    AbsenceReport: lambda u: AbsenceReport.child_id.in_(_child_ids(u)),
    # 开学排查: a check of the user's own township; an entry by its child.
    TermCheck: lambda u: TermCheck.township_id.in_(
        select(Village.township_id).where(Village.id == u.village_id)
        if u.role == Role.VILLAGE
        else select(School.township_id).where(School.id == u.school_id)
    ),
    TermCheckEntry: lambda u: TermCheckEntry.child_id.in_(_child_ids(u)),
}


# --- One level up: a township user (全县部署) ------------------------------------------------
#
# A township role (admin, clerk, leader, inspector) with a ``township_id`` reaches that
# township's rows only. Every rule goes through the township's villages (or schools), by
# ``column IN (SELECT id FROM village WHERE township_id = :t)``: the village table is small
# and each outer column is indexed, so a county's 100,000 children are filtered by index.
# A township role *without* a township (a single-township deployment, the county's own
# accounts) and the 县教育局 role reach every township.


def _villages_of(township_id: int) -> Any:
    return select(Village.id).where(Village.township_id == township_id)


def _schools_of(township_id: int) -> Any:
    return select(School.id).where(School.township_id == township_id)


def _children_of(township_id: int) -> Any:
    return select(Child.id).where(Child.village_id.in_(_villages_of(township_id)))


def _households_of(township_id: int) -> Any:
    return select(Household.id).where(Household.village_id.in_(_villages_of(township_id)))


def _cases_of(township_id: int) -> Any:
    return select(DropoutCase.id).where(DropoutCase.child_id.in_(_children_of(township_id)))


def _users_of(township_id: int) -> Any:
    return select(User.id).where(
        or_(
            User.township_id == township_id,
            User.village_id.in_(_villages_of(township_id)),
            User.school_id.in_(_schools_of(township_id)),
        )
    )


TownshipRule = Callable[[int], Criterion]


def via_village(column: Any) -> TownshipRule:
    """A table whose ``column`` holds a village id."""
    return lambda t: column.in_(_villages_of(t))


def via_child(column: Any) -> TownshipRule:
    """A table whose ``column`` holds a child id."""
    return lambda t: column.in_(_children_of(t))


def via_household(column: Any) -> TownshipRule:
    """A table whose ``column`` holds a household id."""
    return lambda t: column.in_(_households_of(t))


def via_case(column: Any) -> TownshipRule:
    """A table whose ``column`` holds a 控辍案件 id."""
    return lambda t: column.in_(_cases_of(t))


def via_user(column: Any) -> TownshipRule:
    """A table whose ``column`` holds the id of the user who made the row (logs, files)."""
    return lambda t: column.in_(_users_of(t))


#: How each table's rows reach a township. A new table is one line here, e.g.
#: ``Report: via_village(Report.village_id)`` or ``Visit: via_child(Visit.child_id)``;
#: ``tests/test_county.py`` fails for a table that has neither a line here nor a place in
#: ``SHARED_TABLES`` / ``UNREACHED_TABLES``.
TOWNSHIP_SCOPES: dict[type, TownshipRule] = {
    Township: lambda t: Township.id == t,
    Village: lambda t: Village.township_id == t,
    School: lambda t: School.township_id == t,
    Household: via_village(Household.village_id),
    HouseholdCategorySpan: via_household(HouseholdCategorySpan.household_id),
    Child: via_village(Child.village_id),
    ChildStatusChange: via_child(ChildStatusChange.child_id),
    # 政府线 agreements name the village, 学校线 ones the school.
    ResponsibilityAgreement: lambda t: or_(
        ResponsibilityAgreement.village_id.in_(_villages_of(t)),
        ResponsibilityAgreement.school_id.in_(_schools_of(t)),
    ),
    AssistancePlan: lambda t: or_(
        AssistancePlan.child_id.in_(_children_of(t)),
        AssistancePlan.household_id.in_(_households_of(t)),
    ),
    AssistanceRecord: via_child(AssistanceRecord.child_id),
    DropoutCase: via_child(DropoutCase.child_id),
    CaseVisit: via_case(CaseVisit.case_id),
    # The issuing township is the child's village's (``cases.notice_number``).
    Notice: lambda t: Notice.township_id == t,
    CaseEvent: via_case(CaseEvent.case_id),
    Inspection: via_village(Inspection.village_id),
    InspectionScore: lambda t: InspectionScore.inspection_id.in_(
        select(Inspection.id).where(Inspection.village_id.in_(_villages_of(t)))
    ),
    Accountability: via_village(Accountability.village_id),
    User: lambda t: User.id.in_(_users_of(t)),
    AuditLog: via_user(AuditLog.user_id),
    ExportRecord: via_user(ExportRecord.user_id),
    ImportBatch: via_user(ImportBatch.user_id),
    HomeTeachingSession: via_child(HomeTeachingSession.child_id),
    AbsenceReport: via_child(AbsenceReport.child_id),
    Alert: via_village(Alert.village_id),
    TermCheck: lambda t: TermCheck.township_id == t,
    TermCheckEntry: via_child(TermCheckEntry.child_id),
    ReportSubmission: lambda t: ReportSubmission.township_id == t,
}
#: The county's one configuration, read by every township (written only by accounts that
#: are kept to no township: ``permissions.COUNTY_SETTINGS``).
SHARED_TABLES: frozenset[type] = frozenset({AssessmentPeriod, InspectionItem, AssessmentIndicator})
#: Tables no screen lists: a township user reaches none of their rows through the scope.
UNREACHED_TABLES: frozenset[type] = frozenset({LoginThrottle, SiteFlag, NoticeCounter})


def is_township_wide(user: Any) -> bool:
    """Whether ``user`` sees every village of a township (not one village or school)."""
    return user.role not in (Role.VILLAGE, Role.SCHOOL)


def township_of(user: Any) -> int | None:
    """The township a township-wide user is kept to; None for one who reaches every
    township (the 县教育局, a single-township deployment's accounts) and for village and
    school users, whose own rules are narrower."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not is_township_wide(user):
        return None
    return getattr(user, "township_id", None)


def sees_every_row(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        is_township_wide(user) and township_of(user) is None
    )


def township_criterion(model: type, township_id: int) -> Criterion:
    """``model`` rows of one township: its rule, every row of a shared table, else none."""
    rule = TOWNSHIP_SCOPES.get(model)
    if rule is not None:
        return rule(township_id)
    return true() if model in SHARED_TABLES else false()


def scope_key(user: Any) -> tuple[Any, ...]:
    """What decides a user's rows: the key of figures cached per scope."""
    return (user.role, user.village_id, user.school_id, township_of(user))


def scope_criterion(model: type, user: Any) -> Criterion:
    """SQL criterion limiting ``model`` rows to those ``user`` may reach.

    Township-wide roles reach every row of their township (of every township when they
    are kept to none); village and school users reach their own rows, and nothing at all
    of a table that has no rule for them.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if is_township_wide(user):
        township_id = township_of(user)
        return true() if township_id is None else township_criterion(model, township_id)
    rule = _LOCAL_SCOPES.get(model)
    return rule(user) if rule is not None else false()


def apply_scope(query: Any, model: type, user: Any) -> Any:
    """Filter a legacy ``Query`` or a 2.0 ``Select`` by the user's scope."""
    if sees_every_row(user):
        return query
    criterion = scope_criterion(model, user)
    # Query and Select (SQLAlchemy 2) both have .filter.
    return query.filter(criterion)


def get_scoped(session: Session, model: type[Row], raw_id: Any, user: Any) -> Row | None:
    """The ``model`` row whose id a request named, if ``user`` may reach it; else None.

    ``raw_id`` is what the browser sent: a value that is no record id (text, negative,
    over what an INTEGER key holds: ``params.parse_id``) is None like another village's row or
    a missing one, never a database error. Callers answer None with a 404 or a message
    next to the field.
    """
    key = parse_id(raw_id)
    if key is None:
        return None
    primary = inspect(model).primary_key[0]
    return session.scalar(apply_scope(select(model).where(primary == key), model, user))


def visible_village_ids(session: Session, user: Any) -> list[int] | None:
    """None for users who reach every village; otherwise the villages ``user`` sees (a
    township user's: their township's)."""
    if sees_every_row(user):
        return None
    return list(session.scalars(apply_scope(select(Village.id), Village, user)))
