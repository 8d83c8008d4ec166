"""Files that hold personal data are private to the account the panel runs as.

The database, stored uploads (children's ID numbers), issued workbooks and backups are
written 0600 in 0700 folders whatever the process umask is, so another user of the same
machine cannot read them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url


def private_folder(path: Path, root: Path | None = None) -> Path:
    """Create ``path`` (and its parents up to ``root``) as folders only the owner can open."""
    path.mkdir(parents=True, exist_ok=True)
    current = path
    while True:
        current.chmod(0o700)
        if root is None or current == root or current.parent == current:
            break
        if not current.is_relative_to(root):
            break
        current = current.parent
    return path


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks (archived workbooks can be tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def private_file(path: Path) -> Path:
    path.chmod(0o600)
    return path


def write_private(path: Path, content: bytes) -> Path:
    """Write bytes into a file created 0600 (never readable by others, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return private_file(path)


def open_private(path: Path) -> IO[bytes]:
    """A file created 0600 for writing in pieces (``write_private`` for one piece)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    private_file(path)
    return os.fdopen(fd, "wb")


def create_sqlite_file(uri: str, instance_path: str) -> None:
    """Create a missing SQLite database file 0600 before SQLite creates it 0644.

    SQLite gives its -wal and -shm files the mode of the database file. A relative path
    is taken from the instance folder, as Flask-SQLAlchemy takes it.
    """
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(instance_path) / url.database
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
