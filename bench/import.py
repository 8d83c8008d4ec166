"""Benchmark: a 100,000-row county list validated and committed (target ≤ 20 s, ≤ 500 MB).

    python bench/import.py [--url URL ...] [--rows N] [--naive-rows N]

For each database URL the schema is created afresh with 300 villages and 60 schools,
then each step runs in its own subprocess (so peak RSS is that step's alone):

- read only: opening the .xlsx and reading the rows (the floor: no validation, no SQL);
- naive baseline: a per-row ORM upsert (look the ID number up, check_child with its
  uniqueness query, add, one commit) over the first ``--naive-rows`` rows;
- import: ``plan_file`` + ``commit_plan`` of the whole list into an empty register;
- re-import: the same file again (every row unchanged, nothing written but the batch).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import xlsxwriter
from county import ensure_database
from sqlalchemy import func, select, text
from stdnum.cn import ric

from admin_app import create_app
from admin_app.choices import ImportSource, SchoolKind
from admin_app.extensions import db
from admin_app.models import Child, School, Township, Village

DEFAULT_URLS = (
    # Flask-SQLAlchemy puts a relative SQLite path under instance/.
    "sqlite:///bench-import.db",
    "postgresql+psycopg://root@127.0.0.1:5432/bench_import",
)
VILLAGES, SCHOOLS = 300, 60
HEADER = ["序号", "姓名", "身份证号码", "性别", "出生日期", "所在村", "就读学校", "年级", "监护人"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "小明红华军芳伟娟强丽平静敏磊洋艳勇杰娜涛"


def generate(path: Path, rows: int, seed: int = 6) -> None:
    """A poverty-office list: a title row, the header, ``rows`` valid children."""
    rng = random.Random(seed)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_string(0, 0, "某县2026年建档立卡适龄儿童名单")
    for column, title in enumerate(HEADER):
        sheet.write_string(2, column, title)
    used: set[str] = set()
    line = 3
    while line < rows + 3:
        birth = dt.date(2011, 9, 1) + dt.timedelta(days=rng.randrange(8 * 365))
        order = rng.randrange(1000)
        base = f"430121{birth:%Y%m%d}{order:03d}"
        if base in used:
            continue
        used.add(base)
        number = base + ric.calc_check_digit(base + "0")
        age = 2026 - birth.year - (1 if birth.month >= 9 else 0)
        grade = min(9, max(1, age - 5))
        values = [
            str(line - 2),
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            number,
            "男" if order % 2 else "女",
            birth.isoformat(),
            f"第{rng.randrange(VILLAGES) + 1}村",
            f"第{rng.randrange(SCHOOLS) + 1}学校",
            f"{grade}",
            "家长",
        ]
        for column, value in enumerate(values):
            sheet.write_string(line, column, value)
        line += 1
    workbook.close()


def prepare(url: str) -> None:
    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        township = Township(name="某乡")
        db.session.add(township)
        db.session.add_all(Village(township=township, name=f"第{i}村") for i in range(1, 301))
        db.session.add_all(
            School(township=township, name=f"第{i}学校", kind=SchoolKind.NINE_YEAR)
            for i in range(1, SCHOOLS + 1)
        )
        db.session.commit()
        db.engine.dispose()


def child_step(step: str, url: str, file: str, naive_rows: int) -> dict[str, Any]:
    """One measured step, inside its own process."""
    from admin_app.lists.imports import FIELDS, REQUIRED, commit_plan, plan_file
    from admin_app.reports.tables import read_table, sha256_of

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    content = Path(file).read_bytes()
    kind = ImportSource.POVERTY
    result: dict[str, Any] = {}
    with app.app_context():
        started = time.perf_counter()
        if step == "read":
            table = read_table(content, "list.xlsx", FIELDS[kind], REQUIRED[kind])
            result["rows"] = len(table.rows)
        elif step == "naive":
            result["rows"] = naive_upsert(content, naive_rows)
        else:
            plan = plan_file(db.session, content, "list.xlsx", kind, sha256=sha256_of(content))
            result["validated"] = time.perf_counter() - started
            batch = commit_plan(db.session, plan, user_id=None, username="bench")
            result["rows"] = len(plan.rows)
            result["counts"] = f"新增{batch.n_new} 更新{batch.n_updated} 无变化{batch.n_unchanged}"
            result["counts"] += f" 拒绝{batch.n_rejected}"
        result["seconds"] = time.perf_counter() - started
        result["children"] = db.session.scalar(select(func.count(Child.id)))
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def naive_upsert(content: bytes, limit: int) -> int:
    """The baseline: one lookup, one check (with its own query) and one ORM add per row."""
    from admin_app.lists.imports import FIELDS, REQUIRED, PlaceFinder, _judge_row
    from admin_app.lists.validation import check_child
    from admin_app.reports.tables import read_table

    kind = ImportSource.POVERTY
    table = read_table(content, "list.xlsx", FIELDS[kind], REQUIRED[kind])
    places = {
        "village": PlaceFinder(db.session.scalars(select(Village)), "行政村"),
        "school": PlaceFinder(db.session.scalars(select(School)), "学校"),
    }
    done = 0
    for line, row in table.rows[:limit]:
        result, values = _judge_row(line, row, table, kind, places)
        if result.errors:
            continue
        child = db.session.scalar(select(Child).where(Child.id_number == result.id_number))
        if child is None:
            child = Child(id_number=result.id_number)
            db.session.add(child)
        for key, value in values.items():
            if not key.startswith("_"):
                setattr(child, key, value)
        child.village = places["village"].by_id.get(values.get("village_id"))
        child.school = places["school"].by_id.get(values.get("school_id"))
        with db.session.no_autoflush:
            if check_child(db.session, child):
                db.session.expunge(child)
                continue
        db.session.flush()
        done += 1
    db.session.commit()
    return done


def run_step(step: str, url: str, file: Path, naive_rows: int) -> dict[str, Any]:
    output = subprocess.run(
        [
            *(sys.executable, __file__, "--step", step, "--url", url),
            *("--file", str(file), "--naive-rows", str(naive_rows)),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", action="append")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    urls = args.url or list(DEFAULT_URLS)
    if args.step:
        print(json.dumps(child_step(args.step, urls[0], args.file, args.naive_rows)))
        return

    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "list.xlsx"
        started = time.perf_counter()
        generate(file, args.rows)
        size = file.stat().st_size / 1024 / 1024
        print(f"generated {args.rows:,} rows, {size:.1f} MB, {time.perf_counter() - started:.1f} s")
        print()
        print("| database | step | rows | time | rows/s | peak RSS | register after |")
        print("|---|---|---|---|---|---|---|")
        for url in urls:
            name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            prepare(url)
            steps = [
                ("read", "read only (baseline)"),
                ("naive", f"naive per-row ORM upsert (baseline, first {args.naive_rows:,})"),
            ]
            for step, label in steps:
                r = run_step(step, url, file, args.naive_rows)
                print(row(name, label, r))
            prepare(url)
            for step, label in (("import", "import: validate + commit"), ("reimport", "re-import")):
                r = run_step(step, url, file, args.naive_rows)
                label += f" (validate {r['validated']:.1f} s; {r['counts']})"
                print(row(name, label, r))


def row(name: str, label: str, r: dict[str, Any]) -> str:
    rate = r["rows"] / r["seconds"] if r["seconds"] else 0
    return (
        f"| {name} | {label} | {r['rows']:,} | {r['seconds']:.1f} s | {rate:,.0f} "
        f"| {r['rss_mb']:.0f} MB | {r['children']:,} |"
    )


if __name__ == "__main__":
    main()
