"""Login, roles and the questions views ask about the current user."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import update
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .choices import AuditAction, Role
from .extensions import db, login_manager
from .models import User, utcnow

#: Roles that see every village and school.
TOWNSHIP_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.LEADER, Role.INSPECTOR})
ALL_ROLES = frozenset(Role)
#: Roles that may read ID and phone numbers unmasked.
UNMASKED_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.VILLAGE, Role.SCHOOL})


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=50)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


def authenticate(username: str, password: str) -> User | None:
    """Check a login and write it to the audit log, successful or not."""
    from .audit import log_event

    user = db.session.scalar(db.select(User).where(User.username == username.strip()))
    if user is None or not user.active or not user.check_password(password):
        log_event(
            AuditAction.LOGIN_FAILED,
            user_id=user.id if user else None,
            username=username.strip()[:50],
            note="账号已停用" if user is not None and not user.active else "用户名或密码错误",
        )
        return None
    # Core UPDATE, not the ORM: a login is no edit of the account, so it must not bump the
    # row's version and refuse an admin's open edit form (admin_app.locking).
    table = User.__table__
    db.session.execute(update(table).where(table.c.id == user.id).values(last_login_at=utcnow()))
    log_event(AuditAction.LOGIN, user_id=user.id, username=user.username)
    return user


def has_role(roles: Iterable[Role]) -> bool:
    return bool(current_user.is_authenticated and current_user.role in roles)


def may_see_unmasked() -> bool:
    return has_role(UNMASKED_ROLES)


def init_app(app: Flask) -> None:
    login_manager.login_view = "admin.login_view"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        try:
            return db.session.get(User, int(user_id))
        except ValueError:
            return None
