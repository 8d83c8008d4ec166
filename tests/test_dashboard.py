"""The home page a leader opens first: headline figures, the chart against the targets,
and a village cadre's page speaking of 本村 (issue 13, items 8 and 9)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from admin_app.choices import ChildStatus, OutOfSchoolReason, Role
from admin_app.extensions import db
from admin_app.models import Child
from tests import factories as f


@pytest.fixture
def period(app, world):
    """2026年度 with 李小红 (新华村) out of school: 新华村 入学率 0/1, 联合村 1/1."""
    with app.app_context():
        f.make_period()
        child = db.session.get(Child, world.child_b)
        child.status, child.status_reason = ChildStatus.DROPOUT, OutOfSchoolReason.LEARNING
        db.session.commit()


def test_the_chart_draws_each_village_against_the_targets(app, client_as, period):
    html = client_as(Role.LEADER).get("/admin/").get_data(as_text=True)
    chart = html.split('id="rate-chart"')[1].split("</svg>")[0]
    bars = re.findall(r'<rect [^>]*fill="([^"]+)"><title>(\S+) ([\d.]+)%</title>', chart)
    # 联合村 in school (blue, on target); 新华村 at 0% (red, below the 100% target).
    assert ("#2fa4e7", "入学率", "100.00") in bars and ("#d9534f", "入学率", "0.00") in bars
    assert "入学率目标100%" in chart and "巩固率目标99%" in chart
    assert "联合村" in chart and "新华村" in chart


def test_a_village_cadre_reads_their_village_first(app, client_as, period):
    html = client_as(Role.VILLAGE).get("/admin/").get_data(as_text=True)
    headline = html.split('id="headline"')[1].split("<h5>")[0]
    assert "联合村入学率" in headline and "100.00%" in headline
    assert html.index('id="headline"') < html.index('id="indicator-table"')
    assert "本村合计" in html and "全乡合计" not in html
    assert "新华村" not in html
    assert 'id="rate-chart"' not in html  # one village: the table says it all
    assert "应入学：2026年度末在册" in html  # the footnote on 应入学 vs 合计


def test_the_trend_compares_the_earlier_years(app, client_as, period):
    """Both children in school at the end of 2025; in 2026 李小红 dropped out: the
    township's 入学率 goes 100% (2 of 2) → 50% (1 of 2), marked ↓; the 学年 is not a year
    and stays out of the row."""
    with app.app_context():
        f.make_period(name="2025年度", start_on=dt.date(2025, 1, 1), end_on=dt.date(2025, 12, 31))
        f.make_period(
            name="2025—2026学年", start_on=dt.date(2025, 9, 1), end_on=dt.date(2026, 8, 31)
        )
        db.session.commit()
    html = client_as(Role.LEADER).get("/admin/").get_data(as_text=True)
    trend = html.split('id="rate-trend"')[1].split("</table>")[0]
    assert "<th>2025年度</th><th>2026年度</th>" in trend and "学年" not in trend
    enrolment = trend.split("<td>入学率</td>")[1].split("</tr>")[0]
    assert re.findall(r"([\d.]+)%", enrolment) == ["100.00", "50.00"]
    assert "↓" in enrolment
