"""Assistance records: subsidies, home teaching and care."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal

from admin_app.choices import (
    AssistanceKind,
    ChildStatus,
)
from admin_app.models import (
    AssistanceRecord,
)
from seed.demo.cases import DemoCase
from seed.demo.context import Context, stage_of
from seed.demo.households import DemoChild
from seed.demo.settings import (
    BOARDING_FROM_GRADE,
    CARE_SHARES,
    CARE_TEXTS,
    DEMO_PRESENT,
    HOME_TEACHING_EVERY,
    HOME_TEACHING_TERM_MONTHS,
    LIVING_ALLOWANCE_AMOUNT,
    LOCAL_SCHOOL_STATUSES,
    NO_AMOUNT,
    NUTRITION_AMOUNT,
    SUBSIDY_YEARS,
    TWO_EXEMPTIONS_AMOUNT,
    TWO_EXEMPTIONS_DAY_AMOUNT,
    Row,
)


def assistance_rows(
    ctx: Context,
    children: Sequence[DemoChild],
    cases: Sequence[DemoCase],
    count: int,
) -> Iterator[Row]:
    """Subsidies for children of supported households, a record per 劝返 visit, then home
    visits and tutoring until the scale's number of records is reached."""
    plan_of = {case.child.id: case.plan_id for case in cases}
    written = 0
    for child in children:
        if child.household.is_supported:
            for row in subsidy_rows(ctx, child, plan_of.get(child.id)):
                written += 1
                yield row
    for child in children:
        if child.status is ChildStatus.HOME_TEACHING:
            plan_id = plan_of.get(child.id) or child.household.plan_id
            for row in home_teaching_rows(ctx, child, plan_id):
                written += 1
                yield row
    for case in cases:
        for visit in case.visits:
            written += 1
            yield assistance_row(
                ctx,
                case.child,
                case.plan_id,
                AssistanceKind.PERSUASION_VISIT,
                visit["visited_on"],
                case.row["village_person"],
                content=f"第{visit['seq']}次劝返走访",
                outcome=visit["result"],
            )
    yield from care_rows(ctx, children, plan_of, count - written)


def subsidy_rows(ctx: Context, child: DemoChild, plan_id: int | None) -> Iterator[Row]:
    plan_id = plan_id or child.household.plan_id
    # Only those who completed in July lack a grade while being paid for: they sat grade 9.
    grade = child.row["grade"] or 9
    person = child.village.school_for(grade).principal
    for year_start, label in SUBSIDY_YEARS:
        paid_on = ctx.day(year_start + dt.timedelta(days=40), year_start + dt.timedelta(days=80))
        if child.status_on(paid_on) not in LOCAL_SCHOOL_STATUSES:
            continue
        status = child.status_on(paid_on)
        boards = boards_at_school(grade, status)
        rates = TWO_EXEMPTIONS_AMOUNT if boards else TWO_EXEMPTIONS_DAY_AMOUNT
        pupil = {AssistanceKind.TWO_EXEMPTIONS: "（寄宿生）" if boards else "（走读生）"}
        payments = [
            (AssistanceKind.TWO_EXEMPTIONS, rates[stage_of(grade)]),
            (AssistanceKind.NUTRITION, NUTRITION_AMOUNT),
        ]
        if child.household.row["is_dibao"] or child.household.row["is_tekun"]:
            payments.append((AssistanceKind.LIVING_ALLOWANCE, LIVING_ALLOWANCE_AMOUNT))
        for kind, amount in payments:
            yield assistance_row(
                ctx,
                child,
                plan_id,
                kind,
                paid_on,
                person,
                amount=amount,
                content=f"{label}{kind.label}{pupil.get(kind, '')}",
                outcome="已足额发放",
            )


def boards_at_school(grade: int, status: ChildStatus | None) -> bool:
    """Whether the child lives at school: 初中 pupils do, unless taught at home."""
    return grade >= BOARDING_FROM_GRADE and status is not ChildStatus.HOME_TEACHING


def home_teaching_rows(ctx: Context, child: DemoChild, plan_id: int | None) -> Iterator[Row]:
    """The 送教上门 visits of a child taught at home (severe disability): every few weeks
    in term time, by the 班主任 (or the school's principal), from its first day on record."""
    grade = child.row["grade"] or 1
    person = child.teacher or child.village.school_for(grade).principal
    day = child.in_history_since + dt.timedelta(days=ctx.rng.randint(3, 10))
    while day <= DEMO_PRESENT:
        if day.month in HOME_TEACHING_TERM_MONTHS:
            yield assistance_row(
                ctx,
                child,
                plan_id,
                AssistanceKind.HOME_TEACHING,
                day,
                person,
                content="送教上门：语文、数学及生活自理、康复训练",
                outcome="按送教计划完成，家长签字确认",
            )
        day += HOME_TEACHING_EVERY


def care_rows(
    ctx: Context,
    children: Sequence[DemoChild],
    plan_of: dict[int, int | None],
    count: int,
) -> Iterator[Row]:
    """Home visits, tutoring and counselling, more often for the children who need them
    most, dated after the child's history starts."""
    weights = [
        1 + 2 * (c.household.is_supported + c.row["is_left_behind"] + c.row["is_disabled"])
        for c in children
    ]
    for child in ctx.rng.choices(children, weights=weights, k=max(count, 0)):
        kind = ctx.pick(CARE_SHARES) if child.teacher else AssistanceKind.HOME_VISIT
        # The village visits homes; the 班主任 tutors and counsels.
        person = child.village.chief if kind is AssistanceKind.HOME_VISIT else child.teacher
        content, outcome = CARE_TEXTS[kind]
        yield assistance_row(
            ctx,
            child,
            plan_of.get(child.id) or child.household.plan_id,
            kind,
            ctx.day(child.in_history_since, DEMO_PRESENT),
            person,
            content=content,
            outcome=outcome,
        )


def assistance_row(
    ctx: Context,
    child: DemoChild,
    plan_id: int | None,
    kind: AssistanceKind,
    given_on: dt.date,
    person: str | None,
    *,
    content: str,
    outcome: str,
    amount: Decimal = NO_AMOUNT,
) -> Row:
    return {
        "id": ctx.ids.next(AssistanceRecord),
        "child_id": child.id,
        "plan_id": plan_id,
        "kind": kind,
        "given_on": given_on,
        "person": person,
        "amount": amount,
        "content": content,
        "outcome": outcome,
    }
