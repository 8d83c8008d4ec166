"""Every number that embeds an ID number is masked wherever the ID number is (issue 11,
items 1 and 2): 学籍号 (G + ID) and 残疾证号 (ID + two digits) on screens, list exports
and reports; and a masked file never repeats a full number from the search box."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, ExportRecord
from tests.forms import open_form
from tests.helpers import export


def give_numbers(app, world) -> str:
    """学籍号 and 残疾证号 as schools and the 残联 issue them; returns the ID number."""
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        child.student_no = "G" + child.id_number
        child.disability_cert_no = child.id_number + "42"
        db.session.commit()
        return child.id_number


def cells(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def test_screens_mask_numbers_that_embed_the_id_number(app, client_as, world):
    id_number = give_numbers(app, world)
    url = f"/admin/child/details/?id={world.child_a}"
    masked = id_number[:6] + "********" + id_number[-4:]
    for role in (Role.LEADER, Role.INSPECTOR):
        html = client_as(role).get(url).get_data(as_text=True)
        assert id_number not in html, role
        assert masked in html, role  # the record is shown, its numbers masked
    clerk = client_as(Role.CLERK).get(url).get_data(as_text=True)
    assert "G" + id_number in clerk and id_number + "42" in clerk


def test_the_children_ledger_of_a_leader_holds_no_full_id_number(app, client_as, world):
    id_number = give_numbers(app, world)
    leader = client_as(Role.LEADER)
    response = open_form(leader, "/admin/reports/").set("report", "children").submit(leader)
    assert response.status_code == 200
    text = cells(response.get_data())
    assert "王小明" in text and id_number not in text
    listed = export(leader, "/admin/child/")
    assert listed.status_code == 200
    text = cells(listed.get_data())
    assert "王小明" in text and id_number not in text
    # The control: the clerk's unmasked ledger holds the numbers in full.
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/reports/").set("report", "children").set("mask", False)
    assert "G" + id_number in cells(form.submit(clerk).get_data())


def test_a_masked_export_does_not_repeat_a_searched_number(app, client_as, world):
    id_number = give_numbers(app, world)
    leader = client_as(Role.LEADER)
    searched = export(leader, f"/admin/child/?search={id_number}")
    assert searched.status_code == 200
    text = cells(searched.get_data())
    assert id_number not in text and id_number[:6] in text
    with app.app_context():
        record = db.session.scalars(select(ExportRecord)).all()[-1]
        assert id_number not in str(record.filters)
    # The control: a clerk's unmasked export names the term in full.
    clerk = client_as(Role.CLERK)
    searched = export(clerk, f"/admin/child/?search={id_number}")
    assert id_number in cells(searched.get_data())
