"""村级考核排名: the ranking screen, its JSON, its workbook, and the drill-down per village."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from flask import abort, current_app, jsonify, request, send_file
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from ..assessment import (
    VillageResult,
    current_period,
    explain_village,
    ranking_with_change,
    veto_children,
)
from ..audit import log_event
from ..choices import AuditAction, IndicatorMethod, Role
from ..dates import local_today
from ..display import points
from ..extensions import db
from ..models import AssessmentPeriod, Village, utcnow
from ..scope import apply_scope
from .base import TOWNSHIP_READERS, SecureView

RANKING_READERS = TOWNSHIP_READERS | {Role.VILLAGE}
BAR_HEIGHT = 22


def visible_village_ids() -> list[int] | None:
    """None for township-wide roles; otherwise the villages the user may see."""
    if current_user.role not in (Role.VILLAGE, Role.SCHOOL):
        return None
    stmt = apply_scope(select(Village.id), Village, current_user)
    return list(db.session.scalars(stmt))


def value_text(score: Any) -> str:
    if score.method == IndicatorMethod.DROPOUT_RETURN:
        return f"{score.numerator}人"
    value = score.value
    return "—" if value is None else f"{value}%"


class RankingView(SecureView):
    read_roles = RANKING_READERS

    def selected_period(self) -> AssessmentPeriod:
        periods = self.periods()
        if not periods:
            abort(404)
        wanted = request.args.get("period", type=int)
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

    def results(self, period: AssessmentPeriod) -> list[VillageResult]:
        return ranking_with_change(db.session, period, visible_village_ids())

    @expose("/")
    def index(self) -> Any:
        period = self.selected_period()
        results = self.results(period)
        headers = results[0].scores if results else []
        return self.render(
            "admin/ranking.html",
            period=period,
            periods=self.periods(),
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
        visible = visible_village_ids()
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
            value_text=value_text,
            points=points,
        )

    @expose("/export")
    def export(self) -> Any:
        period = self.selected_period()
        results = self.results(period)
        content = ranking_workbook(period, results)
        log_event(
            AuditAction.EXPORT,
            user_id=current_user.id,
            username=current_user.username,
            table_name="ranking",
            note=f"村级考核排名表 {period.name}，{len(results)}行",
        )
        filename = f"村级考核排名表_{period.name}.xlsx"
        return send_file(
            io.BytesIO(content),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=filename,
        )


def result_json(result: VillageResult) -> dict[str, Any]:
    return {
        "village_id": result.village_id,
        "village": result.name,
        "code": result.code,
        "rank": result.rank,
        "previous_rank": result.previous_rank,
        "total": float(result.total),
        "veto": result.veto,
        "veto_reasons": result.veto_reasons,
        "indicators": {
            s.code: {
                "name": s.name,
                "points": float(s.points),
                "value": None if s.value is None else float(s.value),
                "numerator": None if s.numerator is None else float(s.numerator),
                "denominator": None if s.denominator is None else float(s.denominator),
                "score": float(s.score),
            }
            for s in result.scores
        },
    }


def bar_chart(results: list[VillageResult]) -> dict[str, Any]:
    """Geometry of a server-rendered SVG bar chart of totals (works offline, prints)."""
    label_width, chart_width = 90, 520
    bars = []
    for index, result in enumerate(results):
        share = float(result.total) / 100
        bars.append(
            {
                "y": index * BAR_HEIGHT,
                "width": max(1.0, share * chart_width),
                "label": f"{result.rank}. {result.name}",
                "total": points(result.total),
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


def ranking_workbook(period: AssessmentPeriod, results: list[VillageResult]) -> bytes:
    """村级考核排名表 as a printable workbook: title, period, generated at/by, frozen headers."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet("村级考核排名")
    title = workbook.add_format({"bold": True, "font_size": 16, "font_name": "宋体"})
    meta = workbook.add_format({"font_name": "宋体"})
    head = workbook.add_format(
        {
            "bold": True,
            "bg_color": "#DDEBF7",
            "border": 1,
            "text_wrap": True,
            "font_name": "宋体",
            "align": "center",
            "valign": "vcenter",
        }
    )
    cell = workbook.add_format({"border": 1, "font_name": "宋体"})
    number = workbook.add_format({"border": 1, "num_format": "0.00", "font_name": "宋体"})
    township = current_app.config["TOWNSHIP_NAME"]
    indicators = results[0].scores if results else []
    headers = ["排名", "较上期", "行政村", "村代码"]
    for score in indicators:
        headers += [f"{score.name}\n指标值", f"{score.name}\n得分(满分{points(score.points)})"]
    headers += ["总分", "一票否决"]
    sheet.merge_range(0, 0, 0, len(headers) - 1, f"{township}控辍保学村级考核排名表", title)
    sheet.write_string(1, 0, f"考核周期：{period.name}（{period.start_on}至{period.end_on}）", meta)
    generated = utcnow().strftime("%Y-%m-%d %H:%M") + " UTC"
    sheet.write_string(2, 0, f"生成时间：{generated}  生成人：{current_user.display_name}", meta)
    header_row = 4
    for column, text in enumerate(headers):
        sheet.write_string(header_row, column, text, head)
    for offset, result in enumerate(results, start=1):
        row = header_row + offset
        change = result.change
        sheet.write_number(row, 0, result.rank, cell)
        sheet.write_string(row, 1, "—" if change is None else f"{change:+d}", cell)
        sheet.write_string(row, 2, result.name, cell)
        sheet.write_string(row, 3, result.code or "", cell)
        column = 4
        for score in result.scores:
            sheet.write_string(row, column, value_text(score), cell)
            sheet.write_number(row, column + 1, float(score.score), number)
            column += 2
        sheet.write_number(row, column, float(result.total), number)
        sheet.write_string(row, column + 1, "；".join(result.veto_reasons) or "否", cell)
    sheet.freeze_panes(header_row + 1, 3)
    last_row = header_row + max(1, len(results))
    sheet.autofilter(header_row, 0, last_row, len(headers) - 1)
    sheet.set_column(0, 1, 7)
    sheet.set_column(2, 3, 14)
    sheet.set_column(4, len(headers) - 1, 11)
    sheet.set_row(header_row, 42)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    workbook.close()
    return buffer.getvalue()
