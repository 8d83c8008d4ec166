"""The child status history and the household category history, written by the model
layer on every change.

Hooked on every ORM flush, so views, CLI commands and imports all produce history without
having to remember to: period indicators depend on it. (The demo generator bulk-inserts
and writes both histories itself.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..choices import ChildStatus, HouseholdCategory
from ..models import Child, ChildStatusChange, Household, HouseholdCategorySpan
from .dates import local_today


@event.listens_for(Session, "before_flush")
def record_status_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, Child):
            continue
        state = inspect(obj)
        if obj in session.new:
            if obj.status is None:
                obj.status = ChildStatus.ENROLLED
            from_status = None
        else:
            history = state.attrs.status.history
            if not history.has_changes():
                continue
            from_status = history.deleted[0] if history.deleted else None
            if from_status == obj.status:
                continue
        effective_on = obj.status_effective_on or local_today()
        if from_status is not None:
            # Close the row that held until now (no autoflush: we are inside a flush).
            current = session.scalars(
                select(ChildStatusChange).where(
                    ChildStatusChange.child_id == obj.id, ChildStatusChange.ended_on.is_(None)
                )
            ).all()
            for row in current:
                row.ended_on = max(effective_on, row.effective_on)
        session.add(
            ChildStatusChange(
                child=obj,
                from_status=from_status,
                to_status=obj.status,
                effective_on=effective_on,
                reason=obj.status_reason,
                note=obj.status_note,
                changed_by_id=(session.info.get("audit_actor") or {}).get("user_id"),
            )
        )
        obj.status_effective_on = None


@event.listens_for(Session, "before_flush")
def record_category_changes(session: Session, flush_context: Any, instances: Any) -> None:
    """A span per support category a household holds, opened and closed as it changes.

    Categories a household is first recorded with get an open start (``held_from`` NULL:
    held since before it was recorded) unless ``categories_effective_on`` dates them; a
    category set or cleared later starts or ends on that date, or today.
    """
    actor = (session.info.get("audit_actor") or {}).get("user_id")
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, Household):
            continue
        new = obj in session.new
        effective_on = obj.categories_effective_on or (None if new else local_today())
        state = inspect(obj)
        for category in HouseholdCategory:
            held = bool(getattr(obj, category.attr))
            if new:
                was = False
            else:
                history = state.attrs[category.attr].history
                if not history.has_changes():
                    continue
                was = bool(history.deleted[0]) if history.deleted else False
            if held == was:
                continue
            if held:
                session.add(
                    HouseholdCategorySpan(
                        household=obj,
                        category=category,
                        held_from=effective_on,
                        changed_by_id=actor,
                    )
                )
                continue
            for span in session.scalars(
                select(HouseholdCategorySpan).where(
                    HouseholdCategorySpan.household_id == obj.id,
                    HouseholdCategorySpan.category == category,
                    HouseholdCategorySpan.held_until.is_(None),
                )
            ):
                start = span.held_from
                span.held_until = effective_on if start is None else max(effective_on, start)
        obj.categories_effective_on = None
