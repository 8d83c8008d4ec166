"""The entry point: ``build_demo`` generates every part in order, writes it in bulk,
checks it with the panel's own validators and commits; then the poverty list is imported
through the panel's own import, as a clerk would.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_app.assessment import dataversion
from admin_app.choices import (
    OUT_OF_SCHOOL_STATUSES,
    ImportSource,
    Role,
    Sex,
)
from admin_app.models import (
    AssessmentPeriod,
    AssistancePlan,
    AssistanceRecord,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    HomeTeachingSession,
    Household,
    HouseholdCategorySpan,
    Inspection,
    InspectionScore,
    Notice,
    NoticeCounter,
    ResponsibilityAgreement,
    School,
    Township,
    User,
    Village,
)
from admin_app.util.dates import local_today
from admin_app.util.siteflags import DEMO_DATABASE, set_flag
from seed.demo.agreements import active_items, agreement_rows, inspection_rows
from seed.demo.alerts import make_alerts
from seed.demo.assistance import assistance_rows
from seed.demo.cases import CaseLifecycle, make_cases, make_plans, make_returned_cases
from seed.demo.context import Context
from seed.demo.hometeaching import home_teaching_session_rows
from seed.demo.households import (
    DemoHousehold,
    IdNumbers,
    assign_classes,
    assign_statuses,
    category_span_rows,
    make_children,
    make_households,
    status_history_rows,
)
from seed.demo.places import Places, make_places
from seed.demo.settings import (
    COUNTY_REGION,
    DEMO_ACCOUNTS,
    INSPECTION_PERIOD,
    MALE_RATE,
    PERIODS,
    SCALES,
    TOWNSHIP_TITLES,
    DemoDataError,
    township_accounts,
)
from seed.demo.submissions import seed_submissions
from seed.demo.termcheck import seed_term_check
from seed.demo.writer import BulkWriter, verify
from seed.reference import load_reference

# --- Entry point ----------------------------------------------------------------------------


def build_demo(
    session: Session, scale: str = "township", random_seed: int = 2026
) -> dict[str, int]:
    """Load the demo data set into a database without townships, commit, and return counts.

    The reference rows come first, since inspections are scored against the inspection
    items. Before committing, generated rows are put through the panel's own validators
    (all of them at township scale, a sample at county scale).
    """
    load_reference(session)
    session.flush()
    if session.scalar(select(func.count(Township.id))):
        raise DemoDataError("数据库中已有乡镇数据；演示数据只能载入尚无乡镇的数据库。")
    size = SCALES[scale]
    ctx = Context(session, random_seed)
    places = make_places(ctx, size)
    households = make_households(ctx, places.villages, size.households)
    children = make_children(ctx, households, size.children)
    assign_statuses(ctx, children)
    teachers = assign_classes(ctx, children)
    cases = make_cases(ctx, children) + make_returned_cases(ctx, children, random_seed)
    plans = make_plans(ctx, cases, households)
    lifecycle = CaseLifecycle.of(ctx, cases)
    period_ids = ensure_periods(session)

    writer = BulkWriter(session)
    writer.insert(Township, (t.row() for t in places.townships))
    writer.insert(Village, (v.row() for v in places.villages))
    writer.insert(School, (s.row() for s in places.schools))
    writer.insert(Household, (h.row for h in households))
    writer.insert(HouseholdCategorySpan, category_span_rows(ctx, households))
    writer.insert(Child, (c.row for c in children))
    writer.insert(ChildStatusChange, status_history_rows(ctx, children))
    writer.insert(DropoutCase, (case.row for case in cases))
    writer.insert(CaseVisit, (visit for case in cases for visit in case.visits))
    writer.insert(Notice, lifecycle.notices)
    writer.insert(NoticeCounter, lifecycle.counters)
    writer.insert(CaseEvent, lifecycle.events)
    writer.insert(AssistancePlan, plans)
    records = assistance_rows(ctx, children, cases, size.assistance_records)
    writer.insert(AssistanceRecord, records)
    # 送教上门: the sessions of the children taught at home.
    writer.insert(HomeTeachingSession, home_teaching_session_rows(ctx, children))
    writer.insert(ResponsibilityAgreement, agreement_rows(ctx, places, children, teachers))
    inspections, scores = inspection_rows(
        ctx, places.villages, period_ids[INSPECTION_PERIOD], active_items(session)
    )
    writer.insert(Inspection, inspections)
    writer.insert(InspectionScore, scores)
    writer.sync_id_sequences(ctx.ids)
    accounts = create_demo_users(session, places)
    set_flag(session, DEMO_DATABASE, "1")

    verify(session, ctx.ids, size.verify_every)
    # COPY (PostgreSQL) writes through the driver's cursor, which the engine hook never sees.
    dataversion.bump(session)
    session.commit()
    import_poverty_list(session, ctx, households)
    alert_count = make_alerts(session, random_seed)
    # 开学排查: this term's check, mostly marked (seed/demo/termcheck.py).
    demo_school = next(a.school for a in DEMO_ACCOUNTS if a.role == Role.SCHOOL)
    term_check_entries = seed_term_check(session, ctx.rng, demo_school)
    # 月报/学期报 上报: after the list, so the reports freeze the register as it ends up.
    reports = seed_submissions(session)
    session.commit()
    refresh_statistics(session)
    out_of_school = sum(c.status in OUT_OF_SCHOOL_STATUSES for c in children)
    return writer.summary() | {
        "未入学/辍学儿童": out_of_school,
        "演示账号": accounts,
        "动态监测预警": alert_count,
        "开学排查名单": term_check_entries,
        "月报（版本）": reports,
    }


#: The 县扶贫办's latest 帮扶对象名单: its date, and the children new to the register on it.
POVERTY_LIST_DATE = dt.date(2026, 11, 16)
POVERTY_LIST_NEW = 3


def import_poverty_list(
    session: Session, ctx: Context, households: Sequence[DemoHousehold]
) -> None:
    """The 县扶贫办's latest list, committed through the panel's own import as a clerk
    would: three children the register did not have, named without a school, so they
    arrive 待核实 with the list and its date (DESIGN.md §4). Two belong to a household
    the register has (found by 户主 and village; it becomes a 脱贫户 from the list's date)
    and one to a household the list makes the register create."""
    from admin_app.lists.imports import commit_plan, plan_file
    from admin_app.reports.tables import sha256_of

    rng = ctx.rng
    heads = Counter((h.village.id, h.row["head_name"]) for h in households)
    known = [
        h
        for h in households
        if not h.is_supported and heads[(h.village.id, h.row["head_name"])] == 1
    ]
    first, other = rng.sample(known, 2)
    surname = ctx.names.surname()
    newcomer = ctx.names.adult(Sex.MALE, surname)
    families = [
        (first, first.row["head_name"], first.surname),
        (first, first.row["head_name"], first.surname),
        (other, newcomer, surname),
    ]
    on = min(POVERTY_LIST_DATE, local_today())
    ids = IdNumbers(rng)
    lines = ["序号,姓名,身份证号,性别,出生日期,行政村,户主,户类别"]
    for number, (household, head, surname) in enumerate(families, start=1):
        sex = Sex.MALE if ctx.chance(MALE_RATE) else Sex.FEMALE
        birth = on.replace(year=on.year - rng.randint(7, 12), day=rng.randint(1, 28))
        while True:
            id_number = ids.issue(COUNTY_REGION, birth, sex)
            if not session.scalar(select(Child.id).where(Child.id_number == id_number)):
                break
        name = ctx.names.child(sex, surname)
        village = household.village.name
        lines.append(f"{number},{name},{id_number},{sex.label},,{village},{head},脱贫户")
    content = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
    file_name = f"县扶贫办{on:%Y年%m月}帮扶对象名单.csv"
    plan = plan_file(session, content, file_name, ImportSource.POVERTY, sha256=sha256_of(content))
    rejected = [row.errors for row in plan.rows if row.errors]
    if rejected:
        raise DemoDataError(f"演示名单有行未通过校验：{rejected}")
    commit_plan(session, plan, user_id=None, username="演示数据", list_date=on)


def refresh_statistics(session: Session) -> None:
    """Let the query planner see the bulk-loaded tables as they are.

    Right after a COPY, PostgreSQL still believes the tables nearly empty and plans the
    ranking's joins as nested loops: over a minute instead of under a second.
    """
    with session.get_bind().connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


# --- Periods and users ------------------------------------------------------------------------


def ensure_periods(session: Session) -> dict[str, int]:
    """The three assessment periods, reusing any an administrator already created."""
    existing = dict(session.execute(select(AssessmentPeriod.name, AssessmentPeriod.id)).all())
    for name, start_on, end_on in PERIODS:
        if name not in existing:
            period = AssessmentPeriod(name=name, start_on=start_on, end_on=end_on)
            session.add(period)
            session.flush()
            existing[name] = period.id
    return existing


def create_demo_users(session: Session, places: Places) -> int:
    """The DEMO_ACCOUNTS and, with several townships, each township's own accounts
    (``township_accounts``), skipping usernames already taken (an admin made before
    seeding)."""
    taken = set(session.scalars(select(User.username)))
    villages = {v.name: v.id for v in places.villages if v.township is places.townships[0]}
    schools = {s.name: s.id for s in places.schools}
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    created = 0
    for account in [*DEMO_ACCOUNTS, *township_accounts(len(places.townships))]:
        if account.username in taken:
            continue
        township = None if account.township is None else places.townships[account.township]
        user = User(
            username=account.username,
            display_name=(
                f"演示{account.role.label}"
                if township is None
                else f"{township.name}{TOWNSHIP_TITLES[account.role]}"
            ),
            role=account.role,
            village_id=villages.get(account.village),
            school_id=schools.get(account.school),
            township_id=township.id if township else None,
            # Exempt from the password policy, and marked: see admin_app.util.siteflags.
            is_demo=True,
        )
        user.set_password(account.password, method)
        session.add(user)
        created += 1
    session.flush()
    return created
