"""The audit log: who created, changed or deleted what, from where, with a before/after diff.

Changes are captured on ORM flush for any session that carries an actor
(``session.info["audit_actor"]``, set for each logged-in request), so no view can forget
to log. Rows are inserted on the flush's own connection: they commit or roll back with
the change they describe.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from ..choices import AuditAction
from ..extensions import db
from ..models import (
    AuditLog,
    ChildStatusChange,
    HouseholdCategorySpan,
    LoginThrottle,
    SiteFlag,
    utcnow,
)

#: Never copied into the log, only noted as changed.
#: A report's snapshot (``ReportSubmission.snapshot``) holds every child of the township with
#: the ID numbers: written once, too big and too personal to copy into the log.
REDACTED_COLUMNS = frozenset({"password_hash", "snapshot"})
#: Bookkeeping columns whose change is no news: ``version`` counts saves for locking, a
#: session token is a secret.
IGNORED_COLUMNS = frozenset({"created_at", "updated_at", "session_token", "version"})
#: Tables not audited row by row: the log itself, history the model layer derives, and
#: the login counters per address (the failures themselves are logged as events).
UNAUDITED = (AuditLog, ChildStatusChange, HouseholdCategorySpan, LoginThrottle, SiteFlag)


def json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _column_values(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    values = {}
    for attr in state.mapper.column_attrs:
        if attr.key in IGNORED_COLUMNS:
            continue
        value = getattr(obj, attr.key)
        values[attr.key] = "***" if attr.key in REDACTED_COLUMNS else json_value(value)
    return values


def _changed_values(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in IGNORED_COLUMNS:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if json_value(old) == json_value(new):
            continue
        if attr.key in REDACTED_COLUMNS:
            before[attr.key], after[attr.key] = "***", "***(已修改)"
        else:
            before[attr.key], after[attr.key] = json_value(old), json_value(new)
    return before, after


def _record_id(obj: Any) -> str:
    # Read the key off the row: new objects get their identity only after the flush ends.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in key if v is not None)


@event.listens_for(Session, "after_flush")
def record_changes(session: Session, flush_context: Any) -> None:
    actor = session.info.get("audit_actor")
    if actor is None:
        return
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def row(action: AuditAction, obj: Any, before: Any, after: Any) -> dict[str, Any]:
        return {
            "at": now,
            "user_id": actor["user_id"],
            "username": actor["username"],
            "ip": actor["ip"],
            "action": action.value,
            "table_name": obj.__tablename__,
            "record_id": _record_id(obj),
            "before": before,
            "after": after,
            "note": None,
        }

    for obj in session.new:
        if not isinstance(obj, UNAUDITED):
            rows.append(row(AuditAction.CREATE, obj, None, _column_values(obj)))
    for obj in session.dirty:
        if isinstance(obj, UNAUDITED) or not session.is_modified(obj):
            continue
        before, after = _changed_values(obj)
        if after:
            rows.append(row(AuditAction.UPDATE, obj, before, after))
    for obj in session.deleted:
        if not isinstance(obj, UNAUDITED):
            rows.append(row(AuditAction.DELETE, obj, _column_values(obj), None))
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def client_ip() -> str | None:
    return request.remote_addr if request else None


def log_event(
    action: AuditAction,
    *,
    user_id: int | None,
    username: str | None,
    table_name: str | None = None,
    record_id: str | None = None,
    note: str | None = None,
    commit: bool = True,
) -> None:
    """Write one audit row for events that are not row changes (logins, exports, imports)."""
    db.session.add(
        AuditLog(
            user_id=user_id,
            username=username,
            ip=client_ip(),
            action=action,
            table_name=table_name,
            record_id=record_id,
            note=note,
        )
    )
    if commit:
        db.session.commit()


def init_app(app: Flask) -> None:
    @app.before_request
    def attach_actor() -> None:
        if current_user.is_authenticated:
            db.session.info["audit_actor"] = {
                "user_id": current_user.id,
                "username": current_user.username,
                "ip": client_ip(),
            }

    @app.teardown_request
    def detach_actor(exc: BaseException | None) -> None:
        db.session.info.pop("audit_actor", None)
