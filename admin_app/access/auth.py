"""Login, sessions, roles and the questions views ask about the current user."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import Flask, current_app, flash, g, has_app_context, session
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..choices import AuditAction, Role
from ..extensions import db, login_manager
from ..models import User, utcnow
from ..util.audit import client_ip, log_event
from ..util.dates import beijing_minute
from . import lockout
from .lockout import LockoutPolicy, active_lock, throttle_of
from .permissions import allows, sees_unmasked

#: Session keys: when the user logged in, and when the session was last used (epoch s).
AUTH_AT = "auth_at"
SEEN_AT = "seen_at"
#: What Flask-Login and this module keep in a logged-in session.
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", AUTH_AT, SEEN_AT)


class LoginForm(FlaskForm):
    username = StringField(
        "用户名",
        validators=[DataRequired("请输入用户名"), Length(max=50, message="用户名不能超过50个字")],
    )
    password = PasswordField(
        "密码",
        validators=[DataRequired("请输入密码"), Length(max=200, message="密码不能超过200位")],
    )


@dataclass
class LoginOutcome:
    """A login attempt's result: the user, or the Chinese message to show instead."""

    user: User | None
    message: str = ""


@cache
def _dummy_hash(method: str | None) -> str:
    """A hash to check unknown usernames against, made with the real hashes' method.

    Without it an unknown username is answered at once and a known one only after the
    hash check: the time alone would tell which usernames exist.
    """
    kwargs = {"method": method} if method else {}
    return generate_password_hash(secrets.token_hex(16), **kwargs)


def lock_message(until: dt.datetime) -> str:
    return (
        f"登录失败次数过多，已暂时锁定至{beijing_minute(until)}（北京时间），"
        "请稍后再试，或请系统管理员解锁。"
    )


def authenticate(username: str, password: str) -> LoginOutcome:
    """Check a login against the password and the lockout, and audit it.

    Every known account's failure is logged; failures for unknown usernames are logged
    once per client address and window, then summed (``lockout.record_failure``), so a
    script guessing names cannot flood the audit log.
    """
    now = utcnow()
    name = username.strip()
    ip = client_ip() or "unknown"
    policy = LockoutPolicy.from_config(current_app.config)
    user = db.session.scalar(db.select(User).where(User.username == name))
    locked = active_lock(user, throttle_of(db.session, ip), now)
    if locked is not None:
        # Not counted and not checked: hammering a locked account does not extend its lock.
        return LoginOutcome(None, lock_message(locked))
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    stored = user.password_hash if user is not None else _dummy_hash(method)
    password_ok = check_password_hash(stored, password)
    if user is not None and password_ok and user.active:
        lockout.record_success(db.session, user, ip)
        user.last_login_at = now
        if not user.session_token:
            user.new_session_token()
        log_event(AuditAction.LOGIN, user_id=user.id, username=user.username)
        return LoginOutcome(user)

    failure = lockout.record_failure(db.session, user, ip, policy, now)
    if user is not None:
        note = "账号已停用" if password_ok and not user.active else "用户名或密码错误"
        if failure.account_locked_until:
            until = beijing_minute(failure.account_locked_until)
            note += f"；连续失败{policy.max_failures}次，账号锁定至{until}"
        log_event(
            AuditAction.LOGIN_FAILED,
            user_id=user.id,
            username=user.username,
            note=note,
            commit=False,
        )
    else:
        if failure.closed_window_count:
            start = beijing_minute(failure.closed_window_start)
            log_event(
                AuditAction.LOGIN_FAILED,
                user_id=None,
                username=None,
                note=f"自{start}起{policy.lock_minutes}分钟内，本地址以不存在的用户名登录失败共{failure.closed_window_count}次",
                commit=False,
            )
        if failure.log_unknown:
            log_event(
                AuditAction.LOGIN_FAILED,
                user_id=None,
                username=name[:50],
                note=f"用户名不存在（本地址{policy.lock_minutes}分钟内的其余此类尝试只计数，汇总记录）",
                commit=False,
            )
    if failure.ip_locked_until:
        log_event(
            AuditAction.LOGIN_FAILED,
            user_id=None,
            username=None,
            note=f"本地址连续登录失败{policy.ip_max_failures}次，锁定至{beijing_minute(failure.ip_locked_until)}",
            commit=False,
        )
    db.session.commit()
    until = failure.account_locked_until or failure.ip_locked_until
    if until is not None:
        return LoginOutcome(None, lock_message(until))
    return LoginOutcome(None, "用户名或密码错误，或账号已停用")


def has_role(roles: Iterable[Role]) -> bool:
    return bool(current_user.is_authenticated and current_user.role in roles)


def may(screen: str, action: str) -> bool:
    """Whether the current user may take ``action`` on ``screen``.

    The roles come from ``admin_app.access.permissions``. A list page asks some sixty
    times (each menu entry, each row's edit and delete buttons): the answer is kept for
    the request, per user.
    """
    return _per_request(("may", screen, action), lambda user: allows(user, screen, action))


def may_see_unmasked() -> bool:
    """Asked for every masked cell of a list: kept for the request, per user."""
    return _per_request(("unmasked",), sees_unmasked)


def _per_request(question: tuple[str, ...], answer: Callable[[Any], bool]) -> bool:
    user = current_user._get_current_object() if has_app_context() else None
    if user is None:
        return answer(current_user)
    # The user, the role and the township are in the key: logging in or out, or a
    # changed role, within one request asks again.
    key = (user, getattr(user, "role", None), getattr(user, "township_id", None), *question)
    answers: dict[tuple[Any, ...], bool] = g.setdefault("access_answers", {})
    if key not in answers:
        answers[key] = answer(user)
    return answers[key]


def start_session(user: User) -> None:
    """Log ``user`` in on a fresh session.

    The old session is emptied first: nothing an anonymous visitor had in it (the CSRF
    secret above all) may carry over into the logged-in one.
    """
    session.clear()
    login_user(user)
    now = int(time.time())
    session[AUTH_AT] = now
    session[SEEN_AT] = now


def renew_session(user: User) -> None:
    """Keep this browser logged in after its user got a new session token (new password):
    the other sessions end, this one carries the new token; the 12 hours still count."""
    auth_at = session.get(AUTH_AT)
    login_user(user)
    session[AUTH_AT] = auth_at or int(time.time())


def end_session(user: User | None) -> None:
    """Log out everywhere: a new token ends every session of the user, then this one."""
    if user is not None:
        user.new_session_token()
        db.session.commit()
    logout_user()
    session.clear()


def session_expired(now: float, config: Mapping[str, Any]) -> str | None:
    """Why the current session may no longer be used (idle or too old), or None."""
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int | float) or not isinstance(seen_at, int | float):
        return "请重新登录。"
    if now - seen_at > int(config["SESSION_IDLE_MINUTES"]) * 60:
        return f"超过{config['SESSION_IDLE_MINUTES']}分钟未操作，已自动退出，请重新登录。"
    if now - auth_at > int(config["SESSION_MAX_HOURS"]) * 3600:
        return f"登录已满{config['SESSION_MAX_HOURS']}小时，请重新登录。"
    return None


def forget_login(message: str) -> None:
    """Drop the login from this session, and say why on the login page.

    Only the login's keys go: the request may already have passed its CSRF check, and
    the login form it is about to render needs the session's CSRF secret.
    """
    for key in LOGIN_KEYS:
        session.pop(key, None)
    flash(message, "warning")


def user_of_session(user_id: str) -> User | None:
    """The user a session names, if its token is still current and it has not expired."""
    user_key, _, token = user_id.partition(":")
    try:
        user = db.session.get(User, int(user_key))
    except ValueError:
        return None
    if (
        user is None
        or not user.active
        or not token
        or not user.session_token
        or not hmac.compare_digest(token, user.session_token)
    ):
        forget_login("登录已失效（已在别处退出、密码已修改或账号已停用），请重新登录。")
        return None
    now = time.time()
    expired = session_expired(now, current_app.config)
    if expired:
        forget_login(expired)
        return None
    # Written back at most once a minute: no new cookie on every request.
    if now - session[SEEN_AT] >= 60:
        session[SEEN_AT] = int(now)
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "admin.login_view"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    login_manager.user_loader(user_of_session)
