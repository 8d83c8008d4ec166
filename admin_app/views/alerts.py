"""动态监测预警: the alerts of the user's line (all of them for township roles), filtered by
kind, status and line; the close form (action + note); the admin's absence threshold.

The rules live in ``admin_app.cases.alerts``; this view scopes every query (list, close,
the child link) and shows refusals next to the fields with the typing kept.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..access.auth import may
from ..access.permissions import ALERT_SETTINGS, CLOSE_ALERT
from ..access.scope import get_scoped, is_township_wide, scope_criterion
from ..cases import alerts
from ..choices import AgreementLine, AlertAction, AlertKind, AlertStatus
from ..extensions import db
from ..models import Alert
from ..util.dates import local_today
from ..util.params import parse_page
from .base import SecureView

PAGE_SIZE = 50
STATUS_CHOICES = [
    ("open", "待处理"),
    ("overdue", "已逾期（待处理）"),
    ("closed", "已关闭"),
]


class CloseForm(FlaskForm):
    action = SelectField(
        "处理结果",
        choices=[SelectChoice("", "（请选择）")]
        + [SelectChoice(code, label) for code, label in AlertAction.choices()],
        default="",
    )
    note = TextAreaField(
        "处理情况",
        validators=[Optional()],
        description="写明做了什么、结果如何，如：已家访，学生已于12月3日返校",
    )


class ThresholdForm(FlaskForm):
    days = IntegerField(
        "连续缺勤达到（天）即预警",
        validators=[Optional()],
        description="按学校上课日计，默认3天（县里通行做法：缺勤3天即疑似辍学）",
    )


def _choice(raw: str | None, allowed: list[tuple[str, str]]) -> str:
    """A filter value from the query string, or "" when it is not one of the options."""
    return raw if raw in {code for code, _ in allowed} else ""


class AlertView(SecureView):
    @expose("/")
    def index(self) -> Any:
        return self._render_index()

    def _render_index(self, settings: ThresholdForm | None = None, status_code: int = 200) -> Any:
        """The list; ``settings`` is a refused threshold form, shown with its errors and
        what the admin typed."""
        alerts.scan_if_due(db.session)
        today = local_today()
        kind = _choice(request.args.get("kind"), AlertKind.choices())
        status = _choice(request.args.get("status", "open"), STATUS_CHOICES)
        line = _choice(request.args.get("line"), AgreementLine.choices())
        criteria = [
            scope_criterion(Alert, current_user),
            *alerts.filter_criteria(kind, status, line, today),
        ]
        total = db.session.scalar(select(func.count(Alert.id)).where(*criteria)) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(parse_page(request.args.get("page")) or 1, pages)
        rows = db.session.scalars(
            select(Alert)
            .where(*criteria)
            .options(joinedload(Alert.child), joinedload(Alert.village), joinedload(Alert.school))
            .order_by(Alert.status.desc(), Alert.due_on, Alert.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        threshold = alerts.absence_threshold(db.session)
        if settings is None:
            settings = ThresholdForm(formdata=None, prefix="threshold")
            settings.days.data = threshold
        return (
            self.render(
                "admin/alert_list.html",
                rows=rows,
                total=total,
                page=page,
                pages=pages,
                today=today,
                kinds=AlertKind.choices(),
                statuses=STATUS_CHOICES,
                lines=AgreementLine.choices(),
                picked={"kind": kind, "status": status, "line": line},
                township_wide=is_township_wide(current_user),
                may_close=may("alerts", CLOSE_ALERT),
                may_set=may("alerts", ALERT_SETTINGS),
                settings=settings,
                threshold=threshold,
                overdue=alerts.is_overdue,
                owner=alerts.owner_name,
            ),
            status_code,
        )

    def _alert(self) -> Alert:
        alert = get_scoped(db.session, Alert, request.args.get("id"), current_user)
        if alert is None:
            abort(404)
        return alert

    def _render_close(
        self, alert: Alert, form: CloseForm, general: list[str] | None = None, status: int = 200
    ) -> Any:
        return self.render(
            "admin/alert_close.html",
            alert=alert,
            form=form,
            general=general or [],
            today=local_today(),
            owner=alerts.owner_name(alert),
            overdue=alerts.is_overdue(alert, local_today()),
            may_close=may("alerts", CLOSE_ALERT) and alert.status == AlertStatus.OPEN,
            may_open_case=may("case", "create"),
        ), status

    @expose("/close/", methods=("GET", "POST"))
    def close_view(self) -> Any:
        alert = self._alert()
        if request.method == "GET":
            return self._render_close(alert, CloseForm(formdata=None))
        if not may("alerts", CLOSE_ALERT):
            abort(403)
        form = CloseForm()
        if not form.validate():
            if form.csrf_token.errors:
                abort(400)
            return self._render_close(alert, form, ["未保存，请改正标出的问题。"], 400)
        try:
            alerts.close(
                db.session,
                alert,
                form.action.data,
                form.note.data,
                current_user._get_current_object(),
            )
            db.session.commit()
        except StaleDataError:
            # Closed by someone else between loading and saving: show it as they left it.
            db.session.rollback()
            alert = self._alert()
            message = f"未保存：该预警刚由{alert.closed_by_name or '他人'}处理，请查看。"
            return self._render_close(alert, form, [message], 409)
        except alerts.AlertError as exc:
            db.session.rollback()
            alert = self._alert()
            general = []
            for key, message in exc.errors.items():
                if key in form:
                    form[key].errors = [*form[key].errors, message]
                else:
                    general.append(message)
            return self._render_close(alert, form, ["未保存，请改正标出的问题。", *general], 400)
        flash(f"已关闭预警：{alert.child.name}（{alert.kind.label}）。", "success")
        return redirect(url_for(".index"))

    @expose("/threshold/", methods=("POST",))
    def threshold_view(self) -> Any:
        if not may("alerts", ALERT_SETTINGS):
            abort(403)
        form = ThresholdForm(prefix="threshold")
        if not form.validate():
            if form.csrf_token.errors:
                abort(400)
            form.days.errors = [
                f"缺勤预警天数应为{alerts.ABSENCE_DAYS_MIN}–{alerts.ABSENCE_DAYS_MAX}之间的整数"
            ]
            return self._render_index(form, 400)
        try:
            alerts.set_absence_threshold(db.session, form.days.data)
            db.session.commit()
        except alerts.AlertError as exc:
            db.session.rollback()
            form.days.errors = [str(exc)]
            return self._render_index(form, 400)
        flash(f"已设置：连续缺勤达{form.days.data}天即产生缺勤超限预警。", "success")
        return redirect(url_for(".index"))
