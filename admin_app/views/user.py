"""用户: accounts and their roles (admin only)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user
from sqlalchemy import or_
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from .. import columns
from ..choices import Role
from ..models import User
from ..sqlutil import starts_with
from ..validation import check_user
from .base import SecureModelView, enum_filter

ADMINS = frozenset({Role.ADMIN})
MIN_PASSWORD = 8


def check_user_form(session: Any, user: User) -> dict[str, str]:
    errors = check_user(session, user)
    password = getattr(user, "password", None)
    if not user.password_hash and not password:
        errors["password"] = "新用户须设置密码"
    if password:
        if len(password) < MIN_PASSWORD:
            errors["password"] = f"密码至少{MIN_PASSWORD}位"
        else:
            user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    if user.id == current_user.id and (user.role != Role.ADMIN or not user.active):
        errors["role"] = "不能停用自己或取消自己的管理员角色"
    return errors


class UserView(SecureModelView):
    read_roles = ADMINS
    write_roles = ADMINS
    domain_check = staticmethod(check_user_form)
    search_hint = "用户名或姓名开头"
    column_list = (
        "username",
        "display_name",
        "role",
        "village",
        "school",
        "active",
        "last_login_at",
    )
    column_details_list = column_list
    column_labels = columns.labels(User)
    column_sortable_list = ("username", "display_name", "role", "last_login_at")
    column_default_sort = ("username", False)
    column_filters = (enum_filter(User.role, "角色", Role),)
    form_columns = ("username", "display_name", "role", "village", "school", "active", "password")
    form_extra_fields = {
        "password": PasswordField(
            "密码",
            validators=[Optional(), Length(max=200)],
            description="新建时必填；修改时留空则不变",
        )
    }
    form_ajax_refs = {"village": {"fields": ("name",)}, "school": {"fields": ("name",)}}

    def search_criterion(self, term: str) -> Any:
        return or_(starts_with(User.username, term), starts_with(User.display_name, term))

    def delete_model(self, model: User) -> bool:
        if model.id == current_user.id:
            from flask import flash

            flash("不能删除当前登录的账号。", "error")
            return False
        return super().delete_model(model)
