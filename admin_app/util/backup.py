"""Backups of everything the panel keeps, and their restore.

A backup is one ``.tar.gz`` holding the database (SQLite through its online backup API,
so the panel keeps serving while it runs; PostgreSQL through ``pg_dump``), the archive of
issued workbooks (``EXPORTS_DIR``), the stored uploads (``IMPORT_DIR``) and a manifest
with the row count of every table and the sha256 of every file. A restore checks the
archive against its manifest before it touches anything, then replaces the database and
both folders, and checks the row counts again. Archives hold personal data: they are
written 0600 in a 0700 folder, and only the newest ``BACKUP_KEEP`` are kept.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from ..extensions import db
from .dates import LOCAL_TZ
from .files import file_sha256, private_folder

FORMAT = 1
PREFIX = "kongchuo-backup-"
SUFFIX = ".tar.gz"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
FOLDERS = {"exports": "EXPORTS_DIR", "imports": "IMPORT_DIR"}


class BackupError(Exception):
    """A backup or restore that could not be done; the message is for the operator."""


@dataclass
class Backup:
    path: Path
    tables: dict[str, int]
    files: int


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


def _files(app: Flask) -> dict[str, str]:
    """``folder/relative/path -> sha256`` of every file kept beside the database."""
    found = {}
    for member, setting in FOLDERS.items():
        root = Path(app.config[setting])
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            found[f"{member}/{path.relative_to(root).as_posix()}"] = file_sha256(path)
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore; the password goes by environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {command[0]}：请安装 PostgreSQL 客户端工具。") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} 失败：{exc.stderr.strip()[:500]}") from exc


def _dump_database(work: Path) -> str:
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        target = sqlite3.connect(work / SQLITE_MEMBER)
        try:
            with db.engine.connect() as conn:
                conn.connection.driver_connection.backup(target)
        finally:
            target.close()
        return SQLITE_MEMBER
    dsn, env = _libpq(url)
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
         f"--file={work / PG_MEMBER}", f"--dbname={dsn}"],
        env,
    )  # fmt: skip
    return PG_MEMBER


def create_backup(app: Flask) -> Backup:
    """Write one archive of the database and the kept files, then apply the retention."""
    folder = private_folder(Path(app.config["BACKUP_DIR"]))
    now = dt.datetime.now(LOCAL_TZ)
    name = f"{PREFIX}{now:%Y%m%d-%H%M%S-%f}{SUFFIX}"
    tables = row_counts()
    files = _files(app)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work = Path(tmp)
        member = _dump_database(work)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(timespec="seconds"),
            "database": db.engine.url.get_backend_name(),
            "database_file": member,
            "database_sha256": file_sha256(work / member),
            "tables": tables,
            "files": files,
        }
        partial = work / (name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(work / member, arcname=member)
            for member_dir, setting in FOLDERS.items():
                root = Path(app.config[setting])
                if root.is_dir():
                    tar.add(root, arcname=member_dir)
        path = folder / name
        partial.replace(path)
    prune(folder, int(app.config["BACKUP_KEEP"]))
    return Backup(path=path, tables=tables, files=len(files))


def backups(folder: Path) -> list[Path]:
    """The archives in a folder, oldest first (names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)
    )


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` archives; returns what was removed."""
    archives = backups(folder)
    removed = archives[: max(0, len(archives) - max(keep, 1))]
    for path in removed:
        path.unlink()
    return removed


def _read_archive(archive: Path, into: Path) -> dict[str, Any]:
    """Unpack an archive and check every file against its manifest, or refuse it."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
        manifest = json.loads((into / "manifest.json").read_text())
    except (OSError, tarfile.TarError, json.JSONDecodeError, KeyError) as exc:
        raise BackupError(f"备份文件无法读取：{exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError("备份文件的格式版本不符。")
    member = manifest["database_file"]
    if file_sha256(into / member) != manifest["database_sha256"]:
        raise BackupError("备份文件已损坏：数据库部分与清单不符，未作任何恢复。")
    for name, digest in manifest["files"].items():
        path = into / name
        if not path.is_file() or file_sha256(path) != digest:
            raise BackupError(f"备份文件已损坏：{name} 与清单不符，未作任何恢复。")
    return manifest


def _restore_database(manifest: dict[str, Any], unpacked: Path) -> None:
    backend = db.engine.url.get_backend_name()
    if manifest["database"] != backend:
        raise BackupError(
            f"备份来自 {manifest['database']} 数据库，当前为 {backend}，未作任何恢复。"
        )
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        source = sqlite3.connect(unpacked / SQLITE_MEMBER)
        try:
            with db.engine.connect() as conn:
                source.backup(conn.connection.driver_connection)
        finally:
            source.close()
        return
    dsn, env = _libpq(db.engine.url)
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", f"--dbname={dsn}", str(unpacked / PG_MEMBER)],
        env,
    )  # fmt: skip


def _restore_folder(source: Path, target: Path) -> None:
    """Swap the folder for the archived one; the old one is removed only after the swap."""
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(target.name + ".before-restore")
    if aside.exists():
        shutil.rmtree(aside)
    if target.exists():
        target.rename(aside)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir()
    private_folder(target)
    if aside.exists():
        shutil.rmtree(aside)


def restore_backup(app: Flask, archive: Path) -> dict[str, int]:
    """Bring back the database and the kept files of an archive; returns the row counts."""
    with tempfile.TemporaryDirectory() as tmp:
        unpacked = Path(tmp)
        manifest = _read_archive(archive, unpacked)
        _restore_database(manifest, unpacked)
        for member, setting in FOLDERS.items():
            _restore_folder(unpacked / member, Path(app.config[setting]))
    counts = row_counts()
    expected = {name: manifest["tables"].get(name, 0) for name in counts}
    if counts != expected:
        raise BackupError(f"恢复后的行数与备份清单不符：{counts} ≠ {expected}")
    return counts
