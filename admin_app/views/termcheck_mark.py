"""开学排查 marking screen: a village or school lists its own children due in a check and
marks them quickly — tick and 已到校 for many at once, 未到校 with a reason row by row. A
search box filters the list as one types (and, submitted, searches beyond the page).

The rules (scope, deadline, reason) are ``admin_app.cases.termcheck.mark``'s; this view
reads the one form, hands the values over, and on a refusal shows the page again with
the message at the row and everything typed kept.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from ..access.auth import may
from ..access.permissions import EDIT
from ..access.scope import scope_criterion
from ..cases import termcheck
from ..choices import OutOfSchoolReason, TermCheckResult
from ..extensions import db
from ..models import Child, TermCheck
from ..util.dates import local_today
from ..util.params import parse_id, parse_ids, parse_page
from .base import SecureView

#: Longest search text kept (a name or a 学籍号).
QUERY_MAX = 30


class TermCheckMarkView(SecureView):
    def is_visible(self) -> bool:
        # Reached from a check's page and the home page, not from the menu.
        return False

    def _campaign(self) -> TermCheck:
        campaign = termcheck.get_campaign(db.session, request.values.get("id"), current_user)
        if campaign is None:
            abort(404)
        return campaign

    def _filters(self) -> tuple[str, bool, int]:
        query = (request.values.get("q") or "").strip()[:QUERY_MAX]
        only_unmarked = request.values.get("unmarked") == "1"
        page = parse_page(request.values.get("page")) or 1
        return query, only_unmarked, page

    def _render(
        self,
        campaign: TermCheck,
        *,
        typed: dict[int, dict[str, str]] | None = None,
        row_errors: dict[int, str] | None = None,
        general: str | None = None,
        status: int = 200,
    ) -> Any:
        query, only_unmarked, page = self._filters()
        size = termcheck.MARK_PAGE_SIZE
        total, rows = termcheck.entries(
            db.session,
            campaign,
            current_user,
            query=query,
            only_unmarked=only_unmarked,
            limit=size,
            offset=(page - 1) * size,
        )
        today = local_today()
        return self.render(
            "admin/termcheck_mark.html",
            campaign=campaign,
            rows=rows,
            total=total,
            page=page,
            pages=max(1, -(-total // size)),
            query=query,
            only_unmarked=only_unmarked,
            reasons=list(OutOfSchoolReason),
            typed=typed or {},
            row_errors=row_errors or {},
            general=general,
            closed=termcheck.marking_closed_message(campaign, current_user, today),
            remaining=termcheck.progress(
                db.session, campaign, scope_criterion(Child, current_user)
            ).total,
        ), status

    @expose("/")
    def index(self) -> Any:
        return self._render(self._campaign())

    @expose("/save/", methods=("POST",))
    def save_view(self) -> Any:
        if not may(self.endpoint, EDIT):
            abort(403)
        campaign = self._campaign()
        form = request.form
        typed: dict[int, dict[str, str]] = {}
        for key, value in form.items():
            kind, _, raw = key.partition("-")
            entry_id = parse_id(raw)
            if kind in ("reason", "note") and entry_id is not None:
                typed.setdefault(entry_id, {})[kind] = value
        absent = [parse_id(k.partition("-")[2]) for k in form if k.startswith("absent-")]
        user = current_user._get_current_object()
        try:
            if absent:
                entry_id = absent[0]
                if entry_id is None:
                    abort(404)
                values = typed.get(entry_id, {})
                raw_reason = values.get("reason", "")
                reason = (
                    OutOfSchoolReason(raw_reason)
                    if raw_reason in {r.value for r in OutOfSchoolReason}
                    else None
                )
                try:
                    termcheck.mark(
                        db.session,
                        campaign,
                        [entry_id],
                        TermCheckResult.ABSENT,
                        user,
                        reason=reason,
                        note=values.get("note"),
                    )
                except termcheck.TermCheckError as exc:
                    if isinstance(exc, termcheck.OutOfScope):
                        raise
                    db.session.rollback()
                    return self._render(
                        campaign,
                        typed=typed,
                        row_errors={entry_id: f"未保存：{exc}"},
                        general="未保存，请改正标出的问题。",
                        status=400,
                    )
                done = "未到校"
                count = 1
            elif "present" in form:
                ids = parse_ids(form.getlist("entry"))
                count = termcheck.mark(db.session, campaign, ids, TermCheckResult.PRESENT, user)
                done = "已到校"
            else:
                raise termcheck.TermCheckError("请选择要做的标记。")
            db.session.commit()
        except termcheck.OutOfScope:
            db.session.rollback()
            abort(404)
        except termcheck.TermCheckError as exc:
            db.session.rollback()
            return self._render(campaign, typed=typed, general=f"未保存：{exc}", status=400)
        flash(f"已标记{count}名儿童为{done}。", "success")
        query, only_unmarked, page = self._filters()
        return redirect(
            url_for(
                ".index",
                id=campaign.id,
                q=query or None,
                unmarked="1" if only_unmarked else None,
                page=page if page > 1 else None,
            )
        )
