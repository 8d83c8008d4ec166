"""SQL helpers whose best form differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from ..extensions import db

#: Sorts after every character a name can hold; closes the prefix range below.
_MAX_CHAR = "\U0010ffff"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, answerable from a b-tree index on both databases.

    PostgreSQL answers ``LIKE 'p%'`` from a ``varchar_pattern_ops`` index. SQLite only
    optimises LIKE under a case-sensitive pragma, so it gets the equivalent range
    ``p <= column < p || U+10FFFF`` on its binary collation instead.
    """
    if db.engine.dialect.name == "sqlite":
        return and_(column >= prefix, column < prefix + _MAX_CHAR)
    return column.like(_escape_like(prefix) + "%", escape="\\")


def unindexed(column: Any) -> ColumnElement[Any]:
    """``column``, in a form SQLite will not look up through the column's own index.

    SQLite answers a range on an indexed column from that index even when the range
    holds nearly every row, then fetches the rows one by one: the dashboard's 6–15-year
    range on ``birth_date`` was several times slower at county scale that way than
    scanning by village (docs/性能.md). Unary ``+`` is SQLite's documented way to rule an index out;
    PostgreSQL plans from statistics and has no ``+`` for dates, so it gets the column.
    """
    if db.engine.dialect.name == "sqlite":
        return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)
    return column


#: Memory PostgreSQL may give one hash while the figures are counted. It hashes an
#: ``id IN (subquery)`` of a select list ("hashed SubPlan") only when the id set fits in
#: ``work_mem`` (× ``hash_mem_multiplier``); otherwise it rescans the subquery for every
#: child. The default 4 MB holds a county's sets; a province's 3,000,000 assistance
#: records do not, and the home page's count then ran for over nine minutes instead of
#: ten seconds (docs/性能.md). Raised for the counting transaction only.
ID_SET_WORK_MEM = "64MB"


def hash_id_sets_in_memory(session: Session) -> None:
    """Let this transaction's statements hash id sets of a province in memory (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{ID_SET_WORK_MEM}'"))
