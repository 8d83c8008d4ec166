"""The child status history, written by the model layer on every status change.

Hooked on every ORM flush, so views, CLI commands, imports and the demo generator all
produce history without having to remember to: period indicators depend on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from .choices import ChildStatus
from .dates import local_today
from .models import Child, ChildStatusChange


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
