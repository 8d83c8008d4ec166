"""Login and logout, every attempt in the audit log, no open redirects."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AuditLog, User
from tests.conftest import csrf_from, login


def audit_actions(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.execute(select(AuditLog.action, AuditLog.username).order_by(AuditLog.id))
        return [(action.value, username) for action, username in rows]


def test_login_page_is_chinese_and_carries_a_csrf_token(client, world):
    html = client.get("/admin/login/").get_data(as_text=True)
    assert "用户名" in html and "密码" in html
    assert csrf_from(html)


def test_successful_login_is_logged_and_lands_on_the_dashboard(app, client, world):
    response = login(client, "clerk")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert "就学状态总览" in client.get("/admin/").get_data(as_text=True)
    assert ("login", "clerk") in audit_actions(app)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "clerk"))
        assert user.last_login_at is not None


def test_wrong_password_is_refused_and_logged(app, client, world):
    response = login(client, "clerk", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert ("login_failed", "clerk") in audit_actions(app)
    assert client.get("/admin/child/").status_code == 302


def test_unknown_user_is_refused_and_logged(app, client, world):
    login(client, "nobody", "whatever1")
    assert ("login_failed", "nobody") in audit_actions(app)


def test_inactive_user_cannot_log_in(app, client, world):
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "clerk")).active = False
        db.session.commit()
    response = login(client, "clerk")
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_login_without_csrf_token_is_refused(app, client, world):
    response = client.post("/admin/login/", data={"username": "clerk", "password": "test-pass-123"})
    assert response.status_code == 400
    assert client.get("/admin/child/").status_code == 302
    assert ("login", "clerk") not in audit_actions(app)


def test_login_follows_only_local_next_urls(client, world):
    page = client.get("/admin/login/?next=/admin/child/")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/admin/login/?next=/admin/child/",
        data={"username": "clerk", "password": "test-pass-123", "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/admin/child/")
    client.get("/admin/logout/")
    token = csrf_from(client.get("/admin/login/").get_data(as_text=True))
    response = client.post(
        "/admin/login/?next=//evil.example/",
        data={"username": "clerk", "password": "test-pass-123", "csrf_token": token},
    )
    assert "evil.example" not in response.headers["Location"]


def test_logout_ends_the_session(app, client_as):
    client = client_as(Role.CLERK)
    html = client.get("/admin/").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/admin/logout/", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/admin/child/").status_code == 302
    assert ("logout", "clerk") in audit_actions(app)


def test_logout_post_without_token_is_refused(client_as):
    client = client_as(Role.CLERK)
    assert client.post("/admin/logout/").status_code == 400
    assert client.get("/admin/child/").status_code == 200


def test_passwords_are_stored_hashed(app, world):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "clerk"))
        assert "test-pass-123" not in user.password_hash
        assert user.check_password("test-pass-123")
