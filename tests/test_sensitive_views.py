"""Opening a record with its full ID or phone numbers is audited (issue 11, item 4)."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.choices import AuditAction, Role
from admin_app.extensions import db
from admin_app.models import AuditLog


def sensitive_views(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditLog).where(AuditLog.action == AuditAction.VIEW_SENSITIVE)
        ).all()
        return [(r.username, r.table_name, r.record_id) for r in rows]


def test_opening_a_child_with_full_numbers_is_audited(app, client_as, world):
    clerk = client_as(Role.CLERK)
    assert clerk.get(f"/admin/child/details/?id={world.child_a}").status_code == 200
    assert clerk.get(f"/admin/child/edit/?id={world.child_a}").status_code == 200
    assert sensitive_views(app) == [
        ("clerk", "child", str(world.child_a)),
        ("clerk", "child", str(world.child_a)),
    ]


def test_masked_roles_and_the_list_leave_no_entry(app, client_as, world):
    leader = client_as(Role.LEADER)
    assert leader.get(f"/admin/child/details/?id={world.child_a}").status_code == 200
    clerk = client_as(Role.CLERK)
    assert clerk.get("/admin/child/").status_code == 200
    assert clerk.get(f"/admin/child/details/?id={world.child_b}").status_code == 200
    assert sensitive_views(app) == [("clerk", "child", str(world.child_b))]
