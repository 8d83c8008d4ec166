"""Password policy, 修改密码 and demo accounts (issue 11 item 10)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.access.passwords import common_passwords, password_problem
from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import User
from admin_app.util.siteflags import DEMO_DATABASE, set_flag
from tests.factories import PASSWORD
from tests.forms import open_form
from tests.helpers import field_errors, login, submit


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "密码至少10位"),
        ("wangwei-2026", "密码不能包含用户名"),
        ("WANGWEI-2026", "密码不能包含用户名"),
        ("1234567890", "该密码过于常见"),
        ("Password123", "该密码过于常见"),
        ("admin@12345", "该密码过于常见"),
        ("aaaaaaaaaaaa", "同一个字符"),
        ("x" * 201, "不能超过200位"),
    ],
)
def test_the_policy_refuses(password, message):
    assert message in (password_problem(password, "wangwei") or "")


def test_the_policy_accepts_a_long_uncommon_password():
    assert password_problem("river-stone-42", "wangwei") is None
    assert {"password", "12345678", "admin123"} <= common_passwords()


def test_the_user_form_applies_the_policy(app, client_as, world):
    admin = client_as(Role.ADMIN)
    new = {"username": "lisi", "display_name": "李四", "role": "clerk"}
    for password, message in (
        ("abc12345", "密码至少10位"),
        ("admin123456", "该密码过于常见"),
        ("lisi-secret-1", "密码不能包含用户名"),
    ):
        response = submit(admin, "/admin/user/new/", {**new, "password": password})
        assert response.status_code == 200
        assert any(message in e for e in field_errors(response)), field_errors(response)
    response = submit(admin, "/admin/user/new/", {**new, "password": "river-stone-42"})
    assert response.status_code == 302
    assert login(app.test_client(), "lisi", "river-stone-42").status_code == 302


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_change_password_in_the_navbar(client_as, role):
    html = client_as(role).get("/admin/").get_data(as_text=True)
    assert 'href="/admin/password/"' in html and "修改密码" in html


def change_password(client, current: str, new: str, repeat: str | None = None):
    form = open_form(client, "/admin/password/")
    form.update(
        {
            "current_password": current,
            "new_password": new,
            "repeat_password": new if repeat is None else repeat,
        }
    )
    return form.submit(client)


def test_an_owner_changes_their_password(app, client_as, world):
    clerk = client_as(Role.CLERK)
    cases = (
        ("wrong-current-1", "river-stone-42", None, "当前密码不正确"),
        (PASSWORD, "short", None, "密码至少10位"),
        (PASSWORD, "river-stone-42", "river-stone-43", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, None, "新密码不能与当前密码相同"),
        (PASSWORD, "qwertyuiop", None, "该密码过于常见"),
        ("x" * 300, "river-stone-42", None, "密码不能超过200位"),
    )
    for current, new, repeat, message in cases:
        response = change_password(clerk, current, new, repeat)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), message
    response = change_password(clerk, PASSWORD, "river-stone-42")
    assert response.status_code == 302
    assert "密码已修改" in clerk.get("/admin/").get_data(as_text=True)
    assert login(app.test_client(), "clerk", PASSWORD).status_code == 200
    assert login(app.test_client(), "clerk", "river-stone-42").status_code == 302


def test_change_password_needs_a_login_and_a_token(client, client_as, world):
    assert client.get("/admin/password/").status_code == 302
    form = open_form(client_as(Role.SCHOOL), "/admin/password/")
    clerk = client_as(Role.CLERK)
    form.update({"current_password": PASSWORD, "new_password": "river-stone-42"}).set(
        "repeat_password", "river-stone-42"
    )
    response = form.submit(clerk)  # the school user's token in the clerk's session
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)


def make_demo(app, username: str) -> None:
    with app.app_context():
        db.session.scalar(select(User).where(User.username == username)).is_demo = True
        db.session.commit()


def test_a_demo_account_outside_a_demo_database_is_warned(app, client_as, world):
    make_demo(app, "clerk")
    html = client_as(Role.CLERK).get("/admin/child/").get_data(as_text=True)
    assert 'id="demo-account-warning"' in html and "不是演示数据库" in html
    # Real accounts see no banner.
    assert "demo-account-warning" not in client_as(Role.LEADER).get("/admin/").get_data(
        as_text=True
    )
    with app.app_context():
        set_flag(db.session, DEMO_DATABASE, "1")
        db.session.commit()
    assert "demo-account-warning" not in client_as(Role.CLERK).get("/admin/").get_data(as_text=True)


def test_the_user_list_shows_which_accounts_are_demo(app, client_as, world):
    make_demo(app, "clerk")
    html = client_as(Role.ADMIN).get("/admin/user/").get_data(as_text=True)
    assert "演示账号" in html


def test_checking_the_user_form_hashes_nothing(app, world):
    """Validation only judges the typed password: it is hashed when the account is saved."""
    from flask_login import login_user

    from admin_app.views.user import check_user_form

    with app.test_request_context():
        login_user(db.session.scalar(select(User).where(User.username == world.users[Role.ADMIN])))
        clerk = db.session.scalar(select(User).where(User.username == world.users[Role.CLERK]))
        before = clerk.password_hash
        clerk.password = "river-stone-42"
        assert check_user_form(db.session, clerk) == {}
        assert clerk.password_hash == before
        clerk.password = "short"
        assert "password" in check_user_form(db.session, clerk)  # the control: it is judged
        db.session.rollback()
