"""月报/学期报 上报: the list, the 生成 form, a report's page with its steps, the download.

The rules — the snapshot, who may take which step, what a status allows, the locking of a
submitted report — are ``admin_app.reports.submissions``; this page draws them and turns a
refused step into a Chinese message beside its field.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from ..access.auth import may, may_see_unmasked
from ..access.masking import mask_id_number
from ..access.permissions import CREATE
from ..access.scope import get_scoped, scope_criterion
from ..choices import AuditAction, ReportKind, SubmissionStatus
from ..extensions import db
from ..models import ReportSubmission, Township
from ..reports import submissions as subs
from ..reports.xlsx import XLSX_MIMETYPE
from ..util.audit import log_event
from ..util.dates import local_today
from ..util.params import parse_id, parse_page
from .base import SecureView
from .fields import LocalDateField, place_errors

PAGE_SIZE = 30
#: Rows of a register shown on the page; the workbook has them all.
SHOWN = 200
PERIOD_ERROR = "请选择有效的报送期"


def _township_id(value: Any) -> int | None:
    """The chosen township's id; anything that is no record id reads as none chosen."""
    return parse_id(value)


class GenerateForm(FlaskForm):
    township = SelectField("乡镇", coerce=_township_id, validate_choice=False)
    kind = SelectField(
        "报表类型",
        choices=[SelectChoice(k.value, k.label) for k in ReportKind],
        validators=[InputRequired("请选择报表类型")],
    )
    period = SelectField("报送期", validate_choice=False)
    as_of = LocalDateField(
        "数据截至",
        validators=[Optional()],
        description="不填则月报取当月28日、学期报取3月20日或9月20日（未到则取今天）",
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField("原因", validators=[Optional()])


class SubmissionView(SecureView):
    # --- list and 生成 -------------------------------------------------------------------

    def generate_form(self) -> GenerateForm:
        form = GenerateForm()
        townships = db.session.scalars(
            select(Township).where(scope_criterion(Township, current_user)).order_by(Township.id)
        ).all()
        form.township.choices = [SelectChoice(t.id, t.name) for t in townships]
        if request.method == "GET" and form.township.data is None and townships:
            form.township.data = townships[0].id
        today = local_today()
        choices = []
        for kind in ReportKind:
            for period in subs.recent_periods(kind, today):
                choices.append(SelectChoice(period.code, f"{kind.label}：{period.label}"))
        form.period.choices = choices
        if request.method == "GET" and not form.period.data:
            form.period.data = subs.recent_periods(ReportKind.MONTHLY, today)[0].code
        return form

    def list_page(self, form: GenerateForm | None, status: int = 200) -> Any:
        stmt = select(ReportSubmission).where(subs.visible(current_user))
        kind = request.args.get("kind", "")
        state = request.args.get("status", "")
        if kind in {k.value for k in ReportKind}:
            stmt = stmt.where(ReportSubmission.kind == ReportKind(kind))
        if state in {s.value for s in SubmissionStatus}:
            stmt = stmt.where(ReportSubmission.status == SubmissionStatus(state))
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(parse_page(request.args.get("page")) or 1, pages)
        rows = db.session.scalars(
            stmt.order_by(
                ReportSubmission.as_of.desc(),
                ReportSubmission.kind,
                ReportSubmission.revision.desc(),
            )
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        return (
            self.render(
                "admin/submission_list.html",
                rows=rows,
                form=form if may(self.endpoint, CREATE) else None,
                kinds=list(ReportKind),
                statuses=list(SubmissionStatus),
                kind=kind,
                state=state,
                page=page,
                pages=pages,
                total=total,
            ),
            status,
        )

    @expose("/")
    def index(self) -> Any:
        return self.list_page(self.generate_form() if may(self.endpoint, CREATE) else None)

    @expose("/new", methods=("POST",))
    def new(self) -> Any:
        if not may(self.endpoint, CREATE):
            abort(403)
        form = self.generate_form()
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                flash("页面已过期或缺少安全令牌，请刷新页面后重试。", "error")
                return self.list_page(form, 400)
            if form.kind.errors:
                form.kind.errors = ["请选择报表类型"]
            return self.list_page(form)
        township = get_scoped(db.session, Township, form.township.data, current_user)
        if township is None:
            form.township.errors = ["请选择乡镇"]
            return self.list_page(form)
        kind = ReportKind(form.kind.data)
        if subs.parse_period(kind, form.period.data or "") is None:
            form.period.errors = [
                f"所选报送期不是{kind.label}的报送期" if form.period.data else PERIOD_ERROR
            ]
            return self.list_page(form)
        try:
            sub = subs.prepare(
                db.session,
                current_user._get_current_object(),
                township,
                kind,
                form.period.data,
                form.as_of.data,
            )
            db.session.commit()
        except subs.SubmissionError as exc:
            db.session.rollback()
            for message in place_errors(form, exc.errors):
                flash(message, "error")
            return self.list_page(form)
        except IntegrityError:
            db.session.rollback()
            form.period.errors = ["该报送期的报表刚由他人填报，请刷新列表查看"]
            return self.list_page(form)
        flash(f"已填报{sub}，数据已按{sub.as_of.isoformat()}冻结。", "success")
        return redirect(url_for(".details", record_id=sub.id))

    # --- one report ----------------------------------------------------------------------

    def get_sub(self, record_id: Any) -> ReportSubmission:
        sub = subs.get_visible(db.session, record_id, current_user)
        if sub is None:
            abort(404)
        return sub

    def details_page(self, sub: ReportSubmission, status: int = 200, **extra: Any) -> Any:
        snapshot = subs.load(sub)
        unmasked = may_see_unmasked()
        versions = db.session.scalars(
            select(ReportSubmission)
            .where(
                ReportSubmission.township_id == sub.township_id,
                ReportSubmission.kind == sub.kind,
                ReportSubmission.period == sub.period,
                subs.visible(current_user),
            )
            .order_by(ReportSubmission.revision)
        ).all()
        return (
            self.render(
                "admin/submission_details.html",
                sub=sub,
                snap=snapshot,
                labels=subs.FIGURE_LABELS,
                steps=subs.allowed_steps(current_user, sub),
                versions=versions,
                shown=SHOWN,
                id_text=(lambda v: v) if unmasked else mask_id_number,
                reason_form=extra.pop("reason_form", None) or ReasonForm(),
                failed_step=extra.pop("failed_step", None),
                **extra,
            ),
            status,
        )

    @expose("/<int:record_id>")
    def details(self, record_id: int) -> Any:
        return self.details_page(self.get_sub(record_id))

    @expose("/<int:record_id>/step/<step_name>", methods=("POST",))
    def step(self, record_id: int, step_name: str) -> Any:
        step = step_name
        sub = self.get_sub(record_id)
        actions = {
            "edit": "重新填报",
            subs.REVIEW: "审核",
            subs.RETURN: "退回",
            subs.SUBMIT: "上报",
            subs.CORRECT: "更正",
            "delete": "删除",
        }
        if step not in actions:
            abort(404)
        if not may(self.endpoint, step):
            abort(403)
        form = ReasonForm()
        if not form.validate_on_submit():
            flash("页面已过期或缺少安全令牌，请刷新页面后重试。", "error")
            return self.details_page(sub, 400)
        user = current_user._get_current_object()
        target = sub
        try:
            if step == "edit":
                subs.regenerate(db.session, user, sub)
            elif step == subs.REVIEW:
                subs.review(db.session, user, sub)
            elif step == subs.RETURN:
                subs.send_back(db.session, user, sub, form.reason.data)
            elif step == subs.SUBMIT:
                subs.submit(db.session, user, sub)
            elif step == subs.CORRECT:
                target = subs.correct(db.session, user, sub, form.reason.data)
            else:
                subs.delete(db.session, user, sub)
            db.session.commit()
        except subs.SubmissionError as exc:
            db.session.rollback()
            general = place_errors(form, exc.errors)
            flash(f"未能{actions[step]}：" + "；".join(general or exc.errors.values()), "error")
            return self.details_page(self.get_sub(record_id), reason_form=form, failed_step=step)
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            flash(f"未能{actions[step]}：该报表刚被他人处理，请查看最新状态。", "error")
            return redirect(url_for(".details", record_id=record_id))
        if step == "delete":
            flash("已删除该报表。", "success")
            return redirect(url_for(".index"))
        flash(f"已{actions[step]}：{target}。", "success")
        return redirect(url_for(".details", record_id=target.id))

    @expose("/<int:record_id>/download")
    def download(self, record_id: int) -> Response:
        sub = self.get_sub(record_id)
        user = current_user._get_current_object()
        masked = not may_see_unmasked()
        content = subs.workbook(sub, user, masked)
        log_event(
            AuditAction.EXPORT,
            user_id=user.id,
            username=user.username,
            table_name=ReportSubmission.__tablename__,
            record_id=str(sub.id),
            note=f"下载{sub}（{'脱敏' if masked else '未脱敏'}）",
        )
        return send_file(
            io.BytesIO(content),
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name=subs.file_name(sub),
        )
