"""考核周期: the periods (e.g. 2026年度) indicators and inspections are counted in."""

from __future__ import annotations

from typing import Any

from ..models import AssessmentPeriod
from ..reports import columns
from .base import SecureModelView


def check_period(session: Any, period: AssessmentPeriod) -> dict[str, str]:
    if period.start_on and period.end_on and period.end_on < period.start_on:
        return {"end_on": "结束日期不能早于开始日期"}
    return {}


class PeriodView(SecureModelView):
    domain_check = staticmethod(check_period)
    column_list = ("name", "start_on", "end_on")
    column_labels = columns.labels(AssessmentPeriod)
    column_default_sort = ("end_on", True)
    form_columns = ("name", "start_on", "end_on")
