"""Upload plumbing shared by the screens that take a spreadsheet (名单导入, 比对核查).

Not a view: the CSRF-checked, size-bounded receipt of a posted file, the row limits a
list may have, and who a generated workbook names as its 生成人.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..extensions import csrf
from ..reports.tables import Limits


class UploadRefused(Exception):
    """The upload is refused before reading it; the message is for the user."""


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}MB"


def receive_upload() -> tuple[bytes, str]:
    """The posted file's bytes and name, CSRF-checked and within the size limit.

    A body over Flask's MAX_CONTENT_LENGTH is refused by werkzeug while the form is
    parsed; that is turned into the same message as a file over IMPORT_MAX_BYTES. The
    upload views are exempt from the app-wide CSRF check (which would parse the body
    first and answer a bare 413) and check the token here instead.
    """
    limit = min(current_app.config["IMPORT_MAX_BYTES"], current_app.config["MAX_CONTENT_LENGTH"])
    too_large = f"文件超过大小上限（{megabytes(limit)}），未导入。请拆分后分批上传。"
    try:
        csrf.protect()
        upload = request.files.get("file")
    except RequestEntityTooLarge as exc:
        raise UploadRefused(too_large) from exc
    if upload is None or not upload.filename:
        raise UploadRefused("请选择要上传的文件（.xlsx 或 .csv）。")
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise UploadRefused(too_large)
    return content, Path(upload.filename).name[:200]


def upload_limits() -> Limits:
    """Rows and unpacked bytes a list may have (``IMPORT_MAX_ROWS``, ``…_UNPACKED_BYTES``)."""
    config = current_app.config
    return Limits(config["IMPORT_MAX_ROWS"], config["IMPORT_MAX_UNPACKED_BYTES"])


def issuer() -> str:
    """The 生成人 of a workbook's title rows: the current user and role."""
    return f"{current_user.display_name}（{current_user.role.label}）"
