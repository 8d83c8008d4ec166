"""开学排查: the township's checks (list and create form), a check's progress by village
and school, the step that turns those not at school into 疑似 cases, and the 6-year-old
intake with its batch of 入学通知书.

The rules live in ``admin_app.cases.termcheck``; this view fetches within the user's
scope, hands the typed values over, and shows refusals next to the fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from ..access.auth import may
from ..access.permissions import CREATE, EDIT, READ, TERMCHECK_ESCALATE, TERMCHECK_NOTICES
from ..access.scope import get_scoped, scope_criterion
from ..cases import termcheck
from ..cases.notices import intake_notice_context
from ..extensions import db
from ..models import Child, TermCheck, Township
from ..util.dates import local_today
from .base import SecureView
from .fields import DATE_FORMAT_HINT, LocalDateField, place_errors

#: Days a guardian is given to bring an intake child to school, when the clerk gives none.
NOTICE_DAYS = 15


class CampaignForm(FlaskForm):
    township = SelectField("乡镇", choices=[], validate_choice=False)
    term = StringField(
        "学期",
        validators=[InputRequired("请填写学期，如：2026年秋季学期"), Length(max=30)],
        description="如：2026年秋季学期、2027年春季学期",
    )
    opens_on = LocalDateField("开始日期", validators=[InputRequired("请填写开始日期")])
    deadline = LocalDateField(
        "截止日期",
        validators=[InputRequired("请填写截止日期")],
        description="县里要求春季3月20日、秋季9月20日前报送开学统计",
    )


def township_choices() -> list[tuple[str, str]]:
    stmt = (
        select(Township.id, Township.name)
        .where(scope_criterion(Township, current_user))
        .order_by(Township.name)
    )
    return [(str(i), name) for i, name in db.session.execute(stmt)]


class TermCheckView(SecureView):
    def _campaign(self) -> TermCheck:
        campaign = termcheck.get_campaign(db.session, request.args.get("id"), current_user)
        if campaign is None:
            abort(404)
        return campaign

    def _render_list(self, form: CampaignForm | None = None, status: int = 200) -> Any:
        if form is None:
            form = CampaignForm(formdata=None)
            term = termcheck.term_of(local_today())
            form.term.data, form.opens_on.data, form.deadline.data = (
                term.name,
                term.opens_on,
                term.deadline,
            )
        form.township.choices = township_choices()
        scope = scope_criterion(Child, current_user)
        rows = [
            (c, termcheck.progress(db.session, c, scope).total)
            for c in termcheck.campaigns(db.session, current_user)
        ]
        return self.render(
            "admin/termcheck_list.html",
            rows=rows,
            form=form,
            may_create=may(self.endpoint, CREATE),
            may_mark=may("termcheck_mark", READ),
            today=local_today(),
        ), status

    @expose("/")
    def index(self) -> Any:
        return self._render_list()

    @expose("/new/", methods=("POST",))
    def create_view(self) -> Any:
        if not may(self.endpoint, CREATE):
            abort(403)
        form = CampaignForm()
        form.township.choices = township_choices()
        if not form.validate():
            if form.csrf_token.errors:
                abort(400)
            for field in (form.opens_on, form.deadline):
                if field.raw_data and field.raw_data[0] and field.data is None:
                    field.errors = [DATE_FORMAT_HINT]
            return self._render_list(form, 400)
        township = get_scoped(db.session, Township, form.township.data, current_user)
        if township is None:
            form.township.errors = ["请选择乡镇"]
            return self._render_list(form, 400)
        try:
            campaign = termcheck.open_campaign(
                db.session,
                township,
                term=form.term.data,
                opens_on=form.opens_on.data,
                deadline=form.deadline.data,
                user=current_user._get_current_object(),
            )
            db.session.commit()
        except termcheck.TermCheckError as exc:
            db.session.rollback()
            place_errors(form, exc.errors)
            return self._render_list(form, 400)
        flash(f"已创建{campaign}，列入应到校儿童。", "success")
        return redirect(url_for(".campaign_view", id=campaign.id))

    @expose("/campaign/")
    def campaign_view(self) -> Any:
        campaign = self._campaign()
        today = local_today()
        scope = scope_criterion(Child, current_user)
        return self.render(
            "admin/termcheck_campaign.html",
            campaign=campaign,
            progress=termcheck.progress(db.session, campaign, scope),
            intake=termcheck.intake_counts(db.session, campaign, scope),
            born=termcheck.intake_birth_range(termcheck.intake_year(campaign)),
            today=today,
            overdue=today > campaign.deadline,
            may_escalate=may(self.endpoint, TERMCHECK_ESCALATE),
            awaiting=termcheck.awaiting_escalation(db.session, campaign),
            may_close=may(self.endpoint, EDIT),
            may_mark=may("termcheck_mark", READ),
            closed_message=termcheck.marking_closed_message(campaign, current_user, today),
        )

    @expose("/escalate/", methods=("POST",))
    def escalate_view(self) -> Any:
        if not may(self.endpoint, TERMCHECK_ESCALATE):
            abort(403)
        campaign = self._campaign()
        try:
            outcome = termcheck.escalate_after_deadline(
                db.session, campaign, current_user._get_current_object()
            )
            db.session.commit()
        except termcheck.TermCheckError as exc:
            db.session.rollback()
            flash(f"未执行：{exc}", "error")
            return redirect(url_for(".campaign_view", id=campaign.id))
        message = f"已为{len(outcome.opened)}名未到校或未标记的儿童立疑似控辍案件。"
        if outcome.skipped:
            names = "、".join(name for name, _ in outcome.skipped[:10])
            message += (
                f"另有{len(outcome.skipped)}名儿童未立案（已有在办案件或不属控辍对象）：{names}"
            )
        flash(message, "success")
        return redirect(url_for(".campaign_view", id=campaign.id))

    @expose("/close/", methods=("POST",))
    def close_view(self) -> Any:
        if not may(self.endpoint, EDIT):
            abort(403)
        campaign = self._campaign()
        termcheck.close_campaign(db.session, campaign)
        db.session.commit()
        flash(f"{campaign}已结束。", "success")
        return redirect(url_for(".campaign_view", id=campaign.id))

    @expose("/intake/")
    def intake_view(self) -> Any:
        campaign = self._campaign()
        scope = scope_criterion(Child, current_user)
        rows = termcheck.intake_not_enrolled(db.session, campaign, scope)
        deadline = max(local_today(), campaign.deadline) + dt.timedelta(days=NOTICE_DAYS)
        return self.render(
            "admin/termcheck_intake.html",
            campaign=campaign,
            rows=rows,
            born=termcheck.intake_birth_range(termcheck.intake_year(campaign)),
            deadline=deadline,
            may_print=may(self.endpoint, TERMCHECK_NOTICES),
        )

    @expose("/intake/notices/")
    def intake_notices_view(self) -> Any:
        """The 入学通知书 of every intake child not enrolled, one A4 sheet each, to print
        at once. A GET: it changes nothing (no number is drawn: a notice's number is
        drawn when a case's notice is issued, and is written on these by hand)."""
        if not may(self.endpoint, TERMCHECK_NOTICES):
            abort(403)
        campaign = self._campaign()
        today = local_today()
        raw = request.args.get("deadline", "")
        try:
            deadline = dt.date.fromisoformat(raw)
        except ValueError:
            flash(f"未打印：限期{DATE_FORMAT_HINT}。", "error")
            return redirect(url_for(".intake_view", id=campaign.id))
        if deadline <= today:
            flash("未打印：到校限期须晚于今天。", "error")
            return redirect(url_for(".intake_view", id=campaign.id))
        rows = termcheck.intake_not_enrolled(
            db.session, campaign, scope_criterion(Child, current_user)
        )
        township = campaign.township.name
        number = f"{township}控辍〔{today.year}〕第____号"
        sheets = [
            intake_notice_context(row.child, township, number, today, deadline) for row in rows
        ]
        return self.render(
            "admin/termcheck_notices.html", campaign=campaign, sheets=sheets, deadline=deadline
        )
