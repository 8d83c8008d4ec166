"""检查项目: the configurable inspection items and their maximum points."""

from __future__ import annotations

from ..models import InspectionItem
from ..reports import columns
from .base import SecureModelView


class InspectionItemView(SecureModelView):
    column_list = ("name", "max_points", "sort_order", "active")
    column_labels = columns.labels(InspectionItem)
    column_default_sort = ("sort_order", False)
    form_columns = ("name", "max_points", "sort_order", "active")
    form_args = {"max_points": {"description": "大于0；已有评分保留评分时的满分"}}
