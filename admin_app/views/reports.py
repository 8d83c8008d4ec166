"""报表导出: pick a report, a period and villages; download it; download it again later."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..access.auth import may_see_unmasked
from ..access.scope import apply_scope
from ..assessment.core import current_period
from ..extensions import db
from ..models import AssessmentPeriod, ExportRecord, Village
from ..reports.archive import file_of, log_download, send_record, visible_records
from ..reports.core import REPORTS, ReportRequest, issue_report
from ..util.dates import local_today
from ..util.params import parse_id, parse_page
from .base import SecureView

#: Archived files listed on the page (newest first).
ARCHIVE_PAGE = 50


def _optional_id(value: Any) -> int | None:
    """The chosen period's id; a value that is no id is refused as an invalid choice."""
    if value in (None, "", "__None"):
        return None
    key = parse_id(value)
    if key is None:
        raise ValueError(value)
    return key


def _id(value: Any) -> int:
    key = parse_id(value)
    if key is None:
        raise ValueError(value)
    return key


class ReportForm(FlaskForm):
    report = SelectField(
        "报表",
        choices=[SelectChoice(key, r.title) for key, r in REPORTS.items()],
        validators=[InputRequired("请选择报表")],
    )
    period = SelectField("考核周期", coerce=_optional_id, validate_choice=False)
    villages = SelectMultipleField(
        "行政村", coerce=_id, description="不选为全部行政村；按住 Ctrl 可多选"
    )
    # Masked unless the user unticks it: a full-number file is a deliberate, audited choice.
    mask = BooleanField("身份证号、电话脱敏", default=True)

    class Meta:
        csrf = True


#: WTForms' own (English) messages for a tampered choice, said in Chinese next to the field.
CHOICE_ERRORS = {
    "report": "请选择报表",
    "period": "所选考核周期无效",
    "villages": "所选行政村无效或不在您的管辖范围内",
}


def chinese_errors(form: ReportForm) -> None:
    for name, message in CHOICE_ERRORS.items():
        if form[name].errors:
            form[name].errors = [message]


class ReportsView(SecureView):
    def form(self) -> ReportForm:
        form = ReportForm()
        periods = db.session.scalars(
            select(AssessmentPeriod).order_by(AssessmentPeriod.end_on.desc())
        ).all()
        form.period.choices = [SelectChoice("", "（请选择）")] + [
            SelectChoice(p.id, f"{p.name}（{p.start_on}至{p.end_on}）") for p in periods
        ]
        if request.method == "GET" and form.period.data is None and periods:
            default = current_period(db.session, local_today())
            form.period.data = default.id if default else periods[0].id
        villages = db.session.execute(
            apply_scope(
                select(Village.id, Village.name).order_by(Village.code, Village.name),
                Village,
                current_user,
            )
        ).all()
        form.villages.choices = [SelectChoice(v.id, v.name) for v in villages]
        return form

    def page(self, form: ReportForm, status: int = 200) -> Any:
        page = parse_page(request.args.get("page")) or 1
        stmt = visible_records(current_user)
        records = db.session.scalars(
            stmt.offset((page - 1) * ARCHIVE_PAGE).limit(ARCHIVE_PAGE + 1)
        ).all()
        return (
            self.render(
                "admin/reports.html",
                form=form,
                reports=REPORTS,
                records=records[:ARCHIVE_PAGE],
                page=page,
                more=len(records) > ARCHIVE_PAGE,
                may_unmask=may_see_unmasked(),
            ),
            status,
        )

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = self.form()
        if request.method == "GET":
            return self.page(form)
        if not form.validate_on_submit():
            chinese_errors(form)
            if form.csrf_token.errors:
                flash("页面已过期或缺少安全令牌，请刷新页面后重试。", "error")
            return self.page(form, 400 if form.csrf_token.errors else 200)
        report = REPORTS[form.report.data]
        period = None
        # 儿童台账 is the register as it stands today: the period the page preselects does
        # not apply to it, and its heading and archive title must not claim one.
        chosen = form.period.data if report.needs_period else None
        if chosen is not None:
            period = db.session.get(AssessmentPeriod, chosen)
            if period is None:
                form.period.errors = ["所选考核周期不存在"]
                return self.page(form)
        elif report.needs_period:
            form.period.errors = [f"“{report.title}”须选择考核周期"]
            return self.page(form)
        masked = form.mask.data or not may_see_unmasked()
        record = issue_report(
            db.session,
            report,
            ReportRequest(
                user=current_user._get_current_object(),
                period=period,
                village_ids=list(form.villages.data) or None,
                masked=bool(masked),
            ),
        )
        return send_record(record)

    @expose("/download/<int:record_id>")
    def download(self, record_id: int) -> Any:
        record = db.session.scalar(
            visible_records(current_user).where(ExportRecord.id == record_id)
        )
        if record is None:
            abort(404)
        if file_of(record) is None:
            flash("该文件已不在归档目录中，无法再次下载。", "error")
            return redirect(url_for(".index"))
        log_download(current_user, record)
        return send_record(record)
