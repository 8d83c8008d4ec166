"""``flask backup`` / ``flask restore``: a backup brings back every row and every file."""

from __future__ import annotations

import io
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Child, Household
from admin_app.util.backup import BackupError, backups, create_backup, restore_backup
from tests.helpers import World


def everything(app: Flask) -> dict[str, Any]:
    """Every row of every table, and every kept file with its bytes."""
    with app.app_context():
        rows = {
            table.name: [
                tuple(row)
                for row in db.session.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).all()
            ]
            for table in db.metadata.sorted_tables
        }
    files = {}
    for setting in ("EXPORTS_DIR", "IMPORT_DIR"):
        root = Path(app.config[setting])
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            files[f"{setting}/{path.relative_to(root)}"] = path.read_bytes()
    return {"rows": rows, "files": files}


@pytest.fixture
def kept_files(app: Flask, tmp_path: Path) -> None:
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    for setting, name, content in (
        ("EXPORTS_DIR", "2026/问责台账.xlsx", b"PK workbook"),
        ("IMPORT_DIR", "ab/abcdef.xlsx", b"PK upload"),
    ):
        path = Path(app.config[setting]) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def test_restore_brings_back_every_row_and_file(app, world: World, kept_files, runner) -> None:
    before = everything(app)
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output
    [archive] = backups(Path(app.config["BACKUP_DIR"]))

    with app.app_context():
        db.session.delete(db.session.get(Child, world.child_a))
        db.session.get(Household, world.household_b).head_name = "改过的户主"
        db.session.commit()
    (Path(app.config["EXPORTS_DIR"]) / "2026/问责台账.xlsx").unlink()
    (Path(app.config["IMPORT_DIR"]) / "later.csv").write_bytes(b"after the backup")
    assert everything(app) != before

    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert everything(app) == before


def test_archives_are_private_and_only_the_newest_are_kept(app, world, kept_files) -> None:
    app.config["BACKUP_KEEP"] = 2
    with app.app_context():
        made = [create_backup(app).path for _ in range(3)]
    folder = Path(app.config["BACKUP_DIR"])
    assert backups(folder) == made[1:]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(made[-1].stat().st_mode) == 0o600


def test_a_damaged_archive_restores_nothing(app, world: World, kept_files, tmp_path) -> None:
    with app.app_context():
        archive = create_backup(app).path
        db.session.get(Household, world.household_b).head_name = "备份之后"
        db.session.commit()
    after = everything(app)
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == "exports/2026/问责台账.xlsx":
                content = b"PK changed"
                member.size = len(content)
                data = io.BytesIO(content)
            target.addfile(member, data)
    with app.app_context(), pytest.raises(BackupError, match="已损坏"):
        restore_backup(app, tampered)
    assert everything(app) == after
