"""Sessions (issue 11 item 11): logout, a new password and deactivation end every session of
the user; 30 minutes idle or 12 hours after login end one; login starts a fresh session;
logout is a POST."""

from __future__ import annotations

import time

from sqlalchemy import select

from admin_app.access.auth import AUTH_AT, SEEN_AT
from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import User
from tests.factories import PASSWORD
from tests.forms import form_of, open_form
from tests.helpers import login, session_token, submit

PRIVATE = "/admin/child/"


def logged_in(client) -> bool:
    return client.get(PRIVATE).status_code == 200


def log_out(client):
    return form_of(client.get("/admin/"), action="logout").submit(client)


def test_logout_ends_every_session_of_the_user(app, client_as):
    office, home = client_as(Role.CLERK), client_as(Role.CLERK)
    other_user = client_as(Role.LEADER)
    assert log_out(office).status_code == 302
    assert not logged_in(office)
    assert not logged_in(home)
    page = home.get("/admin/login/").get_data(as_text=True)
    assert "登录已失效" in page
    assert logged_in(other_user)


def test_logout_by_get_only_offers_the_button(client_as):
    clerk = client_as(Role.CLERK)
    page = clerk.get("/admin/logout/")
    assert page.status_code == 200 and "退出登录" in page.get_data(as_text=True)
    assert logged_in(clerk)  # an <img src="/admin/logout/"> elsewhere logs nobody out
    form = open_form(clerk, "/admin/logout/", action="logout")
    assert form.submit(clerk).status_code == 302
    assert not logged_in(clerk)


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, client_as):
    here, elsewhere = client_as(Role.CLERK), client_as(Role.CLERK)
    form = open_form(here, "/admin/password/")
    form.update(
        {
            "current_password": PASSWORD,
            "new_password": "river-stone-42",
            "repeat_password": "river-stone-42",
        }
    )
    assert form.submit(here).status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)


def test_a_password_reset_by_the_admin_ends_the_users_sessions(app, client_as, world):
    clerk = client_as(Role.CLERK)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "clerk"))
    response = submit(
        client_as(Role.ADMIN), f"/admin/user/edit/?id={user_id}", {"password": "river-stone-42"}
    )
    assert response.status_code == 302
    assert not logged_in(clerk)


def test_deactivation_ends_the_users_sessions(app, client_as, world):
    clerk = client_as(Role.CLERK)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "clerk"))
    response = submit(client_as(Role.ADMIN), f"/admin/user/edit/?id={user_id}", {"active": False})
    assert response.status_code == 302
    assert not logged_in(clerk)
    # Reactivating does not revive the old session.
    submit(client_as(Role.ADMIN), f"/admin/user/edit/?id={user_id}", {"active": True})
    assert not logged_in(clerk)
    assert login(app.test_client(), "clerk").status_code == 302


def age_session(client, key: str, seconds: int) -> None:
    with client.session_transaction() as session:
        session[key] = int(time.time()) - seconds


def test_thirty_idle_minutes_end_a_session(app, client_as):
    clerk = client_as(Role.CLERK)
    age_session(clerk, SEEN_AT, 29 * 60)
    assert logged_in(clerk)  # and the request counts as activity
    age_session(clerk, SEEN_AT, 31 * 60)
    response = clerk.get(PRIVATE)
    assert response.status_code == 302 and "/admin/login/" in response.headers["Location"]
    assert "超过30分钟未操作" in clerk.get("/admin/login/").get_data(as_text=True)


def test_twelve_hours_after_login_a_session_ends_however_busy(app, client_as):
    clerk = client_as(Role.CLERK)
    age_session(clerk, AUTH_AT, 11 * 3600)
    assert logged_in(clerk)
    age_session(clerk, AUTH_AT, 12 * 3600 + 1)
    assert not logged_in(clerk)
    assert "登录已满12小时" in clerk.get("/admin/login/").get_data(as_text=True)


def test_the_timeouts_are_settings(app, client_as):
    app.config["SESSION_IDLE_MINUTES"] = 5
    clerk = client_as(Role.CLERK)
    age_session(clerk, SEEN_AT, 6 * 60)
    assert not logged_in(clerk)


def test_login_starts_a_fresh_session(app, client, world):
    """The anonymous session's CSRF secret does not survive the login: a token read before
    logging in (say, by a page that planted the session) is worthless after it."""
    token_before = open_form(client, "/admin/login/").value("csrf_token")
    with client.session_transaction() as session:
        session["planted"] = "x"
    assert login(client, "clerk").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
    response = client.post("/admin/logout/", data={"csrf_token": token_before})
    assert response.status_code == 400
    assert logged_in(client)
    assert session_token(client) != token_before
