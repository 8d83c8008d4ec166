"""督导评分: one score per inspection item, never above the item's maximum."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..lists.validation import check_score
from ..models import Inspection, InspectionScore, Village
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .options import period_options, village_options
from .widgets import OptionsFilter

S = InspectionScore


def _by_village(village_id: int) -> Any:
    return S.inspection_id.in_(select(Inspection.id).where(Inspection.village_id == village_id))


def _by_period(period_id: int) -> Any:
    return S.inspection_id.in_(select(Inspection.id).where(Inspection.period_id == period_id))


def _inspection_search(term: str) -> Any:
    villages = select(Village.id).where(starts_with(Village.name, term))
    return Inspection.village_id.in_(villages)


class ScoreView(SecureModelView):
    domain_check = staticmethod(check_score)
    search_hint = "村名开头"

    column_list = (
        "inspection.period",
        "inspection.village",
        "inspection",
        "item",
        "score",
        "max_points",
        "deduction_reason",
    )
    column_labels = columns.labels(S)
    column_sortable_list = ("score", ("item", "item.sort_order"))
    column_default_sort = ("id", True)
    column_editable_list = ("score",)
    column_filters = (
        OptionsFilter(S.id, "考核周期", period_options, int, criterion=_by_period),
        OptionsFilter(S.id, "行政村", village_options, int, criterion=_by_village),
    )
    form_columns = ("inspection", "item", "score", "deduction_reason", "evidence_file")
    form_args = {"score": {"description": "0 至该项满分"}}
    form_ajax_refs = {
        "inspection": {"fields": ("inspectors",), "search": _inspection_search},
        "item": {"fields": ("name",)},
    }

    def search_criterion(self, term: str) -> Any:
        return S.inspection_id.in_(select(Inspection.id).where(_inspection_search(term)))
