"""A full disk or a stopped database: a Chinese page that says which, and nothing half-saved."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from admin_app import create_app
from admin_app.choices import Role, Sex
from admin_app.extensions import db
from admin_app.models import Child
from tests.factories import make_id_number
from tests.forms import open_form
from tests.helpers import NEW_CHILD, new_child_values, submit


def test_a_stopped_database_answers_with_a_chinese_page(tmp_path: Path) -> None:
    # Port 1 on this machine: nothing listens, as when PostgreSQL is stopped.
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k" * 64,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://root@127.0.0.1:1/nothing",
        }
    )
    client = app.test_client()
    form = open_form(client, "/admin/login/").update({"username": "clerk", "password": "x" * 12})
    page = form.submit(client)
    body = page.get_data(as_text=True)
    assert page.status_code == 503
    assert "数据库暂时无法访问" in body and "未保存任何内容" in body
    assert "Traceback" not in body and "psycopg" not in body


def test_a_full_disk_keeps_the_typing_and_saves_nothing(app, client_as, world) -> None:
    clerk = client_as(Role.CLERK)
    number = make_id_number(dt.date(2015, 6, 1), Sex.FEMALE)

    def disk_full(session: Session, context: object, instances: object) -> None:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    event.listen(Session, "before_flush", disk_full)
    try:
        page = submit(clerk, NEW_CHILD, new_child_values(world, id_number=number, name="钱小满"))
    finally:
        event.remove(Session, "before_flush", disk_full)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "服务器磁盘已满" in body and "未保存任何内容" in body
    assert "钱小满" in body  # the typing is still in the form
    with app.app_context():
        assert not db.session.scalar(select(func.count()).where(Child.id_number == number))


def test_a_full_disk_outside_a_form_is_a_chinese_page_too(app) -> None:
    @app.get("/disk-probe")
    def probe() -> str:  # as writing an upload or a workbook onto a full disk fails
        raise OSError(28, "No space left on device")

    page = app.test_client().get("/disk-probe")
    assert page.status_code == 503
    assert "服务器磁盘已满" in page.get_data(as_text=True)
