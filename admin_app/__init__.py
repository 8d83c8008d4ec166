"""控辍保学 admin panel: the application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from .config import load_config
from .extensions import babel, csrf, db, login_manager, migrate
from .util.dates import beijing_minute

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    # Bounded ids in routes and the refusal of control characters, before any view.
    from .util import params

    params.init_app(app)
    # JSON the panel serves (the ranking data, pickers, Flask-Admin's filter menus) is read
    # by people too: Chinese as UTF-8 characters, not \u escapes.
    app.json.ensure_ascii = False
    # Templates show stored instants (naive UTC) in Beijing time to the minute.
    app.jinja_env.filters["beijing"] = beijing_minute

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    babel.init_app(app, locale_selector=lambda: app.config["BABEL_DEFAULT_LOCALE"])
    csrf.init_app(app)
    login_manager.init_app(app)

    # history, audit and locking hook ORM flushes when imported, dataversion every write;
    # auth wires Flask-Login.
    from .access import auth
    from .assessment import dataversion  # noqa: F401
    from .util import audit, history, locking  # noqa: F401

    audit.init_app(app)
    auth.init_app(app)

    from .access import security
    from .util.siteflags import is_demo_database

    security.init_app(app)
    # The page template warns a demo account used outside a demo database.
    app.jinja_env.globals["is_demo_database"] = lambda: is_demo_database(db.session)

    from .views import build_admin

    build_admin(app)

    from .cli import register_commands

    register_commands(app)

    from .util import errors

    errors.register(app)

    @app.get("/")
    def root() -> Response:
        return redirect(url_for("admin.index"))

    from .util.serving import trust_proxies

    trust_proxies(app)
    return app
