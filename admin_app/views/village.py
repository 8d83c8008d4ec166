"""行政村: the villages of the township."""

from __future__ import annotations

from typing import Any

from ..lists.validation import check_village
from ..models import Village
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView


class VillageView(SecureModelView):
    domain_check = staticmethod(check_village)
    search_hint = "村名开头 / 区划代码"
    column_list = ("name", "code", "township", "groups")
    column_labels = columns.labels(Village)
    column_sortable_list = ("name", "code")
    column_default_sort = ("code", False)
    form_columns = ("township", "name", "code", "groups")
    form_args = {"code": {"description": "12位统计用区划代码（可不填）"}}
    form_ajax_refs = {"township": {"fields": ("name",)}}

    def search_criterion(self, term: str) -> Any:
        return starts_with(Village.name, term) | (Village.code == term)
