"""Responsibility agreements and the inspections scored against the inspection items."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.choices import (
    LEVEL_LINE,
    AgreementLevel,
    AgreementStatus,
)
from admin_app.models import (
    Inspection,
    InspectionItem,
    InspectionScore,
    ResponsibilityAgreement,
)
from seed.demo.context import Context
from seed.demo.households import ClassKey, DemoChild
from seed.demo.places import DemoVillage, Places
from seed.demo.settings import (
    DEDUCTIONS,
    DEMO_PRESENT,
    DRAFT_RATE,
    FULL_MARKS_RATE,
    GOOD_SCORE_SHARE,
    LOWEST_SCORE_SHARE,
    PARENT_AGREEMENT_RATE,
    PARENT_CLAUSE,
    PARENT_LEVEL_SHARES,
    SCHOOL_YEAR_START,
    SECOND_INSPECTION_RATE,
    SPRING_TERM,
    TARGET_ENROLMENT,
    TARGET_RETENTION,
    TEACHER_CLAUSE,
    TOWNSHIP_CLAUSE,
    Row,
)


def agreement_rows(
    ctx: Context, places: Places, children: Sequence[DemoChild], teachers: dict[ClassKey, str]
) -> Iterator[Row]:
    """Both lines of 双线 responsibility, top to bottom: 乡—村 (2025 expired, 2026 signed),
    学校—班主任 per class, and the parents of most children; a few are still drafts."""
    for village in places.villages:
        yield from township_village_agreements(ctx, village)
    schools = {school.id: school for school in places.schools}
    for (school_id, grade, number), teacher in teachers.items():
        school = schools[school_id]
        yield agreement_row(
            ctx,
            AgreementLevel.SCHOOL_TEACHER,
            (school.principal, school.name),
            (teacher, f"{school.name}{grade}年级{number}班"),
            status=signed_or_draft(ctx),
            signing=(SCHOOL_YEAR_START, dt.date(2026, 9, 20)),
            valid_until=dt.date(2027, 8, 31),
            clause=TEACHER_CLAUSE,
            targets=True,
            school_id=school.id,
        )
    for child in children:
        if ctx.chance(PARENT_AGREEMENT_RATE):
            yield from parent_agreements(ctx, child)


def signed_or_draft(ctx: Context) -> AgreementStatus:
    return AgreementStatus.DRAFT if ctx.chance(DRAFT_RATE) else AgreementStatus.SIGNED


def township_village_agreements(ctx: Context, village: DemoVillage) -> Iterator[Row]:
    township = village.township
    parties = (
        (township.head, f"{township.name}人民政府"),
        (village.chief, f"{village.name}村民委员会"),
    )
    for year in (2025, 2026):
        yield agreement_row(
            ctx,
            AgreementLevel.TOWNSHIP_VILLAGE,
            *parties,
            status=AgreementStatus.EXPIRED if year < DEMO_PRESENT.year else AgreementStatus.SIGNED,
            signing=(dt.date(year, 1, 5), dt.date(year, 2, 28)),
            valid_until=dt.date(year, 12, 31),
            clause=TOWNSHIP_CLAUSE,
            targets=True,
            village_id=village.id,
        )


def parent_agreements(ctx: Context, child: DemoChild) -> Iterator[Row]:
    """The guardian's agreement on one line or both; the school line needs a school."""
    if child.school is None:
        levels: tuple[AgreementLevel, ...] = (AgreementLevel.VILLAGE_PARENT,)
    else:
        levels = ctx.pick(PARENT_LEVEL_SHARES)
    guardian = (child.row["guardian_name"], None)
    links = {
        "village_id": child.village.id,
        "child_id": child.id,
        "household_id": child.household.row["id"],
    }
    if AgreementLevel.VILLAGE_PARENT in levels:
        yield agreement_row(
            ctx,
            AgreementLevel.VILLAGE_PARENT,
            (child.village.chief, f"{child.village.name}村民委员会"),
            guardian,
            status=signed_or_draft(ctx),
            signing=(SPRING_TERM[0], dt.date(2026, 5, 31)),
            valid_until=dt.date(2026, 12, 31),
            clause=PARENT_CLAUSE,
            **links,
        )
    if child.school is not None and AgreementLevel.TEACHER_PARENT in levels:
        yield agreement_row(
            ctx,
            AgreementLevel.TEACHER_PARENT,
            (child.teacher, child.school.name),
            guardian,
            status=signed_or_draft(ctx),
            signing=(dt.date(2026, 9, 5), dt.date(2026, 10, 15)),
            valid_until=dt.date(2027, 8, 31),
            clause=PARENT_CLAUSE,
            school_id=child.school.id,
            **links,
        )


def agreement_row(
    ctx: Context,
    level: AgreementLevel,
    party_a: tuple[str | None, str],
    party_b: tuple[str, str | None],
    *,
    status: AgreementStatus,
    signing: tuple[dt.date, dt.date],
    valid_until: dt.date,
    clause: str,
    targets: bool = False,
    village_id: int | None = None,
    school_id: int | None = None,
    child_id: int | None = None,
    household_id: int | None = None,
) -> Row:
    """One agreement, signed on a day within ``signing`` unless it is still a draft."""
    return {
        "id": ctx.ids.next(ResponsibilityAgreement),
        "year": signing[0].year,
        "line": LEVEL_LINE[level],
        "level": level,
        "party_a_name": party_a[0],
        "party_a_org": party_a[1],
        "party_b_name": party_b[0],
        "party_b_org": party_b[1],
        "village_id": village_id,
        "school_id": school_id,
        "child_id": child_id,
        "household_id": household_id,
        "target_enrolment_rate": TARGET_ENROLMENT if targets else None,
        "target_retention_rate": TARGET_RETENTION if targets else None,
        "liability_clause": clause,
        "signed_on": None if status is AgreementStatus.DRAFT else ctx.day(*signing),
        "valid_until": valid_until,
        "status": status,
        "scan_file": None,
    }


# --- Inspections ----------------------------------------------------------------------------


def inspection_rows(
    ctx: Context,
    villages: Sequence[DemoVillage],
    period_id: int,
    items: Sequence[tuple[int, Decimal]],
) -> tuple[list[Row], list[Row]]:
    """One or two 督导检查 per village in 2026, each scored on every (item id, max points)."""
    inspections: list[Row] = []
    scores: list[Row] = []
    for village in villages:
        dates = [ctx.day(dt.date(2026, 4, 1), dt.date(2026, 6, 30))]
        if ctx.chance(SECOND_INSPECTION_RATE):
            dates.append(ctx.day(dt.date(2026, 10, 8), DEMO_PRESENT))
        for inspected_on in dates:
            inspection_id = ctx.ids.next(Inspection)
            item_scores = [score_row(ctx, inspection_id, *item) for item in items]
            scores.extend(item_scores)
            inspections.append(
                {
                    "id": inspection_id,
                    "period_id": period_id,
                    "village_id": village.id,
                    "inspected_on": inspected_on,
                    "inspectors": "、".join(ctx.rng.sample(village.township.inspectors, 2)),
                    "summary": inspection_summary(item_scores),
                }
            )
    return inspections, scores


def active_items(session: Session) -> list[tuple[int, Decimal]]:
    """(id, max points) of the inspection items in use, as an admin may have changed them."""
    query = (
        select(InspectionItem.id, InspectionItem.max_points)
        .where(InspectionItem.active)
        .order_by(InspectionItem.sort_order)
    )
    return [(item_id, max_points) for item_id, max_points in session.execute(query)]


def score_row(ctx: Context, inspection_id: int, item_id: int, max_points: Decimal) -> Row:
    """A score in half points between 60 % and 100 % of the item's maximum."""
    if ctx.chance(FULL_MARKS_RATE):
        score = max_points
    else:
        fraction = ctx.rng.uniform(LOWEST_SCORE_SHARE, 1.0)
        score = Decimal(math.floor(float(max_points) * fraction * 2)) / 2
    deducted = max_points - score
    reason = f"{ctx.rng.choice(DEDUCTIONS)}，扣{float(deducted):g}分" if deducted else None
    return {
        "id": ctx.ids.next(InspectionScore),
        "inspection_id": inspection_id,
        "item_id": item_id,
        "max_points": max_points,
        "score": score,
        "deduction_reason": reason,
        "evidence_file": None,
    }


def inspection_summary(scores: Sequence[Row]) -> str:
    total = sum(row["score"] for row in scores)
    full = sum(row["max_points"] for row in scores)
    verdict = "工作扎实，台账规范" if total >= full * GOOD_SCORE_SHARE else "存在短板，限期整改"
    return f"检查得分{float(total):g}分（满分{float(full):g}分），{verdict}。"
