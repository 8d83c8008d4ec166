"""Home page (dashboard), login and logout at /admin/, /admin/login/ and /admin/logout/."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..audit import log_event
from ..auth import LoginForm, authenticate
from ..choices import AuditAction, ChildStatus
from ..extensions import csrf, db
from ..models import Child, Village
from ..scope import apply_scope


def _safe_next(target: str | None) -> str:
    """Only follow same-site relative redirects after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("admin.index")


class DashboardView(AdminIndexView):
    def is_visible(self) -> bool:
        return True

    @expose("/")
    def index(self) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for(".login_view", next=request.full_path))
        counts = self._status_counts()
        return self.render("admin/dashboard.html", **counts)

    def _status_counts(self) -> dict[str, Any]:
        """Children by village and status, within the user's scope, in one grouped query."""
        stmt = apply_scope(
            select(Village.id, Village.name, Child.status, func.count(Child.id))
            .join(Child, Child.village_id == Village.id)
            .group_by(Village.id, Village.name, Child.status)
            .order_by(Village.name),
            Child,
            current_user,
        )
        by_village: dict[int, dict[str, Any]] = {}
        totals: dict[str, int] = {s.value: 0 for s in ChildStatus}
        for village_id, name, status, count in db.session.execute(stmt):
            row = by_village.setdefault(
                village_id, {"id": village_id, "name": name, "counts": {}, "total": 0}
            )
            row["counts"][status.value] = count
            row["total"] += count
            totals[status.value] += count
        child_view = next(v for v in self.admin._views if v.endpoint == "child")
        return {
            "village_arg": child_view.filter_arg("行政村", 0),
            "status_arg": child_view.filter_arg("就学状态", 1),
            "villages": list(by_village.values()),
            "totals": totals,
            "grand_total": sum(totals.values()),
            "statuses": list(ChildStatus),
        }

    @expose("/login/", methods=("GET", "POST"))
    def login_view(self) -> Any:
        form = LoginForm()
        if form.validate_on_submit():
            user = authenticate(form.username.data or "", form.password.data or "")
            if user is not None:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            form.password.errors = ["用户名或密码错误，或账号已停用"]
        elif request.method == "POST" and form.csrf_token.errors:
            flash("页面已过期或缺少安全令牌，请重新登录。", "error")
        return self.render("admin/login.html", form=form), 200 if request.method == "GET" else (
            400 if form.csrf_token.errors else 200
        )

    @expose("/logout/", methods=("GET", "POST"))
    def logout_view(self) -> Response:
        if request.method == "POST":
            csrf.protect()
        if current_user.is_authenticated:
            log_event(AuditAction.LOGOUT, user_id=current_user.id, username=current_user.username)
        logout_user()
        flash("已退出登录。", "info")
        return redirect(url_for(".login_view"))
