"""Agreements, assistance records and plans, households, inspections and their scores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import (
    AssessmentPeriod,
    AssistanceRecord,
    Household,
    Inspection,
    InspectionItem,
    InspectionScore,
    ResponsibilityAgreement,
    Village,
)
from admin_app.util.dates import local_today
from tests.factories import make_inspection, make_item, make_period
from tests.forms import form_of, open_form
from tests.helpers import field_errors, inline_cell, row_delete_form, submit


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


# --- 目标责任书 ---------------------------------------------------------------------------


def agreement_values(world, **changes):
    values = {
        "year": 2026,
        "level": "township_village",
        "party_a_name": "张乡长",
        "party_a_org": "联合乡人民政府",
        "party_b_name": "刘主任",
        "party_b_org": "联合村村委会",
        "village": world.village_a,
        "target_enrolment_rate": "100",
        "target_retention_rate": "99",
        "signed_on": "2026-02-01",
        "valid_until": "2026-12-31",
        "status": "signed",
    }
    values.update(changes)
    return values


def test_clerk_adds_finds_edits_and_deletes_an_agreement(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = submit(clerk, "/admin/agreement/new/", agreement_values(world))
    assert response.status_code == 302
    with app.app_context():
        agreement = db.session.scalar(select(ResponsibilityAgreement))
        assert agreement.line.value == "government"  # derived from the level
        agreement_id = agreement.id
    assert "刘主任" in clerk.get("/admin/agreement/?search=刘").get_data(as_text=True)
    response = submit(clerk, f"/admin/agreement/edit/?id={agreement_id}", {"party_b_name": "刘新"})
    assert response.status_code == 302
    row_delete_form(clerk, "/admin/agreement/", agreement_id).submit(clerk)
    assert count(app, ResponsibilityAgreement) == 0


def test_agreement_rules(app, client_as, world):
    clerk = client_as(Role.CLERK)
    cases = [
        ({"valid_until": "2026-01-01"}, "有效期至不能早于签订日期"),
        ({"line": "school"}, "“乡政府—村委会”属于政府线"),
        ({"level": "teacher_parent", "village": ""}, "学校线责任书须选择学校"),
        ({"level": "village_parent"}, "与家长签订的责任书须选择儿童或家庭户"),
        ({"signed_on": "", "status": "signed", "valid_until": ""}, "已签订的责任书须填写签订日期"),
        ({"target_retention_rate": "120"}, "目标比例应在0–100之间"),
    ]
    for changes, message in cases:
        response = submit(clerk, "/admin/agreement/new/", agreement_values(world, **changes))
        assert response.status_code == 200, changes
        assert message in field_errors(response), (changes, field_errors(response))
    assert count(app, ResponsibilityAgreement) == 0


# --- 帮扶记录 -----------------------------------------------------------------------------


def assistance_values(world, **changes):
    values = {
        "child": world.child_a,
        "kind": "living_allowance",
        "given_on": "2026-03-01",
        "person": "李老师",
        "amount": "500.00",
        "content": "发放生活补助",
    }
    values.update(changes)
    return values


def test_clerk_adds_edits_and_deletes_an_assistance_record(app, client_as, world):
    clerk = client_as(Role.CLERK)
    assert submit(clerk, "/admin/assistance/new/", assistance_values(world)).status_code == 302
    with app.app_context():
        record = db.session.scalar(select(AssistanceRecord))
        assert record.amount == Decimal("500.00")
        record_id = record.id
    assert "王小明" in clerk.get("/admin/assistance/?search=王").get_data(as_text=True)
    response = submit(clerk, f"/admin/assistance/edit/?id={record_id}", {"amount": "750.5"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(AssistanceRecord, record_id).amount == Decimal("750.50")
    row_delete_form(clerk, "/admin/assistance/", record_id).submit(clerk)
    assert count(app, AssistanceRecord) == 0


def test_negative_amount_and_future_date_are_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = submit(clerk, "/admin/assistance/new/", assistance_values(world, amount="-1"))
    assert "金额不能为负数" in field_errors(response)
    assert 'value="-1"' in response.get_data(as_text=True)
    future = (local_today() + dt.timedelta(days=3)).isoformat()
    response = submit(clerk, "/admin/assistance/new/", assistance_values(world, given_on=future))
    assert "帮扶日期不能晚于今天" in field_errors(response)
    assert count(app, AssistanceRecord) == 0


def test_amount_that_is_not_a_number_is_refused_in_chinese(app, client_as, world):
    response = submit(
        client_as(Role.CLERK), "/admin/assistance/new/", assistance_values(world, amount="五百")
    )
    assert response.status_code == 200
    assert field_errors(response)
    assert count(app, AssistanceRecord) == 0


# --- 帮扶方案 -----------------------------------------------------------------------------


def test_plan_needs_a_subject_and_ordered_dates(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = submit(
        clerk,
        "/admin/plan/new/",
        {"measures": "落实生活补助", "start_on": "2026-03-01", "status": "active"},
    )
    assert "帮扶方案须对应一名儿童或一个家庭户" in field_errors(response)
    response = submit(
        clerk,
        "/admin/plan/new/",
        {
            "child": world.child_a,
            "measures": "落实生活补助",
            "start_on": "2026-03-01",
            "review_on": "2026-02-01",
            "status": "active",
        },
    )
    assert "复核日期不能早于开始日期" in field_errors(response)
    response = submit(
        clerk,
        "/admin/plan/new/",
        {
            "child": world.child_a,
            "household": world.household_a,
            "measures": "落实生活补助，每月走访",
            "start_on": "2026-03-01",
            "review_on": "2026-06-01",
            "status": "active",
        },
    )
    assert response.status_code == 302


# --- 家庭户 -------------------------------------------------------------------------------


def test_household_phone_is_checked_and_categories_filter(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = submit(
        clerk,
        "/admin/household/new/",
        {"village": world.village_a, "head_name": "周强", "phone": "123"},
    )
    assert any("电话号码" in e for e in field_errors(response))
    response = submit(
        clerk,
        "/admin/household/new/",
        {
            "village": world.village_a,
            "head_name": "周强",
            "phone": "0731-84012345",
            "is_dibao": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Household).where(Household.head_name == "周强")).is_dibao


# --- 督导检查 and 督导评分 ------------------------------------------------------------------


def make_inspection_with_item(app, world, max_points=10):
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        inspection = make_inspection(village, make_period())
        item = make_item(name="台账管理", max_points=Decimal(max_points))
        db.session.commit()
        return inspection.id, item.id


def test_clerk_adds_edits_and_deletes_an_inspection_score(app, client_as, world):
    inspection_id, item_id = make_inspection_with_item(app, world)
    clerk = client_as(Role.CLERK)
    response = submit(
        clerk,
        "/admin/score/new/",
        {
            "inspection": inspection_id,
            "item": item_id,
            "score": "8.5",
            "deduction_reason": "台账不全",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        score = db.session.scalar(select(InspectionScore))
        assert (score.score, score.max_points) == (Decimal("8.5"), Decimal("10"))
        score_id = score.id
    assert "台账管理" in clerk.get("/admin/score/?search=联合").get_data(as_text=True)
    assert submit(clerk, f"/admin/score/edit/?id={score_id}", {"score": "9"}).status_code == 302
    row_delete_form(clerk, "/admin/score/", score_id).submit(clerk)
    assert count(app, InspectionScore) == 0


def test_score_above_the_item_maximum_is_refused(app, client_as, world):
    inspection_id, item_id = make_inspection_with_item(app, world)
    response = submit(
        client_as(Role.INSPECTOR),
        "/admin/score/new/",
        {"inspection": inspection_id, "item": item_id, "score": "12"},
    )
    assert "得分不能超过该项满分10分" in field_errors(response)
    response = submit(
        client_as(Role.INSPECTOR),
        "/admin/score/new/",
        {"inspection": inspection_id, "item": item_id, "score": "-1"},
    )
    assert "得分不能为负数" in field_errors(response)
    assert count(app, InspectionScore) == 0


def test_second_score_for_the_same_item_is_refused(app, client_as, world):
    inspection_id, item_id = make_inspection_with_item(app, world)
    inspector = client_as(Role.INSPECTOR)
    values = {"inspection": inspection_id, "item": item_id, "score": "5"}
    assert submit(inspector, "/admin/score/new/", values).status_code == 302
    response = submit(inspector, "/admin/score/new/", values)
    assert "该次检查已有此项目的评分" in field_errors(response)


def test_inline_score_edit_above_maximum_is_refused(app, client_as, world):
    inspection_id, item_id = make_inspection_with_item(app, world)
    inspector = client_as(Role.INSPECTOR)
    submit(
        inspector, "/admin/score/new/", {"inspection": inspection_id, "item": item_id, "score": "5"}
    )
    with app.app_context():
        score_id = db.session.scalar(select(InspectionScore.id))
    cell = inline_cell(inspector, "/admin/score/", score_id, "score")
    response = inspector.post("/admin/score/ajax/update/", data={**cell, "score": "99"})
    assert response.status_code == 400
    assert "得分不能超过该项满分" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(InspectionScore, score_id).score == Decimal("5")


def make_sheet_items(app):
    """Three active items of the standard and one retired (not on a new sheet)."""
    with app.app_context():
        period = make_period()
        items = [
            make_item(name="双线责任书", max_points=Decimal(15), sort_order=1),
            make_item(name="控辍台账", max_points=Decimal(10), sort_order=2),
            make_item(name="劝返走访", max_points=Decimal(5), sort_order=3),
        ]
        make_item(name="旧项目", max_points=Decimal(5), active=False)
        db.session.commit()
        return period.id, [item.id for item in items]


def test_inspection_is_scored_on_one_sheet_of_every_active_item(app, client_as, world):
    period_id, (duty, ledger, visits) = make_sheet_items(app)
    inspector = client_as(Role.INSPECTOR)
    base = {
        "period": period_id,
        "village": world.village_a,
        "inspected_on": "2026-05-10",
        "inspectors": "李督导、王督导",
        "summary": "责任书签订齐全",
    }
    form = open_form(inspector, "/admin/inspection/new/").update(base)
    # Every active item has its box at once: no 添加 clicks, no item to pick.
    sheet = [n for n in form.names() if n.startswith("sheet_score_")]
    with app.app_context():
        active = db.session.scalars(
            select(InspectionItem.id).where(InspectionItem.active.is_(True))
        ).all()
    assert sorted(sheet) == sorted(f"sheet_score_{i}" for i in active)
    assert {f"sheet_score_{i}" for i in (duty, ledger, visits)} <= set(sheet)
    page = inspector.get("/admin/inspection/new/").get_data(as_text=True)
    assert "旧项目" not in page and "满分" in page and "合计" in page
    form.update({f"sheet_score_{duty}": "16", f"sheet_score_{ledger}": "8"})
    response = form.submit(inspector)
    assert response.status_code == 200
    errors = field_errors(response)
    assert "得分不能超过该项满分15分" in errors
    assert "得分低于满分，请填写扣分原因" in errors
    assert count(app, Inspection) == 0
    form = form_of(response, "/admin/inspection/new/")
    assert form.value(f"sheet_score_{duty}") == "16"  # the typing is kept
    assert form.value("inspectors") == "李督导、王督导"
    form.update(
        {
            f"sheet_score_{duty}": "15",
            f"sheet_reason_{ledger}": "台账缺两户",
            f"sheet_score_{visits}": "4.5",
        }
    )
    response = form.submit(inspector)
    assert response.status_code == 200  # 劝返走访 below its maximum still lacks a reason
    assert count(app, Inspection) == 0
    form = form_of(response, "/admin/inspection/new/")
    response = form.set(f"sheet_reason_{visits}", "走访记录缺签字").submit(inspector)
    assert response.status_code == 302
    with app.app_context():
        inspection = db.session.scalar(select(Inspection))
        saved = {s.item_id: (s.score, s.deduction_reason) for s in inspection.scores}
        assert saved == {
            duty: (Decimal("15"), None),
            ledger: (Decimal("8"), "台账缺两户"),
            visits: (Decimal("4.5"), "走访记录缺签字"),
        }
        inspection_id = inspection.id
    # The edit page shows the stored sheet and its total; blanking a score removes it.
    url = f"/admin/inspection/edit/?id={inspection_id}"
    page = inspector.get(url).get_data(as_text=True)
    assert 'id="sheet-total" data-sheet-total>27.5<' in page  # 15 + 8 + 4.5
    form = open_form(inspector, url)
    assert form.value(f"sheet_score_{ledger}") == "8"
    assert form.value(f"sheet_reason_{ledger}") == "台账缺两户"
    form.update(
        {f"sheet_score_{visits}": "", f"sheet_reason_{visits}": "", f"sheet_score_{ledger}": "10"}
    )
    assert form.submit(inspector).status_code == 302
    with app.app_context():
        inspection = db.session.get(Inspection, inspection_id)
        assert {s.item_id: s.score for s in inspection.scores} == {
            duty: Decimal("15"),
            ledger: Decimal("10"),
        }


def test_a_bad_score_on_the_sheet_saves_nothing_of_the_inspection(app, client_as, world):
    period_id, (duty, ledger, _) = make_sheet_items(app)
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        inspection_id = make_inspection(village, db.session.get(AssessmentPeriod, period_id)).id
        db.session.commit()
    inspector = client_as(Role.INSPECTOR)
    url = f"/admin/inspection/edit/?id={inspection_id}"
    form = open_form(inspector, url).update(
        {"summary": "已改", f"sheet_score_{duty}": "15", f"sheet_score_{ledger}": "八分"}
    )
    response = form.submit(inspector)
    assert response.status_code == 200
    assert "得分须为数字，如 8 或 7.5" in field_errors(response)
    with app.app_context():
        inspection = db.session.get(Inspection, inspection_id)
        assert inspection.summary is None and inspection.scores == []


def test_an_inspection_of_a_retired_item_keeps_its_score_on_the_sheet(app, client_as, world):
    inspection_id, item_id = make_inspection_with_item(app, world)
    with app.app_context():
        item = db.session.get(InspectionItem, item_id)
        db.session.add(
            InspectionScore(
                inspection_id=inspection_id,
                item=item,
                max_points=item.max_points,
                score=7,
                deduction_reason="缺",
            )
        )
        item.active = False
        db.session.commit()
    inspector = client_as(Role.INSPECTOR)
    form = open_form(inspector, f"/admin/inspection/edit/?id={inspection_id}")
    assert form.value(f"sheet_score_{item_id}") == "7"
    assert form.set("summary", "复查").submit(inspector).status_code == 302
    with app.app_context():
        assert [s.score for s in db.session.get(Inspection, inspection_id).scores] == [7]


def test_inspection_date_outside_the_period_is_refused(app, client_as, world):
    with app.app_context():
        period_id = make_period().id
        db.session.commit()
    response = submit(
        client_as(Role.INSPECTOR),
        "/admin/inspection/new/",
        {
            "period": period_id,
            "village": world.village_a,
            "inspected_on": "2025-05-10",
            "inspectors": "李",
        },
    )
    assert any("不在考核周期" in e for e in field_errors(response))


# --- Integrity: no 500 ----------------------------------------------------------------


def test_deleting_a_village_that_still_has_children_is_refused_in_chinese(app, client_as, world):
    admin = client_as(Role.ADMIN)
    form = row_delete_form(admin, "/admin/village/", world.village_a)
    response = form.submit(admin, follow_redirects=True)
    assert response.status_code == 200
    assert "仍被其他记录引用" in response.get_data(as_text=True)
    assert count(app, Village) == 2


def test_inspection_item_maximum_must_be_positive(app, client_as):
    response = submit(
        client_as(Role.ADMIN), "/admin/inspection_item/new/", {"name": "新项目", "max_points": "0"}
    )
    assert response.status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(select(InspectionItem).where(InspectionItem.name == "新项目")) is None
        )
