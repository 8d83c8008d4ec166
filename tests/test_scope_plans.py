"""A school reads the plans of its own pupils and of their households, not of a pupil's
sibling at another school (issue 11, item 5)."""

from __future__ import annotations

import datetime as dt

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, Household, School
from tests import factories as f


def make_plan(measures: str, *, child: Child | None, household: Household) -> int:
    return f.make_plan(child=child, household=household, measures=measures).id


def test_school_reads_plans_of_its_pupils_and_their_households_only(app, client_as, world):
    with app.app_context():
        household = db.session.get(Household, world.household_a)
        pupil = db.session.get(Child, world.child_a)
        sibling = f.make_child(
            name="王小兰",
            village=household.village,
            household=household,
            school=db.session.get(School, world.school_b),
            birth_date=dt.date(2012, 5, 1),
        )
        own = make_plan("本校学生的一人一案", child=pupil, household=household)
        family = make_plan("本校学生家庭的一家一案", child=None, household=household)
        other = make_plan("外校兄妹的一人一案", child=sibling, household=household)
        db.session.commit()
    school = client_as(Role.SCHOOL)
    listing = school.get("/admin/plan/").get_data(as_text=True)
    assert "本校学生的一人一案" in listing and "本校学生家庭的一家一案" in listing
    assert "外校兄妹的一人一案" not in listing
    assert school.get(f"/admin/plan/details/?id={own}").status_code == 200
    assert school.get(f"/admin/plan/details/?id={family}").status_code == 200
    assert school.get(f"/admin/plan/details/?id={other}").status_code == 404
    # The village cadre of that village reads all three.
    village = client_as(Role.VILLAGE).get("/admin/plan/").get_data(as_text=True)
    assert "外校兄妹的一人一案" in village
