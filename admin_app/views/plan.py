"""帮扶方案: 一家一案、一生一案 assistance plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from ..choices import PlanStatus
from ..lists.validation import check_plan
from ..models import AssistancePlan, Child, Household
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .options import village_options
from .widgets import OptionsFilter, enum_filter

P = AssistancePlan


def _in_village(village_id: int) -> Any:
    return or_(
        P.child_id.in_(select(Child.id).where(Child.village_id == village_id)),
        P.household_id.in_(select(Household.id).where(Household.village_id == village_id)),
    )


class PlanView(SecureModelView):
    domain_check = staticmethod(check_plan)
    search_hint = "儿童姓名或户主姓名开头"

    column_list = tuple(columns.PLAN)
    column_labels = columns.labels(P)
    column_sortable_list = ("start_on", "review_on", "status")
    column_default_sort = ("id", True)
    column_filters = (
        enum_filter(P.status, "状态", PlanStatus),
        OptionsFilter(P.id, "行政村", village_options, int, criterion=_in_village),
        "start_on",
        "review_on",
    )
    form_columns = tuple(columns.PLAN)
    form_ajax_refs = {
        "child": {"fields": ("name",)},
        "household": {"fields": ("head_name",)},
    }
    column_formatters = {"measures": lambda v, c, m, n: (m.measures or "")[:40]}

    def search_criterion(self, term: str) -> Any:
        return or_(
            P.child_id.in_(select(Child.id).where(starts_with(Child.name, term))),
            P.household_id.in_(select(Household.id).where(starts_with(Household.head_name, term))),
        )
