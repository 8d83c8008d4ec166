"""比对核查: compare the register with an uploaded roster; open suspected cases in one step.

Like the import, the roster is kept under its sha256 and every request recomputes the
comparison from it, so the "open cases" action accepts only children that the
comparison itself puts on the register-but-not-on-the-roster list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from ..access.auth import may_see_unmasked
from ..extensions import csrf, db
from ..lists.crosscheck import (
    CONFIRM_ABOVE,
    coverage_warning,
    cross_check,
    crosscheck_description,
    crosscheck_workbook,
    missing_child_ids,
    open_suspected_cases,
    read_roster,
)
from ..reports.archive import issue, send_record
from ..reports.tables import TableError, load_upload, store_upload
from ..util.dates import local_today
from ..util.params import parse_count, parse_ids, parse_page
from .base import SecureView
from .uploads import UploadRefused, issuer, megabytes, receive_upload, upload_limits

#: Rows shown per list on screen; the workbook has them all.
SHOWN = 500
#: Rows per page of the "suspected" list, the one cases are opened from.
PAGE_SIZE = 50


class CrossCheckView(SecureView):
    @property
    def folder(self) -> str:
        return current_app.config["IMPORT_DIR"]

    @expose("/")
    def index(self, error: str | None = None) -> Any:
        return self.render(
            "admin/crosscheck.html",
            error=error,
            limit=megabytes(current_app.config["IMPORT_MAX_BYTES"]),
        ), (400 if error else 200)

    @expose("/upload", methods=("POST",))
    @csrf.exempt  # checked by receive_upload, which can word an oversized body
    def upload(self) -> Any:
        try:
            content, file_name = receive_upload()
            read_roster(content, file_name, upload_limits())
        except UploadRefused as exc:
            return self.index(str(exc))
        except TableError as exc:
            return self.index(f"“{file_name}”无法比对：{exc}")
        sha = store_upload(self.folder, content, file_name)
        return redirect(url_for(".result", sha=sha, schools=self.schools_arg()))

    @staticmethod
    def only_roster_schools() -> bool:
        return request.values.get("schools") == "roster"

    def schools_arg(self) -> str | None:
        return "roster" if self.only_roster_schools() else None

    def compute(self, sha: str) -> tuple[Any, str]:
        stored = load_upload(self.folder, sha)
        if stored is None:
            abort(404)
        content, file_name = stored
        try:
            table = read_roster(content, file_name, upload_limits())
        except TableError:
            abort(404)
        check = cross_check(
            db.session, table, local_today(), only_roster_schools=self.only_roster_schools()
        )
        return check, file_name

    @expose("/result/<sha>")
    def result(self, sha: str) -> Any:
        check, file_name = self.compute(sha)
        pages = max(1, -(-len(check.missing) // PAGE_SIZE))
        page = min(parse_page(request.args.get("page")) or 1, pages)
        return self.render(
            "admin/crosscheck_result.html",
            check=check,
            sha=sha,
            file_name=file_name,
            shown=SHOWN,
            warning=coverage_warning(check),
            page=page,
            pages=pages,
            missing_page=check.missing[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            confirm_above=CONFIRM_ABOVE,
        )

    @expose("/result/<sha>/export", methods=("POST",))
    def export(self, sha: str) -> Any:
        """The five lists as one workbook, archived like every issued report (DESIGN.md §6).

        POST with the CSRF token: issuing an archived, audited workbook is a write."""
        check, file_name = self.compute(sha)
        masked = not may_see_unmasked()
        description = crosscheck_description(check, file_name)
        record = issue(
            report="crosscheck",
            title=f"比对核查_{Path(file_name).stem}",
            user=current_user._get_current_object(),
            filters={
                "description": description,
                "roster": file_name,
                "sha256": sha,
                "only_roster_schools": check.only_roster_schools,
            },
            masked=masked,
            write=lambda path: (
                crosscheck_workbook(
                    check,
                    str(path),
                    file_name=file_name,
                    township=current_app.config["TOWNSHIP_NAME"],
                    generated_by=issuer(),
                    masked=masked,
                ).rows
            ),
        )
        db.session.commit()
        return send_record(record)

    @expose("/result/<sha>/open-cases", methods=("POST",))
    def open_cases(self, sha: str) -> Any:
        check, _ = self.compute(sha)
        wanted = set(parse_ids(request.form.getlist("child_id")))
        if not wanted:
            flash("请先勾选要立案的儿童。", "warning")
            return redirect(url_for(".result", sha=sha, schools=self.schools_arg()))
        allowed = missing_child_ids(check)
        refused = wanted - allowed
        chosen = sorted(wanted & allowed)
        # Many cases at once ask again, with the count: a wrong roster makes every child
        # of the township "suspected", and each case is a home visit owed within days.
        if len(chosen) > CONFIRM_ABOVE and parse_count(request.form.get("confirmed")) != len(
            chosen
        ):
            return self.render(
                "admin/crosscheck_confirm.html",
                sha=sha,
                chosen=chosen,
                schools=self.schools_arg(),
                warning=coverage_warning(check),
                refused=len(refused),
            )
        opened, skipped = open_suspected_cases(db.session, chosen, current_user, local_today())
        message = f"已为{len(opened)}名儿童立疑似控辍案件（来源：学籍比对）。"
        if skipped:
            message += f"{len(skipped)}名儿童已有未结案件或不属于控辍保学对象，未立案。"
        if refused:
            message += f"{len(refused)}名所选儿童不在“在台账未在名单”中，未立案。"
        flash(message, "success" if opened else "warning")
        return redirect(url_for(".result", sha=sha, schools=self.schools_arg()))
