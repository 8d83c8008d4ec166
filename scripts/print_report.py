"""Print an issued report the way a township prints it, into a picture for the docs.

Renders a report of the demo (a fresh demo database under a temporary folder), converts
it to PDF with LibreOffice (``soffice --headless``, as a clerk's 打印 would lay it out on
A4) and the first page to PNG with ``pdftoppm``. Needs ``libreoffice-calc-nogui`` and
``poppler-utils``; used by ``make print-sample``, not by the tests.

    python scripts/print_report.py accountability docs/img/accountability-print.png
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

from admin_app import create_app
from admin_app.cli import init_db_command
from admin_app.extensions import db
from admin_app.models import AssessmentPeriod, User
from admin_app.reports.core import REPORTS, ReportRequest, render
from seed.demo.build import build_demo

PERIOD = "2026年度"


def main(key: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'demo.db'}"})
        app.test_cli_runner().invoke(init_db_command)
        with app.app_context():
            build_demo(db.session)
            user = db.session.scalar(select(User).where(User.username == "inspector"))
            period = db.session.scalar(
                select(AssessmentPeriod).where(AssessmentPeriod.name == PERIOD)
            )
            report = REPORTS[key]
            request = ReportRequest(user=user, period=period if report.needs_period else None)
            render(db.session, report, request, work / f"{key}.xlsx")
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), f"{key}.xlsx"],
            cwd=work,
            check=True,
            capture_output=True,
        )
        stem = work / "page"
        first_page = ["-r", "75", "-png", "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run(["pdftoppm", *first_page, str(work / f"{key}.pdf"), str(stem)], check=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(stem.with_suffix(".png").read_bytes())
        print(f"{target}（{REPORTS[key].title}，第1页，A4横向）")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
