"""帮扶记录: every allowance paid, visit made and lesson given, per child."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..choices import AssistanceKind
from ..lists.validation import check_assistance
from ..models import AssistanceRecord, Child
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .options import period_options, period_range, village_options
from .widgets import OptionsFilter, enum_filter

R = AssistanceRecord


def _in_village(village_id: int) -> Any:
    return R.child_id.in_(select(Child.id).where(Child.village_id == village_id))


def _in_period(period_id: int) -> Any:
    start, end = period_range(period_id)
    if start is None:
        return R.id.is_(None)
    return R.given_on.between(start, end)


class AssistanceView(SecureModelView):
    domain_check = staticmethod(check_assistance)
    search_hint = "儿童姓名开头"

    column_list = ("child", "child.village", "kind", "given_on", "amount", "person", "content")
    column_labels = columns.labels(R)
    column_sortable_list = ("given_on", "amount", "kind", ("child", "child.name"))
    column_default_sort = [("given_on", True), ("id", True)]
    column_filters = (
        enum_filter(R.kind, "帮扶类型", AssistanceKind),
        OptionsFilter(R.id, "行政村", village_options, int, criterion=_in_village),
        OptionsFilter(R.id, "考核周期", period_options, int, criterion=_in_period),
        "given_on",
    )
    form_columns = ("child", "plan", "kind", "given_on", "person", "amount", "content", "outcome")
    form_args = {"amount": {"description": "单位：元，不能为负数；非资金帮扶填0"}}
    form_ajax_refs = {
        "child": {"fields": ("name",)},
        "plan": {"fields": ("measures",)},
    }
    column_formatters = {
        "content": lambda v, c, m, n: (m.content or "")[:30],
        "amount": lambda v, c, m, n: f"{m.amount:,.2f}",
    }

    def get_query(self) -> Any:
        # Each row shows its child's village: loaded with the page (one join), not by one
        # query per row as the lazy relation did (20 queries a page).
        return super().get_query().options(joinedload(R.child).joinedload(Child.village))

    def search_criterion(self, term: str) -> Any:
        return R.child_id.in_(select(Child.id).where(starts_with(Child.name, term)))
