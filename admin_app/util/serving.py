"""Serving the panel on a township intranet: waitress, an optional reverse proxy, a log file.

waitress is a production WSGI server in pure Python: it runs the same on the Linux server
of a county IT office and on the Windows PC many townships have, needs no compiler and no
C library, and serves a panel of a few dozen concurrent clerks comfortably with threads.
``make run`` stays the demo on Flask's development server.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from ..extensions import db
from ..models import User
from .files import private_folder
from .siteflags import is_demo_database

#: Secrets that appear in this repository's tests and examples: anyone can read them.
KNOWN_SECRETS = frozenset(
    {"dev", "development", "secret", "change-me", "test-secret-key", "browser-suite-secret"}
)
MIN_SECRET_LENGTH = 32


def serving_problems(app: Flask) -> list[str]:
    """Why this installation must not be served on a network; empty when it may.

    A known or short SECRET_KEY lets anyone forge a session; demo accounts have their
    passwords in the README. Both are fine only in a demo database, which holds no child.
    """
    with app.app_context():
        if is_demo_database(db.session):
            return []
        problems = []
        secret = str(app.config.get("SECRET_KEY") or "")
        if secret in KNOWN_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            problems.append(
                f"SECRET_KEY 是开发用的或太短（至少 {MIN_SECRET_LENGTH} 个字符）："
                "请删去该设置以使用 instance/secret_key 中自动生成的密钥，"
                "或设置一个足够长的随机值。"
            )
        demo = db.session.scalars(
            select(User.username).where(User.is_demo.is_(True), User.active.is_(True))
        ).all()
        if demo:
            problems.append(
                f"演示账号（{'、'.join(demo)}）仍可登录，其密码写在 README 里："
                "请用 create-user 建立正式账号，并在“用户”中停用演示账号。"
            )
        return problems


def trust_proxies(app: Flask) -> None:
    """Take the client's address from X-Forwarded-For, but only behind a proxy we run.

    Without a proxy the header is whatever a client writes, and the login lockout and the
    audit log would believe it; ``TRUSTED_PROXIES`` counts the proxies in front (nginx: 1).
    """
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def log_to_file(app: Flask) -> Path:
    """Requests and errors go to a rotating file (10 × 10 MB), private to the panel's user."""
    path = Path(app.config["LOG_FILE"])
    private_folder(path.parent)
    handler = RotatingFileHandler(path, maxBytes=10 * 1024 * 1024, backupCount=10, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    handler.set_name("kongchuo-log-file")
    for name in ("waitress", app.logger.name):
        logger = logging.getLogger(name)
        # One file handler per logger, even when serve is set up twice in one process.
        for old in [h for h in logger.handlers if h.get_name() == handler.get_name()]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    path.chmod(0o600)
    return path


def log_requests(app: Flask) -> None:
    """One line per request in the log file: who asked for what, from where, and the answer.

    waitress itself logs only its own errors; an information officer asked "who deleted
    this at noon" or "why was it slow" needs the request lines beside the errors.
    """
    access = logging.getLogger(app.logger.name + ".access")

    @app.after_request
    def _log(response):
        user = current_user.get_id() if current_user and current_user.is_authenticated else "-"
        access.info(
            "%s user=%s %s %s %s",
            request.remote_addr,
            user,
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
        )
        return response
