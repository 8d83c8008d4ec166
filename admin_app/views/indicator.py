"""考核指标: the assessment scheme as data — points, thresholds, deductions, on/off, order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import request
from flask_admin import expose
from sqlalchemy import func, select
from wtforms import FloatField
from wtforms.validators import Optional
from wtforms.widgets import NumberInput

from ..assessment.core import PARAMS, Param, param_errors
from ..choices import IndicatorMethod
from ..extensions import db
from ..models import AssessmentIndicator
from ..reports import columns
from ..reports.display import points
from .base import SecureModelView

FULL_MARKS = Decimal(100)


def param_field_name(method: IndicatorMethod, key: str) -> str:
    return f"param_{method.value}_{key}"


#: One labelled number box per parameter of each method (目标入学率(%)、每差1人扣分 …):
#: the form shows those of the chosen method (panel.js hides the others).
PARAM_FIELDS = {
    param_field_name(method, key): (method, key, spec)
    for method, specs in PARAMS.items()
    for key, spec in specs.items()
}


class ParamField(FloatField):
    """A number box whose refusal of a non-number is in Chinese, beside the box."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = float(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError("请填写数字") from None


def _param_field(method: IndicatorMethod, spec: Param) -> FloatField:
    bounds = {"min": f"{spec.minimum:g}", "step": "1" if spec.integer else "any"}
    if spec.maximum is not None:
        bounds["max"] = f"{spec.maximum:g}"
    return ParamField(
        spec.label,
        validators=[Optional()],
        widget=NumberInput(),
        render_kw={**bounds, "data-method": method.value},
        description=f"“{method.label}”的参数；留空按默认值{spec.default:g}",
    )


def check_indicator(session: Any, indicator: AssessmentIndicator) -> dict[str, str]:
    errors: dict[str, str] = {}
    if indicator.points is not None and not 0 <= Decimal(indicator.points) <= FULL_MARKS:
        errors["points"] = "分值应在0–100之间"
    if indicator.params is None:
        indicator.params = {}
    if indicator.method:
        method = IndicatorMethod(indicator.method)
        for key, message in param_errors(method, indicator.params).items():
            errors[param_field_name(method, key)] = message
    return errors


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
    domain_check = staticmethod(check_indicator)
    list_template = "admin/indicator_list.html"
    # The code is the program's key for an indicator; people read its name.
    column_list = ("sort_order", "name", "points", "method", "params", "active")
    column_details_list = column_list
    column_labels = columns.labels(AssessmentIndicator)
    column_default_sort = ("sort_order", False)
    column_editable_list = ("points", "active", "sort_order")
    form_columns = ("code", "name", "points", "method", *PARAM_FIELDS, "sort_order", "active")
    form_extra_fields = {
        name: _param_field(method, spec) for name, (method, _, spec) in PARAM_FIELDS.items()
    }
    form_args = {
        "points": {"description": "0–100；启用指标合计宜为100分"},
        "method": {"description": "改变计算方法后，请填写该方法的参数"},
        "code": {"description": "程序内部使用的代码（英文字母），新建后不宜修改"},
    }
    column_formatters = {"points": lambda v, c, m, n: points(m.points), "params": params_text}

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        if request.method != "POST":
            for name, (_, _, spec) in PARAM_FIELDS.items():
                form[name].data = spec.default
        return form

    def on_form_prefill(self, form: Any, id: Any) -> None:
        """Each box shows the indicator's value, or the default it runs with."""
        indicator = self.get_one(id)
        given = (indicator.params or {}) if indicator is not None else {}
        for name, (method, key, spec) in PARAM_FIELDS.items():
            own = indicator is not None and indicator.method == method
            form[name].data = given.get(key, spec.default) if own else spec.default

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """The chosen method's boxes become the parameters; a box left empty takes the
        method's default (it is not stored, so a changed default applies to it)."""
        method = IndicatorMethod(model.method) if model.method else None
        model.params = {
            key: (int(value) if spec.integer and float(value).is_integer() else value)
            for name, (owner, key, spec) in PARAM_FIELDS.items()
            if owner == method and (value := form[name].data) is not None
        }
        super().on_model_change(form, model, is_created)

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
