"""操作日志: the append-only audit log, read-only for admins."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from .. import columns
from ..choices import AuditAction, Role
from ..models import AuditLog
from ..sqlutil import starts_with
from .base import OptionsFilter, SecureModelView, enum_filter

NOBODY: frozenset[Role] = frozenset()


def _json(view: Any, context: Any, model: AuditLog, name: str) -> Any:
    value = getattr(model, name)
    if not value:
        return ""
    return Markup("<pre class='mb-0'>{}</pre>").format(
        json.dumps(value, ensure_ascii=False, indent=1)
    )


def _tables() -> list[tuple[str, str]]:
    from ..extensions import db

    return [(t, t) for t in sorted(db.metadata.tables) if t != "audit_log"]


class AuditView(SecureModelView):
    read_roles = frozenset({Role.ADMIN})
    write_roles = NOBODY
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
    column_formatters = {"before": _json, "after": _json}
    action_disallowed_list = ("delete",)

    def search_criterion(self, term: str) -> Any:
        return starts_with(AuditLog.username, term) | (AuditLog.record_id == term)
