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


@pytest.fixture
def second_township(app, world, period):
    """青山镇 with 竹山村 (two children in school, one dropped out) beside 联合乡."""
    with app.app_context():
        township = f.make_township(name="青山镇", code="430121101000")
        village = f.make_village(township, name="竹山村", code="430121101201")
        school = f.make_school(township, name="青山镇中心小学")
        for name in ("张一", "张二"):
            f.make_child(name=name, village=village, school=school)
        f.make_child(
            name="张三",
            village=village,
            school=None,
            status=ChildStatus.DROPOUT,
            status_reason=OutOfSchoolReason.LEARNING,
        )
        db.session.commit()
        return township.id


def status_table(html: str) -> dict[str, list[str]]:
    """The status table's rows: first cell (link text or text) → the other cells."""
    table = html.split('id="status-table"')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def test_villages_of_several_townships_are_shown_by_township(app, client_as, second_township):
    """A county's leader reads a row per township, each its villages added up, and opens a
    township to read its villages; the figures do not change on the way down."""
    leader = client_as(Role.LEADER)
    html = leader.get("/admin/").get_data(as_text=True)
    rows = status_table(html)
    assert set(rows) == {"联合乡", "青山镇"}
    assert rows["联合乡"][0] == "2" and rows["青山镇"][0] == "3"
    assert f'href="/admin/?township={second_township}"' in html
    assert "全部乡镇合计" in html and "新华村" not in html
    indicators = html.split('id="indicator-table"')[1].split("</table>")[0]
    assert "青山镇" in indicators and "竹山村" not in indicators
    # 青山镇: 3 due, 2 in school → 66.67%, from the summed facts.
    assert "66.67%" in indicators

    drilled = leader.get(f"/admin/?township={second_township}").get_data(as_text=True)
    villages = status_table(drilled)
    assert set(villages) == {"竹山村"} and villages["竹山村"][0] == "3"
    assert "← 全部乡镇" in drilled and "青山镇合计" in drilled
    assert "以下待核实儿童和案件督办为您所辖全部乡镇" in drilled
    assert "66.67%" in drilled.split('id="indicator-table"')[1].split("</table>")[0]


def test_one_township_shows_its_villages_and_no_township_is_opened_outside_the_scope(
    app, client_as, world, period, second_township
):
    # A village cadre of 联合村 sees their village, never a township list, and cannot
    # open 青山镇's figures by address.
    cadre = client_as(Role.VILLAGE)
    assert set(status_table(cadre.get("/admin/").get_data(as_text=True))) == {"联合村"}
    opened = cadre.get(f"/admin/?township={second_township}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/admin/")
    assert client_as(Role.LEADER).get("/admin/?township=abc").status_code == 302


def test_a_single_township_lists_its_villages(app, client_as, period):
    rows = status_table(client_as(Role.LEADER).get("/admin/").get_data(as_text=True))
    assert set(rows) == {"联合村", "新华村"}
