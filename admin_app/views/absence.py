"""缺勤报告: a school reports a pupil's unexcused absence; at the threshold it raises a
缺勤超限 alert for the school (``admin_app.cases.alerts``) as soon as it is saved."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..cases import alerts
from ..choices import AlertKind
from ..extensions import db
from ..models import AbsenceReport, Child
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView

R = AbsenceReport


class AbsenceView(SecureModelView):
    domain_check = staticmethod(alerts.check_absence_report)
    search_hint = "学生姓名开头"

    column_list = (
        "child",
        "child.village",
        "school",
        "from_on",
        "days",
        "reason",
        "reported_by_name",
    )
    column_details_list = (*column_list, "created_at")
    column_labels = columns.labels(R)
    column_sortable_list = ("from_on", "days", ("child", "child.name"))
    column_default_sort = [("from_on", True), ("id", True)]
    column_filters = ("from_on",)
    form_columns = ("child", "from_on", "days", "reason")
    form_args = {
        "child": {"description": "输入学生姓名的前几个字后选择"},
        "days": {"description": "按学校上课日计，不含节假日"},
        "reason": {"description": "已了解的缺勤原因、联系家长的情况"},
    }
    form_ajax_refs = {"child": {"fields": ("name",)}}
    column_formatters = {"reason": lambda v, c, m, n: (m.reason or "")[:30]}

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(R.child).joinedload(Child.village))

    def search_criterion(self, term: str) -> Any:
        return R.child_id.in_(select(Child.id).where(starts_with(Child.name, term)))

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        threshold = alerts.absence_threshold(db.session)
        form.days.description = f"按学校上课日计；连续缺勤达{threshold}天即产生缺勤超限预警"
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        alerts.stamp_absence_report(model, current_user._get_current_object())
        super().on_model_change(form, model, is_created)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Raise the report's alert now: the school sees it on its home page at once."""
        result = alerts.scan(db.session)
        db.session.commit()
        if result.raised[AlertKind.ABSENCE]:
            flash("缺勤已达预警天数，已生成缺勤超限预警，请在“动态监测预警”中跟进。", "warning")
