"""学校: the schools children of the township attend."""

from __future__ import annotations

from typing import Any

from ..choices import SchoolKind
from ..lists.validation import check_school
from ..models import School
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .widgets import enum_filter


class SchoolView(SecureModelView):
    domain_check = staticmethod(check_school)
    search_hint = "校名开头 / 学校标识码"
    column_list = ("name", "code", "kind", "township")
    column_labels = columns.labels(School)
    column_sortable_list = ("name", "code", "kind")
    column_default_sort = ("name", False)
    column_filters = (enum_filter(School.kind, "类型", SchoolKind),)
    form_columns = ("township", "name", "code", "kind")
    form_args = {"code": {"description": "10位学校标识码（可不填）"}}
    form_ajax_refs = {"township": {"fields": ("name",)}}

    def search_criterion(self, term: str) -> Any:
        return starts_with(School.name, term) | (School.code == term)
