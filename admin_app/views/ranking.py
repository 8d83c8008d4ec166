"""村级考核排名: the ranking screen, its JSON, its workbook, and the drill-down per village."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from ..access.auth import may_see_unmasked
from ..access.scope import sees_every_row, visible_village_ids
from ..assessment.core import (
    VillageResult,
    absent_children,
    current_period,
    display,
    explain_village,
    ranking_with_change,
    veto_children,
)
from ..extensions import db
from ..models import AssessmentPeriod, Township, Village
from ..reports.archive import send_record
from ..reports.core import REPORTS, ReportRequest, issue_report, value_text
from ..reports.display import points
from ..util.dates import local_today
from ..util.params import parse_id
from .base import SecureView

BAR_HEIGHT = 22


class RankingView(SecureView):
    def selected_period(self) -> AssessmentPeriod:
        periods = self.periods()
        if not periods:
            abort(404)
        # A value that is no id (text, over 2^31−1) is ignored, as Flask's type=int did.
        wanted = parse_id(request.args.get("period"))
        if wanted is not None:
            period = db.session.get(AssessmentPeriod, wanted)
            if period is None:
                abort(404)
            return period
        return current_period(db.session, local_today()) or periods[0]

    @staticmethod
    def periods() -> list[AssessmentPeriod]:
        return list(
            db.session.scalars(select(AssessmentPeriod).order_by(AssessmentPeriod.end_on.desc()))
        )

    @staticmethod
    def townships() -> list[Township]:
        """The townships a reader may choose between: every one for a reader kept to none
        (the 县教育局, the county's administrators) when there are several; else none."""
        if not sees_every_row(current_user):
            return []
        townships = list(
            db.session.scalars(select(Township).order_by(Township.code, Township.name))
        )
        return townships if len(townships) > 1 else []

    def selected_township(self, townships: list[Township]) -> Township | None:
        """The township chosen (``?township=``) among ``townships``; None: 全县."""
        wanted = parse_id(request.args.get("township"))
        return next((t for t in townships if t.id == wanted), None)

    def ranked_villages(self) -> tuple[list[int] | None, bool]:
        """The villages shown and whether they are ranked across the county (全县)."""
        townships = self.townships()
        if not townships:
            return visible_village_ids(db.session, current_user), False
        township = self.selected_township(townships)
        if township is None:
            return None, True
        ids = db.session.scalars(select(Village.id).where(Village.township_id == township.id))
        return list(ids), False

    def results(self, period: AssessmentPeriod) -> list[VillageResult]:
        village_ids, across_county = self.ranked_villages()
        return ranking_with_change(db.session, period, village_ids, across_county=across_county)

    @expose("/")
    def index(self) -> Any:
        period = self.selected_period()
        results = self.results(period)
        headers = results[0].scores if results else []
        townships = self.townships()
        township = self.selected_township(townships)
        return self.render(
            "admin/ranking.html",
            period=period,
            periods=self.periods(),
            townships=townships,
            township=township,
            township_names={t.id: t.name for t in townships},
            summary=township_summary(results, townships) if townships and not township else [],
            results=results,
            headers=headers,
            value_text=value_text,
            points=points,
            chart=bar_chart(results),
        )

    @expose("/data")
    def data(self) -> Any:
        period = self.selected_period()
        return jsonify(
            {
                "period": {
                    "id": period.id,
                    "name": period.name,
                    "start": period.start_on.isoformat(),
                    "end": period.end_on.isoformat(),
                },
                "villages": [result_json(r) for r in self.results(period)],
            }
        )

    @expose("/<int:village_id>")
    def village(self, village_id: int) -> Any:
        period = self.selected_period()
        visible = visible_village_ids(db.session, current_user)
        if visible is not None and village_id not in visible:
            abort(404)
        result = next((r for r in self.results(period) if r.village_id == village_id), None)
        if result is None:
            abort(404)
        return self.render(
            "admin/ranking_village.html",
            period=period,
            result=result,
            evidence=explain_village(db.session, period, result),
            veto_children=veto_children(db.session, period, village_id),
            absent_children=absent_children(db.session, period, village_id),
            value_text=value_text,
            points=points,
        )

    @expose("/export", methods=("POST",))
    def export(self) -> Any:
        """村级考核排名表 through the report engine, archived like every issued report.

        POST with the CSRF token: issuing an archived, audited workbook is a write."""
        period = self.selected_period()
        village_ids, across_county = self.ranked_villages()
        record = issue_report(
            db.session,
            REPORTS["ranking"],
            ReportRequest(
                user=current_user._get_current_object(),
                period=period,
                village_ids=village_ids,
                masked=not may_see_unmasked(),
                across_county=across_county,
            ),
        )
        return send_record(record)


def township_summary(
    results: list[VillageResult], townships: list[Township]
) -> list[dict[str, Any]]:
    """全县 ranking's township lines: villages, their average total (of those scored),
    the best and worst county rank and the villages under 一票否决, best average first."""
    lines = []
    for township in townships:
        members = [r for r in results if r.township_id == township.id]
        totals = [r.exact_total for r in members if r.exact_total is not None]
        lines.append(
            {
                "id": township.id,
                "name": township.name,
                "villages": len(members),
                "average": display(sum(totals) / len(totals)) if totals else None,
                "best": min((r.rank for r in members), default=None),
                "worst": max((r.rank for r in members), default=None),
                "vetoes": sum(1 for r in members if r.veto),
            }
        )
    return sorted(lines, key=lambda line: (line["average"] is None, -(line["average"] or 0)))


def result_json(result: VillageResult) -> dict[str, Any]:
    return {
        "village_id": result.village_id,
        "village": result.name,
        "code": result.code,
        "rank": result.rank,
        "previous_rank": result.previous_rank,
        "total": None if result.total is None else float(result.total),
        "scored_points": float(result.scored_points),
        "left_out": {s.code: s.left_out for s in result.left_out},
        "veto": result.veto,
        "veto_reasons": result.veto_reasons,
        "indicators": {
            s.code: {
                "name": s.name,
                "points": float(s.points),
                "value": None if s.value is None else float(s.value),
                "numerator": None if s.numerator is None else float(s.numerator),
                "denominator": None if s.denominator is None else float(s.denominator),
                "score": None if s.score is None else float(s.score),
                "scored": s.scored,
            }
            for s in result.scores
        },
    }


def bar_chart(results: list[VillageResult]) -> dict[str, Any]:
    """Geometry of a server-rendered SVG bar chart of totals (works offline, prints)."""
    label_width, chart_width = 90, 520
    bars = []
    for index, result in enumerate(results):
        share = float(result.total or 0) / 100
        bars.append(
            {
                "y": index * BAR_HEIGHT,
                "width": max(1.0, share * chart_width),
                "label": f"{result.rank}. {result.name}",
                "total": "无数据" if result.total is None else points(result.total),
                "veto": result.veto,
            }
        )
    return {
        "bars": bars,
        "label_width": label_width,
        "chart_width": chart_width,
        "height": max(BAR_HEIGHT, len(results) * BAR_HEIGHT),
        "bar_height": BAR_HEIGHT - 6,
    }
