"""Dropout cases, their visits and assistance plans, and the steps of every case."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from admin_app.cases.core import (
    CLOSED_OUTCOME,
    ESCALATION_FROM,
    NOTICE_FOR_KIND,
    follow_up_end,
    notice_number,
    placement_note,
    status_after,
)
from admin_app.choices import (
    OUT_OF_SCHOOL_STATUSES,
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    OutOfSchoolReason,
    PlanStatus,
)
from admin_app.models import (
    AssistancePlan,
    CaseEvent,
    CaseVisit,
    DropoutCase,
    Notice,
)
from seed.demo.context import Context, shuffled_quota
from seed.demo.households import DemoChild, DemoHousehold, age_on, reason_fits
from seed.demo.settings import (
    CASE_MEASURES,
    CASE_SOURCES,
    CASE_STATUS_SHARES,
    HISTORY_START,
    HOUSEHOLD_MEASURES,
    PLAN_DONE_RATE,
    REASON_NOTES,
    TIMELY_FIRST_VISIT_RATE,
    VISIT_DAYS,
    VISIT_RESULTS,
    VISITS_BY_CASE_STATUS,
    ParentsWork,
    Row,
)


@dataclass(slots=True)
class DemoCase:
    row: Row
    child: DemoChild
    visits: list[Row]
    plan_id: int | None = None
    returned_on: dt.date | None = None


def make_cases(ctx: Context, children: Sequence[DemoChild]) -> list[DemoCase]:
    """A 控辍案件 for every out-of-school child, at various stages of the lifecycle, except
    the latest dropouts: just reported, their cases are for the user to open."""
    dropouts = sorted(
        (c for c in children if c.status is ChildStatus.DROPOUT),
        key=lambda c: (c.timeline[-1][0], c.id),
    )
    unopened = {c.id for c in dropouts[-UNOPENED_DROPOUTS:]}
    out_of_school = [
        c for c in children if c.status in OUT_OF_SCHOOL_STATUSES and c.id not in unopened
    ]
    statuses = shuffled_quota(ctx.rng, len(out_of_school), CASE_STATUS_SHARES)
    return [
        make_case(ctx, child, status) for child, status in zip(out_of_school, statuses, strict=True)
    ]


def make_case(ctx: Context, child: DemoChild, status: CaseStatus) -> DemoCase:
    left_on = child.timeline[-1][0]
    discovered = ctx.day(left_on + dt.timedelta(days=3), left_on + dt.timedelta(days=20))
    kind = CaseKind(child.status.value)
    school_person = child.teacher or child.village.primary_school.principal
    row = {
        "id": ctx.ids.next(DropoutCase),
        "child_id": child.id,
        "kind": kind,
        "discovered_on": discovered,
        "source": ctx.rng.choice(CASE_SOURCES[kind]),
        "reason": child.row["status_reason"],
        "reason_note": child.row["status_note"],
        "family_situation": family_situation(child),
        "village_person": child.village.chief,
        "school_person": school_person,
        "status": status,
        "closed_on": None,
        "outcome": None,
        "follow_up_until": None,
    }
    visit_count = ctx.rng.randint(*VISITS_BY_CASE_STATUS[status])
    persons = f"{child.village.chief}、{school_person}"
    return DemoCase(row, child, case_visits(ctx, row["id"], discovered, visit_count, persons))


def family_situation(child: DemoChild) -> str:
    household = child.household
    work = "父母在家务农" if household.parents_work is ParentsWork.AT_HOME else "父母外出务工"
    kinds = [label for key, label in SUPPORT_LABELS.items() if household.row[key]]
    return f"{work}，{'、'.join(kinds) or '一般户'}，监护人为{child.row['guardian_relation']}"


SUPPORT_LABELS = {
    "is_poverty_alleviated": "脱贫户",
    "is_monitored": "监测户",
    "is_dibao": "低保户",
    "is_tekun": "特困供养户",
    "is_disabled_family": "残疾人家庭",
}


def case_visits(
    ctx: Context, case_id: int, discovered: dt.date, count: int, persons: str
) -> list[Row]:
    """劝返 visits; most cases get their first within the N days 劝返及时率 counts."""
    first_delay = (
        (1, VISIT_DAYS - 1)
        if ctx.chance(TIMELY_FIRST_VISIT_RATE)
        else (VISIT_DAYS + 1, VISIT_DAYS + 8)
    )
    visited = discovered + dt.timedelta(days=ctx.rng.randint(*first_delay))
    visits = []
    for seq in range(1, count + 1):
        visits.append(
            {
                "id": ctx.ids.next(CaseVisit),
                "case_id": case_id,
                "seq": seq,
                "visited_on": min(visited, ctx.latest),
                "persons": persons,
                "result": VISIT_RESULTS[seq - 1],
            }
        )
        visited += dt.timedelta(days=ctx.rng.randint(7, 21))
    return visits


def make_plans(
    ctx: Context, cases: Sequence[DemoCase], households: Sequence[DemoHousehold]
) -> list[Row]:
    """一人一案 for every case, 一家一案 for every 防返贫监测户."""
    plans = []
    for case in cases:
        child = case.child
        discovered = case.row["discovered_on"]
        start = ctx.day(discovered, discovered + dt.timedelta(days=3))
        drafted = case.row["status"] is CaseStatus.SUSPECTED
        done = case.row["status"] is CaseStatus.CLOSED
        case.plan_id = ctx.ids.next(AssistancePlan)
        plans.append(
            {
                "id": case.plan_id,
                "child_id": child.id,
                "household_id": child.household.row["id"],
                "measures": CASE_MEASURES[case.row["reason"]],
                "village_person": case.row["village_person"],
                "school_person": case.row["school_person"],
                "start_on": start,
                "review_on": start + dt.timedelta(days=30),
                "status": PlanStatus.DONE
                if done
                else (PlanStatus.DRAFT if drafted else PlanStatus.ACTIVE),
                "case_id": case.row["id"],
            }
        )
    for household in households:
        if household.row["is_monitored"]:
            household.plan_id = ctx.ids.next(AssistancePlan)
            start = ctx.day(HISTORY_START + dt.timedelta(days=10), dt.date(2025, 10, 31))
            plans.append(
                {
                    "id": household.plan_id,
                    "child_id": None,
                    "household_id": household.row["id"],
                    "measures": ctx.rng.choice(HOUSEHOLD_MEASURES),
                    "village_person": household.village.chief,
                    "school_person": household.village.primary_school.principal,
                    "start_on": start,
                    "review_on": start + dt.timedelta(days=180),
                    "status": PlanStatus.DONE if ctx.chance(PLAN_DONE_RATE) else PlanStatus.ACTIVE,
                    "case_id": None,
                }
            )
    return plans


# --- Returned children and the steps of every case ------------------------------------------

#: The latest dropouts are left without a case: the user opens theirs (README, the tour).
UNOPENED_DROPOUTS = 2
#: Children who dropped out during the history and were brought back (share of all children).
RETURNED_SHARE = 0.004
#: When the returned children left and how their cases stand now: one window per state.
RETURN_WINDOWS = {
    CaseStatus.CLOSED: ((dt.date(2026, 3, 2), dt.date(2026, 4, 10)), (20, 40)),
    CaseStatus.FOLLOW_UP: ((dt.date(2026, 9, 7), dt.date(2026, 9, 25)), (20, 30)),
    CaseStatus.RETURNED: ((dt.date(2026, 10, 5), dt.date(2026, 10, 15)), (25, 30)),
}
RETURN_REASONS = (
    OutOfSchoolReason.LEARNING,
    OutOfSchoolReason.WORK,
    OutOfSchoolReason.PARENT_ATTITUDE,
)
#: Days from the 劝返复学通知书 to its deadline (the 巩固跟踪 term is ``follow_up_end``).
NOTICE_DAYS = 7
#: Every n-th case in 劝返中 has had its guardians criticised (批评教育) already.
CRITICISED_EVERY = 3


def make_returned_cases(
    ctx: Context, children: Sequence[DemoChild], random_seed: int
) -> list[DemoCase]:
    """Children now 在校就读 again after a dropout this year, their cases 已复学, in
    巩固跟踪 or 销号. A random source of their own leaves the rest of the demo as it was."""
    rng = random.Random(random_seed * 7919 + 5)
    eligible = [
        c
        for c in children
        if c.status is ChildStatus.ENROLLED
        and c.school is not None
        and not c.row["is_disabled"]
        and (c.row["grade"] or 0) >= 5
        and len(c.timeline) == 1
        and c.in_history_since == HISTORY_START
    ]
    count = min(len(eligible), round(len(children) * RETURNED_SHARE))
    states = list(RETURN_WINDOWS)
    made = []
    for index, child in enumerate(sorted(rng.sample(eligible, count), key=lambda c: c.id)):
        status = states[index % len(states)]
        (first, last), (low, high) = RETURN_WINDOWS[status]
        left = first + dt.timedelta(days=rng.randint(0, (last - first).days))
        back = left + dt.timedelta(days=rng.randint(low, high))
        if back + dt.timedelta(days=2) > ctx.latest:
            continue  # the clock is behind the demo's story: leave this child alone
        child.timeline += [(left, ChildStatus.DROPOUT), (back, ChildStatus.ENROLLED)]
        age = age_on(child.row["birth_date"], left)
        reason = rng.choice([r for r in RETURN_REASONS if reason_fits(r, age)])
        discovered = left + dt.timedelta(days=rng.randint(3, 6))
        school_person = child.teacher or child.village.primary_school.principal
        until = follow_up_end(back + dt.timedelta(days=1))
        closed = status is CaseStatus.CLOSED and until <= ctx.latest
        status = CaseStatus.FOLLOW_UP if status is CaseStatus.CLOSED and not closed else status
        row = {
            "id": ctx.ids.next(DropoutCase),
            "child_id": child.id,
            "kind": CaseKind.DROPOUT,
            "discovered_on": discovered,
            "source": CaseSource.SCHOOL_REPORT,
            "reason": reason,
            "reason_note": REASON_NOTES[reason],
            "family_situation": family_situation(child),
            "village_person": child.village.chief,
            "school_person": school_person,
            "status": status,
            "closed_on": until if closed else None,
            "outcome": CLOSED_OUTCOME if closed else None,
            "follow_up_until": None if status is CaseStatus.RETURNED else until,
        }
        persons = f"{child.village.chief}、{school_person}"
        visits = [
            {
                "id": ctx.ids.next(CaseVisit),
                "case_id": row["id"],
                "seq": seq,
                "visited_on": discovered + dt.timedelta(days=days),
                "persons": persons,
                "result": VISIT_RESULTS[seq - 1],
            }
            for seq, days in ((1, 1), (2, min(8, (back - discovered).days)))
        ]
        case = DemoCase(row, child, visits)
        case.returned_on = back
        made.append(case)
    return made


@dataclass
class CaseLifecycle:
    """The steps (events), notices and notice counters behind the demo cases' statuses,
    dated as the lifecycle functions of ``admin_app.cases.core`` would have dated them."""

    events: list[Row] = field(default_factory=list)
    notices: list[Row] = field(default_factory=list)
    counters: list[Row] = field(default_factory=list)

    @classmethod
    def of(cls, ctx: Context, cases: Sequence[DemoCase]) -> CaseLifecycle:
        made = cls()
        seqs: dict[tuple[int, int], int] = defaultdict(int)
        order = sorted(cases, key=lambda c: (c.row["discovered_on"], c.row["id"]))
        for index, case in enumerate(order):
            made.add_steps(ctx, case, seqs, criticised=index % CRITICISED_EVERY == 0)
        made.counters = [
            {"township_id": township_id, "year": year, "last_seq": seq}
            for (township_id, year), seq in sorted(seqs.items())
        ]
        return made

    def event(
        self, ctx: Context, case: DemoCase, kind: CaseEventKind, day: dt.date, **kw: Any
    ) -> None:
        self.events.append(
            {
                "id": ctx.ids.next(CaseEvent),
                "case_id": case.row["id"],
                "kind": kind,
                "happened_on": min(day, ctx.latest),
                "from_status": kw.get("from_status"),
                "to_status": kw.get("to_status"),
                "note": kw.get("note"),
                "deadline": kw.get("deadline"),
                "skip_reason": None,
                "notice_id": kw.get("notice_id"),
                "actor_id": None,
                "actor_name": None,
            }
        )

    def step(
        self,
        ctx: Context,
        case: DemoCase,
        kind: CaseEventKind,
        day: dt.date,
        status: CaseStatus,
        **kw: Any,
    ) -> CaseStatus:
        """Record a lifecycle step from ``status``; the status it leads to, by the rule of
        ``admin_app.cases.core`` (which refuses a step the status does not allow)."""
        after = status_after(kind, status)
        self.event(ctx, case, kind, day, from_status=status, to_status=after, **kw)
        return after

    def add_steps(
        self,
        ctx: Context,
        case: DemoCase,
        seqs: dict[tuple[int, int], int],
        criticised: bool,
    ) -> None:
        row, child = case.row, case.child
        status = row["status"]
        found = row["discovered_on"]
        now = CaseStatus.SUSPECTED
        self.event(
            ctx,
            case,
            CaseEventKind.OPEN,
            found,
            to_status=now,
            note=f"来源：{row['source'].label}",
        )
        if status is now:
            return
        now = self.step(
            ctx, case, CaseEventKind.VERIFY, found + dt.timedelta(days=1), now, note="入户核实"
        )
        if status is now:
            return
        now = self.step(
            ctx,
            case,
            CaseEventKind.CONFIRM,
            found + dt.timedelta(days=2),
            now,
            note=row["reason_note"],
        )
        now = self.step(ctx, case, CaseEventKind.PERSUADE, found + dt.timedelta(days=3), now)
        issued = min(found + dt.timedelta(days=4), ctx.latest)
        township = child.village.township
        seqs[(township.id, issued.year)] += 1
        seq = seqs[(township.id, issued.year)]
        kind = NOTICE_FOR_KIND[row["kind"]]
        deadline = issued + dt.timedelta(days=NOTICE_DAYS)
        returned = getattr(case, "returned_on", None)
        served = min(issued + dt.timedelta(days=1), ctx.latest)
        notice = {
            "id": ctx.ids.next(Notice),
            "case_id": row["id"],
            "township_id": township.id,
            "kind": kind,
            "year": issued.year,
            "seq": seq,
            "number": notice_number(township.name, issued.year, seq),
            "issued_on": issued,
            "deadline": deadline,
            "served_to": child.row["guardian_name"],
            "served_on": served,
            "result": "当面送达，监护人签收",
            "addressee": child.row["guardian_name"],
            "school_name": child.school.name if child.school else None,
            "complied": True if returned and returned <= deadline else None,
            "issued_by_id": None,
        }
        self.notices.append(notice)
        self.event(
            ctx, case, CaseEventKind.NOTICE, issued, deadline=deadline, notice_id=notice["id"]
        )
        self.event(
            ctx,
            case,
            CaseEventKind.SERVED,
            served,
            notice_id=notice["id"],
            note=f"《{kind.label}》{notice['number']}送达{notice['served_to']}",
        )
        if (
            criticised
            and status is now
            and now in ESCALATION_FROM
            and deadline + dt.timedelta(days=1) <= ctx.latest
        ):
            self.event(
                ctx,
                case,
                CaseEventKind.CRITICISM,
                deadline + dt.timedelta(days=1),
                note="逾期未送学，入户对监护人批评教育",
            )
        if returned is None:
            return
        now = self.step(
            ctx,
            case,
            CaseEventKind.RETURN,
            returned,
            now,
            note=placement_note(ChildStatus.ENROLLED),
        )
        if status is now:
            return
        now = self.step(
            ctx,
            case,
            CaseEventKind.FOLLOW_UP,
            returned + dt.timedelta(days=1),
            now,
            deadline=row["follow_up_until"],
        )
        if status is CaseStatus.CLOSED:
            self.step(ctx, case, CaseEventKind.CLOSE, row["closed_on"], now, note=row["outcome"])
