"""Record forms in titled sections, each edit page naming whom it edits (issue 13, item 1).

The child's form was 35 fields in one column; the school user's edit page never said
whose record it was. The layout itself (two columns, one row of boxes) is checked in a
browser (tests/browser/test_forms.py); here: which sections a role gets, the heading,
and that a save from the grouped form still carries the record's version.
"""

from __future__ import annotations

import re

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, Household, Village
from tests.factories import make_inspection
from tests.forms import open_form
from tests.helpers import fetch


def sections(html: str) -> list[str]:
    return re.findall(r'<fieldset class="form-section" data-section="([^"]+)"', html)


def heading(html: str) -> str:
    found = re.search(r'<div class="record-heading" id="record-heading">(.*?)</div>', html, re.S)
    assert found, "no record heading"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_child_form_comes_in_four_sections_with_the_key_groups_in_one_row(client_as, world):
    clerk = client_as(Role.CLERK)
    html = clerk.get(f"/admin/child/edit/?id={world.child_a}").get_data(as_text=True)
    assert sections(html) == ["身份", "家庭与监护", "重点群体", "就学"]
    row = re.search(r'<div class="form-check-row-boxes">(.*?)</div></div>', html, re.S)
    assert row and row.group(1).count('type="checkbox"') == 7
    assert "留守儿童" in row.group(1) and "孤儿·事实无人抚养" in row.group(1)
    # The create form is grouped the same way.
    assert sections(clerk.get("/admin/child/new/").get_data(as_text=True))[0] == "身份"


def test_every_edit_page_names_its_record_and_a_school_sees_only_enrolment(app, client_as, world):
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        name, village = child.name, child.village.name
        household = db.session.get(Household, world.household_a)
        head = household.head_name
        inspection_id = make_inspection(db.session.get(Village, world.village_a)).id
        db.session.commit()
    school = client_as(Role.SCHOOL)
    html = school.get(f"/admin/child/edit/?id={world.child_a}").get_data(as_text=True)
    assert name in heading(html) and village in heading(html)
    assert sections(html) == ["就学"]
    clerk = client_as(Role.CLERK)
    html = clerk.get(f"/admin/household/edit/?id={world.household_a}").get_data(as_text=True)
    assert head in heading(html) and village in heading(html)
    assert sections(html) == ["户主与住址", "帮扶类别", "备注"]
    html = clerk.get(f"/admin/inspection/edit/?id={inspection_id}").get_data(as_text=True)
    assert village in heading(html)


def test_a_save_from_the_grouped_form_carries_the_version(app, client_as, world):
    school = client_as(Role.SCHOOL)
    form = open_form(school, f"/admin/child/edit/?id={world.child_a}")
    assert form.value("version") == "1"
    assert "name" not in form.names()  # identity is not the school's to change
    response = form.set("class_name", "3班").submit(school)
    assert response.status_code == 302
    assert fetch(app, Child, world.child_a).class_name == "3班"
