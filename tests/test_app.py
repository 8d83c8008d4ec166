"""The factory's configuration: secret key, SQLite pragmas, Chinese UI, offline assets."""

from __future__ import annotations

import os
import re
import stat

import pytest
from sqlalchemy import text

from admin_app.choices import Role
from admin_app.config import secret_key_from_instance
from admin_app.extensions import db
from admin_app.util.dates import PINNED_TODAY_VARIABLE
from tests import conftest, helpers
from tests.helpers import page, submit


def test_secret_key_is_generated_once_into_instance(tmp_path):
    first = secret_key_from_instance(str(tmp_path))
    second = secret_key_from_instance(str(tmp_path))
    assert first == second and len(first) >= 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    assert secret_key_from_instance(str(tmp_path / "other")) != first


def test_database_url_from_environment(monkeypatch, tmp_path):
    from admin_app import create_app

    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.example/kongchuo")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://someone@db.example/kongchuo"
    )


def test_the_whole_run_sees_one_day_even_across_midnight():
    assert os.environ[PINNED_TODAY_VARIABLE] == helpers.TODAY.isoformat()


def test_a_pinned_day_is_the_day_the_forms_offer(monkeypatch, client_as, world):
    monkeypatch.setenv(PINNED_TODAY_VARIABLE, "2027-03-01")
    form = page(client_as(Role.CLERK), f"/admin/case/new/?child={world.child_a}")
    assert re.search(r'name="discovered_on"[^>]*value="2027-03-01"', form), form


def test_a_mistyped_pinned_day_stops_the_panel_at_start(monkeypatch):
    from admin_app import create_app

    monkeypatch.setenv(PINNED_TODAY_VARIABLE, "2027-13-01")
    with pytest.raises(RuntimeError, match="PANEL_TODAY='2027-13-01': expected a date"):
        create_app({"SECRET_KEY": "x"})


@pytest.mark.skipif(bool(conftest.TEST_DATABASE_URL), reason="SQLite pragmas")
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_flask_admin_strings_are_chinese(client_as):
    html = client_as(Role.CLERK).get("/admin/child/").get_data(as_text=True)
    for english in ("Create", "Delete", "Search", "Filter", "List"):
        assert f">{english}<" not in html
    assert "列表" in html and "搜索" in html


def test_pages_load_no_asset_from_the_internet(client_as):
    clerk = client_as(Role.CLERK)
    for url in ("/admin/", "/admin/child/", "/admin/child/new/", "/admin/login/"):
        html = clerk.get(url).get_data(as_text=True)
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        assert external == [], (url, external)


def test_lists_show_yes_and_no_in_chinese(app, client_as, world):
    from admin_app.models import Household

    with app.app_context():
        db.session.get(Household, world.household_a).is_dibao = True
        db.session.commit()
    html = client_as(Role.CLERK).get("/admin/household/").get_data(as_text=True)
    cells = re.findall(r'<td class="col-is_dibao">\s*(.*?)\s*</td>', html, re.S)
    assert sorted(cells) == ["否", "是"], cells
    assert ": true" not in html and ": false" not in html


def test_a_form_refused_by_its_field_checks_says_so_in_chinese(app, client_as):
    from admin_app.models import User

    admin = client_as(Role.ADMIN)
    taken = {"username": "clerk", "display_name": "重名", "role": "clerk", "password": "x" * 8}
    html = submit(admin, "/admin/user/new/", taken).get_data(as_text=True)
    assert "Failed to" not in html
    assert "未保存：请改正下面标出的问题。" in html and "已经存在。" in html
    with app.app_context():
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
    edit = f"/admin/user/edit/?id={clerk.id}"
    html = submit(admin, edit, {"username": "admin"}).get_data(as_text=True)
    assert "Failed to" not in html
    assert "未保存：请改正下面标出的问题。" in html and "已经存在。" in html
