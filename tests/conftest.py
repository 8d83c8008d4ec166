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
from tests.forms import form_of, open_form

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


def csrf_from(html: str) -> str:
    """The CSRF token of the page's form (not the navbar's logout form)."""
    token = form_of(html).value("csrf_token")
    assert token, "page carries no CSRF token"
    return token


def session_token(client: FlaskClient) -> str:
    """The session's CSRF token, as every form of the panel carries it (read from the
    navbar's logout form): for posts that a test makes to check what a role may not do."""
    return form_of(client.get("/admin/"), action="logout").value("csrf_token") or ""


def login(client: FlaskClient, username: str, password: str = f.PASSWORD) -> Any:
    page = client.get("/admin/login/")
    token = csrf_from(page.get_data(as_text=True))
    return client.post(
        "/admin/login/",
        data={"username": username, "password": password, "csrf_token": token},
    )


@pytest.fixture
def client_as(app: Flask, world: World) -> Callable[[Role], FlaskClient]:
    """A logged-in client for a role of the world (a new client per call)."""

    def make(role: Role) -> FlaskClient:
        client = app.test_client()
        response = login(client, world.users[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


def form_token(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_from(response.get_data(as_text=True))


def fetch(app: Flask, model: type, pk: int) -> Any:
    with app.app_context():
        return db.session.get(model, pk)


def read_form(html: str) -> dict[str, str]:
    """What the page's form would post, one value per name (for assertions)."""
    return form_of(html).values()


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
