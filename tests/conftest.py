"""Fixtures: a fresh database per test, on SQLite by default or PostgreSQL via TEST_DATABASE_URL.

SQLite gets a new file per test. PostgreSQL gets its schema once per run and every table
truncated (identities restarted) before each test: the same fresh start, much faster.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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
from tests.helpers import World, login

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


@pytest.fixture
def client_as(app: Flask, world: World) -> Callable[[Role], FlaskClient]:
    """A logged-in client for a role of the world (a new client per call)."""

    def make(role: Role) -> FlaskClient:
        client = app.test_client()
        response = login(client, world.users[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
