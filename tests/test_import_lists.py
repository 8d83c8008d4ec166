"""What an official list does beyond the child's own row (issue 12, items 8, 10 and 11).

户主 names the household (linked or created by 户主 and village), never the guardian; a
poverty list gives the household its support category from the list's date, so the
children it names count for 帮扶覆盖率; a new child it names without a school is 待核实:
in N, not enrolled. Each expected figure is worked out in the test's docstring.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from admin_app.assessment.core import rank_villages
from admin_app.choices import AuditAction, ChildStatus, HouseholdCategory, ImportSource, Role, Sex
from admin_app.extensions import db
from admin_app.lists import imports
from admin_app.lists.imports import RowAction, plan_file
from admin_app.models import (
    AssessmentPeriod,
    AuditLog,
    Child,
    ChildStatusChange,
    Household,
    ImportBatch,
    Village,
)
from tests import factories as f
from tests.forms import open_form
from tests.spreadsheets import POVERTY_HEADER, poverty_row, xlsx

BIRTH = dt.date(2016, 5, 20)
HEADER = (*POVERTY_HEADER, "户主", "户类别")
LIST_DATE = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")


def row(
    number: str,
    name: str = "李小花",
    *,
    village: str = "联合村",
    school: str = "联合乡中心小学",
    grade: str = "三年级",
    head: str = "",
    category: str = "",
) -> tuple[str, ...]:
    """A poverty list's row (``tests.spreadsheets.poverty_row``) with 户主 and 户类别."""
    return (*poverty_row(number, name, village, school, grade), head, category)


def new_id(birth: dt.date = BIRTH) -> str:
    return f.make_id_number(birth, Sex.FEMALE)


def plan_of(app, rows, header=HEADER):
    with app.app_context():
        return plan_file(db.session, xlsx(rows, header), "名单.xlsx", ImportSource.POVERTY)


def commit(app, rows, header=HEADER, on: dt.date = LIST_DATE) -> ImportBatch:
    with app.app_context():
        plan = plan_file(db.session, xlsx(rows, header), "名单.xlsx", ImportSource.POVERTY)
        batch = imports.commit_plan(db.session, plan, user_id=None, username="tester", list_date=on)
        db.session.refresh(batch)
        db.session.expunge(batch)
        return batch


def child_by_number(number: str) -> Child:
    return db.session.scalar(select(Child).where(Child.id_number == number))


# --- Item 11: 户主 is the household's, never the guardian's ----------------------------------


def test_the_head_of_household_never_overwrites_the_guardian(app, world):
    """王小明's guardian is 王大山 (his father); a list whose 户主 is 王大山 too links the same
    household and leaves the guardian alone; a list naming the grandfather 王老汉 as 户主
    keeps him in the register's household and says so, the guardian still untouched."""
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        number, child.guardian_name = child.id_number, "王小明之母"
        db.session.commit()
    plan = plan_of(app, [row(number, "王小明", head="王大山")])
    (result,) = plan.rows
    assert "监护人" not in result.changes and not result.notes

    plan = plan_of(app, [row(number, "王小明", head="王老汉")])
    (result,) = plan.rows
    assert "监护人" not in result.changes
    assert list(result.notes) == [
        "台账中该儿童属于“王大山户”，名单户主为“王老汉”：仍按台账的家庭户处理，请核对"
    ]
    commit(app, [row(number, "王小明", head="王老汉")])
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        assert (child.guardian_name, child.household_id) == ("王小明之母", world.household_a)
        assert db.session.scalar(select(func.count(Household.id))) == 2


def test_the_preview_shows_every_rows_village(app, client_as, world):
    """Two valid rows in two villages and one with a misspelt village: each row says where."""
    clerk = client_as(Role.CLERK)
    rows = [
        row(new_id(), "甲"),
        row(new_id(), "乙", village="新华村"),
        row(new_id(), "丙", village="联和"),
    ]
    form = open_form(clerk, "/admin/import/", action="/upload")
    response = (
        form.set("kind", "poverty").attach("file", xlsx(rows, HEADER), "名单.xlsx").submit(clerk)
    )
    assert response.status_code == 302
    html = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert "<th>行政村</th>" in html
    villages = {line: html.split(f'data-line="{line}"')[1].split("</tr>")[0] for line in (4, 5, 6)}
    assert "<td>联合村</td>" in villages[4]
    assert "<td>新华村</td>" in villages[5]
    assert "<td>联和</td>" in villages[6] and "找不到行政村" in villages[6]


# --- Item 8: the poverty list sets the household's category, from the list's date -----------


def test_a_poverty_list_creates_the_household_and_sets_its_category_from_the_list_date(app, world):
    """Two sisters with 户主 张大民, unknown to 联合村's households, on a list dated
    2026-03-01: one household 张大民户 is created in 联合村 with 脱贫户 held from that day,
    both children are linked to it; re-importing changes nothing."""
    sisters = [new_id(dt.date(2016, 5, 20)), new_id(dt.date(2018, 7, 1))]
    rows = [row(sisters[0], "张小芳", head="张大民"), row(sisters[1], "张小丽", head="张大民")]
    plan = plan_of(app, rows)
    assert [r.action for r in plan.rows] == [RowAction.CREATE, RowAction.CREATE]
    assert plan.describe(plan.rows[0])["家庭户"] == "张大民户（新建）"
    assert plan.describe(plan.rows[0])["户类别"] == "脱贫户(建档立卡)"

    batch = commit(app, rows)
    assert batch.list_date == LIST_DATE
    with app.app_context():
        households = db.session.scalars(select(Household).where(Household.head_name == "张大民"))
        (household,) = households.all()
        assert household.village.name == "联合村" and household.is_poverty_alleviated
        assert {c.household_id for c in map(child_by_number, sisters)} == {household.id}
        spans = [(s.category, s.held_from, s.held_until) for s in household.category_spans]
        assert spans == [(HouseholdCategory.POVERTY_ALLEVIATED, LIST_DATE, None)]
        created = db.session.scalar(
            select(AuditLog).where(
                AuditLog.table_name == "household", AuditLog.action == AuditAction.CREATE
            )
        )
        assert created.record_id == str(household.id) and "名单日期2026-03-01" in created.note

    again = commit(app, rows)
    assert (again.n_new, again.n_updated, again.n_unchanged) == (0, 0, 2)
    with app.app_context():
        assert db.session.scalar(select(func.count(Household.id))) == 3


def test_a_known_household_is_linked_by_head_and_village_and_gains_the_listed_category(app, world):
    """李长河户 is in 新华村, not 联合村. A new child in 新华村 with 户主 李长河 and 户类别
    监测对象 is linked to it and the household becomes 防返贫监测户 from the list date; the
    same 户主 in 联合村 is another family: a new household there."""
    in_xinhua, in_lianhe = new_id(dt.date(2016, 1, 2)), new_id(dt.date(2017, 2, 3))
    rows = [
        row(in_xinhua, "李小龙", village="新华村", head="李长河", category="监测对象"),
        row(in_lianhe, "李小虎", head="李长河", category="低保户"),
    ]
    commit(app, rows)
    with app.app_context():
        xinhua = db.session.get(Household, world.household_b)
        assert child_by_number(in_xinhua).household_id == xinhua.id
        assert xinhua.is_monitored and not xinhua.is_poverty_alleviated
        assert [(s.category, s.held_from) for s in xinhua.category_spans] == [
            (HouseholdCategory.MONITORED, LIST_DATE)
        ]
        other = child_by_number(in_lianhe).household
        assert other.id != xinhua.id and other.village.name == "联合村" and other.is_dibao


def test_an_unknown_category_is_refused_and_a_row_without_a_household_is_noted(app, world):
    rows = [row(new_id(dt.date(2016, 1, 2)), "甲", head="张三", category="富裕户"), row(new_id())]
    refused, unlinked = plan_of(app, rows).rows
    assert refused.action == RowAction.ERROR
    assert refused.errors == [
        "无法识别的户类别“富裕户”（可填：脱贫户(建档立卡)、防返贫监测户、低保户、特困供养、残疾人家庭）"
    ]
    assert unlinked.action == RowAction.CREATE
    assert list(unlinked.notes) == [
        "名单未填户主，台账中也没有该儿童的家庭户：未登记户类别，"
        "该儿童暂不计入帮扶覆盖率，请在台账中为其选择家庭户"
    ]


def test_two_households_of_the_same_head_are_not_guessed_between(app, world):
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        for _ in range(2):
            f.make_household(village, head_name="刘一")
        db.session.commit()
    (result,) = plan_of(app, [row(new_id(), head="刘一")]).rows
    assert result.action == RowAction.CREATE and "家庭户" not in plan_of(
        app, [row(new_id(), head="刘一")]
    ).describe(result)
    assert list(result.notes) == [
        "该村有2户户主名为“刘一”，无法确定是哪一户，未关联家庭户：请在台账中为该儿童选择家庭户"
    ]


def test_the_imported_household_counts_for_assistance_coverage_as_of_the_list_date(app, world):
    """联合村 before: 王小明 of 王大山户 (no category) → 帮扶 has no child to cover (无数据).

    A list dated 2026-03-01 names 王小明 with 户主 王大山: the household is 脱贫户 from
    then. 2026年度: 1 supported child, no assistance → 帮扶 0/1. 2025年度: the category
    did not yet hold → still 0 supported children.
    """
    with app.app_context():
        number = db.session.get(Child, world.child_a).id_number
        p2025 = f.make_period(
            name="2025年度", start_on=dt.date(2025, 1, 1), end_on=dt.date(2025, 12, 31)
        )
        p2026 = f.make_period()
        db.session.commit()
        periods = (p2025.id, p2026.id)

    def assistance(period_id: int) -> tuple[int, int]:
        period = db.session.get(AssessmentPeriod, period_id)
        result = {r.name: r for r in rank_villages(db.session, period)}["联合村"]
        score = result.score_of("assistance")
        return score.numerator, score.denominator

    with app.app_context():
        assert assistance(periods[1]) == (0, 0)
    commit(app, [row(number, "王小明", head="王大山")])
    with app.app_context():
        assert db.session.get(Household, world.household_a).is_poverty_alleviated
        assert assistance(periods[1]) == (0, 1)
        assert assistance(periods[0]) == (0, 0)


# --- Item 10: a new child named without a school is 待核实 -------------------------------------


def test_a_new_child_without_a_school_is_registered_pending_and_counts_in_n(app, world):
    """联合村 has 王小明 (in school). The 县扶贫办's list names 赵小燕 with no school or
    grade: she is registered 待核实 from the list date (she was refused before), so
    2026年度 入学率 for 联合村 is 1/2 (in N, not enrolled), −3 for the one short → 12."""
    fresh = new_id()
    (result,) = plan_of(app, [row(fresh, "赵小燕", school="", grade="")]).rows
    assert result.action == RowAction.CREATE and not result.errors
    batch = commit(app, [row(fresh, "赵小燕", school="", grade="")])
    with app.app_context():
        child = child_by_number(fresh)
        assert child.status == ChildStatus.PENDING and child.school is None
        (history,) = db.session.scalars(
            select(ChildStatusChange).where(ChildStatusChange.child_id == child.id)
        ).all()
        assert (history.to_status, history.effective_on) == (ChildStatus.PENDING, LIST_DATE)
        assert history.note == f"名单导入：帮扶对象名单“名单.xlsx”（批次#{batch.id}）"
        period = f.make_period()
        db.session.flush()
        result = {r.name: r for r in rank_villages(db.session, period)}["联合村"]
        enrolment = result.score_of("enrolment")
        assert (enrolment.numerator, enrolment.denominator, enrolment.score) == (1, 2, 12)
        db.session.rollback()


def test_a_known_child_named_without_a_school_keeps_status_and_school(app, world):
    with app.app_context():
        number = db.session.get(Child, world.child_a).id_number
    (result,) = plan_of(app, [row(number, "王小明", school="", grade="")]).rows
    # Marked 家庭经济困难 and its household 脱贫户; status, school and grade untouched.
    assert result.action == RowAction.UPDATE
    assert set(result.changes) == {"家庭经济困难", "户类别"}
