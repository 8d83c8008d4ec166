"""Every form carries exactly one CSRF token; a POST without a valid one saves nothing.

Forms are posted as a browser posts them (``tests.forms``): every control in document
order, duplicates kept. A form with two tokens fails in a browser, because the check
reads the first value: the test that proves saves work is the one that posts that way.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, Household, Inspection, Village
from tests.factories import make_inspection, make_item
from tests.forms import forms_of, open_form
from tests.helpers import inline_cell, session_token
from tests.pages import reachable_pages


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("role", list(Role))
def test_every_post_form_on_every_page_carries_exactly_one_token(client_as, role):
    client = client_as(role)
    checked = 0
    for url, html in reachable_pages(client):
        for form in forms_of(html, url):
            if form.method != "post":
                continue
            tokens = [c for c in form.controls if c.name.endswith("csrf_token")]
            assert len(tokens) == 1, (url, form.attrs.get("action"), len(tokens))
            checked += 1
    assert checked > 3  # the navbar's logout form alone is one per page


def test_every_create_form_carries_a_token(client_as):
    clerk = client_as(Role.CLERK)
    for view in ("child", "household", "agreement", "assistance", "plan", "inspection", "score"):
        assert open_form(clerk, f"/admin/{view}/new/").value("csrf_token"), view


def test_a_form_posted_as_a_browser_posts_it_saves(app, client_as, world):
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/household/new/")
    form.update({"village": world.village_a, "head_name": "赵明"})
    before = count(app, Household)
    response = form.submit(clerk)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert count(app, Household) == before + 1


def test_an_inspection_with_scores_saves_from_its_edit_page(app, client_as, world):
    with app.app_context():
        item = make_item(name="双线责任书")
        inspection = make_inspection(db.session.get(Village, world.village_a))
        db.session.commit()
        inspection_id, item_id = inspection.id, item.id
    url = f"/admin/inspection/edit/?id={inspection_id}"
    inspector = client_as(Role.INSPECTOR)
    form = open_form(inspector, url).set(f"sheet_score_{item_id}", "8")
    form.set(f"sheet_reason_{item_id}", "台账不全")
    assert form.submit(inspector).status_code == 302
    form = open_form(inspector, url)
    assert form.value(f"sheet_score_{item_id}") == "8"
    response = form.set("inspectors", "钱督导").submit(inspector)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Inspection, inspection_id)
        assert saved.inspectors == "钱督导" and [s.item_id for s in saved.scores] == [item_id]


def test_create_without_token_saves_nothing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/household/new/").remove("csrf_token")
    form.update({"village": world.village_a, "head_name": "无令牌户"})
    before = count(app, Household)
    response = form.submit(clerk)
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert count(app, Household) == before


def test_create_with_a_forged_token_saves_nothing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/household/new/")
    form.update({"village": world.village_a, "head_name": "伪造户"})
    form.force("csrf_token", "20990101000000##forged")
    before = count(app, Household)
    assert form.submit(clerk).status_code == 400
    assert count(app, Household) == before


def test_token_of_another_session_is_refused(app, client_as, world):
    stolen = open_form(client_as(Role.ADMIN), "/admin/household/new/").value("csrf_token")
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/household/new/")
    form.update({"village": world.village_a, "head_name": "跨会话户"}).force("csrf_token", stolen)
    before = count(app, Household)
    assert form.submit(clerk).status_code == 400
    assert count(app, Household) == before


def test_delete_without_token_keeps_the_record(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = clerk.post("/admin/child/delete/", data={"id": world.child_a})
    assert response.status_code == 400
    assert count(app, Child) == 2
    # The control: with the session's token the same post deletes.
    data = {"id": world.child_a, "csrf_token": session_token(clerk)}
    assert clerk.post("/admin/child/delete/", data=data).status_code == 302
    assert count(app, Child) == 1


def test_bulk_delete_without_token_keeps_the_records(app, client_as, world):
    clerk = client_as(Role.CLERK)
    data = {"action": "delete", "rowid": [str(world.child_a), str(world.child_b)]}
    assert clerk.post("/admin/child/action/", data=data).status_code == 400
    assert count(app, Child) == 2
    clerk.post("/admin/child/action/", data={**data, "csrf_token": session_token(clerk)})
    assert count(app, Child) == 0


def test_inline_edit_without_token_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    data = {"list_form_pk": world.child_a, "class_name": "9班"}
    assert clerk.post("/admin/child/ajax/update/", data=data).status_code == 400
    with app.app_context():
        assert db.session.get(Child, world.child_a).class_name == "1班"
    data.update(inline_cell(clerk, "/admin/child/", world.child_a, "class_name"))
    assert clerk.post("/admin/child/ajax/update/", data=data).status_code == 200
    with app.app_context():
        assert db.session.get(Child, world.child_a).class_name == "9班"
