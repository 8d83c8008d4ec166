"""操作日志: the append-only audit log, read-only for admins."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from markupsafe import Markup
from sqlalchemy import DateTime, inspect
from sqlalchemy import Enum as SAEnum

from ..choices import AuditAction, CodeEnum
from ..extensions import db
from ..models import AuditLog
from ..reports import columns
from ..util.dates import beijing_minute
from ..util.sqlutil import starts_with
from .base import SecureModelView
from .widgets import OptionsFilter, enum_filter


def shown_value(table: str, key: str, value: Any) -> str:
    """A logged value as the screens show it: labels for codes, 是/否, Beijing time.

    The log keeps what the database held (codes, ISO instants in UTC); a clerk reads
    ``辍学`` and ``2026-11-20 14:05``, not ``dropout`` and ``2026-11-20T06:05:00``.
    """
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    model = columns.model_of_table(table)
    column = inspect(model).columns.get(key) if model is not None else None
    kind = column.type if column is not None else None
    enum_class = getattr(kind, "enum_class", None) if isinstance(kind, SAEnum) else None
    if isinstance(enum_class, type) and issubclass(enum_class, CodeEnum):
        try:
            return enum_class(value).label
        except ValueError:
            return str(value)
    if isinstance(kind, DateTime) and isinstance(value, str):
        try:
            return beijing_minute(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _changes(view: Any, context: Any, model: AuditLog, name: str) -> Any:
    """修改前/修改后 as 字段：值 lines, with each column's Chinese label."""
    values = getattr(model, name)
    if not values:
        return ""
    table = model.table_name or ""
    lines = [
        Markup("<div>{}：{}</div>").format(
            columns.field_label(table, key), shown_value(table, key, value)
        )
        for key, value in values.items()
    ]
    return Markup("").join(lines)


def _table(view: Any, context: Any, model: AuditLog, name: str) -> str:
    return table_label(model.table_name)


def table_label(table: str | None) -> str:
    if not table:
        return ""
    return columns.TABLE_LABELS.get(table, table)


def _tables() -> list[tuple[str, str]]:
    return [(t, table_label(t)) for t in sorted(db.metadata.tables) if t != "audit_log"]


class AuditView(SecureModelView):
    search_hint = "用户名开头 / 记录编号"
    column_list = ("at", "username", "ip", "action", "table_name", "record_id", "after", "note")
    column_details_list = (
        "at",
        "username",
        "ip",
        "action",
        "table_name",
        "record_id",
        "before",
        "after",
        "note",
    )
    column_labels = columns.labels(AuditLog)
    column_sortable_list = ("at", "username", "action", "table_name")
    column_default_sort = [("at", True), ("id", True)]
    column_filters = (
        enum_filter(AuditLog.action, "操作", AuditAction),
        OptionsFilter(AuditLog.table_name, "数据表", _tables),
        "at",
    )
    column_formatters = {"before": _changes, "after": _changes, "table_name": _table}
    action_disallowed_list = ("delete",)

    def search_criterion(self, term: str) -> Any:
        return starts_with(AuditLog.username, term) | (AuditLog.record_id == term)
