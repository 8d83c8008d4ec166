"""Filter options computed per request, within the current user's scope."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import AssessmentPeriod, School, Village
from ..scope import apply_scope


def village_options() -> list[tuple[Any, str]]:
    stmt = apply_scope(
        select(Village.id, Village.name).order_by(Village.name), Village, current_user
    )
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def school_options() -> list[tuple[Any, str]]:
    stmt = apply_scope(select(School.id, School.name).order_by(School.name), School, current_user)
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def period_options() -> list[tuple[Any, str]]:
    stmt = select(AssessmentPeriod.id, AssessmentPeriod.name).order_by(
        AssessmentPeriod.end_on.desc()
    )
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def period_range(period_id: int) -> tuple[Any, Any]:
    period = db.session.get(AssessmentPeriod, period_id)
    if period is None:
        return None, None
    return period.start_on, period.end_on
