"""Cells and list filters that several screens share (not views: no screen of its own).

The filters offer their options per request within the user's scope; the cells show a
record's related rows, scoped the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import has_request_context, url_for
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from ..access.auth import may
from ..access.permissions import CREATE, READ
from ..access.scope import apply_scope, scope_criterion
from ..cases import core as cases
from ..cases import hometeaching
from ..choices import CaseSource, CaseStatus, ChildStatus, CodeEnum
from ..extensions import db
from ..models import Child, DropoutCase, HomeTeachingSession
from ..util.params import parse_id


class OptionsFilter(BaseSQLAFilter):
    """A choice filter whose options are computed per request, within the user's scope.

    Flask-Admin computes filter options once at start-up; ``SecureModelView`` asks
    these again on every list request, so a village cadre is offered only their village.
    """

    def __init__(
        self,
        column: Any,
        name: str,
        options: Callable[[], list[tuple[Any, str]]],
        coerce: Callable[[str], Any] = str,
        criterion: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(column, name, options=options)
        self.coerce = coerce
        self.criterion = criterion or (lambda value: column == value)

    def get_options(self, view: Any) -> list[tuple[str, str]]:
        if not has_request_context() or not current_user.is_authenticated:
            return []
        return [(str(value), label) for value, label in self.options()]

    def validate(self, value: str) -> bool:
        """A record id (1..2^31−1) for id options, one of the options for the others.

        Anything else — a number over 2^31−1, a code no enumeration has, whitespace — is
        refused with Flask-Admin's 无效的筛选器值 message instead of failing in the
        database. Another village's id is a valid id: it is applied and, the scope
        holding, matches nothing (an export of it is empty, not the user's own rows).
        """
        if self.coerce is int:
            return parse_id(value) is not None
        if not has_request_context() or not current_user.is_authenticated:
            return False
        return value in {str(option) for option, _ in self.options()}

    def apply(self, query: Any, value: str, alias: Any = None) -> Any:
        return query.filter(self.criterion(self.coerce(value)))

    def operation(self) -> str:
        return "为"


def enum_filter(column: Any, name: str, enum_class: type[CodeEnum]) -> OptionsFilter:
    return OptionsFilter(column, name, enum_class.choices)


class CriterionFilter(BaseSQLAFilter):
    """A filter whose options each map to a SQL criterion (e.g. one key group)."""

    def __init__(self, column: Any, name: str, criteria: dict[str, tuple[str, Any]]) -> None:
        super().__init__(column, name, options=[(k, v[0]) for k, v in criteria.items()])
        self.criteria = criteria

    def validate(self, value: str) -> bool:
        return value in self.criteria

    def apply(self, query: Any, value: str, alias: Any = None) -> Any:
        return query.filter(self.criteria[value][1])

    def operation(self) -> str:
        return "为"


def child_cases_cell(view: Any, context: Any, child: Child, name: str) -> Markup:
    """The child page's 控辍案件 row: links to the child's cases and a button to open one."""
    stmt = apply_scope(
        select(DropoutCase).where(DropoutCase.child_id == child.id).order_by(DropoutCase.id),
        DropoutCase,
        current_user,
    )
    links = [
        Markup('<a href="{}">{}（{}，{}）</a>').format(
            url_for("case.details_view", id=c.id), str(c), c.kind.label, c.status.label
        )
        for c in db.session.scalars(stmt)
    ]
    parts = Markup("、").join(links) if links else Markup("无")
    if may("case", CREATE):
        button = Markup(
            ' <a class="btn btn-sm btn-outline-danger ml-2" id="open-case" href="{}">{}</a>'
        ).format(url_for("case.create_view", child=child.id), "立案（控辍）")
        parts = parts + button
    return parts


#: Sessions named on a child's page; the rest are on the 送教上门记录 list.
CHILD_PAGE_SESSIONS = 5


def child_home_teaching_cell(view: Any, context: Any, child: Child, name: str) -> Markup:
    """The child page's 送教上门记录 row: the latest sessions, and a button to record one."""
    if not may("hometeach", READ):
        return Markup("")
    stmt = apply_scope(
        select(HomeTeachingSession)
        .where(HomeTeachingSession.child_id == child.id)
        .order_by(HomeTeachingSession.taught_on.desc(), HomeTeachingSession.id.desc())
        .limit(CHILD_PAGE_SESSIONS + 1),
        HomeTeachingSession,
        current_user,
    )
    found = list(db.session.scalars(stmt))
    links = [
        Markup('<a href="{}">{} {} {}小时</a>').format(
            url_for("hometeach.details_view", id=s.id),
            s.taught_on,
            s.teacher,
            hometeaching.hours_text(s.hours),
        )
        for s in found[:CHILD_PAGE_SESSIONS]
    ]
    parts = Markup("、").join(links) if links else Markup("无")
    if len(found) > CHILD_PAGE_SESSIONS:
        parts = parts + Markup("等（全部见送教上门记录）")
    if child.status == ChildStatus.HOME_TEACHING and may("hometeach", CREATE):
        button = Markup(
            ' <a class="btn btn-sm btn-outline-primary ml-2" id="record-home-teaching"'
            ' href="{}">{}</a>'
        ).format(url_for("hometeach.create_view"), "登记送教")
        parts = parts + button
    return parts


def case_watch_context(admin: Any) -> dict[str, Any]:
    """The dashboard's 控辍案件督办 section, within the user's scope."""
    if not current_user.is_authenticated:
        return {}
    view = next(v for v in admin._views if v.endpoint == "case")
    watch = cases.case_watch(db.session, scope_criterion(DropoutCase, current_user))
    return {
        "case_watch": watch,
        "case_statuses": list(CaseStatus),
        "case_status_arg": view.filter_arg("案件状态"),
        "case_source_arg": view.filter_arg("来源", position=1),
        "case_sources": list(CaseSource),
        "case_overdue_arg": view.filter_arg("督办提醒"),
    }
