"""考核指标: the assessment scheme as data — points, thresholds, deductions, on/off, order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import func, select

from .. import columns
from ..assessment import PARAMS, check_params
from ..choices import IndicatorMethod, Role
from ..display import points
from ..extensions import db
from ..models import AssessmentIndicator
from .base import SecureModelView
from .fields import BoundedJSONField

ADMINS = frozenset({Role.ADMIN})
FULL_MARKS = Decimal(100)


def check_indicator(session: Any, indicator: AssessmentIndicator) -> dict[str, str]:
    errors: dict[str, str] = {}
    if indicator.points is not None and not 0 <= Decimal(indicator.points) <= FULL_MARKS:
        errors["points"] = "分值应在0–100之间"
    if indicator.method:
        problem = check_params(IndicatorMethod(indicator.method), indicator.params)
        if problem:
            errors["params"] = problem
    if indicator.params is None:
        indicator.params = {}
    return errors


def params_help() -> Markup:
    """The form's help: each key in ``<code>``, since it is what the admin types."""
    parts = []
    for method, specs in PARAMS.items():
        if specs:
            keys = Markup("，").join(
                Markup("<code>{}</code>={}（默认{}）").format(k, s.label, f"{s.default:g}")
                for k, s in specs.items()
            )
            parts.append(Markup("{}：{}").format(method.label, keys))
    return Markup('JSON格式，如 <code>{"target": 100, "deduct_per_child": 3}</code>。') + Markup(
        "；"
    ).join(parts)


def params_text(view: Any, context: Any, model: AssessmentIndicator, name: str) -> str:
    """The parameters in words (目标入学率(%)：100；每差1人扣分：3), not as JSON keys."""
    try:
        specs = PARAMS[IndicatorMethod(model.method)]
    except ValueError:
        specs = {}
    given = model.params or {}
    parts = [
        f"{specs[key].label if key in specs else key}：{points(Decimal(str(value)))}"
        if isinstance(value, int | float | Decimal)
        else f"{specs[key].label if key in specs else key}：{value}"
        for key, value in given.items()
    ]
    return "；".join(parts) or "（默认）"


class IndicatorView(SecureModelView):
    read_roles = ADMINS
    write_roles = ADMINS
    domain_check = staticmethod(check_indicator)
    list_template = "admin/indicator_list.html"
    # The code is the program's key for an indicator; people read its name.
    column_list = ("sort_order", "name", "points", "method", "params", "active")
    column_details_list = column_list
    column_labels = columns.labels(AssessmentIndicator)
    column_default_sort = ("sort_order", False)
    column_editable_list = ("points", "active", "sort_order")
    form_columns = ("code", "name", "points", "method", "params", "sort_order", "active")
    form_args = {
        "params": {"description": params_help()},
        "points": {"description": "0–100；启用指标合计宜为100分"},
    }
    form_args = {
        **form_args,
        "code": {"description": "程序内部使用的代码（英文字母），新建后不宜修改"},
    }
    column_formatters = {"points": lambda v, c, m, n: points(m.points), "params": params_text}
    form_overrides = {"params": BoundedJSONField}

    @expose("/")
    def index_view(self) -> Any:
        self._template_args["active_total"] = points(
            db.session.scalar(
                select(func.coalesce(func.sum(AssessmentIndicator.points), 0)).where(
                    AssessmentIndicator.active.is_(True)
                )
            )
        )
        return super().index_view()
