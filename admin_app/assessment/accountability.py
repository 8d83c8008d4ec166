"""问责: who answers for a village's shortfalls, and the records the inspector proposes from data.

The responsible persons come from the 双线 agreements of the period's year: on the
government line the 村委会 signatory of the 乡政府—村委会 agreement (and the township
signatory above them); on the school line the principals who signed 学校—班主任
agreements for the schools the village's children attend.

Proposals (生成问责建议) are computed, never stored, until the inspector confirms them:
each has a stable key, the confirmation re-computes the proposals and saves only those
whose keys were ticked, so nothing but what the data supports can be saved this way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..cases.core import UNRESOLVED_STATUSES, deadline_overdue, visit_days
from ..choices import (
    AccountabilityAction,
    AccountabilityStatus,
    AgreementLevel,
    AgreementLine,
    AgreementStatus,
    IndicatorMethod,
)
from ..lists.validation import not_in_future
from ..models import (
    Accountability,
    AssessmentPeriod,
    Child,
    DropoutCase,
    ResponsibilityAgreement,
    School,
)
from ..util.dates import local_today
from .core import VillageResult, ranking_with_change, scheme_param
from .timeliness import first_visit_late, judged_before

NO_PERSON = "（未签责任书）"


@dataclass
class Person:
    name: str
    position: str
    line: AgreementLine

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）"


@dataclass
class Responsible:
    """The persons answering for one village on each line."""

    government: list[Person] = field(default_factory=list)
    school: list[Person] = field(default_factory=list)

    def on(self, line: AgreementLine) -> list[Person]:
        return self.government if line == AgreementLine.GOVERNMENT else self.school


def responsible_persons(
    session: Session, year: int, village_ids: Iterable[int] | None = None
) -> dict[int, Responsible]:
    """Both lines' responsible persons per village, from the agreements of ``year``."""
    wanted = None if village_ids is None else list(village_ids)
    result: dict[int, Responsible] = defaultdict(Responsible)
    village_stmt = (
        select(
            ResponsibilityAgreement.village_id,
            ResponsibilityAgreement.party_a_name,
            ResponsibilityAgreement.party_a_org,
            ResponsibilityAgreement.party_b_name,
            ResponsibilityAgreement.party_b_org,
        )
        .where(
            ResponsibilityAgreement.year == year,
            ResponsibilityAgreement.level == AgreementLevel.TOWNSHIP_VILLAGE,
        )
        .where(ResponsibilityAgreement.village_id.is_not(None))
        # The signed agreement's parties first (now 已失效 or not), then drafts (who is
        # yet to sign).
        .order_by(
            ResponsibilityAgreement.village_id,
            ResponsibilityAgreement.status == AgreementStatus.DRAFT,
            ResponsibilityAgreement.id,
        )
    )
    if wanted is not None:
        village_stmt = village_stmt.where(ResponsibilityAgreement.village_id.in_(wanted))
    for village_id, a_name, a_org, b_name, b_org in session.execute(village_stmt):
        persons = result[village_id]
        for person in (
            Person(b_name, f"{b_org or '村委会'}主任", AgreementLine.GOVERNMENT),
            Person(a_name, f"{a_org}包村负责人", AgreementLine.GOVERNMENT),
        ):
            if all(p.name != person.name for p in persons.government):
                persons.government.append(person)
    # The schools a village's children attend, and who signed for each school.
    schools_stmt = select(Child.village_id, Child.school_id).where(Child.school_id.is_not(None))
    if wanted is not None:
        schools_stmt = schools_stmt.where(Child.village_id.in_(wanted))
    village_schools = session.execute(schools_stmt.distinct()).all()
    principals: dict[int, set[tuple[str, str]]] = defaultdict(set)
    principal_stmt = (
        select(ResponsibilityAgreement.school_id, ResponsibilityAgreement.party_a_name, School.name)
        .join(School, School.id == ResponsibilityAgreement.school_id)
        .where(
            ResponsibilityAgreement.year == year,
            ResponsibilityAgreement.level == AgreementLevel.SCHOOL_TEACHER,
        )
        .distinct()
    )
    for school_id, name, school_name in session.execute(principal_stmt):
        principals[school_id].add((name, school_name))
    for village_id, school_id in village_schools:
        for name, school_name in sorted(principals.get(school_id, ())):
            persons = result[village_id]
            if all(p.name != name for p in persons.school):
                persons.school.append(Person(name, f"{school_name}校长", AgreementLine.SCHOOL))
    return result


def overdue_cases(
    session: Session,
    period: AssessmentPeriod,
    days: int,
    village_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
) -> dict[int, list[tuple[int, str]]]:
    """Unresolved cases per village that missed a deadline by the period's end.

    A case is overdue when it is unresolved (疑似/核查中/确认/劝返中, as the dashboard's watch
    counts it) and either its first visit is late by the rule 劝返及时率 and the watch share
    (``timeliness.first_visit_late``: the N days ran out by the period's end, or by today
    for a period still running, with no visit within them — a late visit is still a missed
    deadline to answer for), or its latest notice's deadline passed by then.
    "Unresolved" is the case's state now: a case resolved after the period is not proposed
    for accountability.
    """
    before = judged_before(period.end_on, today or local_today())
    stmt = (
        select(Child.village_id, DropoutCase.id, Child.name)
        .join(Child, Child.id == DropoutCase.child_id)
        .where(
            DropoutCase.status.in_(UNRESOLVED_STATUSES),
            DropoutCase.discovered_on <= period.end_on,
            or_(first_visit_late(before, days), deadline_overdue(before)),
        )
        .order_by(Child.village_id, DropoutCase.discovered_on, DropoutCase.id)
    )
    if village_ids is not None:
        stmt = stmt.where(Child.village_id.in_(list(village_ids)))
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for village_id, case_id, name in session.execute(stmt):
        found[village_id].append((case_id, name))
    return found


def retention_target(session: Session) -> float:
    """The 巩固率 target of the scheme (``scheme_param``): below it, 约谈."""
    return scheme_param(session, IndicatorMethod.RETENTION_RATE, "target")


# --- Proposals ----------------------------------------------------------------------------


@dataclass
class Proposal:
    key: str
    village_id: int
    village: str
    person: str
    line: AgreementLine
    position: str
    problem: str
    action: AccountabilityAction
    recorded: bool = False


def propose(
    session: Session,
    period: AssessmentPeriod,
    village_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
) -> list[Proposal]:
    """Accountability proposals for a period, from the data, naming persons on both lines.

    Rules: 一票否决 → 通报批评 (both lines); overdue cases → 约谈 (both lines); the
    乡政府—村委会 agreement not signed → 责令整改 (government line); 巩固率 below target →
    约谈 (both lines). Proposals already recorded for the period are marked ``recorded``.
    """
    results = ranking_with_change(session, period, village_ids, today)
    ids = [r.village_id for r in results]
    persons = responsible_persons(session, period.end_on.year, ids)
    overdue = overdue_cases(session, period, visit_days(session), ids, today)
    target = retention_target(session)
    existing = {
        (row.village_id, row.person, row.problem)
        for row in session.execute(
            select(Accountability.village_id, Accountability.person, Accountability.problem).where(
                Accountability.period_id == period.id
            )
        )
    }
    proposals: list[Proposal] = []

    def add(
        result: VillageResult,
        rule: str,
        lines: tuple[AgreementLine, ...],
        problem: str,
        action: AccountabilityAction,
    ) -> None:
        responsible = persons.get(result.village_id, Responsible())
        for line in lines:
            # The 村委会 signatory answers on the government line; every principal whose
            # school the village's children attend answers on the school line.
            named = responsible.on(line)
            named = named[:1] if line == AgreementLine.GOVERNMENT else named
            for index, person in enumerate(named or [None]):
                name = person.name if person else NO_PERSON
                position = person.position if person else f"{result.name}{line.label}责任人"
                proposals.append(
                    Proposal(
                        key=f"{result.village_id}-{rule}-{line.value}-{index}",
                        village_id=result.village_id,
                        village=result.name,
                        person=name[:50],
                        line=line,
                        position=position[:50],
                        problem=problem,
                        action=action,
                        recorded=(result.village_id, name[:50], problem) in existing,
                    )
                )

    both = (AgreementLine.GOVERNMENT, AgreementLine.SCHOOL)
    for result in results:
        if result.veto:
            add(
                result,
                "veto",
                both,
                f"一票否决：{'；'.join(result.veto_reasons)}",
                AccountabilityAction.CRITICISM,
            )
        cases = overdue.get(result.village_id)
        if cases:
            names = "、".join(name for _, name in cases[:10]) + ("等" if len(cases) > 10 else "")
            add(
                result,
                "overdue",
                both,
                f"控辍案件逾期未办结{len(cases)}件（{names}）",
                AccountabilityAction.INTERVIEW,
            )
        if not result.counts.village_agreement:
            add(
                result,
                "agreement",
                (AgreementLine.GOVERNMENT,),
                f"{period.end_on.year}年度乡政府—村委会目标责任书未签订",
                AccountabilityAction.RECTIFICATION,
            )
        retention = next(
            (s for s in result.scores if s.method == IndicatorMethod.RETENTION_RATE), None
        )
        if retention is not None and retention.value is not None and retention.value < target:
            add(
                result,
                "retention",
                both,
                f"巩固率{retention.value}%，低于目标{target:g}%",
                AccountabilityAction.INTERVIEW,
            )
    return proposals


@dataclass
class PersonGroup:
    """The proposals naming one person in one village (on one line, in one post)."""

    key: str
    person: str
    position: str
    line: AgreementLine
    proposals: list[Proposal]

    @property
    def open_count(self) -> int:
        return sum(1 for p in self.proposals if not p.recorded)


@dataclass
class VillageGroup:
    village_id: int
    village: str
    persons: list[PersonGroup]

    @property
    def key(self) -> str:
        return f"v{self.village_id}"

    @property
    def open_count(self) -> int:
        return sum(group.open_count for group in self.persons)


def group_proposals(proposals: Iterable[Proposal]) -> list[VillageGroup]:
    """Proposals by village, then by person, in the order they were proposed.

    The same two principals of a village answer for every finding there (one per line),
    so a flat list repeats them ten times; grouped, an inspector decides per village or
    per person, and ticks the findings of one person together.
    """
    villages: dict[int, VillageGroup] = {}
    persons: dict[tuple[int, str, str, AgreementLine], PersonGroup] = {}
    for proposal in proposals:
        village = villages.get(proposal.village_id)
        if village is None:
            village = VillageGroup(proposal.village_id, proposal.village, [])
            villages[proposal.village_id] = village
        who = (proposal.village_id, proposal.person, proposal.position, proposal.line)
        group = persons.get(who)
        if group is None:
            key = f"{village.key}p{len(village.persons) + 1}"
            group = PersonGroup(key, proposal.person, proposal.position, proposal.line, [])
            persons[who] = group
            village.persons.append(group)
        group.proposals.append(proposal)
    return list(villages.values())


def confirm(
    session: Session,
    period: AssessmentPeriod,
    keys: Iterable[str],
    village_ids: Iterable[int] | None = None,
) -> list[Accountability]:
    """Save the proposals whose keys were confirmed as 拟问责 records; the rest are discarded.

    Proposals already recorded are not saved twice. Who confirmed them is in the audit log;
    决定日期 and 决定人 stay empty until the decision is taken. Returns the new records
    (not committed).
    """
    chosen = set(keys)
    saved = []
    for proposal in propose(session, period, village_ids):
        if proposal.key not in chosen or proposal.recorded:
            continue
        record = Accountability(
            period_id=period.id,
            village_id=proposal.village_id,
            person=proposal.person,
            line=proposal.line,
            position=proposal.position,
            problem=proposal.problem,
            action=proposal.action,
            status=AccountabilityStatus.PROPOSED,
        )
        session.add(record)
        saved.append(record)
    return saved


def actions_by_village(
    session: Session, period: AssessmentPeriod, village_ids: Iterable[int] | None = None
) -> dict[int, list[Accountability]]:
    stmt = (
        select(Accountability)
        .where(Accountability.period_id == period.id)
        .order_by(Accountability.village_id, Accountability.id)
    )
    if village_ids is not None:
        stmt = stmt.where(Accountability.village_id.in_(list(village_ids)))
    found: dict[int, list[Accountability]] = defaultdict(list)
    for record in session.scalars(stmt):
        found[record.village_id].append(record)
    return found


def check_accountability(
    session: Session, record: Accountability, today: dt.date | None = None
) -> dict[str, str]:
    """A decided record needs its decision date; no decision is dated in the future."""
    today = today or local_today()
    errors: dict[str, str] = {}
    for name in ("person", "problem", "position", "decided_by"):
        value = getattr(record, name)
        if isinstance(value, str):
            setattr(record, name, value.strip() or None)
    if not record.person:
        errors["person"] = "请填写被问责人"
    if not record.problem:
        errors["problem"] = "请填写问题"
    problem = not_in_future(record.decided_on, "决定日期", today)
    if problem:
        errors["decided_on"] = problem
    elif record.status in (AccountabilityStatus.DECIDED, AccountabilityStatus.RECTIFIED) and (
        record.decided_on is None
    ):
        errors["decided_on"] = "已问责、已整改的记录须填写决定日期"
    return errors
