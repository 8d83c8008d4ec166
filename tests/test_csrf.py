"""Every form carries a CSRF token; a POST without one is refused and saves nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, Household
from tests.conftest import read_form


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_every_create_form_carries_a_token(client_as):
    clerk = client_as(Role.CLERK)
    for view in ("child", "household", "agreement", "assistance", "plan", "inspection", "score"):
        values = read_form(clerk.get(f"/admin/{view}/new/").get_data(as_text=True))
        assert values.get("csrf_token"), view


def test_create_without_token_saves_nothing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    values = read_form(clerk.get("/admin/household/new/").get_data(as_text=True))
    values.pop("csrf_token")
    values.update({"village": str(world.village_a), "head_name": "无令牌户"})
    before = count(app, Household)
    response = clerk.post("/admin/household/new/", data=values)
    assert response.status_code == 200
    assert count(app, Household) == before


def test_create_with_a_forged_token_saves_nothing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    values = read_form(clerk.get("/admin/household/new/").get_data(as_text=True))
    values.update(
        {
            "csrf_token": "20990101000000##forged",
            "village": str(world.village_a),
            "head_name": "伪造户",
        }
    )
    before = count(app, Household)
    clerk.post("/admin/household/new/", data=values)
    assert count(app, Household) == before


def test_token_of_another_session_is_refused(app, client_as, world):
    admin = client_as(Role.ADMIN)
    stolen = read_form(admin.get("/admin/household/new/").get_data(as_text=True))["csrf_token"]
    clerk = client_as(Role.CLERK)
    values = read_form(clerk.get("/admin/household/new/").get_data(as_text=True))
    values.update({"csrf_token": stolen, "village": str(world.village_a), "head_name": "跨会话户"})
    before = count(app, Household)
    clerk.post("/admin/household/new/", data=values)
    assert count(app, Household) == before


def test_delete_without_token_keeps_the_record(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = clerk.post("/admin/child/delete/", data={"id": world.child_a})
    assert response.status_code == 302
    assert count(app, Child) == 2


def test_bulk_delete_without_token_keeps_the_records(app, client_as, world):
    clerk = client_as(Role.CLERK)
    clerk.post(
        "/admin/child/action/",
        data={"action": "delete", "rowid": [str(world.child_a), str(world.child_b)]},
    )
    assert count(app, Child) == 2


def test_inline_edit_without_token_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = clerk.post(
        "/admin/child/ajax/update/", data={"list_form_pk": world.child_a, "class_name": "9班"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Child, world.child_a).class_name == "1班"
