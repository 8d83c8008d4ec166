"""名单导入: upload a county list, preview what it would do row by row, commit the good rows.

The uploaded bytes are kept under their sha256 in ``IMPORT_DIR`` between the preview and
the commit; the commit re-reads and re-judges them, so no row data ever travels through
the browser. The upload judges the file once and keeps what the preview shows beside it
(``admin_app.lists.import_plans``), so paging through the preview does not judge it again.
Township clerks and admins only: village and school users are refused
(a county list spans villages, and its rejects would show other villages' children).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..access.auth import may_see_unmasked
from ..choices import AuditAction, ImportSource
from ..extensions import csrf, db
from ..lists.import_plans import PlanSummary, load_summary, register_fingerprint, save_plan
from ..lists.imports import (
    ImportFailed,
    ImportPlan,
    RowAction,
    commit_plan,
    parse_list_date,
    plan_file,
    rejects_workbook,
)
from ..models import ImportBatch
from ..reports.tables import TableError, load_upload, sha256_of, store_upload
from ..reports.xlsx import XLSX_MIMETYPE
from ..util.audit import client_ip, log_event
from ..util.dates import local_today
from ..util.files import private_folder, write_private
from ..util.params import parse_page
from .base import SecureView
from .uploads import UploadRefused, issuer, megabytes, receive_upload, upload_limits

PAGE_SIZE = 200


def selected_kind(value: str | None) -> ImportSource | None:
    try:
        return ImportSource(value or "")
    except ValueError:
        return None


class ImportView(SecureView):
    @property
    def folder(self) -> str:
        return current_app.config["IMPORT_DIR"]

    def render_index(
        self, error: str | None = None, kind: str | None = None, list_date: str | None = None
    ) -> Any:
        batches = db.session.scalars(
            select(ImportBatch)
            .options(joinedload(ImportBatch.user))
            .order_by(ImportBatch.id.desc())
            .limit(50)
        ).all()
        return self.render(
            "admin/import.html",
            error=error,
            kinds=list(ImportSource),
            kind=kind or ImportSource.POVERTY.value,
            list_date=list_date if list_date is not None else local_today().isoformat(),
            today=local_today().isoformat(),
            batches=batches,
            limit=megabytes(current_app.config["IMPORT_MAX_BYTES"]),
            rejects_exist=lambda b: self.rejects_path(b.id).exists(),
        ), (400 if error else 200)

    def rejects_path(self, batch_id: int) -> Path:
        return Path(self.folder) / "rejects" / f"batch-{batch_id}.xlsx"

    @expose("/")
    def index(self) -> Any:
        return self.render_index()

    @expose("/upload", methods=("POST",))
    @csrf.exempt  # checked by receive_upload, which can word an oversized body
    def upload(self) -> Any:
        try:
            content, file_name = receive_upload()
        except UploadRefused as exc:
            return self.render_index(str(exc))
        kind = selected_kind(request.form.get("kind"))
        typed_date = request.form.get("list_date", "")
        if kind is None:
            return self.render_index("请选择名单类型。", None, typed_date)
        list_date, problem = parse_list_date(typed_date)
        if problem:
            return self.render_index(problem, kind.value, typed_date)
        sha = sha256_of(content)
        try:  # judged once, here; the preview pages show what is kept
            plan = plan_file(
                db.session, content, file_name, kind, sha256=sha, limits=upload_limits()
            )
        except TableError as exc:
            return self.render_index(f"“{file_name}”未导入：{exc}", kind.value, typed_date)
        store_upload(self.folder, content, file_name)
        save_plan(self.folder, plan, register_fingerprint(db.session))
        return redirect(url_for(".preview", sha=sha, kind=kind.value, on=list_date.isoformat()))

    def load_plan(self, sha: str) -> ImportPlan:
        """The stored upload judged afresh against the register (commit, rejects)."""
        kind = selected_kind(request.values.get("kind"))
        stored = load_upload(self.folder, sha)
        if kind is None or stored is None:
            abort(404)
        content, file_name = stored
        try:
            return plan_file(
                db.session, content, file_name, kind, sha256=sha, limits=upload_limits()
            )
        except TableError:
            abort(404)

    def load_summary(self, sha: str) -> PlanSummary:
        """What the preview shows: kept since the upload, or judged again if the register
        changed since (and kept again)."""
        kind = selected_kind(request.values.get("kind"))
        if kind is None:
            abort(404)
        fingerprint = register_fingerprint(db.session)
        summary = load_summary(self.folder, sha, kind, fingerprint)
        if summary is None:
            save_plan(self.folder, self.load_plan(sha), fingerprint)  # the plan is let go
            summary = load_summary(self.folder, sha, kind, fingerprint)
        if summary is None:
            abort(404)
        return summary

    @expose("/preview/<sha>")
    def preview(self, sha: str) -> Any:
        summary = self.load_summary(sha)
        list_date, _ = parse_list_date(request.args.get("on"))
        show = request.args.get("show", "")
        rows, page, pages = summary.page(show, parse_page(request.args.get("page")) or 1, PAGE_SIZE)
        earlier = db.session.scalars(
            select(ImportBatch)
            .where(ImportBatch.sha256 == sha, ImportBatch.source == summary.kind)
            .order_by(ImportBatch.id)
        ).all()
        return self.render(
            "admin/import_preview.html",
            plan=summary,
            counts=summary.counts,
            actions=list(RowAction),
            rows=rows,
            show=show,
            page=page,
            pages=pages,
            earlier=earlier,
            expected=expected_token(summary.counts),
            list_date=list_date.isoformat(),
        )

    @expose("/commit/<sha>", methods=("POST",))
    def commit(self, sha: str) -> Any:
        plan = self.load_plan(sha)
        list_date, problem = parse_list_date(request.form.get("list_date"))
        back = url_for(".preview", sha=sha, kind=plan.kind.value, on=list_date.isoformat())
        if problem:
            flash(f"未导入：{problem}", "error")
            return redirect(back)
        if request.form.get("expected") != expected_token(plan.counts):
            flash("台账在预览后已有变动，以下是重新核对的结果，请确认后再导入。", "warning")
            return redirect(back)
        try:
            batch = commit_plan(
                db.session,
                plan,
                user_id=current_user.id,
                username=current_user.username,
                ip=client_ip(),
                list_date=list_date,
            )
        except ImportFailed as exc:
            current_app.logger.exception("import commit failed")
            flash(str(exc), "error")
            return redirect(back)
        if batch.n_rejected:
            path = self.rejects_path(batch.id)
            private_folder(path.parent)
            write_private(path, rejects_bytes(plan))
        flash(
            f"导入完成（批次#{batch.id}）：新增{batch.n_new}，更新{batch.n_updated}，"
            f"无变化{batch.n_unchanged}，未导入{batch.n_rejected}。",
            "success",
        )
        return redirect(url_for(".index"))

    @expose("/rejects/<sha>")
    def rejects(self, sha: str) -> Any:
        plan = self.load_plan(sha)
        log_event(
            AuditAction.EXPORT,
            user_id=current_user.id,
            username=current_user.username,
            table_name="import_rejects",
            note=f"未导入行：{plan.file_name}，{plan.counts[RowAction.ERROR]}行",
        )
        return send_file(
            io.BytesIO(rejects_bytes(plan)),
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name=f"未导入行_{Path(plan.file_name).stem}.xlsx",
        )

    @expose("/batch/<int:batch_id>/rejects")
    def batch_rejects(self, batch_id: int) -> Any:
        batch = db.session.get(ImportBatch, batch_id)
        path = self.rejects_path(batch_id)
        if batch is None or not path.exists():
            abort(404)
        log_event(
            AuditAction.EXPORT,
            user_id=current_user.id,
            username=current_user.username,
            table_name="import_rejects",
            record_id=str(batch_id),
            note=f"未导入行：批次#{batch_id} {batch.file_name}",
        )
        return send_file(
            io.BytesIO(path.read_bytes()),
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name=f"未导入行_批次{batch_id}_{Path(batch.file_name).stem}.xlsx",
        )


def rejects_bytes(plan: Any) -> bytes:
    """The rejects workbook, masked by the same role rule as every list and export."""
    buffer = io.BytesIO()
    rejects_workbook(
        plan,
        buffer,
        township=current_app.config["TOWNSHIP_NAME"],
        generated_by=issuer(),
        masked=not may_see_unmasked(),
    )
    return buffer.getvalue()


def expected_token(counts: dict[RowAction, int]) -> str:
    """The counts the user saw; a commit whose fresh counts differ is shown again instead."""
    return "-".join(str(counts[a]) for a in RowAction)
