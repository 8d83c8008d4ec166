"""修改密码: every user changes their own password here (current password, new one twice)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from ..access.auth import renew_session
from ..access.passwords import MAX_LENGTH, MIN_LENGTH, password_change_problems
from ..extensions import db
from .base import SecureView


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "当前密码",
        validators=[
            DataRequired("请输入当前密码"),
            Length(max=MAX_LENGTH, message=f"密码不能超过{MAX_LENGTH}位"),
        ],
    )
    new_password = PasswordField(
        "新密码",
        validators=[DataRequired("请输入新密码")],
        description=f"至少{MIN_LENGTH}位，不能包含用户名，不能是常见密码",
    )
    repeat_password = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码")])


class PasswordView(SecureView):
    """Reached from the navbar's 修改密码 button, not from the menu."""

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = PasswordForm()
        status = 200
        if form.validate_on_submit():
            user = current_user._get_current_object()
            errors = password_change_problems(
                user,
                form.current_password.data or "",
                form.new_password.data or "",
                form.repeat_password.data or "",
            )
            if not errors:
                # A new password ends every other session of the user (new session token).
                user.set_password(
                    form.new_password.data or "", current_app.config.get("PASSWORD_HASH_METHOD")
                )
                db.session.commit()
                renew_session(user)
                flash("密码已修改；您在其他浏览器上的登录已失效。", "success")
                return redirect(url_for("admin.index"))
            for name, message in errors.items():
                form[name].errors = [message]
        elif request.method == "POST" and form.csrf_token.errors:
            flash("页面已过期或缺少安全令牌，请刷新页面后重试。", "error")
            status = 400
        return self.render("admin/password.html", form=form), status
