"""Login and logout, every attempt in the audit log, no open redirects."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AuditLog, User
from tests.forms import form_of, open_form
from tests.helpers import login, logout


def audit_actions(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.execute(select(AuditLog.action, AuditLog.username).order_by(AuditLog.id))
        return [(action.value, username) for action, username in rows]


def test_login_page_is_chinese_and_carries_a_csrf_token(client, world):
    html = client.get("/admin/login/").get_data(as_text=True)
    assert "用户名" in html and "密码" in html
    assert open_form(client, "/admin/login/").value("csrf_token")


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
    form = open_form(client, "/admin/login/")
    form.update({"username": "clerk", "password": "test-pass-123"}).remove("csrf_token")
    response = form.submit(client)
    assert response.status_code == 400
    assert client.get("/admin/child/").status_code == 302
    assert ("login", "clerk") not in audit_actions(app)
    # The control: the same login with the page's token lets the clerk in.
    assert login(client, "clerk").status_code == 302
    assert client.get("/admin/child/").status_code == 200


def test_login_follows_only_local_next_urls(client, world):
    response = login(client, "clerk", url="/admin/login/?next=/admin/child/")
    assert response.headers["Location"].endswith("/admin/child/")
    assert logout(client).status_code == 302
    response = login(client, "clerk", url="/admin/login/?next=//evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_logout_ends_the_session(app, client_as):
    client = client_as(Role.CLERK)
    response = logout(client)
    assert response.status_code == 302
    assert client.get("/admin/child/").status_code == 302
    assert ("logout", "clerk") in audit_actions(app)


def test_logout_post_without_token_is_refused(client_as):
    client = client_as(Role.CLERK)
    form = form_of(client.get("/admin/"), action="logout").remove("csrf_token")
    assert form.submit(client).status_code == 400
    assert client.get("/admin/child/").status_code == 200
    # The control: the navbar's form as the page holds it logs out.
    assert logout(client).status_code == 302
    assert client.get("/admin/child/").status_code == 302


def test_passwords_are_stored_hashed(app, world):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "clerk"))
        assert "test-pass-123" not in user.password_hash
        assert user.check_password("test-pass-123")
