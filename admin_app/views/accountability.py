"""问责记录: accountability records per village and period, and the 生成问责建议 flow."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from ..access.scope import visible_village_ids
from ..assessment.accountability import check_accountability, confirm, group_proposals, propose
from ..choices import AccountabilityAction, AccountabilityStatus, AgreementLine
from ..extensions import db
from ..models import Accountability, AssessmentPeriod
from ..reports import columns
from ..util.params import parse_count, parse_id
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .options import period_options, village_options
from .widgets import OptionsFilter, enum_filter


class AccountabilityView(SecureModelView):
    domain_check = staticmethod(check_accountability)
    domain_checked_fields = ("person", "problem")
    list_template = "admin/accountability_list.html"
    search_hint = "被问责人姓名开头"

    column_list = (
        "period",
        "village",
        "person",
        "line",
        "position",
        "problem",
        "action",
        "decided_on",
        "status",
    )
    column_details_list = tuple(columns.ACCOUNTABILITY)
    column_labels = columns.labels(Accountability)
    column_sortable_list = (
        ("period", "period.end_on"),
        ("village", "village.name"),
        "person",
        "decided_on",
        "status",
    )
    column_default_sort = ("id", True)
    column_filters = (
        OptionsFilter(Accountability.period_id, "考核周期", period_options, int),
        OptionsFilter(Accountability.village_id, "行政村", village_options, int),
        enum_filter(Accountability.line, "线别", AgreementLine),
        enum_filter(Accountability.action, "问责方式", AccountabilityAction),
        enum_filter(Accountability.status, "状态", AccountabilityStatus),
    )
    form_columns = tuple(columns.ACCOUNTABILITY)
    form_ajax_refs = {"village": {"fields": ("name",)}}
    form_args = {
        "status": {"description": "拟问责 → 已问责（填写决定日期）→ 已整改"},
        "problem": {"description": "问题事实，如“控辍案件逾期未办结2件”"},
    }
    column_formatters = {"problem": lambda v, c, m, n: (m.problem or "")[:60]}

    def search_criterion(self, term: str) -> Any:
        return starts_with(Accountability.person, term)

    def _period(self) -> AssessmentPeriod | None:
        # A value that is no id (text, over 2^31−1) is ignored, as Flask's type=int did.
        wanted = parse_id(request.values.get("period"))
        if wanted is not None:
            return db.session.get(AssessmentPeriod, wanted)
        return db.session.scalar(
            select(AssessmentPeriod).order_by(AssessmentPeriod.end_on.desc()).limit(1)
        )

    @expose("/propose/", methods=("GET", "POST"))
    def propose_view(self) -> Any:
        """生成问责建议: proposals from the data; the inspector confirms or discards each.

        Nothing is ticked to start with: a record of accountability names a person, and
        59 pre-ticked rows were confirmed wholesale. The page groups them by village and
        person, and the button says how many records it will create.
        """
        if not self.can_create:
            abort(403)
        period = self._period()
        if period is None:
            flash("请先选择存在的考核周期。", "error")
            return redirect(url_for(".index_view"))
        villages = visible_village_ids(db.session, current_user)
        if request.method == "POST":
            keys = request.form.getlist("confirm")
            if not keys:
                flash("未勾选任何建议，未登记问责记录。", "warning")
                return redirect(url_for(".propose_view", period=period.id))
            saved = confirm(db.session, period, keys, village_ids=villages)
            db.session.commit()
            # How many proposals the page showed: only for the message, so a value that
            # is not a count (``offered=abc``) counts as none offered.
            offered = parse_count(request.form.get("offered")) or 0
            discarded = max(0, offered - len(saved))
            flash(
                f"已确认 {len(saved)} 条问责建议，登记为“拟问责”；放弃 {discarded} 条。",
                "success",
            )
            return redirect(url_for(".propose_view", period=period.id))
        proposals = propose(db.session, period, villages)
        periods = db.session.scalars(
            select(AssessmentPeriod).order_by(AssessmentPeriod.end_on.desc())
        ).all()
        return self.render(
            "admin/accountability_propose.html",
            period=period,
            periods=periods,
            proposals=proposals,
            groups=group_proposals(proposals),
            open_count=sum(1 for p in proposals if not p.recorded),
        )
