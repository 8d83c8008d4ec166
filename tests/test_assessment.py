"""Village assessment against hand-computed figures (DESIGN.md §4 and §5).

The period is 2026年度 (2026-01-01 … 2026-12-31); ages are taken on 2026-08-31, so the
compulsory-age children were born 2010-09-01 … 2020-08-31. Every expected number below is
worked out in the comments from the records the fixture writes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from admin_app.assessment import core as assessment
from admin_app.assessment.core import check_params, count_all, rank_villages
from admin_app.choices import (
    IndicatorMethod,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    AssessmentIndicator,
    AssessmentPeriod,
)
from tests.factories import (
    make_user,
    make_village,
)
from tests.helpers import export, login, seed_scheme


@pytest.fixture
def scheme(app):
    """Four villages with known records; returns the ids the tests need."""
    return seed_scheme(app)


def ranking(app, scheme, period="2026年度"):
    with app.app_context():
        chosen = db.session.scalar(select(AssessmentPeriod).where(AssessmentPeriod.name == period))
        results = rank_villages(db.session, chosen)
        db.session.expunge_all()
        return {r.name: r for r in results}, [r.name for r in results]


def scores(result):
    return {s.code: s.score for s in result.scores}


def test_every_indicator_of_village_a_by_hand(app, scheme):
    villages, _ = ranking(app, scheme)
    a = villages["甲村"]
    # 应入学: 甲一 甲二 甲三 甲七 (甲四 is 16, 甲五 exempted, 甲六 moved out) = 4.
    # 在校: 甲一, 甲二 (异地就读), 甲七 (back in school) = 3 → 75%, 1 short → 15 − 3 = 12.
    enrolment = a.score_of("enrolment")
    assert (enrolment.numerator, enrolment.denominator, enrolment.value) == (3, 4, Decimal("75.00"))
    assert enrolment.score == Decimal("12.00")
    # 巩固率: in school on 1 Jan = 甲一 甲二 甲三 甲四 甲七 (甲六 moved out: left out) = 5;
    # still in school or completed on 31 Dec = 甲一 甲二 甲四 甲七 = 4 → 80%, 19 pp short.
    retention = a.score_of("retention")
    assert (retention.numerator, retention.denominator) == (4, 5)
    assert retention.score == Decimal("0.00")
    # 辍学: 甲三 → 15 − 5 = 10.
    assert a.score_of("dropout_return").numerator == 1
    assert a.score_of("dropout_return").score == Decimal("10.00")
    # 责任书: 甲一 by name, 甲二 甲三 甲七 through the household → 4/4 → 10.
    assert (a.score_of("agreement").numerator, a.score_of("agreement").denominator) == (4, 4)
    # 台账: registered = all but 甲六 = 6; 甲一 has no household → 5/6 of 10 = 8.33.
    ledger = a.score_of("ledger")
    assert (ledger.numerator, ledger.denominator, ledger.score) == (5, 6, Decimal("8.33"))
    # 帮扶: due children of the 低保 household = 甲二 甲三 甲七; assisted in 2026: 甲二 → 3.33.
    assistance = a.score_of("assistance")
    assert (assistance.numerator, assistance.denominator, assistance.score) == (
        1,
        3,
        Decimal("3.33"),
    )
    # 劝返及时: 甲三 visited after 3 days, 甲七 after 18 → 1/2 → 5.
    assert a.score_of("visit_timeliness").score == Decimal("5.00")
    # 督导: (8 + 6) / (10 + 10) = 70% of 15 = 10.5.
    assert a.score_of("inspection").score == Decimal("10.50")
    # Summed exactly: 12 + 0 + 10 + 10 + 25/3 + 10/3 + 5 + 10.5 = 59.1666… of 100 → 59.17
    # (the rounded scores would sum to 59.16).
    assert a.total == Decimal("59.17")
    assert not a.veto


def test_both_query_shapes_count_the_same(app, scheme, monkeypatch):
    """SQLite probes indexes per child, PostgreSQL hashes id sets; each must give the same
    counts on either database, or one of them would rank villages differently."""
    with app.app_context():
        period = db.session.scalar(
            select(AssessmentPeriod).where(AssessmentPeriod.name == "2026年度")
        )
        shapes = []
        for probe in (True, False):
            monkeypatch.setattr(assessment, "probes_cheaply", lambda session, p=probe: p)
            counts = count_all(db.session, period, 7)
            shapes.append({v: c.facts for v, c in counts.items()})
    assert shapes[0] == shapes[1]
    assert any(facts["covered"] and facts["assisted"] for facts in shapes[0].values())


def test_postgresql_counts_with_memory_for_a_province_s_id_sets(app, scheme):
    """With PostgreSQL's default 4 MB an id set of a province does not hash, and the count
    rescans it per child (nine minutes and more): the counting transaction raises it."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("work_mem is PostgreSQL's")
        period = db.session.scalar(
            select(AssessmentPeriod).where(AssessmentPeriod.name == "2026年度")
        )
        default = db.session.scalar(db.text("SHOW work_mem"))
        count_all(db.session, period, 7)
        assert db.session.scalar(db.text("SHOW work_mem")) == "64MB" != default
        db.session.rollback()  # SET LOCAL: only for the counting transaction
        assert db.session.scalar(db.text("SHOW work_mem")) == default


def test_perfect_empty_and_veto_villages(app, scheme):
    villages, order = ranking(app, scheme)
    b, c, d = villages["乙村"], villages["丙村"], villages["丁村"]
    # 乙村: all in school; the draft agreement covers nobody (0 of 10); 20/20 inspection;
    # no supported household and no case: 帮扶 and 劝返及时 无数据, not scored.
    # 15 + 15 + 15 + 0 + 10 + 15 = 70 of the 80 scored points → 87.5.
    assert scores(b)["agreement"] == Decimal("0.00")
    assert [s.code for s in b.left_out] == ["assistance", "visit_timeliness"]
    assert b.total == Decimal("87.50")
    # 丙村 has no children and no inspection: nothing to score at all, no total; after
    # every village with one.
    assert c.score_of("enrolment").value is None
    assert c.score_of("inspection").left_out == "本期无督导检查评分"
    assert c.total is None and len(c.left_out) == 8
    # 丁村: 丁二 out of school because of poverty → 一票否决, ranked last. 12 + 0 + 10 + 0 +
    # 10 = 32 of 65 scored points (no supported household, no case, no inspection) → 49.23.
    assert d.veto and d.veto_reasons == ["因贫失学辍学1人"]
    assert d.total == Decimal("49.23")
    assert order == ["乙村", "甲村", "丙村", "丁村"]
    assert [villages[n].rank for n in order] == [1, 2, 3, 4]


def test_statuses_are_read_as_of_the_period_not_today(app, scheme):
    villages, _ = ranking(app, scheme, "2025年度")
    # On 31 Dec 2025 甲三 was still in school (the dropout came in March 2026), and
    # 丁二 too: no dropout, no veto in 2025.
    assert villages["甲村"].score_of("dropout_return").numerator == 0
    assert not villages["丁村"].veto
    # Nobody had a recorded status on 1 Jan 2025: no retention denominator → 无数据.
    assert villages["甲村"].score_of("retention").denominator == 0
    assert not villages["甲村"].score_of("retention").scored


def test_equal_totals_share_a_rank_and_break_ties_by_code(app, scheme):
    with app.app_context():
        make_village(name="戊村", code="000")  # also empty: no total, like 丙村
        db.session.commit()
    villages, order = ranking(app, scheme)
    assert villages["戊村"].total is villages["丙村"].total is None
    assert villages["戊村"].rank == villages["丙村"].rank == 3
    assert order.index("戊村") < order.index("丙村")  # village code 000 before 003
    assert villages["甲村"].rank == 2
    assert villages["丁村"].rank == 5


def test_changing_a_weight_reorders_the_ranking(app, scheme):
    with app.app_context():
        indicator = db.session.scalar(
            select(AssessmentIndicator).where(AssessmentIndicator.code == "inspection")
        )
        indicator.points = Decimal(60)
        db.session.commit()
    villages, order = ranking(app, scheme)
    # 甲村: (59.1666… − 10.5 + 0.7 × 60) / 145 × 100 = 62.53; 乙村 (70 − 15 + 60) / 125 = 92.
    assert villages["甲村"].total == Decimal("62.53")
    assert villages["乙村"].total == Decimal("92.00")
    assert order[:3] == ["乙村", "甲村", "丙村"]


def test_changing_a_parameter_and_switching_an_indicator_off(app, scheme):
    with app.app_context():
        indicators = {i.code: i for i in db.session.scalars(select(AssessmentIndicator)).all()}
        indicators["visit_timeliness"].params = {"days": 20}
        indicators["ledger"].active = False
        db.session.commit()
    villages, _ = ranking(app, scheme)
    a = villages["甲村"]
    assert a.score_of("visit_timeliness").score == Decimal("10.00")  # 18 days now in time
    assert a.score_of("ledger") is None
    # (59.1666… − 8.3333… + 5) / 90 × 100 = 62.04
    assert a.total == Decimal("62.04")


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (IndicatorMethod.ENROLMENT_RATE, {"target": 120}, "应在0至100之间"),
        (IndicatorMethod.ENROLMENT_RATE, {"deduct_per_child": -1}, "应在0"),
        (IndicatorMethod.RETENTION_RATE, {"step_pp": 0}, "应在0.01"),
        (IndicatorMethod.VISIT_TIMELINESS, {"days": 2.5}, "应为整数"),
        (IndicatorMethod.LEDGER_COMPLETENESS, {"target": 1}, "没有参数 target"),
        (IndicatorMethod.ENROLMENT_RATE, {"target": "百"}, "应为数字"),
    ],
)
def test_impossible_parameters_are_refused(method, params, message):
    assert message in check_params(method, params)


def test_admin_edits_an_indicator_on_screen(app, client, scheme):
    with app.app_context():
        make_user(Role.ADMIN, username="root")
        indicator_id = db.session.scalar(
            select(AssessmentIndicator.id).where(AssessmentIndicator.code == "enrolment")
        )
        db.session.commit()
    login(client, "root")
    page = client.get("/admin/indicator/").get_data(as_text=True)
    assert "启用指标合计 <strong>100</strong> 分" in page
    from tests.helpers import field_errors, submit

    url = f"/admin/indicator/edit/?id={indicator_id}"
    page = client.get(url).get_data(as_text=True)
    # Labelled number boxes per parameter, not raw JSON with English keys.
    assert "目标入学率(%)" in page and "每差1人扣分" in page and "{&#34;" not in page
    assert 'name="params"' not in page
    response = submit(client, url, {"param_enrolment_rate_target": "150"})
    assert response.status_code == 200
    assert "目标入学率(%)应在0至100之间" in field_errors(response)
    response = submit(client, url, {"param_enrolment_rate_deduct_per_child": "三"})
    assert response.status_code == 200 and "请填写数字" in field_errors(response)
    response = submit(client, url, {"param_enrolment_rate_deduct_per_child": "4"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(AssessmentIndicator, indicator_id)
        assert saved.params == {"target": 100, "deduct_per_child": 4}
    response = submit(client, url, {"points": "20"})
    assert response.status_code == 302
    assert "启用指标合计 <strong>105</strong> 分" in client.get("/admin/indicator/").get_data(
        as_text=True
    )


def test_ranking_screen_json_and_drill_down_for_a_leader(app, client, scheme):
    login(client, "boss")
    period = scheme["period"]
    html = client.get(f"/admin/ranking/?period={period}").get_data(as_text=True)
    for name in ("甲村", "乙村", "丙村", "丁村"):
        assert name in html
    assert "<svg" in html and "因贫失学辍学1人" in html
    data = client.get(f"/admin/ranking/data?period={period}").get_json()
    assert [v["village"] for v in data["villages"]] == ["乙村", "甲村", "丙村", "丁村"]
    first = data["villages"][1]
    assert first["rank"] == 2 and first["total"] == 59.17 and first["veto"] is False
    assert first["indicators"]["enrolment"] == {
        "name": "入学率",
        "points": 15.0,
        "value": 75.0,
        "numerator": 3.0,
        "denominator": 4.0,
        "score": 12.0,
        "scored": True,
    }
    detail = client.get(f"/admin/ranking/{scheme['A']}?period={period}").get_data(as_text=True)
    # The dropout who costs 甲村 points is named and linked to the record.
    assert f'/admin/child/details/?id={scheme["a3"]}">甲三</a>' in detail
    assert "未在7天内首次走访" in detail and "甲七" in detail
    assert "分子 3 ÷ 分母 4" in detail
    response = export(client, f"/admin/ranking/?period={period}")
    assert response.status_code == 200
    assert response.data[:2] == b"PK"


def test_village_cadre_sees_only_their_village_with_its_rank(app, client, scheme):
    login(client, "cadre_a")
    period = scheme["period"]
    html = client.get(f"/admin/ranking/?period={period}").get_data(as_text=True)
    assert "甲村" in html and "乙村" not in html and "丁村" not in html
    data = client.get(f"/admin/ranking/data?period={period}").get_json()
    assert [(v["village"], v["rank"]) for v in data["villages"]] == [("甲村", 2)]
    assert client.get(f"/admin/ranking/{scheme['B']}?period={period}").status_code == 404
    assert client.get(f"/admin/ranking/{scheme['A']}?period={period}").status_code == 200


def test_school_users_cannot_open_the_ranking(app, client_as):
    assert client_as(Role.SCHOOL).get("/admin/ranking/").status_code == 403


def test_dashboard_shows_rates_against_targets(app, client, scheme):
    login(client, "boss")
    html = client.get("/admin/").get_data(as_text=True)
    # Today falls in 2026年度, the dashboard's period.
    assert "2026年度 控辍保学指标" in html
    assert "75.00%" in html  # 甲村 入学率, off target
    assert "off-target" in html


def test_ranking_workbook_reads_back_with_chinese_headers(app, client, scheme):
    import io

    from openpyxl import load_workbook

    from tests.xlsx_helpers import rows_of, sign_off_of

    login(client, "boss")
    response = export(client, f"/admin/ranking/?period={scheme['period']}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "村级考核排名"
    assert sheet["A1"].value == "联合乡控辍保学村级考核排名表"
    assert "2026年度" in sheet["A2"].value
    headers = [c.value for c in sheet[5]]
    assert headers[:3] == ["排名", "较上期", "行政村"]
    assert "入学率\n指标值" in headers
    assert headers[-4:] == ["休学/免缓学(人)", "总分", "未计分指标(无数据)", "一票否决"]
    rows = rows_of(sheet)  # the table, above the sign-off block
    assert [r[2] for r in rows] == ["乙村", "甲村", "丙村", "丁村"]
    assert len(sign_off_of(sheet)) == 2
    assert rows[1][0] == 2 and rows[1][-3] == 59.17 and rows[1][-4] == 1  # 甲五 免缓学
    assert rows[0][-2] == (
        "帮扶（无脱贫/监测/低保/特困/残疾家庭应入学儿童）；劝返及时（本期无走访期限已满的控辍案件）"
    )
    assert sheet.freeze_panes == "D6"
