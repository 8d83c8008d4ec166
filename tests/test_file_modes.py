"""Files holding personal data are the owner's alone: 0600 files in 0700 folders."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from admin_app import create_app
from admin_app.choices import Role
from admin_app.reports.tables import store_upload
from tests.forms import open_form


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'panel.db'}"})
    finally:
        os.umask(old)
    assert mode(tmp_path / "panel.db") == 0o600


def test_stored_uploads_are_private(tmp_path: Path) -> None:
    store_upload(tmp_path / "imports", b"PK upload", "名单.xlsx")
    folder = tmp_path / "imports"
    assert mode(folder) == 0o700
    assert {mode(p) for p in folder.iterdir()} == {0o600}


def test_issued_workbooks_are_private(app, client_as, world) -> None:
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, "/admin/reports/").set("report", "children")
    response = form.submit(clerk)
    assert response.status_code == 200, response.status_code
    exports = Path(app.config["EXPORTS_DIR"])
    [workbook] = exports.rglob("*.xlsx")
    assert mode(workbook) == 0o600
    assert mode(workbook.parent) == 0o700 and mode(exports) == 0o700
