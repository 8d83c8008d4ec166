"""The score sheet of an inspection: every item scored on one page, saved as one.

An inspector scores all the items of the standard at once, from a paper sheet. The
panel used to add one score row per click, each new row defaulting to the first item, so
a sheet of seven items took seven clicks and seven picks. Here the sheet lists every
active item (and any inactive one this inspection already scored, so no score is hidden)
with its maximum; a blank score means "not scored". A score below the maximum needs its
deduction reason, which is what the township reads when the ranking is questioned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Inspection, InspectionItem, InspectionScore
from ..reports.display import points

#: The form's names for an item's score and deduction reason.
SCORE_NAME = "sheet_score_{}"
REASON_NAME = "sheet_reason_{}"
#: Numeric(5, 1): one decimal place, as the paper sheets score half points.
STEP = Decimal("0.1")


@dataclass
class SheetRow:
    """One item of the sheet as shown: what is stored, or what the user typed."""

    item: InspectionItem
    score: str = ""
    reason: str = ""
    error: str | None = None
    reason_error: str | None = None

    @property
    def score_name(self) -> str:
        return SCORE_NAME.format(self.item.id)

    @property
    def reason_name(self) -> str:
        return REASON_NAME.format(self.item.id)

    @property
    def max_label(self) -> str:
        return points(self.item.max_points)


def sheet_items(session: Session, inspection: Inspection | None) -> list[InspectionItem]:
    """Active items in the standard's order, then inactive ones this inspection scored."""
    active = list(
        session.scalars(
            select(InspectionItem)
            .where(InspectionItem.active.is_(True))
            .order_by(InspectionItem.sort_order, InspectionItem.id)
        )
    )
    seen = {item.id for item in active}
    scored = [] if inspection is None else [s.item for s in inspection.scores if s.item]
    extra = sorted(
        (item for item in scored if item.id not in seen), key=lambda i: (i.sort_order, i.id)
    )
    return [*active, *extra]


def sheet_rows(
    session: Session, inspection: Inspection | None, posted: Mapping[str, str] | None = None
) -> list[SheetRow]:
    """The sheet's rows: the posted values when a form came back, else the stored scores."""
    stored = {} if inspection is None else {s.item_id: s for s in inspection.scores}
    rows = []
    for item in sheet_items(session, inspection):
        row = SheetRow(item)
        if posted is not None:
            row.score = (posted.get(row.score_name) or "").strip()
            row.reason = (posted.get(row.reason_name) or "").strip()
        elif item.id in stored:
            score = stored[item.id]
            row.score = points(score.score)
            row.reason = score.deduction_reason or ""
        rows.append(row)
    return rows


def parse_score(text: str, maximum: Decimal) -> tuple[Decimal | None, str | None]:
    """A typed score and the problem with it (Chinese, shown beside the box)."""
    try:
        value = Decimal(text.replace("，", ".").replace("。", "."))
    except InvalidOperation:
        return None, "得分须为数字，如 8 或 7.5"
    if not value.is_finite():
        return None, "得分须为数字，如 8 或 7.5"
    if value < 0:
        return None, "得分不能为负数"
    if value > maximum:
        return None, f"得分不能超过该项满分{points(maximum)}分"
    if value != value.quantize(STEP):
        return None, "得分最多保留一位小数"
    return value, None


def check_sheet(rows: list[SheetRow]) -> list[str]:
    """Mark each row's problem on the row; the problems, named by item, for the flash."""
    problems = []
    for row in rows:
        row.error = row.reason_error = None
        if not row.score:
            if row.reason:
                row.error = "填写了扣分原因，请同时填写得分"
        else:
            value, row.error = parse_score(row.score, Decimal(row.item.max_points))
            if value is not None and value < Decimal(row.item.max_points) and not row.reason:
                row.reason_error = "得分低于满分，请填写扣分原因"
        for problem in (row.error, row.reason_error):
            if problem:
                problems.append(f"{row.item.name}：{problem}")
    return problems


def apply_sheet(session: Session, inspection: Inspection, rows: list[SheetRow]) -> None:
    """Write a checked sheet onto the inspection: set, add or (blank score) remove scores.

    Nothing is committed here: the caller saves the inspection and its scores in one
    transaction, so a sheet is never half saved.
    """
    stored = {s.item_id: s for s in inspection.scores}
    for row in rows:
        existing = stored.get(row.item.id)
        if not row.score:
            if existing is not None:
                inspection.scores.remove(existing)
            continue
        value, _ = parse_score(row.score, Decimal(row.item.max_points))
        reason = row.reason or None
        if existing is None:
            inspection.scores.append(
                InspectionScore(
                    item=row.item,
                    max_points=row.item.max_points,
                    score=value,
                    deduction_reason=reason,
                )
            )
            continue
        # Only a real change is written, so an untouched row does not outdate the record.
        if Decimal(existing.score) != value:
            existing.score = value
        if existing.deduction_reason != reason:
            existing.deduction_reason = reason
        if Decimal(existing.max_points) != Decimal(row.item.max_points):
            existing.max_points = row.item.max_points


def sheet_total(rows: list[SheetRow]) -> tuple[Decimal, Decimal]:
    """The scored total and the sum of the maxima of the active items, as the sheet shows."""
    total = Decimal(0)
    for row in rows:
        try:
            value = Decimal(row.score) if row.score else Decimal(0)
        except InvalidOperation:
            value = Decimal(0)
        if value.is_finite():
            total += value
    return total, sum((Decimal(r.item.max_points) for r in rows), Decimal(0))
