"""Configuration from the environment, with safe defaults for a single-machine install."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .reports.tables import MAX_ROWS, MAX_UNPACKED_BYTES
from .util.dates import PINNED_TODAY_VARIABLE, local_today
from .util.files import create_sqlite_file, private_folder


def secret_key_from_instance(instance_path: str) -> str:
    """Read the key generated on first start, or generate it once.

    A constant in code would let anyone who reads the repository forge sessions and
    CSRF tokens; a key generated per install and kept in ``instance/`` does not.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def check_pinned_today() -> None:
    """Refuse to start on a mistyped pinned day rather than fail on every page later."""
    try:
        local_today()
    except ValueError:
        value = os.environ[PINNED_TODAY_VARIABLE]
        raise RuntimeError(
            f"{PINNED_TODAY_VARIABLE}={value!r}: expected a date as YYYY-MM-DD"
        ) from None


def env_flag(name: str) -> bool:
    """A yes/no setting from the environment: 1, true, yes or on mean yes."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    # instance/ holds the database, the secret key and stored uploads: the owner's alone.
    private_folder(Path(app.instance_path))
    default_db = "sqlite:///" + str(Path(app.instance_path) / "kongchuo.db")
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", default_db),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        # Flask-WTF checks the token of every POST (model forms, inline edit, actions,
        # custom screens, logout): one mechanism, so no form can carry a second token.
        WTF_CSRF_CHECK_DEFAULT=True,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Set SESSION_COOKIE_SECURE=1 when the panel is served over HTTPS: the session
        # cookie is then never sent over plain HTTP.
        SESSION_COOKIE_SECURE=env_flag("SESSION_COOKIE_SECURE"),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=env_flag("SESSION_COOKIE_SECURE"),
        # A session ends after this long without a request, and this long after login.
        SESSION_IDLE_MINUTES=int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        SESSION_MAX_HOURS=int(os.environ.get("SESSION_MAX_HOURS", "12")),
        # Lockout (admin_app.access.lockout): failures before an account, or a client address, is
        # locked, and the first lock's length (each further lock in a row doubles it).
        LOGIN_MAX_FAILURES=5,
        LOGIN_IP_MAX_FAILURES=10,
        LOGIN_LOCK_MINUTES=15,
        LOGIN_MAX_LOCK_HOURS=24,
        TOWNSHIP_NAME=os.environ.get("TOWNSHIP_NAME", "联合乡"),
        PASSWORD_HASH_METHOD=None,  # werkzeug's default (scrypt); tests use a cheap one
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        # Lists clerks import: 10 MB holds well over 100,000 rows of .xlsx.
        IMPORT_MAX_BYTES=10 * 1024 * 1024,
        # Rows a list may have, and bytes its workbook's sheets may unpack to: a list
        # is judged in memory, and a 10 MB .xlsx can unpack to gigabytes.
        IMPORT_MAX_ROWS=MAX_ROWS,
        IMPORT_MAX_UNPACKED_BYTES=MAX_UNPACKED_BYTES,
        IMPORT_DIR=os.environ.get("IMPORT_DIR", str(Path(app.instance_path) / "imports")),
        # Archive of issued workbooks (exports/<year>/<name>.xlsx), at the project root.
        EXPORTS_DIR=os.environ.get("EXPORTS_DIR", str(Path(app.root_path).parent / "exports")),
        # `flask backup` archives (database, exports, uploads); the newest BACKUP_KEEP stay.
        BACKUP_DIR=os.environ.get("BACKUP_DIR", str(Path(app.instance_path) / "backups")),
        BACKUP_KEEP=int(os.environ.get("BACKUP_KEEP", "30")),
        # Proxies in front of the panel whose X-Forwarded-For is believed (nginx alone: 1).
        TRUSTED_PROXIES=int(os.environ.get("TRUSTED_PROXIES", "0")),
        # `flask serve` logs requests and errors here (rotated, 10 × 10 MB).
        LOG_FILE=os.environ.get("LOG_FILE", str(Path(app.instance_path) / "logs" / "panel.log")),
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    check_pinned_today()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secret_key_from_instance(
            app.instance_path
        )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    create_sqlite_file(uri, app.instance_path)
    # Accept the common `postgresql://` spelling and use psycopg 3, the driver we ship.
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL lets readers work while a clerk saves; SQLite leaves foreign keys off by default."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
