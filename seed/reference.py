"""Reference data every install needs: inspection items and the default assessment scheme."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.assessment.core import default_params
from admin_app.choices import IndicatorMethod
from admin_app.models import AssessmentIndicator, InspectionItem

#: Default 督导检查 items (DESIGN.md §2), 100 points in all before normalisation.
INSPECTION_ITEMS: list[tuple[str, int]] = [
    ("控辍保学工作领导小组及工作机制", 10),
    ("“双线”目标责任书签订", 15),
    ("排查摸底与台账管理", 20),
    ("劝返复学与一人一案", 20),
    ("教育资助政策落实", 15),
    ("学习困难学生帮扶", 10),
    ("法治宣传与家长教育", 10),
]

#: The default village assessment scheme of DESIGN.md §5 (100 points): code, name, points
#: and method; each row's parameters are its method's declared defaults (``default_params``).
INDICATORS: list[tuple[str, str, int, IndicatorMethod]] = [
    ("enrolment", "入学率", 15, IndicatorMethod.ENROLMENT_RATE),
    ("retention", "巩固率", 15, IndicatorMethod.RETENTION_RATE),
    ("dropout_return", "辍学劝返", 15, IndicatorMethod.DROPOUT_RETURN),
    ("agreement", "责任书", 10, IndicatorMethod.AGREEMENT_COVERAGE),
    ("ledger", "台账", 10, IndicatorMethod.LEDGER_COMPLETENESS),
    ("assistance", "帮扶", 10, IndicatorMethod.ASSISTANCE_COVERAGE),
    ("visit_timeliness", "劝返及时", 10, IndicatorMethod.VISIT_TIMELINESS),
    ("inspection", "督导检查", 15, IndicatorMethod.INSPECTION_SCORE),
]


def load_reference(session: Session) -> None:
    """Insert the reference rows that are missing; never overwrite what an admin changed."""
    have_items = set(session.scalars(select(InspectionItem.name)))
    for order, (name, points) in enumerate(INSPECTION_ITEMS, start=1):
        if name not in have_items:
            session.add(InspectionItem(name=name, max_points=Decimal(points), sort_order=order))
    have_codes = set(session.scalars(select(AssessmentIndicator.code)))
    for order, (code, name, points, method) in enumerate(INDICATORS, start=1):
        if code not in have_codes:
            session.add(
                AssessmentIndicator(
                    code=code,
                    name=name,
                    points=Decimal(points),
                    method=method,
                    params=default_params(method),
                    sort_order=order,
                )
            )
