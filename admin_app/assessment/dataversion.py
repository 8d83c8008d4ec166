"""The data version: a token that changes in the same transaction as every write, and the
per-process cache of computed screens keyed by it.

The home page and the ranking compute each village's indicators from 100,000 children
(``assessment.count_all``): half a second or more at county scale, for figures that only
change when someone saves something. So the figures are kept, per process, under the
token current when they were computed, and served again while the token is unchanged.
A write changes the token (``site_flag`` row ``data_version``, a fresh random value) in
its own transaction, so the token a reader sees and the data it reads are committed
together: a request after a commit sees the new token, misses the cache and computes
afresh. No figure is ever stale; the first request after a write pays the full cost.

What changes the token:

* every INSERT, UPDATE, DELETE, TRUNCATE or COPY that SQLAlchemy sends to a table other
  than ``UNWATCHED`` — ORM flushes, Core statements, ``exec_driver_sql`` alike — through
  an engine event (``before_cursor_execute``), once per transaction;
* ``bump`` called explicitly by the paths that write through the driver's own cursor,
  which SQLAlchemy never sees: the import's COPY/executemany (``imports.commit_plan``),
  the demo seeding; and by ``init-db`` after migrations (which run with the hook off).

A transaction that has written is never answered from the cache (nor fills it): it would
see its own uncommitted rows under a token another process could still be showing.

Why a random token and not a counter: no read-modify-write, and a token names one state of
the data — figures are filed under a token only when it was the same before and after
computing them — so a database restored from a backup carries a token that still fits
its rows (and figures cached under it).
"""

from __future__ import annotations

import re
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

T = TypeVar("T")

NAME = "data_version"
#: Tables that no cached figure reads: writing them leaves the token alone (a login
#: updates ``user_account`` and writes ``audit_log`` and must not empty the cache).
UNWATCHED = frozenset(
    {
        "alembic_version",
        "audit_log",
        "export_record",
        "login_throttle",
        "notice_counter",
        "site_flag",
        "user_account",
    }
)
#: ``Connection.info`` key: this transaction has written (and so bumped the token).
WROTE = "data_version_wrote"
#: ``Session.info`` key: (the transaction's connection, the token it read first).
READ = "data_version_read"
#: Execution option that turns the hook off (migrations: ``site_flag`` may not exist yet).
OFF = "data_version_off"
_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM"
    r"|TRUNCATE(?:\s+TABLE)?|COPY)\s+(?:ONLY\s+)?\"?(\w+)",
    re.IGNORECASE,
)
#: Entries kept per kind of value (``name``): a clerk's searches filling the count
#: estimates' share must not push the ranking, a second's work, out of its own.
CACHE_SIZE = 64


def _bump_sql() -> str:
    # Literal values (a hex token, a keyword): the same text on every driver's paramstyle.
    token = uuid.uuid4().hex
    return (
        f"INSERT INTO site_flag (name, value, set_at) VALUES ('{NAME}', '{token}', "
        "CURRENT_TIMESTAMP) ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
        "set_at = excluded.set_at"
    )


def written_table(statement: str) -> str | None:
    """The table a data-changing statement writes, lower case; None for anything else."""
    found = _WRITE.match(statement)
    return found.group(1).lower() if found else None


#: Engines whose database was found to have ``site_flag``, for the read path (one query
#: less per page); a write asks every time, since a downgrade can drop the table.
_ready: weakref.WeakSet[Engine] = weakref.WeakSet()
_TABLE_FOUND = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'site_flag'",
    "postgresql": "SELECT to_regclass('site_flag')",
}


def _has_table(conn: Connection, remembered: bool = False) -> bool:
    """Whether the database has ``site_flag`` yet: one written at an early revision, as a
    migration test does, has not, and gets no token (and so no cache)."""
    if remembered and conn.engine in _ready:
        return True
    query = _TABLE_FOUND.get(conn.dialect.name)
    if query is None:
        return True
    own = conn.connection.dbapi_connection.cursor()
    try:
        own.execute(query)
        row = own.fetchone()
    finally:
        own.close()
    found = row is not None and row[0] is not None
    if found:
        _ready.add(conn.engine)
    return found


@event.listens_for(Engine, "before_cursor_execute")
def _bump_before_write(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    if conn.info.get(WROTE):
        return
    table = written_table(statement)
    if table is None or table in UNWATCHED or conn.get_execution_options().get(OFF):
        return
    if not _has_table(conn):
        return
    # A cursor of its own on the same DBAPI connection: the same transaction, and the
    # statement about to run keeps its cursor untouched.
    own = conn.connection.dbapi_connection.cursor()
    try:
        own.execute(_bump_sql())
    finally:
        own.close()
    conn.info[WROTE] = True


def _forget_write(conn: Connection, *_: Any) -> None:
    conn.info.pop(WROTE, None)


# A new transaction has not written; a rolled-back one (or savepoint) may have lost its bump.
for _name in ("begin", "commit", "rollback", "rollback_savepoint"):
    event.listen(Engine, _name, _forget_write)


def bump(session: Session) -> None:
    """Change the token in the session's transaction: for writes SQLAlchemy does not see
    (the driver's own cursor: COPY, executemany on ``connection.cursor()``)."""
    conn = session.connection()
    conn.exec_driver_sql(_bump_sql())
    conn.info[WROTE] = True


def current(session: Session) -> str | None:
    """The token, or None when the cache must not be used: no token yet (nothing has been
    written since the database was created), or this transaction has written.

    Read once per transaction of the session: a list page asks for it three times (its
    filter options, its count) and each read is a round trip. A commit or rollback ends
    the transaction and the next call reads again. Within one transaction another
    process's commit can make the kept token older than the rows (READ COMMITTED):
    what it answers from the cache is then the state just before, whole, and ``cached``
    files nothing under it, since it checks the token afresh after computing.
    """
    conn = session.connection()
    if not _usable(conn):
        return None
    # The session's connection is its transaction's: a new transaction, a new one.
    kept = session.info.get(READ)
    if kept is not None and kept[0] is conn:
        return kept[1]
    token = _read(conn)
    session.info[READ] = (conn, token)
    return token


def _fresh(session: Session) -> str | None:
    """The token as committed now (``current`` without the per-transaction read)."""
    conn = session.connection()
    return _read(conn) if _usable(conn) else None


def _usable(conn: Connection) -> bool:
    """A token to key on exists, and this transaction has not written."""
    return not conn.info.get(WROTE) and _has_table(conn, remembered=True)


def _read(conn: Connection) -> str | None:
    return conn.exec_driver_sql(f"SELECT value FROM site_flag WHERE name = '{NAME}'").scalar()


_caches: dict[str, OrderedDict[Hashable, Any]] = {}
_lock = threading.Lock()
_MISSING = object()


def cached(session: Session, name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned for the same ``name`` and ``key`` under the
    current token. The value is shared between requests: callers must not change it.

    The token is read before and after computing, and the figures are kept only if it
    did not change: each statement sees the latest commit (PostgreSQL's READ COMMITTED;
    pysqlite opens no transaction for reads), so figures computed while a write
    committed may mix the two states and belong to neither token.
    """
    token = current(session)
    if token is None:
        return compute()
    full = (session.get_bind().url.render_as_string(), token, key)
    with _lock:
        kept = _caches.setdefault(name, OrderedDict())
        value = kept.get(full, _MISSING)
        if value is not _MISSING:
            kept.move_to_end(full)
            return value
    value = compute()
    if _fresh(session) != token:
        return value
    with _lock:
        kept[full] = value
        while len(kept) > CACHE_SIZE:
            kept.popitem(last=False)
    return value


def clear() -> None:
    """Empty this process's cache (tests; nothing else needs it)."""
    with _lock:
        _caches.clear()
