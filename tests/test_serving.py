"""``flask serve``: waitress, refusing an installation that is unsafe to put on a network."""

from __future__ import annotations

from pathlib import Path

import pytest
import waitress

from admin_app import create_app
from admin_app.choices import AuditAction, Role
from admin_app.extensions import db
from admin_app.models import AuditLog, User
from admin_app.util.serving import serving_problems
from admin_app.util.siteflags import DEMO_DATABASE, set_flag
from tests import factories as f
from tests.forms import open_form

STRONG = "k" * 64


@pytest.fixture
def served(monkeypatch) -> list[dict]:
    """waitress.serve replaced by a recorder: the command is tested, no socket is opened."""
    calls: list[dict] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append(kw))
    return calls


def test_a_sound_installation_is_served_with_waitress(app, runner, served, tmp_path) -> None:
    app.config.update(SECRET_KEY=STRONG, LOG_FILE=str(tmp_path / "logs" / "panel.log"))
    result = runner.invoke(args=["serve", "--host", "0.0.0.0", "--port", "8123", "--threads", "4"])
    assert result.exit_code == 0, result.output
    assert served == [{"host": "0.0.0.0", "port": 8123, "threads": 4, "ident": "kongchuo"}]
    log = tmp_path / "logs" / "panel.log"
    assert log.exists() and oct(log.stat().st_mode & 0o777) == "0o600"
    # Each request is a line in the log, with the client's address and the answer.
    app.test_client().get("/admin/login/?next=/admin/")
    assert "127.0.0.1 user=- GET /admin/login/?next=/admin/ 200" in log.read_text()


def test_a_development_secret_or_a_demo_account_refuses_to_start(app, runner, served) -> None:
    with app.app_context():
        f.make_user(Role.ADMIN, username="admin", is_demo=True)
        db.session.commit()
    app.config["SECRET_KEY"] = "test-secret-key"
    result = runner.invoke(args=["serve"])
    assert result.exit_code != 0 and served == []
    assert "拒绝启动" in result.output
    assert "SECRET_KEY" in result.output and "演示账号（admin）" in result.output
    # The control: a strong key and the demo account switched off.
    app.config["SECRET_KEY"] = STRONG
    with app.app_context():
        db.session.scalar(db.select(User).filter_by(username="admin")).active = False
        db.session.commit()
    assert serving_problems(app) == []


def test_a_demo_database_may_be_served_as_it_is(app) -> None:
    app.config["SECRET_KEY"] = "test-secret-key"
    with app.app_context():
        f.make_user(Role.CLERK, username="clerk", is_demo=True)
        set_flag(db.session, DEMO_DATABASE, "1")
        db.session.commit()
    assert serving_problems(app) == []


def test_the_client_address_comes_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    for hops, expected in ((0, "127.0.0.1"), (1, "10.1.2.3")):
        proxied = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": STRONG,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.db'}",
                "TRUSTED_PROXIES": hops,
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            }
        )
        with proxied.app_context():
            db.create_all()
            db.session.query(AuditLog).delete()
            if not db.session.scalar(db.select(User).filter_by(username="clerk")):
                f.make_user(Role.CLERK, username="clerk")
            db.session.commit()
        client = proxied.test_client()
        headers = {"X-Forwarded-For": "10.1.2.3"}
        form = open_form(client, "/admin/login/").update(
            {"username": "clerk", "password": "wrong-password"}
        )
        form.submit(client, headers=headers)
        with proxied.app_context():
            failed = db.session.scalar(
                db.select(AuditLog).where(AuditLog.action == AuditAction.LOGIN_FAILED)
            )
            assert failed.ip == expected, hops
