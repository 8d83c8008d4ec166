"""用户: accounts and their roles (admin only)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import or_, select
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from ..access import lockout
from ..access.passwords import MIN_LENGTH, password_problem
from ..choices import Role
from ..extensions import db
from ..lists.validation import check_user
from ..models import User, utcnow
from ..reports import columns
from ..util.dates import beijing_minute
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .widgets import enum_filter


def check_user_form(session: Any, user: User) -> dict[str, str]:
    """The account's problems, the password typed into the form included; changes nothing
    (the password is hashed when the account is saved, ``UserView.on_model_change``)."""
    errors = check_user(session, user, current_user._get_current_object())
    password = getattr(user, "password", None)
    if not user.password_hash and not password:
        errors["password"] = "新用户须设置密码"
    if password:
        problem = password_problem(password, user.username)
        if problem:
            errors["password"] = problem
    if user.id == current_user.id and (user.role != Role.ADMIN or not user.active):
        errors["role"] = "不能停用自己或取消自己的管理员角色"
    return errors


def lock_state(user: User) -> str:
    """锁定至 in the list: the lock's end while it holds, else nothing."""
    if lockout.is_locked(user.locked_until, utcnow()):
        return Markup('<span class="text-danger">{}</span>').format(
            beijing_minute(user.locked_until)
        )
    return ""


class UserView(SecureModelView):
    domain_check = staticmethod(check_user_form)
    search_hint = "用户名或姓名开头"
    column_list = (
        "username",
        "display_name",
        "role",
        "village",
        "school",
        "township",
        "active",
        "is_demo",
        "locked_until",
        "last_login_at",
    )
    column_details_list = (*column_list, "failed_logins", "last_failed_login_at", "lockouts")
    column_formatters = {"locked_until": lambda v, c, m, n: lock_state(m)}
    column_labels = columns.labels(User)
    column_sortable_list = ("username", "display_name", "role", "last_login_at")
    column_default_sort = ("username", False)
    column_filters = (enum_filter(User.role, "角色", Role),)
    form_columns = (
        "username",
        "display_name",
        "role",
        "township",
        "village",
        "school",
        "active",
        "password",
    )
    form_extra_fields = {
        "password": PasswordField(
            "密码",
            validators=[Optional(), Length(max=200)],
            description=f"新建时必填；修改时留空则不变。至少{MIN_LENGTH}位，不能包含用户名，"
            "不能是常见密码；改密码后该用户须重新登录",
        )
    }
    form_ajax_refs = {
        "village": {"fields": ("name",)},
        "school": {"fields": ("name",)},
        "township": {"fields": ("name",)},
    }
    form_args = {
        "township": {
            "description": "乡镇账号（管理员、工作人员、领导、督导员）只看所选乡镇的数据；"
            "留空则查看所有乡镇（单乡镇部署或县级账号）。村干部、学校账号按所属村、学校自动填写。"
            "县教育局账号不选。"
        }
    }

    @action("unlock", "解除登录锁定", "确定解除所选账号的登录锁定并清零失败次数吗？")
    def action_unlock(self, ids: Any) -> None:
        """An administrator's unlock: the user may try again at once (audited as an update)."""
        keys = [int(i) for i in ids if str(i).isdigit()]
        users = db.session.scalars(select(User).where(User.id.in_(keys))).all()
        for user in users:
            lockout.clear(user)
        db.session.commit()
        flash(f"已解除{len(users)}个账号的登录锁定。", "success")

    def search_criterion(self, term: str) -> Any:
        return or_(starts_with(User.username, term), starts_with(User.display_name, term))

    def on_model_change(self, form: Any, model: User, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)  # refuses an invalid account
        password = getattr(model, "password", None)
        if password:
            # A password set by an administrator also ends the user's open sessions.
            model.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))

    def delete_model(self, model: User) -> bool:
        if model.id == current_user.id:
            flash("不能删除当前登录的账号。", "error")
            return False
        return super().delete_model(model)
