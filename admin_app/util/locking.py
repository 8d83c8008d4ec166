"""Optimistic locking: a save made from an outdated copy of a record is refused, not applied.

Every table edited through the panel has a ``version`` column (``models.Versioned``, the
mapper's ``version_id_col``): SQLAlchemy writes each UPDATE as ``… WHERE version =
:loaded`` and bumps the number, and raises ``StaleDataError`` when another transaction got
there first. The panel's forms carry the version the user saw when they opened the form;
the views compare it with the row's current version before anything is written. So both
the slow race (a form left open while a colleague saves) and the fast one (two requests
in flight at once) end in a refusal that names what changed.

Rows that belong to a larger record count as changes of that record (``PARENTS``): a
score changes its inspection, a visit, notice, step or plan changes its case. Two clicks
on the same case step therefore collide on the case's version, even for steps that leave
the case's status alone (an escalation step, a notice).

Bulk SQL goes around the ORM's counter: the list import's ``UPDATE`` of children sets
``version = version + 1`` itself (``imports._write_updates``); a login's ``last_login_at``
is written without a bump on purpose (no form edits it, so no open form is outdated).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..choices import AuditAction
from ..models import (
    AssistancePlan,
    AuditLog,
    CaseEvent,
    CaseVisit,
    InspectionScore,
    Notice,
    Versioned,
    utcnow,
)
from ..reports.display import points
from .dates import beijing_minute

#: The form field that carries the version the user saw.
VERSION_FIELD = "version"
#: Row class → the relationship to the record whose version it belongs to.
PARENTS: dict[type, str] = {
    InspectionScore: "inspection",
    CaseEvent: "case",
    CaseVisit: "case",
    Notice: "case",
    AssistancePlan: "case",
}
EMPTY = "（空）"


class StaleRecord(Exception):
    """A save from an outdated version, with the refusal's text (Chinese, for the user)."""


def is_versioned(obj: Any) -> bool:
    return isinstance(obj, Versioned)


def parse_version(value: Any) -> int | None:
    """The version a form posted, or None when it posted none (or garbage)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@event.listens_for(Session, "before_flush")
def touch_parents(session: Session, flush_context: Any, instances: Any) -> None:
    """Bump the version of the record a changed row belongs to (see ``PARENTS``).

    Setting ``updated_at`` makes the parent's UPDATE part of this flush, with its
    ``WHERE version = :loaded``; a parent created in this flush needs nothing.
    """
    touched: set[int] = set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        key = PARENTS.get(type(obj))
        if key is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        parent = getattr(obj, key, None)
        if parent is None or id(parent) in touched:
            continue
        touched.add(id(parent))
        if parent in session.new or parent in session.deleted:
            continue
        parent.updated_at = utcnow()


# --- Telling the user what changed --------------------------------------------------------


def shown(value: Any) -> str:
    """A value as a clerk reads it on the screens (labels, 是/否, dates, Beijing time)."""
    if value is None or value == "" or value == []:
        return EMPTY
    label = getattr(value, "label", None)
    if isinstance(value, enum.Enum) and label:
        return str(label)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return beijing_minute(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return points(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list | tuple | set):
        return "；".join(sorted(shown(v) for v in value)) or EMPTY
    return str(value)


def snapshot(obj: Any, names: Iterable[str]) -> dict[str, str]:
    """The shown values of the mapped attributes ``names`` (others are skipped)."""
    attrs = inspect(obj).mapper.attrs
    return {name: shown(getattr(obj, name)) for name in names if name in attrs}


def differences(current: dict[str, str], mine: dict[str, str], labels: dict[str, str]) -> list[str]:
    """``标签：您填写的 → 现在的`` for every field where the two differ."""
    return [
        f"{labels.get(name, name)}：{mine[name]} → {value}"
        for name, value in current.items()
        if name in mine and mine[name] != value
    ]


def last_saved_by(session: Session, obj: Any) -> str:
    """Who saved the record last, and when (from the audit log), for the refusal."""
    row = session.execute(
        select(AuditLog.username, AuditLog.at)
        .where(
            AuditLog.table_name == obj.__tablename__,
            AuditLog.record_id == str(obj.id),
            AuditLog.action.in_((AuditAction.UPDATE, AuditAction.CREATE)),
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    ).first()
    if row is None or row.username is None:
        return ""
    return f"（最近一次由 {row.username} 于 {beijing_minute(row.at)} 保存）"


def stale_message(changes: list[str], saved_by: str = "") -> str:
    """The refusal: nothing saved, what differs, and that the typing is still there."""
    head = f"未保存：您打开此记录后，已有他人修改并保存了它{saved_by}。"
    if changes:
        body = "与您填写不同的内容（您填写的 → 现在的）：" + "；".join(changes) + "。"
    else:
        body = "您填写的各项与现在的记录相同。"
    return (
        head
        + body
        + "您填写的内容仍在表单中，本次未作任何修改；核对后再次保存，将以您填写的内容为准。"
    )
