"""目标责任书: the 双线 responsibility agreements, from township down to parents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from ..choices import AgreementLevel, AgreementLine, AgreementStatus
from ..extensions import db
from ..lists.validation import check_agreement
from ..models import Child, ResponsibilityAgreement
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .options import school_options, village_options
from .sections import Section, sections
from .widgets import OptionsFilter, enum_filter

A = ResponsibilityAgreement


class AgreementView(SecureModelView):
    domain_check = staticmethod(check_agreement)
    domain_checked_fields = ("line",)
    search_hint = "甲方/乙方姓名开头 / 儿童姓名开头"

    column_list = (
        "year",
        "line",
        "level",
        "party_a_name",
        "party_b_name",
        "party_b_org",
        "village",
        "school",
        "child",
        "signed_on",
        "valid_until",
        "status",
    )
    column_details_list = tuple(columns.AGREEMENT)
    column_labels = columns.labels(A)
    column_sortable_list = (
        "year",
        "level",
        "party_b_name",
        ("village", "village.name"),
        "signed_on",
        "status",
    )
    column_default_sort = ("id", True)
    column_filters = (
        OptionsFilter(A.year, "年度", lambda: _years(), int),
        enum_filter(A.line, "线别", AgreementLine),
        enum_filter(A.level, "层级", AgreementLevel),
        enum_filter(A.status, "状态", AgreementStatus),
        OptionsFilter(A.village_id, "行政村", village_options, int),
        OptionsFilter(A.school_id, "学校", school_options, int),
    )
    form_columns = tuple(columns.AGREEMENT)
    form_rules = sections(
        Section("责任书", ("year", "level", "line", "status", "signed_on", "valid_until")),
        Section("签约双方", ("party_a_name", "party_a_org", "party_b_name", "party_b_org")),
        Section("责任对象", ("village", "school", "child", "household")),
        Section(
            "目标与条款",
            ("target_enrolment_rate", "target_retention_rate", "liability_clause", "scan_file"),
        ),
    )
    edit_template = "admin/record_edit.html"
    form_args = {
        "line": {"description": "可留空，按层级自动确定"},
        "scan_file": {"description": "扫描件存放位置或编号"},
    }
    form_ajax_refs = {
        "village": {"fields": ("name",)},
        "school": {"fields": ("name",)},
        "child": {"fields": ("name",)},
        "household": {"fields": ("head_name",)},
    }

    def record_heading(self, model: Any) -> tuple[str, str] | None:
        parties = f"{model.party_a_name or ''} — {model.party_b_name or ''}"
        where = [
            f"{model.year}年度" if model.year else "",
            model.level.label if model.level else "",
            model.village.name if model.village else "",
            model.school.name if model.school else "",
            model.child.name if model.child else "",
        ]
        return f"责任书：{parties}", " · ".join(part for part in where if part)

    def search_criterion(self, term: str) -> Any:
        return or_(
            starts_with(A.party_a_name, term),
            starts_with(A.party_b_name, term),
            A.child_id.in_(select(Child.id).where(starts_with(Child.name, term))),
        )


def _years() -> list[tuple[int, str]]:
    years = db.session.scalars(select(A.year).distinct().order_by(A.year.desc())).all()
    return [(y, f"{y}年") for y in years]
