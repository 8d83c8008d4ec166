"""送教上门记录: each home-teaching visit (date, teacher, hours, content, where its photo or
signed sheet is kept), recorded by the teaching school or the township's clerks."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..cases import hometeaching
from ..choices import ChildStatus, Role
from ..lists.validation import check_home_teaching
from ..models import Child, HomeTeachingSession
from ..reports import columns
from ..util.sqlutil import starts_with
from .base import ScopedAjaxLoader, SecureModelView
from .options import village_options
from .widgets import OptionsFilter

H = HomeTeachingSession


def _in_village(village_id: int) -> Any:
    return H.child_id.in_(select(Child.id).where(Child.village_id == village_id))


class HomeTeachingChildLoader(ScopedAjaxLoader):
    """The child picker offers only children under 送教上门, within the user's scope, each
    with village and school so that two children of one name can be told apart.

    A session recorded earlier for a child who has since left 送教上门 still opens (the
    picker fetches a named record through the scope alone); the rule
    (``validation.check_home_teaching``) decides whether such a child may be saved.
    """

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .filter(Child.status == ChildStatus.HOME_TEACHING)
            .options(joinedload(Child.village), joinedload(Child.school))
        )

    def format(self, model: Any) -> tuple[Any, str] | None:
        if model is None:
            return None
        where = "，".join(
            part
            for part in (
                model.village.name if model.village else "",
                model.school.name if model.school else "",
            )
            if part
        )
        return model.id, f"{model.name}（{where}）" if where else model.name


class HomeTeachingView(SecureModelView):
    edit_template = "admin/record_edit.html"
    domain_check = staticmethod(check_home_teaching)
    # Messages of the rule, in Chinese, instead of WTForms' "This field is required".
    domain_checked_fields = ("child", "taught_on", "teacher", "hours", "content")
    search_hint = "儿童姓名开头"
    list_template = "admin/hometeach_list.html"

    column_list = ("child", "child.village", "taught_on", "teacher", "school", "hours", "content")
    column_details_list = (
        "child",
        "child.village",
        "taught_on",
        "teacher",
        "school",
        "hours",
        "content",
        "note",
        "photo_ref",
        "recorded_by",
        "created_at",
    )
    column_labels = columns.labels(H)
    column_sortable_list = ("taught_on", "hours", ("child", "child.name"), "teacher")
    column_default_sort = [("taught_on", True), ("id", True)]
    column_filters = (
        OptionsFilter(H.id, "行政村", village_options, int, criterion=_in_village),
        "taught_on",
    )
    form_columns = ("child", "taught_on", "teacher", "hours", "content", "note", "photo_ref")
    form_args = {
        "child": {"description": "输入姓名开头几个字查找；只列出就学状态为“送教上门”的儿童"},
        "hours": {"description": "单位：小时，大于0且不超过8，如 2 或 1.5"},
        "content": {"description": "如：语文识字、生活自理训练、康复训练"},
        "photo_ref": {"description": "送教照片或家长签字记录的编号、存放位置（选填）"},
    }
    form_widget_args = {
        "hours": {"min": "0.5", "max": "8", "step": "0.5"},
        "content": {"rows": 3},
        "note": {"rows": 2},
    }
    form_ajax_refs = {"child": {"fields": ("name",)}}
    column_formatters = {
        "content": lambda v, c, m, n: (m.content or "")[:30],
        "hours": lambda v, c, m, n: hometeaching.hours_text(m.hours),
    }
    column_formatters_detail = {"hours": lambda v, c, m, n: hometeaching.hours_text(m.hours)}

    def _create_ajax_loader(self, name: str, options: dict[str, Any]) -> ScopedAjaxLoader:
        loader = super()._create_ajax_loader(name, options)
        if name != "child":
            return loader
        # The base view's picker settings (typing, page size, placeholder), our query.
        return HomeTeachingChildLoader(name, self.session, Child, **loader.options)

    def get_query(self) -> Any:
        # Each row shows its child's village: loaded with the page, not per row.
        return super().get_query().options(joinedload(H.child).joinedload(Child.village))

    def search_criterion(self, term: str) -> Any:
        return H.child_id.in_(select(Child.id).where(starts_with(Child.name, term)))

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        if is_created:
            model.recorded_by_id = current_user.id
        # The teaching school: the school user's own; a clerk's entry takes the child's.
        if current_user.role == Role.SCHOOL:
            model.school_id = current_user.school_id
        elif model.school_id is None and model.child is not None:
            model.school_id = model.child.school_id

    def record_heading(self, model: Any) -> tuple[str, str] | None:
        child = model.child
        if child is None:
            return None
        return f"送教上门记录：{child.name}", f"{model.taught_on or ''} {model.teacher or ''}"
