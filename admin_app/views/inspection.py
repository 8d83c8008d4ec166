"""督导检查: inspections of a village in an assessment period, scored on one sheet."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select
from wtforms.validators import ValidationError

from ..assessment.inspections import apply_sheet, check_sheet, sheet_rows, sheet_total
from ..extensions import db
from ..lists.validation import check_inspection
from ..models import Inspection, Village
from ..reports import columns
from ..reports.display import points
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .options import period_options, village_options
from .widgets import OptionsFilter


class InspectionView(SecureModelView):
    domain_check = staticmethod(check_inspection)
    search_hint = "村名开头 / 检查人员开头"
    create_template = "admin/inspection_create.html"
    edit_template = "admin/inspection_edit.html"

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
    # The scores are not a form field: the sheet below the form
    # (``admin_app.assessment.inspections``).
    form_columns = ("period", "village", "inspected_on", "inspectors", "summary")
    form_ajax_refs = {
        "period": {"fields": ("name",)},
        "village": {"fields": ("name",)},
    }
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

    # --- The score sheet ------------------------------------------------------------------

    @staticmethod
    def _with_sheet(form: Any, inspection: Inspection | None) -> Any:
        """Attach the sheet's rows: as posted when the form came back, else as stored."""
        posted = request.form if request.method == "POST" else None
        form.sheet = sheet_rows(db.session, inspection, posted)
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._with_sheet(super().create_form(obj), None)

    def edit_form(self, obj: Any = None) -> Any:
        return self._with_sheet(super().edit_form(obj), obj)

    def sheet_total(self, form: Any) -> tuple[str, str]:
        total, maximum = sheet_total(getattr(form, "sheet", []))
        return points(total), points(maximum)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """The inspection and its whole sheet are checked together and saved together."""
        rows = getattr(form, "sheet", None)
        if rows is None:  # an inline edit of the list carries no sheet
            super().on_model_change(form, model, is_created)
            return
        problems = check_sheet(rows)
        try:
            super().on_model_change(form, model, is_created)
        except ValidationError as exc:
            if problems:
                raise ValidationError(f"{exc}；评分：{'；'.join(problems)}") from exc
            raise
        if problems:
            raise ValidationError("未保存，评分有误：" + "；".join(problems))
        with db.session.no_autoflush:
            apply_sheet(db.session, model, rows)

    def record_heading(self, model: Any) -> tuple[str, str] | None:
        return (
            f"{model.village.name if model.village else ''} 督导检查",
            f"{model.period.name if model.period else ''} · {model.inspected_on}",
        )
