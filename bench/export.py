"""Benchmark: the 100,000-row children ledger (21 columns) as an .xlsx at county scale.

    python bench/export.py [--url URL] [--runs N]

The database gets the county data set (`seed-demo --scale county`: 300 villages, 100,000
children) if it holds no children yet. Three ways of writing the same rows, each measured
in its own child process so that peak RSS (``getrusage``) belongs to that method alone:

* engine   — the report engine (``admin_app.reports.core.render`` of 适龄儿童少年台账: streamed
             query, one declarative column list, typed and safe cells, summary sheet);
* bare     — a hand-written XlsxWriter ``constant_memory`` loop over the same streamed query
             writing the same cells: the same values with the same cell formats (borders,
             date and number formats), so that the ratio is the engine's own overhead;
* plain    — the same loop writing the values with no cell formats at all (what the
             formats themselves cost XlsxWriter);
* tablib   — Flask-Admin's built-in tablib export (``ModelView._export_tablib('xlsx')``) of
             the same rows and columns: what the export button did before (needs ``tablib``,
             the ``bench`` extra).

Targets (issue 4): engine ≤ 1.3 × bare wall time, engine peak RSS ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from county import county_database

DEFAULT_URL = "sqlite:///bench-export.db"  # relative SQLite paths live under instance/
METHODS = ("engine", "bare", "plain", "tablib")


def bench_user() -> Any:
    """A clerk (may read unmasked numbers), not saved: the values are the same for all methods."""
    from admin_app.choices import Role
    from admin_app.models import User

    return User(id=0, username="bench", display_name="基准测试", role=Role.CLERK, active=True)


def run_engine(target: str) -> int:
    from admin_app.extensions import db
    from admin_app.reports.core import REPORTS, ReportRequest, render

    request = ReportRequest(user=bench_user(), masked=False)
    return render(db.session, REPORTS["children"], request, target).rows


def run_bare(target: str) -> int:
    return bare_loop(target, formatted=True)


def run_plain(target: str) -> int:
    return bare_loop(target, formatted=False)


def bare_loop(target: str, formatted: bool) -> int:
    """The same values, written by hand: what the engine's per-column writers replace."""
    import xlsxwriter

    from admin_app.choices import CHILD_KEY_GROUPS
    from admin_app.extensions import db
    from admin_app.reports.core import CHILDREN_COLUMNS, ReportRequest, children_statement
    from admin_app.reports.xlsx import FONT, FORMATS

    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet("儿童台账")

    def cell_format(name: str) -> Any:
        if not formatted:
            return book.add_format(FORMATS[name][0]) if name == "date" else None
        base = {"font_name": FONT, "font_size": 10, "border": 1, "valign": "top"}
        return book.add_format({**base, **FORMATS[name][0]})

    formats = [cell_format(column.format) for column in CHILDREN_COLUMNS]
    date_format, int_format = formats[6], formats[15]
    for col, column in enumerate(CHILDREN_COLUMNS):
        sheet.write_string(0, col, column.label)
    groups = tuple(CHILD_KEY_GROUPS.items())
    stmt = children_statement(ReportRequest(user=bench_user(), masked=False))
    r = 0
    for row in db.session.execute(stmt.execution_options(yield_per=2000)):
        r += 1
        values = (
            row.village_name,
            row.group_name,
            row.name,
            row.sex.label,
            row.id_number,
            row.no_id_reason,
            row.birth_date,
            row.ethnicity,
            row.guardian_name,
            row.guardian_relation,
            row.guardian_phone,
            "是" if row.guardian_migrant else "否",
            "、".join(label for key, label in groups if getattr(row, key)),
            row.school_name,
            row.stage.label if row.stage else None,
            row.grade,
            row.class_name,
            row.student_no,
            row.status.label,
            row.status_reason.label if row.status_reason else None,
            row.status_note,
        )
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if col == 6:
                sheet.write_datetime(r, col, value, date_format)
            elif col == 15:
                sheet.write_number(r, col, value, int_format)
            else:
                sheet.write_string(r, col, value, formats[col])
    book.close()
    return r


def run_tablib(target: str) -> int:
    """Flask-Admin's own export of the same 21 columns (what can_export=True used to give)."""
    from flask import current_app
    from flask_admin.contrib.sqla import ModelView

    from admin_app.extensions import db
    from admin_app.models import Child

    class TablibChildView(ModelView):
        can_export = True
        export_types = ["xlsx"]
        column_export_list = (
            "village.name",
            "household.group_name",
            "name",
            "sex",
            "id_number",
            "no_id_reason",
            "birth_date",
            "ethnicity",
            "guardian_name",
            "guardian_relation",
            "guardian_phone",
            "guardian_migrant",
            "is_left_behind",
            "school.name",
            "stage",
            "grade",
            "class_name",
            "student_no",
            "status",
            "status_reason",
            "status_note",
        )
        column_default_sort = ("id", False)

    view = TablibChildView(Child, db, endpoint="bench_child")
    with current_app.test_request_context("/admin/bench_child/export/xlsx/"):
        response = view._export_tablib("xlsx", "/")
        data = response.get_data()
    Path(target).write_bytes(data)
    count, _ = view.get_list(0, None, None, None, None, execute=False, page_size=0)
    return int(count or 0)


def child(method: str, url: str) -> None:
    """Run one method in this (fresh) process and print its numbers as JSON."""
    from admin_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    runner = {"engine": run_engine, "bare": run_bare, "plain": run_plain, "tablib": run_tablib}[
        method
    ]
    with app.app_context(), tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / f"{method}.xlsx")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        rows = runner(target)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = os.path.getsize(target)
    print(
        json.dumps(
            {
                "method": method,
                "seconds": seconds,
                "rows": rows,
                "peak_mb": peak / 1024,
                "start_mb": before / 1024,
                "size_mb": size / 1e6,
            }
        )
    )


def measure(method: str, url: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", method, "--url", url],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="database URL")
    parser.add_argument("--runs", type=int, default=3, help="runs of engine and bare (median)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--scale", default="county", choices=("county", "province"))
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url)
        return
    county_database(args.url, args.scale)
    methods = args.methods.split(",")
    # Engine and bare runs alternate, so that a busy moment of a shared machine hits both.
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    for run in range(args.runs):
        for method in methods:
            if method == "tablib" and run:  # the "before" takes long: once is enough
                continue
            sample = measure(method, args.url)
            samples[method].append(sample)
            print(f"{method}: {sample['seconds']:.2f}s", flush=True)
    results = [
        {
            **taken[0],
            "seconds": statistics.median(s["seconds"] for s in taken),
            "peak_mb": max(s["peak_mb"] for s in taken),
        }
        for taken in samples.values()
    ]
    base = {r["method"]: r["seconds"] for r in results}
    print()
    print(
        f"{'method':<10}{'rows':>9}{'median s':>10}{'rows/s':>9}{'× bare':>8}{'× plain':>9}"
        f"{'peak RSS MB':>13}{'at start MB':>13}{'file MB':>9}"
    )
    for r in results:
        ratios = [
            f"{r['seconds'] / base[name]:.2f}" if name in base else "—"
            for name in ("bare", "plain")
        ]
        print(
            f"{r['method']:<10}{r['rows']:>9,}{r['seconds']:>10.2f}"
            f"{r['rows'] / r['seconds']:>9,.0f}{ratios[0]:>8}{ratios[1]:>9}"
            f"{r['peak_mb']:>13.0f}{r['start_mb']:>13.0f}{r['size_mb']:>9.1f}"
        )


if __name__ == "__main__":
    main()
