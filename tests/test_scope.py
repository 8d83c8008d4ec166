"""Row scope of village and school users through every path a record can be reached by."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AssistanceRecord, Child, Household
from tests.factories import make_assistance
from tests.forms import open_form
from tests.helpers import (
    NEW_CHILD,
    bulk_action_form,
    export,
    field_errors,
    filter_options,
    forge_entry,
    inline_cell,
    new_child_values,
    post_elsewhere,
    row_delete_form,
    session_token,
)


@pytest.fixture
def village_user(client_as):
    return client_as(Role.VILLAGE)


@pytest.fixture
def school_user(client_as):
    return client_as(Role.SCHOOL)


def test_list_and_count_show_only_own_village(village_user, world):
    html = village_user.get("/admin/child/").get_data(as_text=True)
    assert "王小明" in html
    assert "李小红" not in html
    # The list's record count counts only the scope, too.
    assert "新华村" not in html


def test_search_cannot_reach_another_village(app, village_user, world):
    with app.app_context():
        number = db.session.get(Child, world.child_b).id_number
    html = village_user.get(f"/admin/child/?search={number}").get_data(as_text=True)
    assert "李小红" not in html
    # The control: the same search for their own child's number finds it.
    with app.app_context():
        own = db.session.get(Child, world.child_a).id_number
    html = village_user.get(f"/admin/child/?search={own}").get_data(as_text=True)
    assert "王小明" in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/child/details/?id={child}",
        "/admin/child/edit/?id={child}",
        "/admin/household/details/?id={household}",
        "/admin/household/edit/?id={household}",
    ],
)
def test_other_village_records_by_id_are_not_found(village_user, world, url):
    other = url.format(child=world.child_b, household=world.household_b)
    assert village_user.get(other).status_code == 404
    # The control: the same address with their own record's id opens.
    own = url.format(child=world.child_a, household=world.household_a)
    assert village_user.get(own).status_code == 200


def test_edit_post_to_another_village_child_changes_nothing(app, village_user, world):
    # The edit form of their own child, posted to the other child's address.
    own = f"/admin/child/edit/?id={world.child_a}"
    form = open_form(village_user, own).set("name", "篡改")
    response = post_elsewhere(form, f"/admin/child/edit/?id={world.child_b}").submit(village_user)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Child, world.child_b).name == "李小红"
    # The control: posted where the page sends it, the same form saves.
    assert (
        open_form(village_user, own).set("name", "王小明二").submit(village_user).status_code == 302
    )
    with app.app_context():
        assert db.session.get(Child, world.child_a).name == "王小明二"


def test_delete_of_another_village_child_is_refused(app, client_as, world):
    # Village cadres may not delete at all; a clerk-like scope check is shown with
    # the bulk action below. Here: the row stays.
    village_user = client_as(Role.VILLAGE)
    assert 'action="/admin/child/delete/"' not in village_user.get("/admin/child/").get_data(
        as_text=True
    )
    data = {"id": world.child_b, "csrf_token": session_token(village_user)}
    response = village_user.post("/admin/child/delete/", data=data)
    assert response.status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Child, world.child_b) is not None
    # The control: the same post by a clerk deletes the row.
    clerk = client_as(Role.CLERK)
    data = {"id": world.child_b, "csrf_token": session_token(clerk)}
    assert clerk.post("/admin/child/delete/", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Child, world.child_b) is None


def test_household_delete_of_another_village_is_not_found(app, village_user, world):
    # The delete button of their own household's row, its id forged.
    form = row_delete_form(village_user, "/admin/household/", world.household_a)
    response = form.force("id", world.household_b).submit(village_user)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Household, world.household_b) is not None
    # The control: the button as the page holds it deletes their own household.
    form = row_delete_form(village_user, "/admin/household/", world.household_a)
    assert form.submit(village_user).status_code == 302
    with app.app_context():
        assert db.session.get(Household, world.household_a) is None


def test_bulk_action_skips_rows_outside_scope(app, village_user, world):
    form = bulk_action_form(village_user, "/admin/household/", "delete", [world.household_a])
    forge_entry(form, "rowid", world.household_b)  # a row their list does not show
    response = form.submit(village_user)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Household, world.household_b) is not None
        # The selected row in scope went; only the other village's row was out of reach.
        assert db.session.get(Household, world.household_a) is None


def test_inline_edit_of_another_village_child_is_refused(app, village_user, world):
    # x-editable posts from script, not a form: by hand, with the session's token.
    token = session_token(village_user)
    response = village_user.post(
        "/admin/child/ajax/update/",
        data={"list_form_pk": world.child_b, "class_name": "9班", "csrf_token": token},
    )
    assert response.status_code in (400, 404)
    with app.app_context():
        assert db.session.get(Child, world.child_b).class_name == "1班"
    # The control: their own child's cell, posted the same way, saves.
    cell = inline_cell(village_user, "/admin/child/", world.child_a, "class_name")
    response = village_user.post("/admin/child/ajax/update/", data={**cell, "class_name": "9班"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Child, world.child_a).class_name == "9班"


def lookup(client, view, field, query=""):
    response = client.get(f"/admin/{view}/ajax/lookup/?name={field}&query={query}")
    assert response.status_code == 200
    return {label for _, label in json.loads(response.get_data(as_text=True))}


def test_pickers_offer_only_records_in_scope(village_user, world):
    assert lookup(village_user, "child", "village") == {"联合村"}
    households = lookup(village_user, "child", "household")
    assert any("王大山" in h for h in households)
    assert not any("李长河" in h for h in households)
    assert lookup(village_user, "assistance", "child") == {"王小明"}
    assert lookup(village_user, "assistance", "child", "李") == set()


def test_picking_another_village_household_in_a_form_is_refused(app, village_user, world):
    edit = f"/admin/child/edit/?id={world.child_a}"
    with app.app_context():
        db.session.get(Child, world.child_a).household_id = None
        db.session.commit()
    # The picker does not offer it, so only a forged post can carry it.
    form = open_form(village_user, edit)
    assert str(world.household_b) not in form.lookup("household")
    response = form.force("household", world.household_b).submit(village_user)
    assert response.status_code == 200
    assert field_errors(response)
    with app.app_context():
        assert db.session.get(Child, world.child_a).household_id is None
    # The control: their own household, picked from what the picker offers, is saved.
    form = open_form(village_user, edit).pick("household", world.household_a, "王")
    assert form.submit(village_user).status_code == 302
    with app.app_context():
        assert db.session.get(Child, world.child_a).household_id == world.household_a


def test_assistance_records_scoped_through_the_child(app, village_user, world):
    with app.app_context():
        own = make_assistance(db.session.get(Child, world.child_a), person="本村记录人")
        other = make_assistance(db.session.get(Child, world.child_b), person="外村记录人")
        db.session.commit()
        own_id, other_id = own.id, other.id
    html = village_user.get("/admin/assistance/").get_data(as_text=True)
    assert "王小明" in html and "李小红" not in html
    assert village_user.get(f"/admin/assistance/edit/?id={other_id}").status_code == 404
    assert village_user.get(f"/admin/assistance/edit/?id={own_id}").status_code == 200
    with app.app_context():
        assert db.session.scalar(
            select(AssistanceRecord.person).where(AssistanceRecord.id == other_id)
        )


def test_school_user_sees_only_children_of_their_school(app, school_user, world):
    html = school_user.get("/admin/child/").get_data(as_text=True)
    assert "王小明" in html and "李小红" not in html
    assert school_user.get(f"/admin/child/details/?id={world.child_b}").status_code == 404
    assert school_user.get(f"/admin/child/details/?id={world.child_a}").status_code == 200


def test_school_user_edits_enrolment_but_not_identity(app, school_user, world):
    page = school_user.get(f"/admin/child/edit/?id={world.child_a}").get_data(as_text=True)
    assert 'name="class_name"' in page
    assert 'name="id_number"' not in page
    assert 'name="guardian_phone"' not in page
    form = open_form(school_user, f"/admin/child/edit/?id={world.child_a}")
    form.update(
        {
            "school": world.school_a,
            "stage": "primary",
            "grade": "6",
            "class_name": "5班",
            "status": "enrolled",
        }
    )
    response = form.force("name", "改名").submit(school_user)  # a field the page lacks
    assert response.status_code == 302
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        assert child.class_name == "5班"
        assert child.name == "王小明"


def test_school_user_cannot_create_or_delete_children(app, client_as, school_user, world):
    assert school_user.get("/admin/child/new/").status_code == 403
    data = {"id": world.child_a, "csrf_token": session_token(school_user)}
    assert school_user.post("/admin/child/delete/", data=data).status_code == 403
    with app.app_context():
        assert db.session.get(Child, world.child_a) is not None
    # The control: a clerk opens the form and deletes the row with the same post.
    clerk = client_as(Role.CLERK)
    assert clerk.get("/admin/child/new/").status_code == 200
    data = {"id": world.child_a, "csrf_token": session_token(clerk)}
    assert clerk.post("/admin/child/delete/", data=data).status_code == 302


def test_filter_options_list_only_own_village(village_user, world):
    options = filter_options(village_user.get("/admin/child/").get_data(as_text=True))
    assert options["行政村"] == ["联合村"]  # their own village offered, the other not
    assert options["学校"] == ["新华小学", "联合乡中心小学"]  # school names are public


def test_filter_options_of_a_school_user_list_only_their_school_and_its_villages(
    school_user, world
):
    options = filter_options(school_user.get("/admin/child/").get_data(as_text=True))
    assert options["学校"] == ["联合乡中心小学"]
    assert options["行政村"] == ["联合村"]  # the villages their pupils come from


def test_builtin_export_is_off(village_user, world):
    token = {"csrf_token": session_token(village_user)}
    response = village_user.post("/admin/child/export/csv/", data=token)
    assert response.status_code in (302, 404)
    assert "李小红" not in response.get_data(as_text=True)
    # The control: the panel's own export button hands over their list.
    assert export(village_user, "/admin/child/").mimetype.endswith("spreadsheetml.sheet")


def test_village_user_creating_a_child_gets_their_village(app, village_user, world):
    form = open_form(village_user, NEW_CHILD)
    # Preset to their village, and the picker offers no other.
    assert form.value("village") == str(world.village_a)
    assert form.lookup("village") == {str(world.village_a): "联合村"}
    values = new_child_values(world)
    del values["village"]  # left as the page preset it
    assert form.update(values).submit(village_user).status_code == 302
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.name == values["name"]))
        assert child.village_id == world.village_a
