"""送教上门情况: the children under 送教上门 with a month's sessions against the frequency
owed, those short of it first, and the month's 送教上门登记表 as an Excel download."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField

from ..access.auth import may, may_see_unmasked
from ..access.masking import mask_id_number
from ..access.permissions import CREATE
from ..access.scope import scope_criterion
from ..cases import hometeaching
from ..extensions import db
from ..models import Child
from ..reports.archive import send_record
from ..reports.hometeaching import issue_register
from ..util.dates import local_today
from .base import SecureView


class RegisterForm(FlaskForm):
    month = HiddenField()
    # Masked unless the user unticks it, as on 报表导出.
    mask = BooleanField("身份证号脱敏", default=True)

    class Meta:
        csrf = True


def chosen_month(raw: Any) -> Any:
    """The month asked for, or the current one when none (or nonsense) was asked for."""
    return hometeaching.parse_month(raw) or hometeaching.month_start(local_today())


class HomeTeachingOverviewView(SecureView):
    @expose("/")
    def index(self) -> Any:
        today = local_today()
        month = chosen_month(request.args.get("month"))
        if month > today:
            flash("所选月份尚未开始，已显示本月。", "warning")
            month = hometeaching.month_start(today)
        return self.page(month, RegisterForm(formdata=None, month=month.strftime("%Y-%m")))

    def page(self, month: Any, form: RegisterForm, status: int = 200) -> Any:
        dues = hometeaching.sessions_due(db.session, month, scope_criterion(Child, current_user))
        unmasked = may_see_unmasked()
        return (
            self.render(
                "admin/hometeach_overview.html",
                month=month,
                month_label=hometeaching.month_label(month),
                months=hometeaching.recent_months(local_today()),
                current=month == hometeaching.month_start(local_today()),
                dues=dues,
                flagged=sum(d.flagged for d in dues),
                per_month=hometeaching.required_per_month(db.session),
                id_text=lambda child: (
                    child.id_number
                    if unmasked or not child.id_number
                    else mask_id_number(child.id_number)
                ),
                form=form,
                may_unmask=unmasked,
                may_record=may("hometeach", CREATE),
            ),
            status,
        )

    @expose("/register/", methods=("POST",))
    def register(self) -> Any:
        """The month's 送教上门登记表, archived and downloaded (masked unless unticked by a
        role that may read ID numbers)."""
        form = RegisterForm()
        month = hometeaching.parse_month(form.month.data)
        if not form.validate_on_submit() or month is None or month > local_today():
            flash("无法生成登记表：页面已过期或月份无效，请刷新页面后重试。", "error")
            return redirect(url_for(".index"))
        masked = bool(form.mask.data) or not may_see_unmasked()
        record = issue_register(
            db.session, current_user._get_current_object(), month, masked=masked
        )
        return send_record(record)
