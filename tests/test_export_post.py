"""Archived exports are produced by POST with the CSRF token, never by a GET (issue 11
item 13): a link or an image on any page could otherwise issue workbooks in a user's name."""

from __future__ import annotations

from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import ExportRecord
from tests.factories import make_period
from tests.forms import forms_of
from tests.helpers import export


def test_workbooks_are_not_stored_by_the_browser(client_as, world):
    response = export(client_as(Role.CLERK), "/admin/child/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def export_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ExportRecord.id)))


def test_a_list_export_is_a_post_form_with_the_token(app, client_as, world):
    clerk = client_as(Role.CLERK)
    page = clerk.get("/admin/child/?search=王")
    form = next(f for f in forms_of(page) if "/export/" in (f.attrs.get("action") or ""))
    assert form.method == "post" and form.value("csrf_token")
    assert "search=" in form.action  # the list's query goes along
    # A link cannot produce an archived export: GET is refused, nothing is written.
    assert clerk.get("/admin/child/export/xlsx/").status_code == 405
    assert clerk.post("/admin/child/export/xlsx/").status_code == 400
    assert export_count(app) == 0
    assert form.submit(clerk).status_code == 200
    assert export_count(app) == 1


def test_the_ranking_export_is_a_post(app, client_as, world):
    with app.app_context():
        period_id = make_period().id
        db.session.commit()
    clerk = client_as(Role.CLERK)
    assert clerk.get(f"/admin/ranking/export?period={period_id}").status_code == 405
    token = {"csrf_token": "forged"}
    assert clerk.post(f"/admin/ranking/export?period={period_id}", data=token).status_code == 400
    assert export_count(app) == 0
    response = export(clerk, f"/admin/ranking/?period={period_id}")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert export_count(app) == 1
    # Downloading an archived file again stays a GET: it issues nothing new.
    with app.app_context():
        record_id = db.session.scalar(select(ExportRecord.id))
    assert clerk.get(f"/admin/reports/download/{record_id}").status_code == 200
    assert export_count(app) == 1


def test_405_is_a_chinese_page(client_as, world):
    response = client_as(Role.CLERK).get("/admin/child/export/xlsx/")
    assert response.status_code == 405
    assert "请求方式不被允许" in response.get_data(as_text=True)
