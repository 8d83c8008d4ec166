"""The audit log: every change through the panel with its diff; append-only for everyone."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AuditLog, User
from tests.helpers import row_delete_form, session_token, submit


def audit_rows(app, table):
    with app.app_context():
        return db.session.scalars(
            select(AuditLog).where(AuditLog.table_name == table).order_by(AuditLog.id)
        ).all()


def test_create_update_delete_are_logged_with_user_ip_and_diff(app, client_as, world):
    clerk = client_as(Role.CLERK)
    submit(clerk, "/admin/household/new/", {"village": world.village_a, "head_name": "孙立"})
    [created] = audit_rows(app, "household")
    assert created.action.value == "create"
    assert created.username == "clerk" and created.ip == "127.0.0.1"
    assert created.after["head_name"] == "孙立"
    assert created.before is None
    household_id = int(created.record_id)

    submit(clerk, f"/admin/household/edit/?id={household_id}", {"head_name": "孙立新"})
    updated = audit_rows(app, "household")[-1]
    assert updated.action.value == "update"
    # Only what changed is recorded.
    assert updated.before == {"head_name": "孙立"}
    assert updated.after == {"head_name": "孙立新"}

    row_delete_form(clerk, "/admin/household/", household_id).submit(clerk)
    deleted = audit_rows(app, "household")[-1]
    assert deleted.action.value == "delete"
    assert deleted.before["head_name"] == "孙立新" and deleted.after is None


def test_refused_change_leaves_no_audit_row(app, client_as, world):
    submit(
        client_as(Role.CLERK),
        "/admin/household/new/",
        {"village": world.village_a, "head_name": "孙立", "phone": "1"},
    )
    assert audit_rows(app, "household") == []


def test_password_never_enters_the_log(app, client_as, world):
    admin = client_as(Role.ADMIN)
    response = submit(
        admin,
        "/admin/user/new/",
        {
            "username": "newclerk",
            "display_name": "新职员",
            "role": "clerk",
            "password": "s3cret-pass",
        },
    )
    assert response.status_code == 302
    [row] = audit_rows(app, "user_account")
    assert "s3cret-pass" not in str(row.after)
    assert row.after["password_hash"] == "***"


def test_audit_screen_is_read_only_even_for_admin(app, client_as, world):
    admin = client_as(Role.ADMIN)
    submit(admin, "/admin/household/new/", {"village": world.village_a, "head_name": "孙立"})
    [row] = audit_rows(app, "household")
    html = admin.get("/admin/audit/").get_data(as_text=True)
    assert "孙立" in html
    assert "/admin/audit/new/" not in html and "/admin/audit/edit/" not in html
    assert admin.get("/admin/audit/new/").status_code == 403
    assert admin.get(f"/admin/audit/edit/?id={row.id}").status_code == 403
    token = session_token(admin)
    data = {"id": row.id, "csrf_token": token}
    assert admin.post("/admin/audit/delete/", data=data).status_code == 403
    response = admin.post(
        "/admin/audit/action/", data={"action": "delete", "rowid": [row.id], "csrf_token": token}
    )
    assert response.status_code in (302, 403)
    assert len(audit_rows(app, "household")) == 1
    assert admin.get(f"/admin/audit/details/?id={row.id}").status_code == 200


def test_user_admin_creates_user_with_scope_rules(app, client_as, world):
    admin = client_as(Role.ADMIN)
    response = submit(
        admin,
        "/admin/user/new/",
        {
            "username": "cunganbu",
            "display_name": "村干部",
            "role": "village",
            "password": "bamboo-gate-31",
        },
    )
    assert "村干部账号须选择所属行政村" in response.get_data(as_text=True)
    response = submit(
        admin,
        "/admin/user/new/",
        {"username": "short", "display_name": "短", "role": "clerk", "password": "abc"},
    )
    assert "密码至少10位" in response.get_data(as_text=True)
    response = submit(
        admin,
        "/admin/user/new/",
        {
            "username": "cunganbu",
            "display_name": "村干部",
            "role": "village",
            "village": world.village_b,
            "password": "bamboo-gate-31",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "cunganbu"))
        assert user.village_id == world.village_b and user.check_password("bamboo-gate-31")


def test_admin_cannot_lock_themselves_out(app, client_as, world):
    admin = client_as(Role.ADMIN)
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    response = submit(admin, f"/admin/user/edit/?id={admin_id}", {"role": "clerk"})
    assert "不能停用自己或取消自己的管理员角色" in response.get_data(as_text=True)
