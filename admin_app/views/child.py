"""适龄儿童少年: the children register, the heart of the panel."""

from __future__ import annotations

import re
from typing import Any

from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import false, or_
from wtforms.validators import Optional

from ..access.auth import has_role, may_see_unmasked
from ..choices import CHILD_KEY_GROUPS, ChildStatus, OutOfSchoolReason, Role, Stage
from ..lists.validation import check_child, normalize_id_number
from ..models import Child
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .fields import LocalDateField
from .options import school_options, village_options
from .sections import CheckRow, Section, sections
from .widgets import (
    CriterionFilter,
    OptionsFilter,
    child_cases_cell,
    child_home_teaching_cell,
    enum_filter,
)

#: A whole or partial ID number: a clerk types the first digits (4301212019) or all 18.
ID_LIKE = re.compile(r"^[0-9０-９]{4,17}[0-9Xx０-９ｘＸ]?$")
#: A 全国学籍号 or its beginning: G + the ID number, or J/L + the number made for a child
#: without one.
STUDENT_NO_LIKE = re.compile(r"^[GJLgjlＧＪＬ][0-9０-９]{3,17}[0-9Xx０-９ｘＸ]?$")
#: Enrolment (学籍) fields: what a school user may change, not identity or family data.
ENROLMENT_FIELDS = (
    "school",
    "stage",
    "grade",
    "class_name",
    "student_no",
    "status",
    "status_reason",
    "status_note",
)
SCHOOL_EDITABLE = frozenset(
    {*ENROLMENT_FIELDS, "status_effective_on", "remarks", "csrf_token", "version"}
)


def _history(child: Child) -> Markup:
    """The status history, oldest first, as the details page shows it."""
    items = [
        Markup("<li>{} {}{}</li>").format(
            change.effective_on.isoformat(),
            str(change),
            f"（{change.reason.label}）" if change.reason else "",
        )
        for change in child.status_changes
    ]
    return Markup("<ul class='mb-0 pl-3'>{}</ul>").format(Markup("").join(items))


#: A child's record as the form edits it and the details page shows it, in one order.
RECORD_FIELDS = (
    "name",
    "id_number",
    "no_id_reason",
    "sex",
    "birth_date",
    "ethnicity",
    "village",
    "household",
    "guardian_name",
    "guardian_relation",
    "guardian_phone",
    "guardian_migrant",
    *CHILD_KEY_GROUPS,
    "disability_category",
    "disability_grade",
    "disability_cert_no",
    *ENROLMENT_FIELDS,
)


class ChildView(SecureModelView):
    domain_check = staticmethod(
        lambda session, child: check_child(session, child, viewer=current_user)
    )
    search_hint = "姓名开头 / 身份证号或学籍号（可只输前几位）"

    column_list = (
        "name",
        "id_number",
        "sex",
        "birth_date",
        "village",
        "school",
        "grade",
        "class_name",
        "status",
        "status_reason",
        "guardian_name",
        "guardian_phone",
    )
    column_details_list = (
        *RECORD_FIELDS,
        "status_changes",
        "dropout_cases",
        "home_teaching",
        "remarks",
        "updated_at",
    )
    column_labels = columns.labels(Child)
    column_formatters_detail = {
        "status_changes": lambda v, c, m, n: _history(m),
        "dropout_cases": child_cases_cell,
        "home_teaching": child_home_teaching_cell,
    }
    masked_id_columns = columns.masked(Child, "id")
    masked_phone_columns = columns.masked(Child, "phone")
    column_sortable_list = (
        "name",
        "birth_date",
        ("village", "village.name"),
        ("school", "school.name"),
        "grade",
        "status",
        "updated_at",
    )
    column_default_sort = ("id", True)
    column_editable_list = ("class_name",)
    column_filters = (
        OptionsFilter(Child.village_id, "行政村", village_options, int),
        OptionsFilter(Child.school_id, "学校", school_options, int),
        enum_filter(Child.status, "就学状态", ChildStatus),
        enum_filter(Child.status_reason, "未入学/辍学原因", OutOfSchoolReason),
        CriterionFilter(
            Child.id,
            "重点群体",
            {
                key: (label, getattr(Child, key).is_(True))
                for key, label in CHILD_KEY_GROUPS.items()
            },
        ),
        enum_filter(Child.stage, "学段", Stage),
        OptionsFilter(Child.grade, "年级", lambda: [(g, f"{g}年级") for g in range(1, 10)], int),
        CriterionFilter(
            Child.id,
            "身份证号",
            {"missing": ("无身份证号", Child.id_number.is_(None))},
        ),
    )
    form_columns = (*RECORD_FIELDS, "status_effective_on", "remarks")
    form_rules = sections(
        Section(
            "身份",
            (
                "name",
                "id_number",
                "no_id_reason",
                "sex",
                "birth_date",
                "ethnicity",
                "village",
                "household",
            ),
        ),
        Section(
            "家庭与监护",
            ("guardian_name", "guardian_relation", "guardian_phone", "guardian_migrant"),
        ),
        Section(
            "重点群体",
            (
                CheckRow("属于（可多选）", CHILD_KEY_GROUPS),
                "disability_category",
                "disability_grade",
                "disability_cert_no",
            ),
        ),
        Section("就学", (*ENROLMENT_FIELDS, "status_effective_on", "remarks")),
    )
    edit_template = "admin/record_edit.html"
    form_extra_fields = {
        "status_effective_on": LocalDateField(
            "状态生效日期", validators=[Optional()], description="就学状态变化时填写，默认今天"
        ),
    }
    domain_checked_fields = ("id_number", "birth_date", "sex")
    form_args = {
        "id_number": {"description": "18位，填写后自动带出出生日期和性别"},
        "birth_date": {"description": "可留空，按身份证号自动带出"},
        "sex": {"description": "可留空，按身份证号自动带出"},
        "no_id_reason": {"description": "无身份证号时必填，如“未落户”"},
        "status_reason": {"description": "未入学或辍学时必填"},
    }
    form_ajax_refs = {
        "village": {"fields": ("name",)},
        "household": {"fields": ("head_name",)},
        "school": {"fields": ("name",)},
    }

    def search_criterion(self, term: str) -> Any:
        """Name by its beginning; ID number and 学籍号 whole or by their beginning (each
        answered from its index: ``ix_child_id_number_prefix``, ``ix_child_student_no``)."""
        numeric = ID_LIKE.match(term)
        if numeric or STUDENT_NO_LIKE.match(term):
            if not may_see_unmasked():
                # Roles that see ID numbers masked cannot test whether a number exists;
                # 学籍号 embeds the ID number.
                return false()
            number = normalize_id_number(term)
            if numeric and len(number) == 18:
                return or_(Child.id_number == number, Child.student_no == number)
            column = Child.id_number if numeric else Child.student_no
            return starts_with(column, number)
        return starts_with(Child.name, term)

    def record_heading(self, model: Any) -> tuple[str, str] | None:
        where = [
            model.village.name if model.village else "",
            model.school.name if model.school else "",
        ]
        if model.grade:
            where.append(f"{model.grade}年级{model.class_name or ''}")
        return model.name, " · ".join(part for part in where if part)

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        if has_role({Role.VILLAGE}) and not form.village.data:
            form.village.data = current_user.village
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        if has_role({Role.SCHOOL}):
            for name in [field.name for field in form if field.name not in SCHOOL_EDITABLE]:
                del form[name]
        return form
