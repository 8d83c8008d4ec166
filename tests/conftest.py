"""Fixtures: a fresh database per test, on SQLite by default or PostgreSQL via TEST_DATABASE_URL.

SQLite gets a new file per test. PostgreSQL gets its schema once per run and every table
truncated (identities restarted) before each test: the same fresh start, much faster.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from admin_app import create_app
from admin_app.choices import Role
from admin_app.extensions import db
from seed.reference import load_reference
from tests import factories as f
from tests.forms import Control, FormError, HtmlForm, form_of, forms_of, open_form

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
_pg_schema_ready = False


def reset_postgres_schema_flag() -> None:
    """Called by tests that drop the schema, so the next test recreates it."""
    global _pg_schema_ready
    _pg_schema_ready = False


def _fresh_postgres() -> None:
    global _pg_schema_ready
    if not _pg_schema_ready:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        _pg_schema_ready = True
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    uri = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": uri,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "EXPORTS_DIR": str(tmp_path / "exports"),
        }
    )
    with app.app_context():
        if TEST_DATABASE_URL:
            _fresh_postgres()
        else:
            db.create_all()
        load_reference(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@dataclass
class World:
    """Two villages, two schools, a child in each, and one user per role (ids only)."""

    village_a: int
    village_b: int
    school_a: int
    school_b: int
    household_a: int
    household_b: int
    child_a: int
    child_b: int
    users: dict[Role, str]


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        township = f.make_township()
        village_a = f.make_village(township, name="联合村", code="430121100201")
        village_b = f.make_village(township, name="新华村", code="430121100202")
        school_a = f.make_school(township, name="联合乡中心小学")
        school_b = f.make_school(township, name="新华小学")
        household_a = f.make_household(village_a, head_name="王大山")
        household_b = f.make_household(village_b, head_name="李长河")
        child_a = f.make_child(
            name="王小明", village=village_a, household=household_a, school=school_a
        )
        child_b = f.make_child(
            name="李小红", village=village_b, household=household_b, school=school_b
        )
        users = {}
        for role in Role:
            extra: dict[str, Any] = {}
            if role == Role.VILLAGE:
                extra["village"] = village_a
            if role == Role.SCHOOL:
                extra["school"] = school_a
            users[role] = f.make_user(role, username=role.value, **extra).username
        db.session.commit()
        return World(
            village_a=village_a.id,
            village_b=village_b.id,
            school_a=school_a.id,
            school_b=school_b.id,
            household_a=household_a.id,
            household_b=household_b.id,
            child_a=child_a.id,
            child_b=child_b.id,
            users=users,
        )


def session_token(client: FlaskClient) -> str:
    """The session's CSRF token, as every form of the panel carries it (read from the
    navbar's logout form): for posts that a test makes to check what a role may not do."""
    return form_of(client.get("/admin/"), action="logout").value("csrf_token") or ""


def login(
    client: FlaskClient, username: str, password: str = f.PASSWORD, url: str = "/admin/login/"
) -> Any:
    """Fill in the login page as a user does and press 登录."""
    form = open_form(client, url).update({"username": username, "password": password})
    return form.submit(client)


def logout(client: FlaskClient) -> Any:
    """Press 退出 in the navbar."""
    return form_of(client.get("/admin/"), action="logout").submit(client)


@pytest.fixture
def client_as(app: Flask, world: World) -> Callable[[Role], FlaskClient]:
    """A logged-in client for a role of the world (a new client per call)."""

    def make(role: Role) -> FlaskClient:
        client = app.test_client()
        response = login(client, world.users[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


def export(client: FlaskClient, page_url: str, action: str = "/export") -> Any:
    """Press a page's export button as a browser does: its form POSTs the CSRF token to
    the export URL, which carries the page's own query (a list's filters, search, sort)."""
    return open_form(client, page_url, action=action).submit(client)


def fetch(app: Flask, model: type, pk: int) -> Any:
    with app.app_context():
        return db.session.get(model, pk)


def submit(client: FlaskClient, url: str, changes: dict[str, Any] | None = None) -> Any:
    """Open a create/edit page, keep what it shows, apply ``changes``, and post it back
    as a browser does (every control in document order); None removes a control."""
    form = open_form(client, url)
    for key, value in (changes or {}).items():
        if value is None:
            form.remove(key)
        else:
            form.set(key, value)
    return form.submit(client)


def row_delete_form(client: FlaskClient, list_url: str, pk: int) -> HtmlForm:
    """The delete button of one row of a list page (Flask-Admin's row action form)."""
    page = client.get(list_url)
    assert page.status_code == 200, (list_url, page.status_code)
    found = [
        form
        for form in forms_of(page, list_url)
        if form.action.endswith("/delete/") and form.value("id") == str(pk)
    ]
    if not found:
        raise FormError(f"no delete button for row {pk} on {list_url}")
    return found[0]


ROW_CHECKBOX = re.compile(r'<input[^>]*\bname="rowid"[^>]*>')
MENU_ACTION = re.compile(r'data-model-action="([^"]+)"')


def bulk_action_form(
    client: FlaskClient, list_url: str, action: str, ticked: list[int]
) -> HtmlForm:
    """A list page's bulk-action form as Flask-Admin's script fills it: the action picked
    from the menu and, appended to the hidden form, a copy of each ticked row's box.
    Only actions the menu offers and rows the page shows can be picked."""
    page = client.get(list_url)
    assert page.status_code == 200, (list_url, page.status_code)
    html = page.get_data(as_text=True)
    form = form_of(page, list_url, action="/action/")
    menu = MENU_ACTION.findall(html)
    if action not in menu:
        raise FormError(f"the menu offers no action {action!r}; it offers {menu}")
    form.set("action", action)
    boxes = {
        value.group(1)
        for tag in ROW_CHECKBOX.findall(html)
        if (value := re.search(r'\bvalue="([^"]*)"', tag))
    }
    for pk in ticked:
        if str(pk) not in boxes:
            raise FormError(f"row {pk} has no box on {list_url}; rows: {sorted(boxes)}")
        form.controls.append(Control("input", "checkbox", "rowid", str(pk), checked=True))
    return form


def tick_only(form: HtmlForm, name: str, values: list[str]) -> HtmlForm:
    """Tick exactly these boxes of a group of checkboxes named ``name``, untick the rest."""
    boxes = [c for c in form.named(name) if c.kind == "checkbox"]
    missing = set(values) - {c.value for c in boxes}
    if missing:
        raise FormError(f"{name!r} has no box with value {sorted(missing)}")
    for box in boxes:
        box.checked = box.value in values
    return form


def forge_entry(form: HtmlForm, name: str, value: Any) -> HtmlForm:
    """Add one more entry a browser could not send (a forged id beside the real ones);
    ``HtmlForm.force`` replaces a control, this one adds to it."""
    form.controls.append(Control("input", "hidden", name, str(value)))
    return form


def post_elsewhere(form: HtmlForm, url: str) -> HtmlForm:
    """Post the form to another address: a forged id in the URL, as a hostile user
    would edit the action of a form they have."""
    form.attrs["action"] = url
    return form


def field_errors(response: Any) -> list[str]:
    """The messages shown next to fields."""
    return re.findall(r"<li>([^<]+)</li>", response.get_data(as_text=True))


def view_of(app: Flask, endpoint: str) -> Any:
    admin = app.extensions["admin"][0]
    return next(v for v in admin._views if v.endpoint == endpoint)


def inline_cell(client: FlaskClient, list_url: str, pk: int, name: str) -> dict[str, str]:
    """What the list page's inline edit (x-editable + panel.js) posts for one cell besides
    its value: the row's key, the cell's CSRF token and the row's version as shown."""
    html = client.get(list_url).get_data(as_text=True)
    for tag in re.findall(r"<a\s[^>]*>", html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attrs.get("data-pk") == str(pk) and attrs.get("name") == name:
            return {
                "list_form_pk": str(pk),
                "csrf_token": attrs["data-csrf"],
                "version": attrs["data-version"],
            }
    raise AssertionError(f"no inline-edit cell {name!r} for row {pk} on {list_url}")
