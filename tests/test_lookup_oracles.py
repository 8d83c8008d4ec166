"""Masked roles cannot test whether an ID or phone number exists; a duplicate outside
the user's scope is not named (issue 11, item 3)."""

from __future__ import annotations

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, Household
from tests.forms import open_form
from tests.helpers import field_errors


def numbers(app, world) -> tuple[str, str]:
    with app.app_context():
        household = db.session.get(Household, world.household_b)
        household.phone = "13912345678"
        db.session.commit()
        return db.session.get(Child, world.child_b).id_number, household.phone


def test_masked_roles_find_nobody_by_a_full_number(app, client_as, world):
    id_number, phone = numbers(app, world)
    for role in (Role.LEADER, Role.INSPECTOR):
        client = client_as(role)
        children = client.get("/admin/child/", query_string={"search": id_number})
        assert "李小红" not in children.get_data(as_text=True)
        households = client.get("/admin/household/", query_string={"search": phone})
        assert "李长河" not in households.get_data(as_text=True)
        # The control: a name prefix still finds them.
        by_name = client.get("/admin/child/", query_string={"search": "李小"})
        assert "李小红" in by_name.get_data(as_text=True)
    clerk = client_as(Role.CLERK)
    found = clerk.get("/admin/child/", query_string={"search": id_number})
    assert "李小红" in found.get_data(as_text=True)
    found = clerk.get("/admin/household/", query_string={"search": phone})
    assert "李长河" in found.get_data(as_text=True)


def test_a_duplicate_outside_the_scope_is_not_named(app, client_as, world):
    id_number, _ = numbers(app, world)
    village = client_as(Role.VILLAGE)
    form = open_form(village, "/admin/child/new/")
    form.update({"name": "重复者", "id_number": id_number, "stage": "primary", "grade": "3"})
    errors = " ".join(field_errors(form.submit(village)))
    assert "该身份证号已登记（不在您的管辖范围内）" in errors
    assert "新华村" not in errors and "儿童编号" not in errors
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/child/new/")
    form.update({"name": "重复者", "id_number": id_number, "village": world.village_a})
    assert f"该身份证号已登记在新华村（儿童编号{world.child_b}）" in field_errors(
        form.submit(clerk)
    )
