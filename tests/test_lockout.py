"""Lockout (issue 11 item 9): 5 failures lock an account for 15 minutes, a client address
too, with back-off; unknown usernames cost a hash check and are summed in the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from admin_app.access import auth
from admin_app.access.lockout import LockoutPolicy
from admin_app.choices import AuditAction, Role
from admin_app.extensions import db
from admin_app.models import AuditLog, LoginThrottle, User, utcnow
from tests.factories import PASSWORD
from tests.forms import form_of, open_form
from tests.helpers import login, session_token


def account(app, username: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def failed_rows(app) -> list[AuditLog]:
    with app.app_context():
        return db.session.scalars(
            select(AuditLog)
            .where(AuditLog.action == AuditAction.LOGIN_FAILED)
            .order_by(AuditLog.id)
        ).all()


def fail(client, username: str, times: int) -> str:
    text = ""
    for _ in range(times):
        text = login(client, username, "wrong-password-1").get_data(as_text=True)
    return text


def test_login_page_states_the_lockout_in_chinese(client, world):
    html = client.get("/admin/login/").get_data(as_text=True)
    assert "连续输错密码5次，账号将被锁定15分钟" in html


def test_overlong_input_is_refused_in_chinese(client, world):
    response = login(client, "x" * 60, "y" * 300)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "用户名不能超过50个字" in text and "密码不能超过200位" in text


def test_five_failures_lock_the_account_for_fifteen_minutes(app, client, world):
    text = fail(client, "clerk", 4)
    assert "用户名或密码错误" in text
    assert account(app, "clerk").locked_until is None
    text = fail(client, "clerk", 1)
    assert "登录失败次数过多，已暂时锁定至" in text
    user = account(app, "clerk")
    assert dt.timedelta(minutes=14) < user.locked_until - utcnow() <= dt.timedelta(minutes=15)
    # The right password does not open a locked account, from any client.
    response = login(app.test_client(), "clerk")
    assert response.status_code == 200 and "已暂时锁定" in response.get_data(as_text=True)
    assert "锁定至" in failed_rows(app)[-1].note
    # Attempts while locked neither count nor extend the lock.
    assert account(app, "clerk").locked_until == user.locked_until
    # Other accounts are not affected.
    assert login(app.test_client(), "leader").status_code == 302

    # Fifteen minutes later the account opens again, and a success clears the counters.
    with app.app_context():
        db.session.get(User, user.id).locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert login(app.test_client(), "clerk").status_code == 302
    cleared = account(app, "clerk")
    assert (cleared.failed_logins, cleared.lockouts, cleared.locked_until) == (0, 0, None)


def test_each_lock_in_a_row_doubles(app, client, world):
    fail(client, "clerk", 5)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "clerk"))
        user.locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    fail(app.test_client(), "clerk", 5)
    user = account(app, "clerk")
    assert user.lockouts == 2
    assert dt.timedelta(minutes=29) < user.locked_until - utcnow() <= dt.timedelta(minutes=30)
    policy = LockoutPolicy()
    assert policy.lock_length(3) == dt.timedelta(minutes=60)
    assert policy.lock_length(40) == dt.timedelta(hours=24)


def test_a_client_address_is_locked_after_ten_failures_over_any_accounts(app, client, world):
    for name in ("clerk", "leader", "inspector", "village", "school"):
        fail(client, name, 2)
    # No account reached 5, but the address did: even a right password is refused from it.
    assert all(account(app, n).locked_until is None for n in ("clerk", "leader"))
    response = login(app.test_client(), "admin")
    assert "已暂时锁定" in response.get_data(as_text=True)
    assert any("本地址连续登录失败10次" in (r.note or "") for r in failed_rows(app))
    with app.app_context():
        throttle = db.session.get(LoginThrottle, "127.0.0.1")
        assert throttle.lockouts == 1
        throttle.locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert login(app.test_client(), "admin").status_code == 302


def test_unknown_usernames_cost_a_hash_check(app, client, world, monkeypatch):
    """Same work for unknown as for known names: the time does not say which exist."""
    checked: list[str] = []
    real = auth.check_password_hash

    def spy(hashed: str, password: str) -> bool:
        checked.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(auth, "check_password_hash", spy)
    login(client, "nobody", "whatever-123")
    login(client, "clerk", "whatever-123")
    assert len(checked) == 2
    # The dummy hash is made with the real hashes' method, so it costs as much.
    assert checked[0].split("$")[0] == checked[1].split("$")[0]


def test_unknown_usernames_are_summed_in_the_audit_log(app, client, world):
    for index in range(8):
        login(client, f"guess{index}", "whatever-123")
    rows = failed_rows(app)
    assert len(rows) == 1
    assert rows[0].username == "guess0" and "用户名不存在" in rows[0].note
    # The next window opens with a summary of the last one.
    with app.app_context():
        throttle = db.session.get(LoginThrottle, "127.0.0.1")
        throttle.unknown_since -= dt.timedelta(minutes=16)
        db.session.commit()
    login(client, "another", "whatever-123")
    notes = [r.note for r in failed_rows(app)]
    assert len(notes) == 3
    assert "以不存在的用户名登录失败共8次" in notes[1]
    assert failed_rows(app)[2].username == "another"


def unlock_through_the_list(admin, user_id: int):
    """The list's 选中操作 → 解除登录锁定, as actions.js posts it: the hidden action form with
    the action's name and the ticked rows' ids."""
    page = admin.get("/admin/user/")
    assert "解除登录锁定" in page.get_data(as_text=True)
    form = form_of(page, "/admin/user/", action="/action/")
    form.set("action", "unlock")
    form.force("rowid", user_id)  # the ticked row's box, which the script copies in
    return form.submit(admin)


def test_an_admin_unlocks_an_account(app, client, client_as, world):
    fail(client, "clerk", 5)
    user = account(app, "clerk")
    admin = client_as(Role.ADMIN)
    listing = admin.get("/admin/user/").get_data(as_text=True)
    assert 'class="text-danger"' in listing  # 锁定至 shows the lock
    response = unlock_through_the_list(admin, user.id)
    assert response.status_code == 302
    assert "已解除1个账号的登录锁定" in admin.get("/admin/user/").get_data(as_text=True)
    unlocked = account(app, "clerk")
    assert (unlocked.locked_until, unlocked.failed_logins, unlocked.lockouts) == (None, 0, 0)
    # Audited as an update of the account by the admin.
    with app.app_context():
        row = db.session.scalar(
            select(AuditLog).where(
                AuditLog.action == AuditAction.UPDATE, AuditLog.table_name == "user_account"
            )
        )
        assert row.username == "admin" and "locked_until" in row.before
    assert login(app.test_client(), "clerk", PASSWORD).status_code == 302


def test_only_admins_may_unlock(app, client, client_as, world):
    fail(client, "leader", 5)
    user = account(app, "leader")
    clerk = client_as(Role.CLERK)
    assert clerk.get("/admin/user/").status_code == 403
    form = open_form(client_as(Role.ADMIN), "/admin/user/", action="/action/")
    form.set("action", "unlock")
    form.force("rowid", user.id).force("csrf_token", session_token(clerk))
    assert form.submit(clerk).status_code == 403
    assert account(app, "leader").locked_until is not None
