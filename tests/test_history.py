"""The child status history is written by the model layer, whatever path changes the status."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from admin_app.choices import ChildStatus, OutOfSchoolReason
from admin_app.extensions import db
from admin_app.models import Child, ChildStatusChange
from tests.factories import make_child


def test_every_status_change_is_a_history_row_even_outside_the_panel(app):
    with app.app_context():
        child = make_child(status_effective_on=dt.date(2025, 9, 1))
        db.session.commit()
        child.status = ChildStatus.DROPOUT
        child.status_reason = OutOfSchoolReason.LEARNING
        child.status_effective_on = dt.date(2026, 3, 1)
        db.session.commit()
        child.status = ChildStatus.ENROLLED
        child.status_reason = None
        child.status_effective_on = dt.date(2026, 4, 15)
        db.session.commit()
        child.name = "改名不改状态"
        db.session.commit()
        rows = db.session.scalars(
            select(ChildStatusChange)
            .where(ChildStatusChange.child_id == child.id)
            .order_by(ChildStatusChange.id)
        ).all()
        assert [(r.from_status, r.to_status, r.effective_on) for r in rows] == [
            (None, ChildStatus.ENROLLED, dt.date(2025, 9, 1)),
            (ChildStatus.ENROLLED, ChildStatus.DROPOUT, dt.date(2026, 3, 1)),
            (ChildStatus.DROPOUT, ChildStatus.ENROLLED, dt.date(2026, 4, 15)),
        ]
        assert rows[1].reason == OutOfSchoolReason.LEARNING


def test_history_goes_with_the_child(app):
    with app.app_context():
        child = make_child()
        db.session.commit()
        child_id = child.id
        db.session.delete(child)
        db.session.commit()
        assert (
            db.session.scalar(
                select(ChildStatusChange).where(ChildStatusChange.child_id == child_id)
            )
            is None
        )
        assert db.session.get(Child, child_id) is None
