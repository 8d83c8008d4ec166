"""The judged import plan kept next to the upload, so a file is judged once per upload.

Judging a county list (reading it, checking every row against the register) took
seconds and hundreds of MB; the preview did it again on every page view and tab click
(figures in docs/性能.md). Now the upload judges the file once
and keeps what the preview shows — counts and, per row, line, name, ID number, action,
reasons and the 说明 text — as JSON beside the stored upload, under the upload's sha256
and the list kind. The preview reads it back while the register is unchanged; a
change to the children, households, villages or schools (or another day: ages are
judged as of today) makes it stale, and the next view judges the file again. The
commit always judges afresh (``ImportView.commit``), so a stale preview can never be
what is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..choices import ImportSource
from ..models import Child, ChildStatusChange, Household, School, Village
from ..reports.tables import SHA_RE
from ..util.dates import local_today
from ..util.files import open_private, private_folder
from .imports import ImportPlan, RowAction, RowResult

#: Bumped when what is kept changes, so plans kept by an older version are judged again.
FORMAT = 2


@dataclass(frozen=True)
class PreviewRow:
    """One row as the preview table shows it."""

    line: int
    name: str
    id_number: str
    action: RowAction
    errors: list[str]
    #: What a new row will hold, or an update's changes, as one line of text.
    detail: str
    #: The row's village, so a clerk sees where each child will be registered.
    village: str
    #: What the clerk should know of a row imported all the same (household not linked …).
    notes: list[str]


@dataclass
class PlanSummary:
    """What the preview shows of a plan; rows stay compact lists until a page needs them."""

    kind: ImportSource
    file_name: str
    sha256: str
    sheet: str
    header_line: int
    unknown_headers: list[str]
    counts: dict[RowAction, int]
    #: [line, action code, name, ID number, reasons, detail, village, notes] per row, in
    #: file order.
    rows: list[list[Any]]
    fingerprint: str

    @property
    def total(self) -> int:
        return len(self.rows)

    def page(self, show: str, page: int, size: int) -> tuple[list[PreviewRow], int, int]:
        """The rows of one page of one tab (``show``: an action code or "" for all), the
        page actually shown (within range) and the number of pages."""
        chosen = self.rows if not show else [r for r in self.rows if r[1] == show]
        pages = max(1, -(-len(chosen) // size))
        page = min(max(1, page), pages)
        shown = chosen[(page - 1) * size : page * size]
        return (
            [PreviewRow(r[0], r[2], r[3], RowAction(r[1]), r[4], r[5], r[6], r[7]) for r in shown],
            page,
            pages,
        )


def detail_text(plan: ImportPlan, row: RowResult) -> str:
    """The preview's 说明 for a row that will be written (errors are listed apart)."""
    if row.action == RowAction.UPDATE:
        return "；".join(f"{k}：{old or '（空）'} → {new}" for k, (old, new) in row.changes.items())
    if row.action == RowAction.CREATE:
        return "；".join(f"{k}：{v}" for k, v in plan.describe(row).items())
    return ""


def register_fingerprint(session: Session, today: dt.date | None = None) -> str:
    """What a plan's judgement depends on, in a few aggregate queries: any change to the
    children (count, newest id, last update), households, status history, the names of
    villages and schools, or the day, gives another fingerprint."""
    parts = [str(FORMAT), (today or local_today()).isoformat()]
    for model in (Child, Household):
        row = session.execute(
            select(func.count(model.id), func.max(model.id), func.max(model.updated_at))
        ).one()
        parts.append(":".join(map(str, row)))
    history = session.execute(
        select(func.count(ChildStatusChange.id), func.max(ChildStatusChange.id))
    ).one()
    parts.append(":".join(map(str, history)))
    for place in (Village, School):
        names = session.execute(select(place.id, place.name).order_by(place.id)).all()
        parts.append(hashlib.sha256(repr([tuple(n) for n in names]).encode()).hexdigest()[:16])
    return "|".join(parts)


def summary_path(folder: str | Path, sha: str, kind: ImportSource) -> Path:
    # ``<sha>.<kind>.plan.json`` beside ``<sha>.bin``: removed with old uploads.
    return Path(folder) / f"{sha}.{kind.value}.plan.json"


def save_plan(folder: str | Path, plan: ImportPlan, fingerprint: str) -> None:
    """Keep what the preview shows of ``plan``, written row by row: building the whole
    JSON text first would hold the 200,000 rows twice more."""
    head = {
        "kind": plan.kind.value,
        "file_name": plan.file_name,
        "sha256": plan.sha256,
        "sheet": plan.table.sheet,
        "header_line": plan.table.header_line,
        "unknown_headers": plan.table.unknown_headers,
        "counts": {a.value: n for a, n in plan.counts.items()},
        "fingerprint": fingerprint,
    }
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    path = summary_path(private_folder(Path(folder)), plan.sha256, plan.kind)
    with open_private(path) as out:
        out.write(encode(head)[:-1].encode() + b',"rows":[')
        for number, r in enumerate(plan.rows):
            row = [
                r.line,
                r.action.value,
                r.name,
                r.id_number,
                r.errors,
                detail_text(plan, r),
                r.village,
                list(r.notes),
            ]
            out.write((b"," if number else b"") + encode(row).encode())
        out.write(b"]}")


def load_summary(
    folder: str | Path, sha: str, kind: ImportSource, fingerprint: str
) -> PlanSummary | None:
    """The kept summary if it was judged against the register as it is now, else None."""
    if not SHA_RE.match(sha or ""):
        return None
    path = summary_path(folder, sha, kind)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fingerprint or data.get("sha256") != sha:
        return None
    return PlanSummary(
        kind=ImportSource(data["kind"]),
        file_name=data["file_name"],
        sha256=data["sha256"],
        sheet=data["sheet"],
        header_line=data["header_line"],
        unknown_headers=data["unknown_headers"],
        counts={a: data["counts"].get(a.value, 0) for a in RowAction},
        rows=data["rows"],
        fingerprint=fingerprint,
    )
