"""Filter options within the current user's scope, kept while the data is unchanged
(``dataversion``): every list page asks for them, and they change only with a write."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select

from ..access.scope import apply_scope, scope_key
from ..assessment.dataversion import cached
from ..extensions import db
from ..models import AssessmentPeriod, School, Township, Village


def _rows(name: str, stmt: Any) -> list[tuple[Any, str]]:
    """(id, name) rows of ``stmt``, under the user's scope in the cache key (the list is
    shared between requests: callers build their own from it)."""
    return cached(
        db.session,
        f"options.{name}",
        scope_key(current_user),
        lambda: [tuple(row) for row in db.session.execute(stmt)],
    )


def village_options() -> list[tuple[Any, str]]:
    """The villages in scope by name; where they belong to several townships (a county's
    reader: names repeat from township to township) by township, then name, each named
    with its township: 竹山村（青山镇）."""
    stmt = apply_scope(
        select(Village.id, Village.name, Township.name)
        .join(Township, Township.id == Village.township_id)
        .order_by(Township.name, Village.name),
        Village,
        current_user,
    )
    rows = cached(
        db.session,
        "options.village_township",
        scope_key(current_user),
        lambda: [tuple(row) for row in db.session.execute(stmt)],
    )
    if len({township for _, _, township in rows}) < 2:
        return [(key, name) for key, name, _ in rows]
    return [(key, f"{name}（{township}）") for key, name, township in rows]


def school_options() -> list[tuple[Any, str]]:
    stmt = apply_scope(select(School.id, School.name).order_by(School.name), School, current_user)
    return _rows("school", stmt)


def period_options() -> list[tuple[Any, str]]:
    stmt = select(AssessmentPeriod.id, AssessmentPeriod.name).order_by(
        AssessmentPeriod.end_on.desc()
    )
    return _rows("period", stmt)


def period_range(period_id: int) -> tuple[Any, Any]:
    period = db.session.get(AssessmentPeriod, period_id)
    if period is None:
        return None, None
    return period.start_on, period.end_on
