"""The scope rules themselves (admin_app/access/scope.py) and the filter options built on them
(admin_app/views/options.py), read straight from the database without pages: which rows of
each table every role reaches. Fast enough to run for every mutant (docs/dev/testing.md).

The rows are laid out so that each rule's wrong neighbours give another answer: a child of
村A attends 学校B, a child of 村B attends 学校A without a household, a household plan and a
child plan of the same household, and a table with no rule (考核周期).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import select

from admin_app.access.scope import apply_scope, is_township_wide
from admin_app.choices import (
    AgreementLevel,
    AgreementLine,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    Accountability,
    AssessmentPeriod,
    AssistancePlan,
    AssistanceRecord,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    Household,
    Inspection,
    InspectionScore,
    Notice,
    ResponsibilityAgreement,
    School,
    User,
    Village,
)
from admin_app.views import options
from tests import factories as f

TOWNSHIP_ROLES = [Role.ADMIN, Role.CLERK, Role.LEADER, Role.INSPECTOR]


@pytest.fixture
def rows(app: Flask) -> dict[str, Any]:
    """Names → ids of the rows below, and of the users ``cadre`` (村A), ``cadre_b`` (村B),
    ``teacher`` (学校A) and one per township role."""
    with app.app_context():
        township = f.make_township()
        village_a = f.make_village(township, name="村A")
        village_b = f.make_village(township, name="村B")
        school_a = f.make_school(township, name="学校A")
        school_b = f.make_school(township, name="学校B")
        home_a = f.make_household(village_a)
        home_b = f.make_household(village_b)
        pupil = f.make_child(village=village_a, household=home_a, school=school_a)
        other = f.make_child(village=village_b, household=home_b, school=school_b)
        sibling = f.make_child(village=village_a, household=home_a, school=school_b)
        newcomer = f.make_child(village=village_b, household=None, school=school_a)
        children = {"pupil": pupil, "other": other, "sibling": sibling, "newcomer": newcomer}
        made: dict[str, Any] = {
            "village_a": village_a,
            "village_b": village_b,
            "school_a": school_a,
            "school_b": school_b,
            "home_a": home_a,
            "home_b": home_b,
            **children,
        }
        period = f.make_period()
        made["period"] = period
        for key, child in children.items():
            made[f"record_{key}"] = f.make_assistance(child)
            case = made[f"case_{key}"] = f.make_case(child)
            made[f"visit_{key}"] = f.make_visit(case)
            made[f"notice_{key}"] = f.make_notice(case)
            made[f"event_{key}"] = f.make_case_event(case)
        made["plan_pupil"] = f.make_plan(child=pupil)
        made["plan_sibling"] = f.make_plan(child=sibling)
        made["plan_home_a"] = f.make_plan(household=home_a)
        made["plan_home_b"] = f.make_plan(household=home_b)
        made["agreement_a"] = f.make_agreement(village=village_a)
        made["agreement_b"] = f.make_agreement(village=village_b)
        for key, school in (("agreement_school_a", school_a), ("agreement_school_b", school_b)):
            made[key] = f.make_agreement(
                village=None,
                school=school,
                line=AgreementLine.SCHOOL,
                level=AgreementLevel.SCHOOL_TEACHER,
            )
        item = f.make_item()
        for key, village in (("a", village_a), ("b", village_b)):
            inspection = made[f"inspection_{key}"] = f.make_inspection(village, period)
            made[f"score_{key}"] = f.make_score(inspection, item)
            made[f"accountability_{key}"] = f.make_accountability(village, period)
        users = {
            "cadre": f.make_user(Role.VILLAGE, village=village_a),
            "teacher": f.make_user(Role.SCHOOL, school=school_a),
            "cadre_b": f.make_user(Role.VILLAGE, village=village_b),
        }
        for role in TOWNSHIP_ROLES:
            users[role.value] = f.make_user(role)
        db.session.commit()
        ids = {key: row.id for key, row in made.items()}
        ids.update({key: user.id for key, user in users.items()})
        for key, child in children.items():  # registering a child wrote its first change
            ids[f"change_{key}"] = db.session.scalar(
                select(ChildStatusChange.id).where(ChildStatusChange.child_id == child.id)
            )
        return ids


def reached(model: type, user: Any, *, legacy: bool = False) -> set[int]:
    """Ids of ``model`` the user reaches, through a 2.0 select or a legacy query."""
    if legacy:
        return {pk for (pk,) in apply_scope(db.session.query(model.id), model, user)}
    return set(db.session.scalars(apply_scope(select(model.id), model, user)))


#: (model, what the village cadre of 村A reaches, what the user of 学校A reaches)
EXPECTED = [
    (Child, {"pupil", "sibling"}, {"pupil", "newcomer"}),
    (Household, {"home_a"}, {"home_a"}),
    (Village, {"village_a"}, {"village_a", "village_b"}),
    (School, {"school_a", "school_b"}, {"school_a"}),
    (ChildStatusChange, {"change_pupil", "change_sibling"}, {"change_pupil", "change_newcomer"}),
    (ResponsibilityAgreement, {"agreement_a"}, {"agreement_school_a"}),
    (AssistancePlan, {"plan_pupil", "plan_sibling", "plan_home_a"}, {"plan_pupil", "plan_home_a"}),
    (AssistanceRecord, {"record_pupil", "record_sibling"}, {"record_pupil", "record_newcomer"}),
    (DropoutCase, {"case_pupil", "case_sibling"}, {"case_pupil", "case_newcomer"}),
    (CaseVisit, {"visit_pupil", "visit_sibling"}, {"visit_pupil", "visit_newcomer"}),
    (Notice, {"notice_pupil", "notice_sibling"}, {"notice_pupil", "notice_newcomer"}),
    (CaseEvent, {"event_pupil", "event_sibling"}, {"event_pupil", "event_newcomer"}),
    (Inspection, {"inspection_a"}, set()),
    (InspectionScore, {"score_a"}, set()),
    (Accountability, {"accountability_a"}, set()),
    (AssessmentPeriod, set(), set()),  # no rule: nothing for a local user
]


def every_row(model: type) -> set[int]:
    return set(db.session.scalars(select(model.id)))


def test_each_table_is_scoped_for_local_users(app, rows):
    with app.app_context():
        cadre, teacher = db.session.get(User, rows["cadre"]), db.session.get(User, rows["teacher"])
        for model, village_sees, school_sees in EXPECTED:
            for user, seen in ((cadre, village_sees), (teacher, school_sees)):
                ids = {rows[key] for key in seen}
                assert reached(model, user) == ids, (model.__name__, user.role)
                assert reached(model, user, legacy=True) == ids, (model.__name__, user.role)
            # The control: the table holds rows that one of them does not reach.
            assert any(
                every_row(model) - {rows[key] for key in seen}
                for seen in (village_sees, school_sees)
            ), model.__name__


def test_township_roles_reach_every_row(app, rows):
    with app.app_context():
        for role in TOWNSHIP_ROLES:
            user = db.session.get(User, rows[role.value])
            assert is_township_wide(user), role
            for model, _, _ in EXPECTED:
                assert reached(model, user) == every_row(model), (model.__name__, role)
                assert reached(model, user, legacy=True) == every_row(model), (model.__name__, role)


def test_local_roles_are_not_township_wide(app, rows):
    with app.app_context():
        for who in ("cadre", "teacher"):
            assert not is_township_wide(db.session.get(User, rows[who]))


def test_nobody_signed_in_reaches_nothing(app, rows):
    with app.app_context():
        clerk = db.session.get(User, rows["clerk"])
        # A township role that is not signed in (a stale session's user) reaches nothing,
        # and neither does no user at all.
        signed_out = SimpleNamespace(role=clerk.role, is_authenticated=False)
        # Nor does anything that is not a login user (a row passed by mistake).
        not_a_login = SimpleNamespace(role=clerk.role)
        for model, _, _ in EXPECTED:
            assert reached(model, signed_out) == set(), model.__name__
            assert reached(model, not_a_login) == set(), model.__name__
            assert reached(model, None) == set(), model.__name__
        # The control: the same role signed in reaches the rows.
        assert reached(Child, clerk) == every_row(Child)


def options_as(app: Flask, user_id: int) -> dict[str, list[tuple[int, str]]]:
    with app.test_request_context():
        login_user(db.session.get(User, user_id))
        return {
            "village": [tuple(pair) for pair in options.village_options()],
            "school": [tuple(pair) for pair in options.school_options()],
            "period": [tuple(pair) for pair in options.period_options()],
        }


def test_filter_options_follow_each_users_scope(app, rows):
    with app.app_context():
        # Added last, of another township, but sorting first: the lists' order is the
        # query's, not the rows' nor an index's (村 and 学校 are unique by township, name).
        township = f.make_township(name="新乡", code="430121200000")
        first_village = f.make_village(township, name="村0").id
        first_school = f.make_school(township, name="学校0").id
        older = f.make_period(
            name="2025年度", start_on=dt.date(2025, 1, 1), end_on=dt.date(2025, 12, 31)
        ).id
        newer = f.make_period(
            name="2027年度", start_on=dt.date(2027, 1, 1), end_on=dt.date(2027, 12, 31)
        ).id
        db.session.commit()
    village_0, village_a, village_b = (
        (first_village, "村0"),
        (rows["village_a"], "村A"),
        (rows["village_b"], "村B"),
    )
    school_0, school_a, school_b = (
        (first_school, "学校0"),
        (rows["school_a"], "学校A"),
        (rows["school_b"], "学校B"),
    )
    every_school = [school_0, school_a, school_b]
    # 全县部署: villages of several townships are named with their township.
    named = [
        (key, f"{name}（{town}）")
        for (key, name), town in zip(
            (village_0, village_a, village_b), ("新乡", "联合乡", "联合乡"), strict=True
        )
    ]
    expected = {
        "clerk": (named, every_school),
        "cadre": ([village_a], every_school),
        "cadre_b": ([village_b], every_school),
        "teacher": ([village_a, village_b], [school_a]),  # the villages of its pupils
    }
    periods = [(newer, "2027年度"), (rows["period"], "2026年度"), (older, "2025年度")]
    # Asked in turn within one data version, twice, so a cache keyed on less than the
    # scope would answer one user with another's list.
    for _ in range(2):
        for who, (villages, schools) in expected.items():
            got = options_as(app, rows[who])
            assert (got["village"], got["school"]) == (villages, schools), who
            assert got["period"] == periods, who  # latest first, unscoped


def test_period_range(app, rows):
    with app.app_context():
        assert options.period_range(rows["period"]) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        assert options.period_range(rows["period"] + 99) == (None, None)
