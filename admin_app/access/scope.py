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
    AssistancePlan,
    AssistanceRecord,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    HomeTeachingSession,
    Household,
    Inspection,
    InspectionScore,
    Notice,
    ResponsibilityAgreement,
    School,
    TermCheck,
    TermCheckEntry,
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


def is_township_wide(user: Any) -> bool:
    return user.role not in (Role.VILLAGE, Role.SCHOOL)


def scope_criterion(model: type, user: Any) -> Criterion:
    """SQL criterion limiting ``model`` rows to those ``user`` may reach.

    Township-wide roles reach every row; village and school users reach their own rows,
    and nothing at all of a table that has no rule for them.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if is_township_wide(user):
        return true()
    rule = _LOCAL_SCOPES.get(model)
    return rule(user) if rule is not None else false()


def apply_scope(query: Any, model: type, user: Any) -> Any:
    """Filter a legacy ``Query`` or a 2.0 ``Select`` by the user's scope."""
    if getattr(user, "is_authenticated", False) and is_township_wide(user):
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
    """None for township-wide roles (every village); otherwise the villages ``user`` sees."""
    if is_township_wide(user):
        return None
    return list(session.scalars(apply_scope(select(Village.id), Village, user)))
