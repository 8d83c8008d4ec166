"""Benchmark: uploading, previewing and committing county lists, worst cases included.

    python bench/upload.py [--before REV] [--only NAME ...] [--cap-gb 6]

Files (generated): the worst lists the limits allow (200,000 distinct rows as .csv and as
.xlsx, 200,000 rows sharing one ID number), and the hostile ones issue 11 reported (a
2 MB .xlsx unpacking to 620 MB, 300,000 rows sharing one ID number, a 1,000,000-row
CSV), all within the 10 MB upload limit.

Each step runs in its own process through the test client, logged in as an admin, on a
fresh copy of a SQLite register of 300 villages and 60 schools, so peak RSS (getrusage)
is that step's alone: *upload* (POST the file), *preview* (three views: page 1, page 2,
the 有错误 tab; seconds are per view) and *commit* (GET the preview for its form, POST
确认导入). The baseline is measured in the same run: the code of ``--before`` (default:
the commit before the upload limits) through the same steps, and a *plain read* of
each file (calamine or the csv module, no judging). Baseline steps run under an address
space cap (``--cap-gb``) and a time limit, so a hostile file cannot take the machine;
a step stopped by either is shown as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BEFORE = "549b6bb"  # item 14 merged, uploads not yet limited
VILLAGES, SCHOOLS = 300, 60
STEP_TIMEOUT = 300
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "小明红华军芳伟娟强丽平静敏磊洋艳勇杰娜涛"


# --- Files ---------------------------------------------------------------------------------


def id_numbers(count: int, seed: int = 15) -> list[str]:
    """``count`` distinct valid ID numbers of school-age children."""
    from stdnum.cn import ric

    rng = random.Random(seed)
    used: set[str] = set()
    while len(used) < count:
        birth = dt.date(2011, 9, 1) + dt.timedelta(days=rng.randrange(8 * 365))
        base = f"430121{birth:%Y%m%d}{rng.randrange(1000):03d}"
        used.add(base + ric.calc_check_digit(base + "0"))
    return sorted(used)


def people(count: int, numbers: list[str]) -> list[list[str]]:
    rng = random.Random(7)
    return [
        [
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            numbers[i % len(numbers)],
            f"第{rng.randrange(VILLAGES) + 1}村",
            f"第{rng.randrange(SCHOOLS) + 1}学校",
            str(rng.randrange(1, 10)),
        ]
        for i in range(count)
    ]


HEADER = ["姓名", "身份证号码", "所在村", "就读学校", "年级"]
#: Every column a poverty list may carry (the widest file the limits let through).
WIDE = [*HEADER, "性别", "民族", "班级", "监护人"]


def wide(rows: list[list[str]]) -> list[list[str]]:
    """Nine columns: about as wide as 200,000 rows get within the limits (10 MB packed,
    120 MB unpacked; a tenth column of phone numbers takes the file past 10 MB)."""
    return [
        [*r, "男" if int(r[1][16]) % 2 else "女", "汉族", f"{i % 9 + 1}班", r[0][:1] + "大山"]
        for i, r in enumerate(rows)
    ]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> None:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode())


def write_xlsx(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("名单")
    for line, row in enumerate([header, *rows]):
        for column, value in enumerate(row):
            sheet.write_string(line, column, value)
    workbook.close()


_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
        '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
        '" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/></Relationships>'
    ),
}


def write_bomb(path: Path, unpacked_mb: int) -> None:
    """A valid workbook whose one sheet repeats a row of 200 cells: 620 MB in 2 MB."""

    def cell(text: str) -> str:
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            sheet.write(("<row>" + "".join(cell(h) for h in HEADER) + "</row>").encode())
            row = ("<row>" + cell("张三") + cell("1") * 200 + "</row>").encode()
            for _ in range(unpacked_mb * 1024 * 1024 // len(row)):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")


def short(rows: list[list[str]]) -> list[list[str]]:
    """Name, ID number and village as short as the import still reads them (``第12`` is
    第12村), so 300,000 rows fit the 10 MB upload limit as the reported file did."""
    return [[r[0][:1], r[1], r[2].removesuffix("村")] for r in rows]


def generate(folder: Path, only: list[str] | None) -> list[tuple[str, str, int]]:
    """(label, path, data rows) of every file, written into ``folder``."""
    numbers = id_numbers(200_000)
    distinct = people(200_000, numbers)
    one_id = short(people(300_000, numbers[:1]))
    three = HEADER[:3]
    # A million distinct (invalid) ID numbers, no name, an unknown village: 10 bytes a row.
    million = [["", str(i), "1"] for i in range(1_000_000)]
    plans: list[tuple[str, str, int, Any]] = [
        (
            "csv 200k distinct",
            "distinct.csv",
            200_000,
            lambda p: write_csv(p, short(distinct), three),
        ),
        ("xlsx 200k distinct", "distinct.xlsx", 200_000, lambda p: write_xlsx(p, distinct)),
        (
            "xlsx 200k x 9 columns",
            "wide.xlsx",
            200_000,
            lambda p: write_xlsx(p, wide(distinct), WIDE),
        ),
        (
            "csv 200k one ID",
            "dup200k.csv",
            200_000,
            lambda p: write_csv(p, one_id[:200_000], three),
        ),
        ("csv 300k one ID", "dup300k.csv", 300_000, lambda p: write_csv(p, one_id, three)),
        ("csv 1,000,000 rows", "million.csv", 1_000_000, lambda p: write_csv(p, million, three)),
        ("xlsx 620 MB unpacked", "bomb.xlsx", 84_940, lambda p: write_bomb(p, 620)),
    ]
    made = []
    for label, name, rows, write in plans:
        if only and not any(o in label for o in only):
            continue
        path = folder / name
        write(path)
        made.append((label, str(path), rows))
    return made


# --- The register and the code versions ----------------------------------------------------


def prepare(code: Path, database: Path) -> None:
    """A register with 300 villages, 60 schools and one admin, written by ``code``."""
    script = f"""
import sys
sys.path.insert(0, {str(code)!r})
from admin_app import create_app
from admin_app.choices import Role, SchoolKind
from admin_app.extensions import db
from admin_app.models import School, Township, User, Village
app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{database}", "SECRET_KEY": "bench"}})
with app.app_context():
    db.create_all()
    township = Township(name="某乡")
    db.session.add(township)
    for i in range(1, {VILLAGES + 1}):
        db.session.add(Village(township=township, name=f"第{{i}}村"))
    for i in range(1, {SCHOOLS + 1}):
        db.session.add(School(township=township, name=f"第{{i}}学校", kind=SchoolKind.NINE_YEAR))
    user = User(username="bench", display_name="测试", role=Role.ADMIN)
    user.set_password("bench-pass-1", "pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=code)


def checkout(rev: str, folder: Path) -> Path:
    """The project as of ``rev`` (``git archive``), for the baseline code path."""
    target = folder / f"code-{rev}"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


# --- One step, in its own process ------------------------------------------------------------


def step(name: str, database: str, imports: str, file: str) -> dict[str, Any]:
    from admin_app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": "bench",
            "IMPORT_DIR": imports,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    client = app.test_client()

    def token(html: str, name: str = "csrf_token") -> str:
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
        return found.group(1) if found else ""

    page = client.get("/admin/login/").get_data(as_text=True)
    client.post(
        "/admin/login/",
        data={"csrf_token": token(page), "username": "bench", "password": "bench-pass-1"},
    )
    state = Path(imports) / "bench-state.json"
    started = time.perf_counter()
    result: dict[str, Any] = {}
    if name == "upload":
        page = client.get("/admin/import/").get_data(as_text=True)
        data = {
            "csrf_token": token(page),
            "kind": "poverty",
            "file": (io.BytesIO(Path(file).read_bytes()), Path(file).name),
        }
        response = client.post("/admin/import/upload", data=data)
        result["status"] = response.status_code
        if response.status_code == 302:
            state.write_text(json.dumps({"preview": response.headers["Location"]}))
        else:
            message = re.search(r"alert-danger[^>]*>\s*([^<]+)", response.get_data(as_text=True))
            result["message"] = message.group(1).strip()[:90] if message else ""
    else:
        preview = json.loads(state.read_text())["preview"]
        if name == "preview":
            views = [preview, preview + "&page=2", preview + "&show=error"]
            result["status"] = max(client.get(url).status_code for url in views)
            result["views"] = len(views)
        else:
            html = client.get(preview).get_data(as_text=True)
            action = re.search(r'action="([^"]*/commit/[^"]*)"', html)
            response = client.post(
                action.group(1).replace("&amp;", "&") if action else preview,
                data={
                    "csrf_token": token(html),
                    "kind": "poverty",
                    "expected": token(html, "expected"),
                },
            )
            result["status"] = response.status_code
    result["seconds"] = (time.perf_counter() - started) / result.get("views", 1)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_step(
    code: Path, name: str, database: Path, imports: Path, file: Path, cap_gb: float | None
) -> dict[str, Any]:
    def limit() -> None:
        if cap_gb:
            cap = int(cap_gb * 1024**3)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    command = [sys.executable, __file__, "--step", name, "--database", str(database)]
    command += ["--imports", str(imports), "--file", str(file)]
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=code,
            env=env,
            preexec_fn=limit,
            timeout=STEP_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"stopped": f"stopped after {STEP_TIMEOUT} s"}
    if done.returncode != 0:
        memory = "MemoryError" in done.stderr or "memory allocation" in done.stderr
        why = f"out of memory (> {cap_gb:g} GB cap)" if memory else "crashed"
        return {"stopped": f"{why} after {time.perf_counter() - started:.0f} s"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def plain_read(path: Path) -> dict[str, Any]:
    """The floor: the file's cells read into memory, nothing judged (own process)."""
    script = f"""
import csv, io, json, resource, time
from pathlib import Path
path = Path({str(path)!r})
started = time.perf_counter()
rows = 0
if path.suffix == ".xlsx":
    from python_calamine import CalamineWorkbook
    for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows():
        rows += 1
else:
    for row in csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))):
        rows += 1
print(json.dumps({{"seconds": time.perf_counter() - started,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell(result: dict[str, Any]) -> str:
    if "stopped" in result:
        return result["stopped"]
    text = f"{result['seconds']:.1f} s, {result['rss_mb']:,.0f} MB"
    if result.get("status") not in (None, 200, 302):
        text += f" ({result['status']})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="baseline git revision")
    parser.add_argument("--only", action="append", help="files whose label contains this")
    parser.add_argument("--cap-gb", type=float, default=6.0, help="baseline memory cap")
    for hidden in ("--step", "--database", "--imports", "--file", "--generate"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.database, args.imports, args.file)))
        return
    if args.generate:
        print(json.dumps(generate(Path(args.generate), args.only)))
        return

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        # Generated in another process: this one stays small, so the steps it starts
        # (fork, then exec) do not begin with its pages counted in their peak RSS.
        command = [sys.executable, __file__, "--generate", str(folder)]
        command += [f"--only={o}" for o in args.only or ()]
        made = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        files = [(label, Path(path), rows) for label, path, rows in json.loads(made)]
        before = checkout(args.before, folder)
        versions = [("now", ROOT, None), (f"before ({args.before})", before, args.cap_gb)]
        template = folder / "register.db"
        prepare(ROOT, template)
        print("| file | rows | size | code | upload | preview (per view) | commit |")
        print("|---|---|---|---|---|---|---|")
        for label, path, rows in files:
            size = f"{path.stat().st_size / 1024 / 1024:.1f} MB"
            plain = plain_read(path)
            lead = f"| {label} | {rows:,} | {size}"
            print(f"{lead} | plain read (baseline) | {cell(plain)} | | |", flush=True)
            for version, code, cap in versions:
                database, imports = folder / "run.db", folder / "imports"
                shutil.copy(template, database)
                shutil.rmtree(imports, ignore_errors=True)
                imports.mkdir()
                cells = []
                for name_ in ("upload", "preview", "commit"):
                    result = run_step(code, name_, database, imports, path, cap)
                    cells.append(cell(result))
                    refused = name_ == "upload" and result.get("status") != 302
                    failed = name_ == "preview" and result.get("status", 0) >= 500
                    if "stopped" in result or refused or failed:
                        note = result.get("message", "")
                        cells[-1] += f" — refused: {note}" if note else ""
                        cells += ["—"] * (2 - len(cells) + 1)
                        break
                print(f"{lead} | {version} | {' | '.join(cells[:3])} |", flush=True)


if __name__ == "__main__":
    main()
