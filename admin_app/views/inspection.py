"""督导检查: inspections of a village in an assessment period, with their scores inline."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.model.form import InlineFormAdmin
from sqlalchemy import select
from wtforms.validators import ValidationError

from .. import columns
from ..choices import Role
from ..display import points
from ..models import Inspection, InspectionScore, Village
from ..sqlutil import starts_with
from ..validation import check_inspection, score_error
from .base import TOWNSHIP_READERS, OptionsFilter, SecureModelView
from .options import period_options, village_options

INSPECTION_WRITERS = frozenset({Role.ADMIN, Role.CLERK, Role.INSPECTOR})


class ScoreInlineForm(InlineFormAdmin):
    """Each inline score row is checked against its item's maximum, message at the row."""

    form_columns = ("id", "item", "score", "deduction_reason", "evidence_file")
    form_label = "评分"
    column_labels = columns.labels(InspectionScore)

    def on_model_change(self, form: Any, model: InspectionScore, is_created: bool) -> None:
        problem = score_error(model)
        if problem:
            target = form.item if model.item is None else form.score
            target.errors = [*target.errors, problem]
            raise ValidationError(f"未保存，评分有误：{problem}")


class InspectionView(SecureModelView):
    read_roles = TOWNSHIP_READERS | {Role.VILLAGE}
    write_roles = INSPECTION_WRITERS
    domain_check = staticmethod(check_inspection)
    search_hint = "村名开头 / 检查人员开头"
    inline_model_form_converter = InlineModelConverter

    column_list = ("period", "village", "inspected_on", "inspectors", "summary")
    column_details_list = ("period", "village", "inspected_on", "inspectors", "summary", "scores")
    column_labels = columns.labels(Inspection)
    column_sortable_list = (
        ("period", "period.end_on"),
        ("village", "village.name"),
        "inspected_on",
    )
    column_default_sort = [("inspected_on", True), ("id", True)]
    column_filters = (
        OptionsFilter(Inspection.period_id, "考核周期", period_options, int),
        OptionsFilter(Inspection.village_id, "行政村", village_options, int),
        "inspected_on",
    )
    form_columns = ("period", "village", "inspected_on", "inspectors", "summary", "scores")
    form_ajax_refs = {
        "period": {"fields": ("name",)},
        "village": {"fields": ("name",)},
    }
    inline_models = (ScoreInlineForm(InspectionScore),)
    column_formatters = {"summary": lambda v, c, m, n: (m.summary or "")[:40]}
    column_formatters_detail = {
        "scores": lambda v, c, m, n: (
            "；".join(f"{s.item.name} {points(s.score)}/{points(s.max_points)}" for s in m.scores)
            or "无"
        ),
    }

    def search_criterion(self, term: str) -> Any:
        villages = select(Village.id).where(starts_with(Village.name, term))
        return Inspection.village_id.in_(villages) | starts_with(Inspection.inspectors, term)
