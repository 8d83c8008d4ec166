"""家庭户: households and their support categories (帮扶类别)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import and_, or_

from ..access.auth import has_role, may_see_unmasked
from ..choices import HOUSEHOLD_CATEGORIES, Role
from ..lists.validation import check_household
from ..models import Household
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .options import village_options
from .sections import CheckRow, Section, sections
from .widgets import CriterionFilter, OptionsFilter

_NONE_OF_THEM = and_(*(getattr(Household, key).is_(False) for key in HOUSEHOLD_CATEGORIES))


class HouseholdView(SecureModelView):
    domain_check = staticmethod(check_household)
    search_hint = "户主姓名开头"

    column_list = ("head_name", "village", "group_name", "phone", *HOUSEHOLD_CATEGORIES)
    column_details_list = (
        "head_name",
        "village",
        "group_name",
        "address",
        "phone",
        *HOUSEHOLD_CATEGORIES,
        "remarks",
        "children",
    )
    column_labels = columns.labels(Household)
    masked_phone_columns = columns.masked(Household, "phone")
    column_sortable_list = ("head_name", ("village", "village.name"), "group_name")
    column_default_sort = ("id", True)
    column_filters = (
        OptionsFilter(Household.village_id, "行政村", village_options, int),
        CriterionFilter(
            Household.id,
            "帮扶类别",
            {
                **{
                    k: (label, getattr(Household, k).is_(True))
                    for k, label in HOUSEHOLD_CATEGORIES.items()
                },
                "general": ("一般户", _NONE_OF_THEM),
            },
        ),
    )
    form_columns = (
        "village",
        "head_name",
        "group_name",
        "address",
        "phone",
        *HOUSEHOLD_CATEGORIES,
        "remarks",
    )
    form_rules = sections(
        Section("户主与住址", ("village", "head_name", "group_name", "address", "phone")),
        Section("帮扶类别", (CheckRow("属于（可多选，都不是即一般户）", HOUSEHOLD_CATEGORIES),)),
        Section("备注", ("remarks",)),
    )
    edit_template = "admin/record_edit.html"
    form_ajax_refs = {"village": {"fields": ("name",)}}
    column_formatters_detail = {
        "children": lambda v, c, m, n: "、".join(child.name for child in m.children) or "无",
    }

    def search_criterion(self, term: str) -> Any:
        if not may_see_unmasked():
            # Roles that see phone numbers masked cannot test whether a number exists.
            return starts_with(Household.head_name, term)
        return or_(starts_with(Household.head_name, term), Household.phone == term)

    def record_heading(self, model: Any) -> tuple[str, str] | None:
        where = [model.village.name if model.village else "", model.group_name or ""]
        return f"{model.head_name}户", " · ".join(part for part in where if part)

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        if has_role({Role.VILLAGE}) and not form.village.data:
            form.village.data = current_user.village
        return form
