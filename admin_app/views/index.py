"""Home page (dashboard), login and logout at /admin/, /admin/login/ and /admin/logout/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user, logout_user
from sqlalchemy import ColumnElement, func, select

from ..access.auth import LoginForm, authenticate, end_session, start_session
from ..access.scope import apply_scope, scope_criterion, scope_key
from ..assessment.charts import rate_chart
from ..assessment.core import count_all, current_period, persuading_cases, rate, scheme_param
from ..assessment.dataversion import cached
from ..cases import alerts, termcheck
from ..cases.verification import pending_children
from ..choices import AuditAction, ChildStatus, IndicatorMethod, Role
from ..extensions import db
from ..models import Alert, AssessmentPeriod, Child, Township, Village
from ..util.audit import log_event
from ..util.dates import COMPULSORY_AGE_MAX, COMPULSORY_AGE_MIN, local_today, school_year_cutoff
from ..util.params import parse_id
from ..util.sqlutil import unindexed
from .widgets import case_watch_context

#: 待核实 children listed on the home page; the rest are a link away.
PENDING_SHOWN = 10
#: Earlier periods shown in the home page's trend.
TREND_PERIODS = 3


def session_periods() -> list[AssessmentPeriod]:
    return list(db.session.scalars(select(AssessmentPeriod).order_by(AssessmentPeriod.end_on)))


def same_kind(a: AssessmentPeriod, b: AssessmentPeriod) -> bool:
    """A year compares with years, a term with terms (a term is under 300 days)."""
    return ((a.end_on - a.start_on).days >= 300) == ((b.end_on - b.start_on).days >= 300)


def _safe_next(target: str | None) -> str:
    """Only follow same-site relative redirects after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("admin.index")


def dashboard_targets() -> dict[str, Decimal]:
    """The 入学率 and 巩固率 targets of the configured scheme (``scheme_param``)."""
    return {
        "enrolment": Decimal(
            str(scheme_param(db.session, IndicatorMethod.ENROLMENT_RATE, "target"))
        ),
        "retention": Decimal(
            str(scheme_param(db.session, IndicatorMethod.RETENTION_RATE, "target"))
        ),
    }


def dashboard_row(
    name: str, facts: dict[str, int] | None, status_counts: dict[str, int], persuading: int
) -> dict[str, Any]:
    facts = dict(facts or {})
    due, enrolled = facts.get("due", 0), facts.get("enrolled", 0)
    start, retained = facts.get("enrolled_at_start", 0), facts.get("retained", 0)
    return {
        "name": name,
        "facts": facts,
        "due": due,
        "enrolled": enrolled,
        "lawful_absence": facts.get("lawful_absence", 0),
        "not_enrolled": status_counts.get(ChildStatus.NOT_ENROLLED.value, 0),
        "dropout": status_counts.get(ChildStatus.DROPOUT.value, 0),
        "pending": status_counts.get(ChildStatus.PENDING.value, 0),
        "persuading": persuading,
        "enrolment_rate": rate(enrolled, due) if due else None,
        "retention_rate": rate(retained, start) if start else None,
    }


def status_row(township: tuple[int, str], villages: list[dict[str, Any]]) -> dict[str, Any]:
    """A township's row of the status table: its villages' counts added up."""
    counts: dict[str, int] = {}
    for village in villages:
        for status, n in village["counts"].items():
            counts[status] = counts.get(status, 0) + n
    township_id, name = township
    return {
        "id": None,
        "township_id": township_id,
        "name": name,
        "counts": counts,
        "total": sum(counts.values()),
    }


def indicator_row(township: tuple[int, str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A township's row of the indicator table: rates of its villages' summed facts (not
    an average of their rates)."""
    facts: dict[str, int] = {}
    for row in rows:
        for key, value in row["facts"].items():
            facts[key] = facts.get(key, 0) + value
    statuses = {
        ChildStatus.NOT_ENROLLED.value: sum(r["not_enrolled"] for r in rows),
        ChildStatus.DROPOUT.value: sum(r["dropout"] for r in rows),
        ChildStatus.PENDING.value: sum(r["pending"] for r in rows),
    }
    township_id, name = township
    persuading = sum(r["persuading"] for r in rows)
    return {**dashboard_row(name, facts, statuses, persuading), "township_id": township_id}


def roll_up(
    rows: list[dict[str, Any]],
    combine: Callable[[tuple[int, str], list[dict[str, Any]]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Village rows grouped by township (in the rows' order: by township name), one
    ``combine``d row each."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["township_id"], row["township"]), []).append(row)
    return [combine(township, members) for township, members in groups.items()]


def of_compulsory_age(today: dt.date, *, most: bool = False) -> ColumnElement[bool]:
    """Children aged 6–15 (completed years on 31 August of this school year, DESIGN.md §4):
    the 在册适龄 the dashboard counts. Those older or younger are on the roll too (a
    16-year-old who finished grade 9, a child registered early) but are not 适龄, and
    counting them would inflate the township's figure.

    ``most``: for a statement that keeps the children of age, nine in ten, which a scan
    finds sooner than the birth-date index (``unindexed``); those outside the ages are
    few and found through the index."""
    cutoff = school_year_cutoff(today)
    born_by = cutoff.replace(year=cutoff.year - COMPULSORY_AGE_MIN)
    born_after = cutoff.replace(year=cutoff.year - COMPULSORY_AGE_MAX - 1)
    born = unindexed(Child.birth_date) if most else Child.birth_date
    return (born <= born_by) & (born > born_after)


class DashboardView(AdminIndexView):
    def is_visible(self) -> bool:
        return True

    @expose("/")
    def index(self) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for(".login_view", next=request.full_path))
        township = self._township_asked()
        if township is False:
            return redirect(url_for(".index"))
        # 动态监测预警: scanned at most once a minute, before the figures are read (a
        # transaction that wrote would bypass their cache); never cached itself.
        alerts.scan_if_due(db.session)
        my_alerts = alerts.home_panel(
            db.session, scope_criterion(Alert, current_user), local_today()
        )
        return self.render(
            "admin/dashboard.html",
            **self._figures(township),
            my_alerts=my_alerts,
            termcheck_panel=termcheck.home_panel(db.session, current_user),
        )

    def _township_asked(self) -> Township | bool | None:
        """The township a reader drilled into (``?township=``), None for all of them, or
        False for a township that is not one, or not within the reader's villages."""
        raw = request.args.get("township")
        if raw is None:
            return None
        township = db.session.get(Township, parse_id(raw) or 0)
        if township is None:
            return False
        seen = apply_scope(
            select(Village.id).where(Village.township_id == township.id), Village, current_user
        )
        return township if db.session.scalar(seen.limit(1)) is not None else False

    def _figures(self, township: Township | None) -> dict[str, Any]:
        """Everything the home page shows, kept while the data is unchanged
        (``dataversion``) for each scope: a write shows on the next request.

        Keyed by today (ages, the current period, waiting days and overdue cases follow
        the date), by what decides the user's rows and figures (``scope``) and by the
        township drilled into. Villages of more than one township are shown a row per
        township, each a link to its villages: a county's 300 villages, or a trial's
        3,000, are no page to read (nor to render: 1.5 s for 3,000)."""
        scope = scope_key(current_user)
        township_id = township.id if township is not None else None

        def compute() -> dict[str, Any]:
            counts = self._status_counts(township_id)
            townships = {v["township_id"] for v in counts["villages"]}
            by_township = township_id is None and len(townships) > 1
            figures = {**counts, **self._indicators(counts, by_township)}
            if by_township:
                figures["villages"] = roll_up(counts["villages"], status_row)
            return {
                **figures,
                "by_township": by_township,
                # Plain values: the cache outlives this request's session and its objects.
                "township": {"id": township.id, "name": township.name} if township else None,
                **case_watch_context(self.admin),
                "pending_watch": self._pending_watch(),
            }

        return cached(db.session, "dashboard", (local_today(), scope, township_id), compute)

    def _pending_watch(self) -> dict[str, Any] | None:
        """The 待核实 children within the user's scope, longest waiting first (a school
        user has none: they have no school yet)."""
        total, rows = pending_children(
            db.session, scope_criterion(Child, current_user), limit=PENDING_SHOWN
        )
        return {"total": total, "rows": rows} if total else None

    def _indicators(self, status_counts: dict[str, Any], by_township: bool) -> dict[str, Any]:
        """应入学, 在校, 入学率 and 巩固率 per village (or per township) for the current
        period, against targets."""
        period = current_period(db.session, local_today())
        # Village figures count every child of the village: not a school user's to see.
        if period is None or current_user.role == Role.SCHOOL:
            return {"period": None}
        village_ids = [v["id"] for v in status_counts["villages"]]
        counts = count_all(db.session, period, village_ids=village_ids)
        persuading = persuading_cases(db.session, village_ids)
        targets = dashboard_targets()
        rows = []
        for village in status_counts["villages"]:
            facts = counts[village["id"]].facts if village["id"] in counts else None
            row = dashboard_row(
                village["name"], facts, village["counts"], persuading.get(village["id"], 0)
            )
            rows.append(
                {**row, "township_id": village["township_id"], "township": village["township"]}
            )
        if by_township:
            rows = roll_up(rows, indicator_row)
        total_facts: dict[str, int] = {}
        for row in rows:
            for key, value in row["facts"].items():
                total_facts[key] = total_facts.get(key, 0) + value
        total = dashboard_row(
            "合计", total_facts, status_counts["totals"], sum(persuading.values())
        )
        return {
            "period": period,
            "indicator_rows": rows,
            "indicator_total": total,
            "targets": targets,
            "rate_chart": rate_chart(rows, targets) if len(rows) > 1 else None,
            "trend": self._trend(period, village_ids, total),
        }

    def _trend(
        self, period: Any, village_ids: list[int], total: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """入学率 and 巩固率 of the user's villages in the earlier periods of the same kind
        (years with years, terms with terms), oldest first, ending with the current one."""
        earlier = [
            p for p in session_periods() if p.end_on < period.start_on and same_kind(p, period)
        ][-TREND_PERIODS:]
        points = []
        for past in earlier:
            facts: dict[str, int] = {}
            for counts in count_all(db.session, past, village_ids=village_ids).values():
                for key, value in counts.facts.items():
                    facts[key] = facts.get(key, 0) + value
            row = dashboard_row(past.name, facts, {}, 0)
            points.append({"name": past.name, **row})
        return [*points, {**total, "name": period.name}] if points else []

    def _status_counts(self, township_id: int | None) -> dict[str, Any]:
        """Children of compulsory age by village and status, within the user's scope (and
        the township drilled into), in one grouped query; those outside the ages are
        counted apart by status."""
        of_age = of_compulsory_age(local_today(), most=True)
        stmt = (
            select(
                Village.id,
                Village.name,
                Township.id,
                Township.name,
                Child.status,
                func.count(Child.id),
            )
            .join(Child, Child.village_id == Village.id)
            .join(Township, Township.id == Village.township_id)
            .where(of_age)
            .group_by(Village.id, Village.name, Township.id, Township.name, Child.status)
            .order_by(Township.name, Village.name)
        )
        if township_id is not None:
            stmt = stmt.where(Village.township_id == township_id)
        stmt = apply_scope(stmt, Child, current_user)
        by_village: dict[int, dict[str, Any]] = {}
        totals: dict[str, int] = {s.value: 0 for s in ChildStatus}
        for village_id, name, township_id, township, status, count in db.session.execute(stmt):
            row = by_village.setdefault(
                village_id,
                {
                    "id": village_id,
                    "name": name,
                    "township_id": township_id,
                    "township": township,
                    "counts": {},
                    "total": 0,
                },
            )
            row["counts"][status.value] = count
            row["total"] += count
            totals[status.value] += count
        outside_stmt = (
            select(Child.status, func.count(Child.id))
            .where(~of_compulsory_age(local_today()))
            .group_by(Child.status)
            .order_by(Child.status)
        )
        if township_id is not None:
            outside_stmt = outside_stmt.where(
                Child.village_id.in_(select(Village.id).where(Village.township_id == township_id))
            )
        outside = dict(db.session.execute(apply_scope(outside_stmt, Child, current_user)).all())
        child_view = next(v for v in self.admin._views if v.endpoint == "child")
        return {
            "outside_age": outside,
            "outside_age_total": sum(outside.values()),
            "village_arg": child_view.filter_arg("行政村", 0),
            "status_arg": child_view.filter_arg("就学状态", 1),
            "villages": list(by_village.values()),
            "totals": totals,
            "grand_total": sum(totals.values()),
            "statuses": list(ChildStatus),
        }

    @expose("/login/", methods=("GET", "POST"))
    def login_view(self) -> Any:
        form = LoginForm()
        if form.validate_on_submit():
            outcome = authenticate(form.username.data or "", form.password.data or "")
            if outcome.user is not None:
                start_session(outcome.user)
                return redirect(_safe_next(request.args.get("next")))
            form.password.errors = [outcome.message]
        elif request.method == "POST" and form.csrf_token.errors:
            flash("页面已过期或缺少安全令牌，请重新登录。", "error")
        status = 400 if request.method == "POST" and form.csrf_token.errors else 200
        return self.render("admin/login.html", form=form, policy=login_policy()), status

    @expose("/logout/", methods=("GET", "POST"))
    def logout_view(self) -> Any:
        """POST ends every session of the user; a GET (an old link) only offers the button,
        since a link any page can embed must not log anyone out."""
        if request.method == "GET":
            if not current_user.is_authenticated:
                return redirect(url_for(".login_view"))
            return self.render("admin/logout.html")
        if current_user.is_authenticated:
            log_event(
                AuditAction.LOGOUT,
                user_id=current_user.id,
                username=current_user.username,
                commit=False,
            )
            end_session(current_user._get_current_object())
        else:
            logout_user()
        flash("已退出登录。", "info")
        return redirect(url_for(".login_view"))


def login_policy() -> dict[str, int]:
    """The lockout's figures, stated on the login page."""
    config = current_app.config
    return {
        "max_failures": config["LOGIN_MAX_FAILURES"],
        "lock_minutes": config["LOGIN_LOCK_MINUTES"],
    }
