"""Benchmark: the full village ranking for one period at county scale.

    python bench/ranking.py [--url URL ...] [--runs N]

Each URL gets the county data set (`seed-demo --scale county`: 300 villages, 100,000
children, 300,000 assistance records) if it holds no children yet. Measured in the same
run: ``rank_villages`` (a constant handful of set-based queries) against a naive loop that
asks the same questions village by village. Prints median wall time and SQL statements.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from county import county_database
from sqlalchemy import event, func, select

from admin_app import create_app
from admin_app.assessment.core import (
    VillageResult,
    active_indicators,
    assign_ranks,
    count_all,
    rank_villages,
    score_indicator,
    timeliness_days,
)
from admin_app.extensions import db
from admin_app.models import AssessmentPeriod, Village

DEFAULT_URLS = (
    # Flask-SQLAlchemy puts a relative SQLite path under instance/.
    "sqlite:///bench-county.db",
    "postgresql+psycopg://root@127.0.0.1:5432/bench",
)


def naive_ranking(session: Any, period: AssessmentPeriod) -> list[VillageResult]:
    """The baseline: the same numbers, one village at a time (what set-based SQL replaces)."""
    indicators = active_indicators(session)
    days = timeliness_days(indicators)
    results = []
    for village in session.scalars(select(Village)).all():
        counts = count_all(session, period, days, village_ids=[village.id]).get(village.id)
        if counts is None:
            continue
        scores = [score_indicator(i, counts) for i in indicators]
        results.append(VillageResult(village.id, village.name, village.code, scores, counts, []))
    assign_ranks(results)
    return results


def measure(runs: int, action: Callable[[], Any]) -> tuple[float, int]:
    """Median seconds of ``runs`` calls, and SQL statements per call."""
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    times = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statistics.median(times), statements // runs


def bench(url: str, runs: int) -> list[tuple[str, str, float, int, int]]:
    county_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    rows = []
    with app.app_context():
        period = db.session.scalar(
            select(AssessmentPeriod).where(AssessmentPeriod.name == "2026年度")
        )
        villages = db.session.scalar(select(func.count(Village.id)))
        rank_villages(db.session, period)  # warm caches and compiled statements
        engine = db.engine.dialect.name
        fast, fast_sql = measure(runs, lambda: rank_villages(db.session, period))
        rows.append((engine, "rank_villages (set-based)", fast, fast_sql, villages))
        # The baseline takes minutes at county scale: one run is enough to compare.
        slow, slow_sql = measure(1, lambda: naive_ranking(db.session, period))
        rows.append((engine, "naive per-village loop (baseline)", slow, slow_sql, villages))
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="database URL (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for url in args.url or DEFAULT_URLS:
        rows += bench(url, args.runs)
    print()
    print(f"{'database':<11}{'method':<36}{'median s':>10}{'SQL':>7}{'villages':>10}")
    for engine, method, seconds, statements, villages in rows:
        print(f"{engine:<11}{method:<36}{seconds:>10.3f}{statements:>7}{villages:>10}")


if __name__ == "__main__":
    main()
