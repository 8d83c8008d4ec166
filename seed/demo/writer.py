"""Writing the generated rows in bulk, and checking a sample with the panel's validators."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import MANYTOONE, Session, selectinload

from admin_app.lists.bulk import insert_rows
from admin_app.lists.validation import (
    Errors,
    check_agreement,
    check_assistance,
    check_child,
    check_home_teaching,
    check_household,
    check_inspection,
    check_plan,
    check_score,
)
from admin_app.models import (
    AssistancePlan,
    AssistanceRecord,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    HomeTeachingSession,
    Household,
    Inspection,
    InspectionScore,
    Notice,
    ResponsibilityAgreement,
    School,
    Township,
    Village,
    utcnow,
)
from seed.demo.context import IdAllocator
from seed.demo.settings import DEMO_PRESENT, DemoDataError, Row

#: Summary labels, in the order the tables are written.
TABLE_LABELS = {
    Township: "乡镇",
    Village: "行政村",
    School: "学校",
    Household: "家庭户",
    Child: "儿童",
    ChildStatusChange: "状态变更记录",
    DropoutCase: "控辍案件",
    CaseVisit: "劝返走访",
    Notice: "文书",
    CaseEvent: "案件办理步骤",
    AssistancePlan: "帮扶方案",
    AssistanceRecord: "帮扶记录",
    ResponsibilityAgreement: "责任书",
    Inspection: "督导检查",
    InspectionScore: "督导评分",
    HomeTeachingSession: "送教上门记录",
}


TIMESTAMP_COLUMNS = ("created_at", "updated_at", "changed_at")


class BulkWriter:
    """Writes generated rows (``admin_app.lists.bulk``: COPY on PostgreSQL), and counts them.

    The whole load carries one timestamp: calling the columns' Python default for each of
    hundreds of thousands of rows would cost seconds.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._counts: dict[type, int] = {}
        self._written_at = utcnow()
        self._dialect = session.get_bind().dialect

    def insert(self, model: type, rows: Iterable[Row]) -> None:
        table = model.__table__
        stamps = {name: self._written_at for name in TIMESTAMP_COLUMNS if name in table.c}
        self._counts[model] = insert_rows(self._session, table, rows, same_for_all=stamps)

    def sync_id_sequences(self, ids: IdAllocator) -> None:
        """Explicit keys leave PostgreSQL's sequences behind; move them past the rows."""
        if self._dialect.name != "postgresql":
            return
        for model in ids.first:
            self._session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"),
                {"table": model.__tablename__, "last": ids.last(model)},
            )

    def summary(self) -> dict[str, int]:
        return {label: self._counts.get(model, 0) for model, label in TABLE_LABELS.items()}


def validators() -> list[tuple[type, Callable[[Session, Any], Errors]]]:
    """The panel's own checks, judged on the demo's present rather than the clock's."""
    return [
        (Household, check_household),
        (Child, partial(check_child, today=DEMO_PRESENT)),
        (AssistancePlan, check_plan),
        (AssistanceRecord, partial(check_assistance, today=DEMO_PRESENT)),
        (ResponsibilityAgreement, partial(check_agreement, today=DEMO_PRESENT)),
        (Inspection, partial(check_inspection, today=DEMO_PRESENT)),
        (InspectionScore, check_score),
        (HomeTeachingSession, partial(check_home_teaching, today=DEMO_PRESENT)),
    ]


def verify(session: Session, ids: IdAllocator, every: int) -> None:
    """Run every ``every``-th generated row through the validators the panel's forms use.

    A refusal, or a validator wanting to change a value, is a bug in this module; raising
    before the commit keeps such data out of the database. The validators read the rows'
    many-to-one relations, so those are loaded in batches rather than one query each.
    """
    with session.no_autoflush:
        for model, check in validators():
            first = ids.first[model]
            parents = [
                selectinload(relation)
                for relation in inspect(model).relationships
                if relation.direction is MANYTOONE
            ]
            sample = (
                select(model)
                .where(model.id >= first, (model.id - first) % every == 0)
                .options(*parents)
                .order_by(model.id)
            )
            for obj in session.scalars(sample):
                errors = check(session, obj)
                if errors or session.is_modified(obj):
                    problem = errors or "校验改动了数据"
                    raise DemoDataError(f"{model.__tablename__} #{obj.id}: {problem}")
