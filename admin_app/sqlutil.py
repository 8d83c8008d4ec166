"""Small SQL constructs that must compile differently per database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class prefix_match(FunctionElement[bool]):
    """``column`` starts with ``prefix``, answerable from a b-tree index on both databases.

    PostgreSQL uses ``LIKE 'p%'`` against a ``varchar_pattern_ops`` index. SQLite only
    optimises LIKE under a case-sensitive pragma, so it gets the equivalent range
    ``p <= column < p || U+10FFFF`` on its binary collation instead.
    """

    type = Boolean()
    inherit_cache = True
    name = "prefix_match"

    def __init__(self, column: Any, prefix: str) -> None:
        super().__init__(column, literal(prefix))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@compiles(prefix_match)
def _prefix_match_default(element: prefix_match, compiler: Any, **kw: Any) -> str:
    column, prefix = list(element.clauses)
    pattern = literal(_escape_like(prefix.value) + "%")
    return compiler.process(column.like(pattern, escape="\\"), **kw)


@compiles(prefix_match, "sqlite")
def _prefix_match_sqlite(element: prefix_match, compiler: Any, **kw: Any) -> str:
    column, prefix = list(element.clauses)
    upper = literal(prefix.value + "\U0010ffff")
    return compiler.process((column >= prefix) & (column < upper), **kw)


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    return prefix_match(column, prefix)  # type: ignore[return-value]
