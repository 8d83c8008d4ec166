"""The indicator rules of issue 12 (DESIGN.md §4–§5), each against a small fixture computed
by hand: agreements and household categories as of the period, the first-visit deadline
shared by the ranking, the watch and 问责, lawful absence, the cohort of a period,
inspections by date, 无数据, and ranking on exact totals.

Every expected number is worked out in the comments from the rows the test writes.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import select, true

from admin_app.assessment import accountability
from admin_app.assessment.core import rank_villages
from admin_app.cases import core as cases
from admin_app.choices import (
    AgreementLevel,
    AgreementStatus,
    AssistanceKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    HouseholdCategory,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    AssessmentPeriod,
    CaseVisit,
    DropoutCase,
    HouseholdCategorySpan,
    InspectionScore,
)
from admin_app.util.dates import local_today
from tests.factories import (
    make_agreement,
    make_assistance,
    make_child,
    make_household,
    make_inspection,
    make_item,
    make_period,
    make_school,
    make_township,
    make_user,
    make_village,
)
from tests.helpers import login

TODAY = local_today()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def by_name(period: AssessmentPeriod, today: dt.date | None = None) -> dict[str, object]:
    db.session.flush()
    kwargs = {} if today is None else {"today": today}
    return {r.name: r for r in rank_villages(db.session, period, **kwargs)}


def opened_case(child, on: dt.date, visited: dt.date | None = None) -> DropoutCase:
    case = DropoutCase(
        child=child,
        kind=CaseKind.DROPOUT,
        discovered_on=on,
        source=CaseSource.HOUSEHOLD_CHECK,
        status=CaseStatus.PERSUADING,
    )
    db.session.add(case)
    db.session.flush()
    if visited is not None:
        db.session.add(CaseVisit(case=case, seq=1, visited_on=visited, persons="村干部"))
        db.session.flush()
    return case


# --- Item 2: a case is judged only once its N days have run out -------------------------------


def test_a_case_still_inside_its_days_is_neither_timely_nor_late(ctx):
    """N = 7. A period running from 100 days ago to 30 days ahead; today is inside it.

    甲村: one case opened 40 days ago, visited 2 days later → judged, timely: 1/1 → 10.
    乙村: the same timely case (1/1), plus one opened today and one opened 7 days ago
    (deadline today: still in time) — neither judged, so still 1/1 → 10, not 1/3 → 3.33.
    Plus one opened 8 days ago with no visit: its deadline passed yesterday → judged, late:
    1/2 → 5 for 乙村; the watch lists it, 问责 names it; it alone, in all three.
    """
    township = make_township()
    school = make_school(township)
    period = make_period(
        name="本期", start_on=TODAY - dt.timedelta(days=100), end_on=TODAY + dt.timedelta(days=30)
    )
    villages = {}
    for code, name in (("001", "甲村"), ("002", "乙村")):
        villages[name] = make_village(township, name=name, code=code)
        kid = make_child(village=villages[name], school=school, name=f"{name}童")
        opened_case(kid, TODAY - dt.timedelta(days=40), TODAY - dt.timedelta(days=38))
    b = villages["乙村"]
    opened_case(make_child(village=b, school=school, name="今日"), TODAY)
    opened_case(make_child(village=b, school=school, name="七日"), TODAY - dt.timedelta(days=7))
    late = opened_case(
        make_child(village=b, school=school, name="八日"), TODAY - dt.timedelta(days=8)
    )

    results = by_name(period)
    a_score = results["甲村"].score_of("visit_timeliness")
    b_score = results["乙村"].score_of("visit_timeliness")
    assert (a_score.numerator, a_score.denominator) == (1, 1)
    assert (b_score.numerator, b_score.denominator) == (1, 2)
    assert b_score.score == Decimal("5.00")

    watch = set(db.session.scalars(select(DropoutCase.id).where(cases.visit_overdue(TODAY, 7))))
    assert watch == {late.id}
    overdue = accountability.overdue_cases(db.session, period, 7)
    assert overdue == {b.id: [(late.id, "八日")]}
    listed = cases.case_watch(db.session, true(), TODAY).overdue
    assert [c.id for c in listed] == [late.id]


def test_a_past_period_judges_the_cases_whose_days_ran_out_by_its_end(ctx):
    """2025年度 ranked today. N = 7. Opened 2025-12-24 (deadline 12-31, the period's last
    day) with no visit → judged, late. Opened 2025-12-25 (deadline 2026-01-01) → not judged
    in 2025 (its days ran out after the period), even if never visited. Visited in time
    2025-03-01 → 03-05 → timely. 1 timely / 2 judged → 5 points.
    问责 for 2025: the late one only; the timely one is no missed deadline (the old query
    added a day count to a date column, which SQLite cannot do, and named it overdue)."""
    township = make_township()
    school = make_school(township)
    period = make_period(
        name="2025年度", start_on=dt.date(2025, 1, 1), end_on=dt.date(2025, 12, 31)
    )
    village = make_village(township, name="甲村", code="001")

    def kid(name):
        return make_child(
            village=village, school=school, name=name, status_effective_on=dt.date(2024, 9, 1)
        )

    late = opened_case(kid("晚"), dt.date(2025, 12, 24))
    opened_case(kid("跨年"), dt.date(2025, 12, 25))
    opened_case(kid("及时"), dt.date(2025, 3, 1), dt.date(2025, 3, 5))
    score = by_name(period)["甲村"].score_of("visit_timeliness")
    assert (score.numerator, score.denominator, score.score) == (1, 2, Decimal("5.00"))
    assert accountability.overdue_cases(db.session, period, 7) == {village.id: [(late.id, "晚")]}


# --- Item 1: agreements and household categories as of the period -----------------------------


def test_agreements_and_household_categories_are_read_as_of_the_period(ctx):
    """2025年度, ranked now that the 2025 agreements are 已失效.

    甲村: 乡—村 agreement signed 2025-01-10, valid to 2025-12-31, now 已失效 → signed for 2025.
    甲一's guardian signed 2025-03-01 (now 已失效) → covered; 甲二's signed 2026-01-10 →
    not yet for 2025. 责任书 = 1/2 of 10 = 5.
    甲一's household was 低保 when registered and struck off on 2025-06-30: supported in
    2025, and assisted on 2025-03-01. 甲二's became 监测户 on 2026-03-01: not in 2025.
    帮扶 = 1/1 → 10 (today's columns gave 0/1: 甲二 counted, 甲一 not).
    乙村: no 乡—村 agreement at all → the only 未签订 proposal. For 2026 the households
    swap: 甲二 supported (unassisted) and 甲一 not → 帮扶 0/1.
    """
    township = make_township()
    school = make_school(township)
    p2025 = make_period(name="2025年度", start_on=dt.date(2025, 1, 1), end_on=dt.date(2025, 12, 31))
    p2026 = make_period()
    a = make_village(township, name="甲村", code="001")
    make_village(township, name="乙村", code="002")
    make_agreement(
        village=a,
        year=2025,
        signed_on=dt.date(2025, 1, 10),
        valid_until=dt.date(2025, 12, 31),
        status=AgreementStatus.EXPIRED,
    )
    h1 = make_household(a, head_name="甲一户", is_dibao=True)
    h2 = make_household(a, head_name="甲二户")
    registered = dt.date(2024, 9, 1)
    c1 = make_child(
        village=a, school=school, household=h1, name="甲一", status_effective_on=registered
    )
    c2 = make_child(
        village=a, school=school, household=h2, name="甲二", status_effective_on=registered
    )
    for kid, signed, status in (
        (c1, dt.date(2025, 3, 1), AgreementStatus.EXPIRED),
        (c2, dt.date(2026, 1, 10), AgreementStatus.SIGNED),
    ):
        make_agreement(
            village=a,
            level=AgreementLevel.VILLAGE_PARENT,
            child=kid,
            party_b_name="家长",
            year=signed.year,
            signed_on=signed,
            valid_until=dt.date(signed.year, 12, 31),
            status=status,
        )
    make_assistance(c1, given_on=dt.date(2025, 3, 1))
    h1.is_dibao, h1.categories_effective_on = False, dt.date(2025, 6, 30)
    h2.is_monitored, h2.categories_effective_on = True, dt.date(2026, 3, 1)
    db.session.flush()

    results = by_name(p2025)
    agreement = results["甲村"].score_of("agreement")
    assert (agreement.numerator, agreement.denominator, agreement.score) == (1, 2, Decimal("5.00"))
    assert results["甲村"].counts.village_agreement
    assert not results["乙村"].counts.village_agreement
    assistance = results["甲村"].score_of("assistance")
    assert (assistance.numerator, assistance.denominator, assistance.score) == (1, 1, Decimal(10))
    unsigned = [
        p.village for p in accountability.propose(db.session, p2025) if "未签订" in p.problem
    ]
    assert unsigned == ["乙村"]

    assistance_2026 = by_name(p2026)["甲村"].score_of("assistance")
    assert (assistance_2026.numerator, assistance_2026.denominator) == (0, 1)
    spans = db.session.scalars(
        select(HouseholdCategorySpan).order_by(HouseholdCategorySpan.household_id)
    ).all()
    assert [(s.household_id, s.category, s.held_from, s.held_until) for s in spans] == [
        (h1.id, HouseholdCategory.DIBAO, None, dt.date(2025, 6, 30)),
        (h2.id, HouseholdCategory.MONITORED, dt.date(2026, 3, 1), None),
    ]


# --- Item 3: lawful absence leaves N and the cohort, and is shown on its own ------------------


def change_status(child, status, on, reason=None):
    child.status, child.status_reason, child.status_effective_on = status, reason, on
    db.session.flush()


def test_lawful_absence_is_neither_enrolled_nor_a_loss(app, client):
    """2026年度; all three children in school since 2025-09-01.

    甲二 休学(批准) from 2026-03-01, 甲三 免缓学(批准) from 2026-04-01.
    N = 甲一 only → 入学率 1/1 → 15 (it was 1/2, one short: 12).
    巩固率: in school on 1 Jan 甲一 甲二 甲三; 甲二 and 甲三 leave the cohort → 1/1 → 15
    (it was 1/3: 0). Lawfully absent: 2, on the dashboard, the drill-down and the sheet.
    """
    with app.app_context():
        township = make_township()
        school = make_school(township)
        period = make_period()
        a = make_village(township, name="甲村", code="001")
        make_child(village=a, school=school, name="甲一")
        suspended = make_child(village=a, school=school, name="甲二")
        exempted = make_child(village=a, school=school, name="甲三")
        change_status(suspended, ChildStatus.SUSPENDED, dt.date(2026, 3, 1))
        change_status(exempted, ChildStatus.EXEMPTED, dt.date(2026, 4, 1))
        make_user(Role.LEADER, username="boss")
        db.session.commit()
        result = by_name(period)["甲村"]
        enrolment, retention = result.score_of("enrolment"), result.score_of("retention")
        assert (enrolment.numerator, enrolment.denominator, enrolment.score) == (1, 1, 15)
        assert (retention.numerator, retention.denominator, retention.score) == (1, 1, 15)
        assert result.counts.facts["lawful_absence"] == 2
        ids = {"period": period.id, "village": a.id, "甲二": suspended.id, "甲三": exempted.id}
    login(client, "boss")
    page = client.get(f"/admin/ranking/{ids['village']}?period={ids['period']}")
    card = page.get_data(as_text=True).split('id="lawful-absence"')[1].split("</div>\n</div>")[0]
    assert f'id={ids["甲二"]}">甲二</a>（休学(批准)）' in card
    assert f'id={ids["甲三"]}">甲三</a>（免缓学(批准)）' in card
    dashboard = client.get("/admin/").get_data(as_text=True)
    row = re.search(r"<tr><td>甲村</td>(.*?)</tr>", dashboard, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    # 应入学 在校 未入学 辍学 待核实 休学/免缓学 劝返中 …
    assert [c.strip() for c in cells[:7]] == ["1", "1", "0", "0", "0", "2", "0"]


# --- Item 4: the cohort of a period, and a poverty dropout at any time in it ------------------


def test_a_poverty_dropout_cannot_age_out_or_return_out_of_the_veto(ctx):
    """2026年度 spans the school years 2025—2026 (ages on 2025-08-31) and 2026—2027 (on
    2026-08-31), so the cohort is born 2009-09-01 … 2020-08-31.

    甲村: 甲一, born 2010-06-15, is 15 on 2025-08-31 and 16 on 2026-08-31; drops out for
    poverty on 2026-03-10. In the cohort → N = 1, 1 dropout, 一票否决.
    乙村: 乙一 dropped out for poverty 2026-02-01 and returned 2026-05-01 → 一票否决 (any
    time during P), though in school at the end: N 1, enrolled 1.
    丙村: 丙一 out for poverty 2025-10-01 … back 2026-01-01 → not during 2026: no veto.
    Order: 丙村 (no veto), then the two vetoed villages.
    """
    township = make_township()
    school = make_school(township)
    period = make_period()
    villages = {
        name: make_village(township, name=name, code=code)
        for code, name in (("001", "甲村"), ("002", "乙村"), ("003", "丙村"))
    }
    aged = make_child(
        village=villages["甲村"], school=school, name="甲一", birth_date=dt.date(2010, 6, 15)
    )
    change_status(aged, ChildStatus.DROPOUT, dt.date(2026, 3, 10), OutOfSchoolReason.POVERTY)
    back = make_child(village=villages["乙村"], school=school, name="乙一")
    change_status(back, ChildStatus.DROPOUT, dt.date(2026, 2, 1), OutOfSchoolReason.POVERTY)
    change_status(back, ChildStatus.ENROLLED, dt.date(2026, 5, 1))
    earlier = make_child(village=villages["丙村"], school=school, name="丙一")
    change_status(earlier, ChildStatus.DROPOUT, dt.date(2025, 10, 1), OutOfSchoolReason.POVERTY)
    change_status(earlier, ChildStatus.ENROLLED, dt.date(2026, 1, 1))

    results = by_name(period)
    a, b, c = results["甲村"], results["乙村"], results["丙村"]
    assert (a.counts.facts["due"], a.counts.facts["dropout"]) == (1, 1)
    assert a.veto_reasons == ["因贫失学辍学1人"]
    assert (b.counts.facts["due"], b.counts.facts["enrolled"]) == (1, 1)
    assert b.veto_reasons == ["因贫失学辍学1人"]
    assert not c.veto
    assert c.rank == 1 and {a.rank, b.rank} <= {2, 3}


# --- Item 5: an inspection belongs to every period its date falls in --------------------------


def test_an_inspection_counts_for_every_period_its_date_falls_in(ctx):
    """One inspection of 甲村, filed under 2026年度, dated 2026-05-10, scored 8 + 6 of 10 + 10:
    70% of 15 = 10.5 for 2026年度 and for 2025—2026学年 (2025-09-01 … 2026-08-31) alike;
    a second one dated 2026-10-08 with 瞒报 found belongs to 2026年度 only."""
    township = make_township()
    school = make_school(township)
    year = make_period()
    school_year = make_period(
        name="2025—2026学年", start_on=dt.date(2025, 9, 1), end_on=dt.date(2026, 8, 31)
    )
    a = make_village(township, name="甲村", code="001")
    make_child(village=a, school=school, name="甲一")
    spring = make_inspection(a, year, inspected_on=dt.date(2026, 5, 10))
    items = [make_item(name=f"项{n}", max_points=Decimal(10)) for n in (1, 2)]
    for item, score in zip(items, (8, 6), strict=True):
        db.session.add(
            InspectionScore(
                inspection=spring, item=item, max_points=item.max_points, score=Decimal(score)
            )
        )
    make_inspection(a, year, inspected_on=dt.date(2026, 10, 8), concealment_found=True)
    for period, vetoed in ((school_year, False), (year, True)):
        result = by_name(period)["甲村"]
        inspection = result.score_of("inspection")
        assert (inspection.numerator, inspection.denominator) == (14, 20)
        assert inspection.score == Decimal("10.50")
        assert result.veto is vetoed


# --- Item 6: no data is not scored, and totals are normalised over what was scored -----------


def test_an_indicator_without_data_is_left_out_not_scored(app, client):
    """2026年度; nobody was inspected, there are no cases and no supported households.

    甲村: 甲一 甲二 in school since 2025-09-01: 入学率 15, 巩固率 15, 辍学劝返 15, 责任书 0/2 → 0,
    台账 2/2 → 10; 帮扶, 劝返及时, 督导 无数据. 55 of 65 scored points → 84.615… → 84.62.
    乙村: 乙一 乙二 registered 2026-03-01, so nobody was in school on 1 Jan: 巩固率 无数据
    too (it used to give full marks). 40 of 50 → 80.00.
    The old reading gave both 75 (full marks for no cases and no supported child, 0/15 for
    no inspection, 15 for an empty 巩固率 cohort) and a shared rank.
    """
    with app.app_context():
        township = make_township()
        school = make_school(township)
        period = make_period()
        a = make_village(township, name="甲村", code="001")
        b = make_village(township, name="乙村", code="002")
        for village, prefix, since in (
            (a, "甲", dt.date(2025, 9, 1)),
            (b, "乙", dt.date(2026, 3, 1)),
        ):
            household = make_household(village, head_name=f"{prefix}户")
            for n in ("一", "二"):
                make_child(
                    village=village,
                    school=school,
                    household=household,
                    name=f"{prefix}{n}",
                    status_effective_on=since,
                )
        make_user(Role.LEADER, username="boss")
        db.session.commit()
        results = by_name(period)
        ra, rb = results["甲村"], results["乙村"]
        assert [(s.code, s.left_out) for s in ra.left_out] == [
            ("assistance", "无脱贫/监测/低保/特困/残疾家庭应入学儿童"),
            ("visit_timeliness", "本期无走访期限已满的控辍案件"),
            ("inspection", "本期无督导检查评分"),
        ]
        assert [s.code for s in rb.left_out] == [
            "retention",
            "assistance",
            "visit_timeliness",
            "inspection",
        ]
        assert (ra.scored_points, ra.total) == (Decimal(65), Decimal("84.62"))
        assert (rb.scored_points, rb.total) == (Decimal(50), Decimal("80.00"))
        assert (ra.rank, rb.rank) == (1, 2)
        ids = {"period": period.id, "village": b.id}
    login(client, "boss")
    page = client.get(f"/admin/ranking/?period={ids['period']}").get_data(as_text=True)
    assert "巩固率（期初无在校儿童）" in page and "84.62" in page
    detail = client.get(f"/admin/ranking/{ids['village']}?period={ids['period']}")
    assert "无数据，不计分（期初无在校儿童）" in detail.get_data(as_text=True)
    data = client.get(f"/admin/ranking/data?period={ids['period']}").get_json()
    assert data["villages"][1]["left_out"]["retention"] == "期初无在校儿童"
    assert data["villages"][1]["indicators"]["retention"]["score"] is None


# --- Item 7: rank on exact totals, round for display only -------------------------------------


def test_ranks_follow_exact_totals_not_rounded_scores(ctx):
    """Two villages of three children each, all in school, no agreements, no cases, no
    supported household; scored: 入学率, 巩固率, 辍学劝返 (15 each), 责任书 (0 of 10), 台账,
    督导 — 80 points.

    甲村: 台账 2/3 of 10 = 6.666… (shown 6.67); inspected on an item of 10, scored 0.5 →
    0.75 of 15. Earned 45 + 6.666… + 0.75 = 52.41666… → / 80 × 100 = 65.5208…
    乙村: 台账 1/3 = 3.333… (3.33); an item of 11 scored 3 → 15 × 3/11 = 4.0909… (4.09).
    Earned 52.4242… → 65.5303…
    Rounded before summing both made 72.42 and shared a rank; exactly, 乙村 is ahead.
    """
    township = make_township()
    school = make_school(township)
    period = make_period()
    for code, name, complete, item_max, score in (
        ("001", "甲村", 2, 10, Decimal("0.5")),
        ("002", "乙村", 1, 11, Decimal(3)),
    ):
        village = make_village(township, name=name, code=code)
        household = make_household(village, head_name=f"{name}户")
        for n in range(3):
            make_child(
                village=village,
                school=school,
                household=household,
                name=f"{name}{n}",
                guardian_phone="13812345678" if n < complete else None,
            )
        item = make_item(name=f"{name}项", max_points=Decimal(item_max))
        inspection = make_inspection(village, period)
        db.session.add(
            InspectionScore(
                inspection=inspection, item=item, max_points=item.max_points, score=score
            )
        )
    results = by_name(period)
    a, b = results["甲村"], results["乙村"]
    assert a.score_of("ledger").score + a.score_of("inspection").score == Decimal("7.42")
    assert b.score_of("ledger").score + b.score_of("inspection").score == Decimal("7.42")
    assert a.exact_total == (45 + Fraction(20, 3) + Fraction(3, 4)) * 100 / 80
    assert b.exact_total == (45 + Fraction(10, 3) + Fraction(45, 11)) * 100 / 80
    assert (a.total, b.total) == (Decimal("65.52"), Decimal("65.53"))
    assert (b.rank, a.rank) == (1, 2)


# --- Item 8: only support counts as assistance, not a visit ----------------------------------


def test_a_visit_is_not_assistance(ctx):
    """2026年度, one village, two children of a 低保 household, both in school.

    甲一 got a 生活补助 in March: assisted. 甲二 was only visited (入户走访 in April,
    劝返走访 in May): not assisted. 帮扶 = 1/2 of 10 = 5 (counting visits gave 2/2 → 10).
    """
    township = make_township()
    school = make_school(township)
    period = make_period()
    village = make_village(township, name="甲村", code="001")
    household = make_household(village, head_name="甲户", is_dibao=True)
    registered = dt.date(2024, 9, 1)
    helped, visited = (
        make_child(
            village=village,
            school=school,
            household=household,
            name=name,
            status_effective_on=registered,
        )
        for name in ("甲一", "甲二")
    )
    make_assistance(helped, kind=AssistanceKind.LIVING_ALLOWANCE, given_on=dt.date(2026, 3, 1))
    for kind, on in (
        (AssistanceKind.HOME_VISIT, dt.date(2026, 4, 1)),
        (AssistanceKind.PERSUASION_VISIT, dt.date(2026, 5, 1)),
    ):
        make_assistance(visited, kind=kind, given_on=on, amount=None)
    assistance = by_name(period)["甲村"].score_of("assistance")
    assert (assistance.numerator, assistance.denominator, assistance.score) == (1, 2, Decimal(5))
