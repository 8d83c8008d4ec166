"""The archive of issued workbooks: ``exports/<year>/<name>.xlsx`` plus one ExportRecord each.

A workbook is written straight into the archive (a temporary name first, renamed when
complete), hashed, and recorded with who, when, filters, row count and whether it was
masked. The same file is served for the first download and every later one, so what an
inspector took to a meeting can be shown again byte for byte.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import abort, current_app, send_file
from sqlalchemy import Select, select
from werkzeug.wrappers import Response

from ..access.permissions import (
    ARCHIVE_EVERY_FILE,
    ARCHIVE_OWN_FILES,
    allows,
    roles_for,
    sees_unmasked,
)
from ..access.scope import township_criterion, township_of
from ..choices import AuditAction
from ..extensions import db
from ..models import ExportRecord, User
from ..util.audit import log_event
from ..util.files import file_sha256, private_file, private_folder
from .xlsx import XLSX_MIMETYPE, local_now

#: Characters no file name on Windows or Linux may carry, and control characters.
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def exports_dir() -> Path:
    return Path(current_app.config["EXPORTS_DIR"])


def safe_name(text: str, limit: int = 80) -> str:
    """A file name from a report title and period: Chinese kept, path characters removed."""
    cleaned = UNSAFE.sub("_", text).strip(" ._") or "export"
    return cleaned[:limit]


def issue(
    *,
    report: str,
    title: str,
    user: User,
    filters: dict[str, Any],
    masked: bool,
    write: Callable[[Path], int],
) -> ExportRecord:
    """Write a workbook into the archive through ``write(path) -> rows`` and record it.

    The record and the audit entry are committed together; an unmasked file is marked as
    such in the audit log. If writing fails, no file and no record are left behind.
    """
    now = local_now()
    folder = private_folder(exports_dir() / str(now.year), root=exports_dir())
    stem = f"{safe_name(title)}_{now:%Y%m%d-%H%M%S}_{secrets.token_hex(3)}"
    partial = folder / f".{stem}.part"
    final = folder / f"{stem}.xlsx"
    try:
        rows = write(partial)
        private_file(partial)
        digest = file_sha256(partial)
        partial.replace(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    record = ExportRecord(
        report=report,
        title=title[:120],
        path=final.relative_to(exports_dir()).as_posix(),
        user_id=user.id,
        username=user.username,
        role=user.role,
        filters=filters,
        row_count=rows,
        sha256=digest,
        masked=masked,
    )
    db.session.add(record)
    try:
        db.session.flush()
        log_event(
            AuditAction.EXPORT,
            user_id=user.id,
            username=user.username,
            table_name="export_record",
            record_id=str(record.id),
            note=f"{title}，{rows}行，{'已脱敏' if masked else '未脱敏（含完整身份证号、电话）'}",
        )
    except BaseException:
        db.session.rollback()
        final.unlink(missing_ok=True)
        raise
    return record


def file_of(record: ExportRecord) -> Path | None:
    """The archived file, if it is still there and still inside the archive."""
    root = exports_dir().resolve()
    path = (root / record.path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def visible_records(user: User) -> Select[Any]:
    """Archived files a user may download again.

    Admins: all. Village and school users: only their own (their files hold only their
    rows). Other township roles: every township file, but roles that may not read ID and
    phone numbers only the masked ones (``admin_app.access.permissions``, the reports rows).
    A user kept to one township (``User.township_id``): only files of their township's users.
    """
    stmt = select(ExportRecord).order_by(ExportRecord.created_at.desc(), ExportRecord.id.desc())
    township_id = township_of(user)
    if township_id is not None:
        # A township user's files only: a county account's files hold every township.
        stmt = stmt.where(township_criterion(ExportRecord, township_id))
    if allows(user, "reports", ARCHIVE_EVERY_FILE):
        return stmt
    if allows(user, "reports", ARCHIVE_OWN_FILES):
        return stmt.where(ExportRecord.user_id == user.id)
    if not sees_unmasked(user):
        stmt = stmt.where(ExportRecord.masked.is_(True))
    # The files of users kept to their own files hold their rows only: not the township's.
    local_roles = sorted(roles_for("reports", ARCHIVE_OWN_FILES))
    return stmt.where(ExportRecord.role.not_in(local_roles))


def send_record(record: ExportRecord) -> Response:
    """The archived workbook as a download named after its title (404 if it is gone)."""
    path = file_of(record)
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{safe_name(record.title)}.xlsx",
        max_age=0,
    )


def log_download(user: User, record: ExportRecord) -> None:
    log_event(
        AuditAction.EXPORT,
        user_id=user.id,
        username=user.username,
        table_name="export_record",
        record_id=str(record.id),
        note=f"再次下载：{record.title}（{'已脱敏' if record.masked else '未脱敏'}）",
    )
