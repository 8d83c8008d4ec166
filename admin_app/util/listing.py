"""How a list finds its page: counting its rows, and reading a page near its end.

Both matter only when a list holds hundreds of thousands of rows (a province in one
database): an exact ``count(*)`` of a million children costs PostgreSQL ~100 ms on every
page, and ``OFFSET 999980`` walks a million index entries to show the last page. Each
rule is a plain function, so a view only says which query it is about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal_column

from ..assessment.dataversion import cached

#: A list whose rows PostgreSQL's planner estimates above this is counted from the
#: estimate, and its pager says 约 (about). Below it the count is exact: such a count
#: reads at most about this many index entries, a few milliseconds.
ESTIMATE_ABOVE = 200_000


@dataclass(frozen=True)
class RowCount:
    rows: int
    #: From the planner's statistics, not counted: the pager says 约.
    estimated: bool = False


def count_rows(count_query: Any) -> RowCount:
    """The rows of a list's count query (Flask-Admin's ``SELECT count(*) FROM … WHERE …``).

    On PostgreSQL the planner is asked first (``EXPLAIN`` of the same FROM and WHERE:
    no rows are read); only when it expects at most ``ESTIMATE_ABOVE`` rows is the count
    taken. A filtered or searched list is nearly always under it and counted exactly;
    the whole register of a large deployment is not. SQLite has no row estimates, and at
    the scale an SQLite deployment holds its count is cheap: always exact.
    """
    bind = count_query.session.get_bind()
    if bind.dialect.name == "postgresql":
        estimate = planner_rows(count_query.with_entities(literal_column("1")))
        if estimate > ESTIMATE_ABOVE:
            return RowCount(estimate, estimated=True)
    return RowCount(int(count_query.scalar() or 0))


def planner_rows(query: Any) -> int:
    """PostgreSQL's estimate of the rows ``query`` returns (its plan's top node).

    Kept while the data is unchanged (``dataversion``): the unfiltered list asks the same
    question on every page, and the answer is a round trip that changes only with the
    rows (or a new ANALYZE of them).
    """
    session = query.session
    connection = session.connection()
    statement = query.statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )

    def explain() -> int:
        # SQLAlchemy's own compilation in the driver's parameter style, values still bound.
        explained = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) {statement}", statement.params
        ).scalar_one()
        plan = explained if isinstance(explained, list) else json.loads(explained)
        return int(plan[0]["Plan"]["Plan Rows"])

    try:
        key = (str(statement), tuple(sorted(statement.params.items())))
        hash(key)
    except TypeError:  # a value that cannot be a key (none of the lists' filters has one)
        return explain()
    return cached(session, "listing.planner_rows", key, explain)


@dataclass(frozen=True)
class PageWindow:
    """Which rows a page shows, read from the nearer end of the sorted list."""

    offset: int
    limit: int
    #: Read in the opposite order (offset counted from the end), then put back in order.
    from_end: bool


def page_window(page: int, page_size: int, rows: int, estimated: bool = False) -> PageWindow:
    """Rows ``page * page_size`` … of a list of ``rows``, from whichever end is nearer.

    A page in the second half is read in reverse order with its offset counted from the
    end, so the last page costs what the first does. With an estimated count the pages
    near the end are the list's true last rows, and a page past the estimate shows the
    last rows rather than walking millions of rows to find none; only where the two
    halves meet can a row repeat or be skipped by the estimate's error — the pager
    says 约 then.
    """
    start = page * page_size
    if page_size <= 0 or start <= rows // 2:
        return PageWindow(start, page_size, from_end=False)
    if start >= rows:
        # Past an exact count: empty, and no more rows than the count (≤ ESTIMATE_ABOVE) to skip.
        return (
            PageWindow(0, page_size, from_end=True)
            if estimated
            else PageWindow(start, page_size, from_end=False)
        )
    end = min(rows, start + page_size)
    return PageWindow(rows - end, end - start, from_end=True)
