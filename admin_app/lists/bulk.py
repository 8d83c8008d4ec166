"""Bulk insert of generated rows, bypassing the ORM: the list import and the demo seed.

Both write up to hundreds of thousands of rows at once, where the ORM's unit of work
(and even Core's per-row parameter handling) costs more than the database itself. So:
COPY on PostgreSQL (psycopg), the driver's own executemany with each column's bind
conversion on SQLite, Core executemany in chunks elsewhere. Measurements in
docs/性能.md ("Figures behind design choices in the code").

Nothing here runs the ORM's flush hooks (history, audit, version): a caller writes the
rows those hooks would have written itself, as ``imports`` does for the status history.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

#: Rows per Core executemany on databases that get neither COPY nor the SQLite path.
CHUNK = 900


def insert_rows(
    session: Session,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    same_for_all: Mapping[str, Any] | None = None,
) -> int:
    """Insert ``rows`` into ``table`` in the session's transaction; return how many.

    Every row has the keys of the first. ``same_for_all`` holds values for the columns
    the rows leave out, the same for every row (one timestamp for a whole load: calling
    a column's Python default per row would cost seconds). Columns given neither way get
    their scalar default here, since COPY and the driver's executemany apply no
    Python-side defaults; a column with a callable default (timestamps) must be given.

    ``rows`` may be a generator: each row is built as it is written, not all at once.
    """
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return 0
    shared = {k: v for k, v in (same_for_all or {}).items() if k not in first}
    shared.update(
        (column.name, column.default.arg)
        for column in table.columns
        if column.default is not None
        and column.default.is_scalar
        and column.name not in first
        and column.name not in shared
    )
    keys = list(first)
    names = [*keys, *shared]
    tail = list(shared.values())
    written = 0

    def values() -> Iterable[list[Any]]:
        nonlocal written
        for row in itertools.chain([first], stream):
            written += 1
            yield [*(row[name] for name in keys), *tail]

    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    if dialect.name == "postgresql":
        connection = session.connection().connection.driver_connection
        # psycopg writes the enumeration members (StrEnum) as their codes.
        command = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(command) as copy:
            for row_values in values():
                copy.write_row(row_values)
    elif dialect.name == "sqlite":
        connection = session.connection().connection.driver_connection
        # Each column's own bind conversion (dates, JSON, enumerations) applied by hand:
        # Core's per-row parameter handling took as long as SQLite itself.
        convert = [table.c[name].type.bind_processor(dialect) or _same for name in names]
        placeholders = ", ".join("?" * len(names))
        connection.cursor().executemany(
            f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({placeholders})",
            ([f(v) for f, v in zip(convert, row_values, strict=True)] for row_values in values()),
        )
    else:
        chunks = values()
        while chunk := list(itertools.islice(chunks, CHUNK)):
            session.execute(insert(table), [dict(zip(names, v, strict=True)) for v in chunk])
    return written


def _same(value: Any) -> Any:
    return value
