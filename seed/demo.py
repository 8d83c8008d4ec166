"""Deterministic demo data: 联合乡 (township scale) or a whole county, to try the panel on.

Rows are generated in memory as plain dicts whose primary keys are assigned here, and
written in bulk: the county set (about 700,000 rows) must load in well under two minutes,
which ORM unit-of-work flushes cannot do. Bulk inserts bypass the ORM hook of
``admin_app.util.history``, so the status history is written here, one row per change, as the
hook would have written it.

The data tells the story of the 2025—2026 school year and the autumn term of 2026: the
history starts on 1 September 2025 and grades are those of the 2026—2027 school year.
Everything follows from ``random_seed`` and the fixed dates below; the one concession to
the clock is that no event is dated after today, because the panel refuses future dates.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from faker import Faker
from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import MANYTOONE, Session, selectinload
from stdnum.cn import ric

from admin_app.assessment import dataversion
from admin_app.assessment.core import PARAMS
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
    LEVEL_LINE,
    OUT_OF_SCHOOL_STATUSES,
    AgreementLevel,
    AgreementStatus,
    AssistanceKind,
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    HouseholdCategory,
    ImportSource,
    IndicatorMethod,
    OutOfSchoolReason,
    PlanStatus,
    Role,
    SchoolKind,
    Sex,
    Stage,
)
from admin_app.lists.bulk import insert_rows
from admin_app.lists.validation import (
    Errors,
    check_agreement,
    check_assistance,
    check_child,
    check_household,
    check_inspection,
    check_plan,
    check_score,
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
    Household,
    HouseholdCategorySpan,
    Inspection,
    InspectionItem,
    InspectionScore,
    Notice,
    NoticeCounter,
    ResponsibilityAgreement,
    School,
    Township,
    User,
    Village,
    utcnow,
)
from admin_app.util.dates import local_today
from admin_app.util.siteflags import DEMO_DATABASE, set_flag
from seed.names import NameMaker, group_names, township_names, village_names
from seed.reference import load_reference

K = TypeVar("K")
Row = dict[str, Any]

# --- Fixed dates ----------------------------------------------------------------------------

#: First day of the 2025—2026 school year: every child's history starts here (or later).
HISTORY_START = dt.date(2025, 9, 1)
#: First day of the current (2026—2027) school year; grades and classes are this year's.
SCHOOL_YEAR_START = dt.date(2026, 9, 1)
#: Ages are taken on 31 August, as ``admin_app.util.dates.school_year_cutoff`` does.
AGE_CUTOFF = dt.date(2026, 8, 31)
#: The demo's "now": the latest date any event may carry.
DEMO_PRESENT = dt.date(2026, 11, 20)
SPRING_TERM = (dt.date(2026, 3, 1), dt.date(2026, 6, 30))
JUNIOR_SCHOOL_FINISHED = dt.date(2026, 7, 1)

# --- Sizes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    townships: int
    villages_per_township: int
    households: int
    children: int
    assistance_records: int
    #: Every n-th generated row is put through the panel's validators (1 = all of them).
    verify_every: int


SCALES = {
    "township": Scale(1, 12, 700, 1_500, 3_000, verify_every=1),
    "county": Scale(15, 20, 50_000, 100_000, 300_000, verify_every=200),
    # Ten counties' worth in one database: the trial of what one deployment could carry.
    "province": Scale(150, 20, 500_000, 1_000_000, 3_000_000, verify_every=2_000),
}
CLASS_SIZE = 45
#: Most 班主任 in rural schools are women.
TEACHER_SEX_SHARES = {Sex.FEMALE: 2, Sex.MALE: 1}
INSPECTORS_PER_TOWNSHIP = 4

# --- Who the children are -------------------------------------------------------------------

#: 长沙县: the birthplace code of locally born children.
COUNTY_REGION = "430121"
#: Where migrant parents work, by region code; children born there carry that code.
CITY_REGIONS = {
    "430111": "长沙市雨花区",
    "440306": "深圳市宝安区",
    "440304": "深圳市福田区",
    "441900": "东莞市",
    "330106": "杭州市西湖区",
}
#: Children by age on AGE_CUTOFF. Most 15-year-olds are in senior school already and off the
#: roll; those still on it started late and sit in grade 9. Those of 16–17 have completed.
AGE_WEIGHTS = {**dict.fromkeys(range(6, 15), 1.0), 15: 0.35, 16: 0.08, 17: 0.08}
LAST_COMPULSORY_AGE = 15
#: Share of children (aged 8 or more) who started school a year late.
LATE_START_RATE = 0.08
#: School-age children per household at most, and the least gap between siblings' births
#: (no twins): four such gaps always fit into the twelve birth years the roll spans.
MAX_SIBLINGS = 4
MIN_SIBLING_GAP_DAYS = 300
MALE_RATE = 0.515
NO_ID_RATE = 0.004
#: Share of migrant parents' children born where the parents work (ID region code there).
BORN_AWAY_RATE = 0.4
MINORITIES = ("土家族", "苗族", "侗族", "瑶族", "回族")
MINORITY_RATE = 0.03
#: Household support categories, drawn independently: the rolls overlap as real ones do.
CATEGORY_RATES = {
    "is_poverty_alleviated": 0.25,
    "is_monitored": 0.08,
    "is_dibao": 0.10,
    "is_tekun": 0.02,
    "is_disabled_family": 0.04,
}
HOUSEHOLD_PHONE_RATE = 0.95
HEAD_MALE_RATE = 0.85


class ParentsWork(enum.Enum):
    """Where a household's parents earn their living: decides 留守 and 流动随迁."""

    AT_HOME = enum.auto()
    ONE_AWAY = enum.auto()
    BOTH_AWAY = enum.auto()  # the children stay behind: 留守儿童
    WITH_CHILDREN = enum.auto()  # the children moved with them: 流动随迁, schooled elsewhere


PARENTS_WORK_SHARES = {
    ParentsWork.AT_HOME: 0.67,
    ParentsWork.ONE_AWAY: 0.15,
    ParentsWork.BOTH_AWAY: 0.15,
    ParentsWork.WITH_CHILDREN: 0.03,
}
GUARDIAN_SHARES = {"父亲": 0.55, "母亲": 0.34, "祖父": 0.04, "祖母": 0.05, "外祖母": 0.02}
GRANDPARENTS = ("祖父", "祖母", "外祖母")
PARENTS = ("父亲", "母亲")
#: The relatives who carry the household's surname (the others married in).
FAMILY_NAME_BEARERS = ("父亲", "祖父")
DISABILITY_RATE = 0.02
#: 残疾类别 with the digit the 残疾证号 (ID number + category + grade) carries for it.
DISABILITY_CATEGORIES = {
    "视力残疾": "1",
    "听力残疾": "2",
    "言语残疾": "3",
    "肢体残疾": "4",
    "智力残疾": "5",
    "精神残疾": "6",
    "多重残疾": "7",
}
DISABILITY_GRADES = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}
ORPHAN_RATE = 0.003
PRISONER_CHILD_RATE = 0.003
DISABLED_PARENT_CHILD_RATE = 0.7

# --- What became of them --------------------------------------------------------------------

#: Statuses given to an exact share of all children (drawn from the ordinary ones), so that
#: the headline numbers do not drift with the seed: 2.5 % out of school.
STATUS_SHARES = {
    ChildStatus.DROPOUT: 0.016,
    ChildStatus.NOT_ENROLLED: 0.009,
    ChildStatus.ELSEWHERE: 0.015,  # transferred to a school in town
    ChildStatus.SUSPENDED: 0.003,
    ChildStatus.EXEMPTED: 0.002,  # 缓学: entry deferred a year
}
#: Dropouts who left during the spring term rather than not coming back in September.
SPRING_DROPOUT_RATE = 0.6
#: Transfers during the spring term rather than at the start of the school year.
MIDYEAR_TRANSFER_RATE = 0.3
DISABLED_STATUS_SHARES = {
    ChildStatus.INCLUSIVE: 0.40,
    ChildStatus.ENROLLED: 0.20,
    ChildStatus.HOME_TEACHING: 0.20,
    ChildStatus.SPECIAL_SCHOOL: 0.15,
    ChildStatus.EXEMPTED: 0.05,
}
#: Why children are out of school, by status: six-year-olds kept at home and teenagers who
#: left have different stories. 家庭经济困难 is rare but present in both: it is what the
#: assessment's 一票否决 looks for, so the demo should show it.
REASON_SHARES = {
    ChildStatus.DROPOUT: {
        OutOfSchoolReason.LEARNING: 0.35,
        OutOfSchoolReason.WORK: 0.18,
        OutOfSchoolReason.PARENT_ATTITUDE: 0.10,
        OutOfSchoolReason.LACK_OF_CARE: 0.08,
        OutOfSchoolReason.POVERTY: 0.07,
        OutOfSchoolReason.ILLNESS: 0.06,
        OutOfSchoolReason.EARLY_MARRIAGE: 0.06,
        OutOfSchoolReason.OTHER: 0.06,
        OutOfSchoolReason.DISTANCE: 0.04,
    },
    ChildStatus.NOT_ENROLLED: {
        OutOfSchoolReason.PARENT_ATTITUDE: 0.35,
        OutOfSchoolReason.ILLNESS: 0.20,
        OutOfSchoolReason.DISTANCE: 0.15,
        OutOfSchoolReason.LACK_OF_CARE: 0.10,
        OutOfSchoolReason.POVERTY: 0.10,
        OutOfSchoolReason.OTHER: 0.10,
    },
}
#: The youngest age (on the day the child left school) at which a reason is a plausible
#: story: nobody hires an 11-year-old, and cohabiting (早婚早育) below 15 is not a
#: 辍学原因 but a matter for the police. Other reasons fit any age.
REASON_MIN_AGE = {OutOfSchoolReason.WORK: 14, OutOfSchoolReason.EARLY_MARRIAGE: 15}
#: What an age-limited reason becomes when no child is old enough for it.
REASON_FALLBACK = OutOfSchoolReason.LEARNING
REASON_NOTES = {
    OutOfSchoolReason.POVERTY: "父亲重病，家中无力负担上学开支",
    OutOfSchoolReason.LEARNING: "成绩跟不上，厌学，多次逃课后不再到校",
    OutOfSchoolReason.ILLNESS: "长期住院治疗",
    OutOfSchoolReason.WORK: "跟随亲戚外出打工",
    OutOfSchoolReason.EARLY_MARRIAGE: "与同村青年同居，家长未加制止",
    OutOfSchoolReason.PARENT_ATTITUDE: "家长认为读书无用，要求在家帮忙",
    OutOfSchoolReason.DISTANCE: "家住偏远山区，上学单程需步行一个多小时",
    OutOfSchoolReason.LACK_OF_CARE: "父母离异均外出，祖母年迈无力管教",
    OutOfSchoolReason.OTHER: "随家人外出，去向待进一步核实",
}
CASE_STATUS_SHARES = {
    CaseStatus.SUSPECTED: 0.20,
    CaseStatus.VERIFYING: 0.25,
    CaseStatus.PERSUADING: 0.55,
}
#: Fewest and most 劝返 visits so far, by case status.
VISITS_BY_CASE_STATUS = {
    CaseStatus.SUSPECTED: (0, 0),
    CaseStatus.VERIFYING: (1, 1),
    CaseStatus.PERSUADING: (1, 3),
}
CASE_SOURCES = {
    CaseKind.DROPOUT: (CaseSource.SCHOOL_REPORT, CaseSource.ROSTER_COMPARISON),
    CaseKind.NOT_ENROLLED: (CaseSource.HOUSEHOLD_CHECK, CaseSource.ROSTER_COMPARISON),
}
#: Share of cases whose first visit came within the N days 劝返及时率 asks for.
TIMELY_FIRST_VISIT_RATE = 0.85
#: N of 劝返及时率 in the scheme the demo loads (the method's declared default).
VISIT_DAYS = int(PARAMS[IndicatorMethod.VISIT_TIMELINESS]["days"].default)
VISIT_RESULTS = (
    "与家长和孩子面谈，宣讲义务教育法，家长表示会做孩子工作",
    "孩子仍不愿返校，约定一周后再访",
    "送达劝返复学通知书，家长承诺限期送孩子返校",
)
CASE_MEASURES = {
    OutOfSchoolReason.POVERTY: "落实两免一补和生活补助，协调临时救助，解决上学费用",
    OutOfSchoolReason.LEARNING: "班主任结对辅导，调整学习任务，安排同学互助",
    OutOfSchoolReason.ILLNESS: "联系医院评估身体状况，视情况安排送教上门",
    OutOfSchoolReason.WORK: "联系务工地劳动部门劝返，家长签订保学承诺书",
    OutOfSchoolReason.EARLY_MARRIAGE: "联合妇联、派出所上门劝导，依法制止早婚",
    OutOfSchoolReason.PARENT_ATTITUDE: "宣讲义务教育法，对家长批评教育，责令限期送学",
    OutOfSchoolReason.DISTANCE: "安排寄宿，落实寄宿生生活补助",
    OutOfSchoolReason.LACK_OF_CARE: "落实代理家长，班主任每周电话家访",
    OutOfSchoolReason.OTHER: "核实去向，联系就读地学校",
}
#: 一家一案 plans already completed at their half-year review.
PLAN_DONE_RATE = 0.2
HOUSEHOLD_MEASURES = (
    "落实两免一补、营养改善计划，村干部每月走访一次",
    "纳入防返贫监测，落实产业帮扶和教育资助",
    "安排公益性岗位，确保子女教育费用有保障",
)

# --- Money and visits -----------------------------------------------------------------------

#: Subsidies per school year, paid in October–November by the school (yuan). The 一补
#: (生活费补助) is the boarder's rate for boarders only; a day pupil gets half of it.
TWO_EXEMPTIONS_AMOUNT = {Stage.PRIMARY: Decimal("1000.00"), Stage.JUNIOR: Decimal("1250.00")}
TWO_EXEMPTIONS_DAY_AMOUNT = {Stage.PRIMARY: Decimal("500.00"), Stage.JUNIOR: Decimal("625.00")}
#: The township's 初中 are boarding schools (乡镇寄宿制初中); primary pupils go home daily.
BOARDING_FROM_GRADE = 7
#: 送教上门: a teacher's visit every few weeks, in term time only (not July, August, February).
HOME_TEACHING_EVERY = dt.timedelta(days=21)
HOME_TEACHING_TERM_MONTHS = frozenset({1, 3, 4, 5, 6, 9, 10, 11, 12})
NUTRITION_AMOUNT = Decimal("1000.00")
LIVING_ALLOWANCE_AMOUNT = Decimal("500.00")
NO_AMOUNT = Decimal("0.00")
SUBSIDY_YEARS = ((HISTORY_START, "2025—2026学年"), (SCHOOL_YEAR_START, "2026—2027学年"))
#: Statuses under which the home township's schools pay a child's subsidies.
LOCAL_SCHOOL_STATUSES = frozenset(
    {ChildStatus.ENROLLED, ChildStatus.INCLUSIVE, ChildStatus.HOME_TEACHING}
)
#: Visits and tutoring spread over the children, weighted towards those who need them.
CARE_SHARES = {
    AssistanceKind.HOME_VISIT: 0.60,
    AssistanceKind.LEARNING: 0.25,
    AssistanceKind.COUNSELLING: 0.15,
}
CARE_TEXTS = {
    AssistanceKind.HOME_VISIT: ("入户了解学习生活情况，宣传控辍保学政策", "孩子在家表现正常"),
    AssistanceKind.LEARNING: ("课后一对一辅导数学、语文", "作业完成情况有改善"),
    AssistanceKind.COUNSELLING: ("谈心谈话，关注心理健康状况", "情绪稳定，愿意与老师交流"),
}

# --- Agreements and inspections -------------------------------------------------------------

PARENT_AGREEMENT_RATE = 0.85
#: Which line(s) a schoolchild's guardian signed on.
PARENT_LEVEL_SHARES = {
    (AgreementLevel.VILLAGE_PARENT, AgreementLevel.TEACHER_PARENT): 0.5,
    (AgreementLevel.VILLAGE_PARENT,): 0.25,
    (AgreementLevel.TEACHER_PARENT,): 0.25,
}
DRAFT_RATE = 0.05
TARGET_ENROLMENT = Decimal("100.00")
TARGET_RETENTION = Decimal("99.00")
TOWNSHIP_CLAUSE = (
    "村委会负责本村适龄儿童少年排查摸底、劝返复学和帮扶工作，确保义务教育入学率100%、"
    "巩固率99%以上，无因家庭经济困难失学辍学；未完成目标的，按乡控辍保学工作实施方案"
    "追究村主要负责人责任，年度考核实行一票否决。"
)
TEACHER_CLAUSE = (
    "班主任负责本班学生考勤和学籍管理，学生无故缺课须当天联系家长，连续3天未到校须"
    "报告学校并家访；本班学生辍学的，当年不得评优评先。"
)
PARENT_CLAUSE = (
    "监护人依法送适龄子女按时入学并完成九年义务教育，不让子女辍学外出务工或早婚早育；"
    "无正当理由未送子女入学或造成辍学的，由乡人民政府批评教育、责令限期改正，"
    "逾期不改的依法追究法律责任。"
)
SECOND_INSPECTION_RATE = 0.5
FULL_MARKS_RATE = 0.3
LOWEST_SCORE_SHARE = 0.6
#: Share of the full marks from which an inspection's summary calls the work solid.
GOOD_SCORE_SHARE = Decimal("0.9")
DEDUCTIONS = (
    "台账资料不齐全",
    "部分责任书未签字盖章",
    "帮扶记录与实际不符",
    "劝返佐证材料缺失",
    "工作会议记录不完整",
)

# --- Demo accounts --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    village: str | None = None  # village name for role village
    school: str | None = None  # school name for role school


#: One account per role. The passwords are published in the README: demo use only.
DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "admin123!", Role.ADMIN),
    DemoAccount("clerk", "clerk123!", Role.CLERK),
    DemoAccount("leader", "leader123!", Role.LEADER),
    DemoAccount("inspector", "inspector123!", Role.INSPECTOR),
    DemoAccount("village", "village123!", Role.VILLAGE, village="联合村"),
    DemoAccount("school", "school123!", Role.SCHOOL, school="联合乡中心小学"),
]

PERIODS = (
    ("2025年度", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("2026年度", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ("2025—2026学年", dt.date(2025, 9, 1), dt.date(2026, 8, 31)),
)
INSPECTION_PERIOD = "2026年度"

#: Mobile number prefixes: 130–139, 150–159, 180–189.
MOBILE_PREFIXES = tuple(f"1{second}{third}" for second in "358" for third in "0123456789")


class DemoDataError(RuntimeError):
    """The demo cannot be loaded here, or came out as data the panel itself would refuse."""


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
    refresh_statistics(session)
    out_of_school = sum(c.status in OUT_OF_SCHOOL_STATUSES for c in children)
    return writer.summary() | {"未入学/辍学儿童": out_of_school, "演示账号": accounts}


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


# --- Shared generation state ----------------------------------------------------------------


class IdAllocator:
    """Primary keys handed out before insert, so rows can point at each other freely.

    Counting starts above what a table already holds (the reference rows, say).
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._next: dict[type, int] = {}
        self.first: dict[type, int] = {}

    def next(self, model: type) -> int:
        if model not in self._next:
            highest = self._session.scalar(select(func.max(model.id))) or 0
            self._next[model] = self.first[model] = highest + 1
        value = self._next[model]
        self._next[model] = value + 1
        return value

    def last(self, model: type) -> int:
        return self._next[model] - 1


class Context:
    """The random source, name pools and key allocator every generator step draws on."""

    def __init__(self, session: Session, random_seed: int) -> None:
        self.rng = random.Random(random_seed)
        fake = Faker("zh_CN")
        fake.seed_instance(random_seed)
        self.names = NameMaker(self.rng, fake)
        self.ids = IdAllocator(session)
        #: The panel refuses events dated after today; the demo's own dates end earlier.
        self.latest = min(local_today(), DEMO_PRESENT)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def pick(self, shares: dict[K, float]) -> K:
        return self.rng.choices(list(shares), weights=list(shares.values()))[0]

    def day(self, first: dt.date, last: dt.date) -> dt.date:
        """A random day in [first, last], but never after today."""
        drawn = first + dt.timedelta(days=self.rng.randint(0, (last - first).days))
        return min(drawn, self.latest)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


def apportion(total: int, shares: dict[K, float]) -> dict[K, int]:
    """Whole counts in proportion to ``shares`` that add up to ``total`` (largest remainder)."""
    weight = sum(shares.values())
    exact = {key: total * share / weight for key, share in shares.items()}
    counts = {key: math.floor(value) for key, value in exact.items()}
    by_remainder = sorted(exact, key=lambda key: exact[key] - counts[key], reverse=True)
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def shuffled_quota(rng: random.Random, total: int, shares: dict[K, float]) -> list[K]:
    """``total`` labels in exact proportion to ``shares``, in random order."""
    labels = [key for key, count in apportion(total, shares).items() for _ in range(count)]
    rng.shuffle(labels)
    return labels


def stage_of(grade: int | None) -> Stage | None:
    if grade is None:
        return None
    return Stage.PRIMARY if grade <= 6 else Stage.JUNIOR


# --- Places ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoTownship:
    id: int
    name: str
    code: str
    head: str  # 乡长: party A of the 乡政府—村委会 agreements
    inspectors: tuple[str, ...]

    def row(self) -> Row:
        return {"id": self.id, "name": self.name, "code": self.code}


@dataclass(frozen=True)
class DemoSchool:
    id: int
    township_id: int
    name: str
    code: str
    kind: SchoolKind
    principal: str  # party A of the 学校—班主任 agreements; signs the subsidy payments

    def row(self) -> Row:
        return {
            "id": self.id,
            "township_id": self.township_id,
            "name": self.name,
            "code": self.code,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class DemoVillage:
    id: int
    township: DemoTownship
    name: str
    code: str
    groups: tuple[str, ...]
    chief: str  # 村主任: party B of the 乡政府—村委会 agreement, the village line's contact
    primary_school: DemoSchool
    junior_school: DemoSchool

    def school_for(self, grade: int) -> DemoSchool:
        return self.primary_school if grade <= 6 else self.junior_school

    def row(self) -> Row:
        return {
            "id": self.id,
            "township_id": self.township.id,
            "name": self.name,
            "code": self.code,
            "groups": "、".join(self.groups),
        }


@dataclass
class Places:
    townships: list[DemoTownship] = field(default_factory=list)
    schools: list[DemoSchool] = field(default_factory=list)
    villages: list[DemoVillage] = field(default_factory=list)


def make_places(ctx: Context, size: Scale) -> Places:
    """Townships with their schools and villages; 统计用区划代码 follow the real layout."""
    places = Places()
    for index, name in enumerate(township_names(size.townships)):
        township = DemoTownship(
            id=ctx.ids.next(Township),
            name=name,
            code=f"{COUNTY_REGION}{100 + index:03d}000",
            head=ctx.names.adult(Sex.MALE),
            inspectors=tuple(
                ctx.names.adult(ctx.rng.choice(list(Sex))) for _ in range(INSPECTORS_PER_TOWNSHIP)
            ),
        )
        schools = township_schools(ctx, township, with_nine_year=index == 0)
        places.townships.append(township)
        places.schools.extend(schools.values())
        places.villages.extend(
            township_villages(ctx, township, index, size.villages_per_township, schools)
        )
    return places


def township_schools(
    ctx: Context, township: DemoTownship, with_nine_year: bool
) -> dict[SchoolKind, DemoSchool]:
    names = {SchoolKind.PRIMARY: "中心小学", SchoolKind.JUNIOR: "中学"}
    if with_nine_year:
        names[SchoolKind.NINE_YEAR] = "九年一贯制学校"
    schools = {}
    for kind, suffix in names.items():
        school_id = ctx.ids.next(School)
        schools[kind] = DemoSchool(
            id=school_id,
            township_id=township.id,
            name=township.name + suffix,
            # 学校标识码: 10 digits, 21 for a school, then the province (43: 湖南).
            code=f"2143{121000 + school_id:06d}",
            kind=kind,
            principal=ctx.names.adult(Sex.MALE),
        )
    return schools


def township_villages(
    ctx: Context,
    township: DemoTownship,
    index: int,
    count: int,
    schools: dict[SchoolKind, DemoSchool],
) -> Iterator[DemoVillage]:
    """A township's villages; where there is a 九年一贯制学校 it serves the last third."""
    nine_year = schools.get(SchoolKind.NINE_YEAR)
    for number, name in enumerate(village_names(ctx.rng, index, count)):
        far_end = nine_year is not None and number >= count - count // 3
        yield DemoVillage(
            id=ctx.ids.next(Village),
            township=township,
            name=name,
            code=f"{township.code[:9]}{201 + number:03d}",
            groups=tuple(group_names(ctx.rng.randint(5, 12))),
            chief=ctx.names.adult(Sex.MALE),
            primary_school=nine_year if far_end else schools[SchoolKind.PRIMARY],
            junior_school=nine_year if far_end else schools[SchoolKind.JUNIOR],
        )


# --- Households -----------------------------------------------------------------------------


@dataclass(slots=True)
class DemoHousehold:
    """A household row plus what its children inherit: surname, relatives, parents' work."""

    row: Row
    village: DemoVillage
    surname: str
    parents_work: ParentsWork
    has_disabled_parent: bool
    #: Where the parents work when away (a key of CITY_REGIONS).
    work_region: str | None
    #: Relation → (name, phone), made up on first use so that siblings share guardians.
    relatives: dict[str, tuple[str, str]]
    plan_id: int | None = None

    @property
    def is_supported(self) -> bool:
        return any(self.row[category] for category in CATEGORY_RATES)

    def relative(self, ctx: Context, relation: str) -> tuple[str, str]:
        """Name and phone of a relative; grandparents share the household's phone."""
        if relation not in self.relatives:
            paternal = relation in FAMILY_NAME_BEARERS
            name = ctx.names.adult(
                Sex.MALE if paternal else Sex.FEMALE, self.surname if paternal else None
            )
            phone = ctx.mobile() if relation in PARENTS else self.row["phone"] or ctx.mobile()
            self.relatives[relation] = (name, phone)
        return self.relatives[relation]


def make_households(
    ctx: Context, villages: Sequence[DemoVillage], count: int
) -> list[DemoHousehold]:
    """Households spread unevenly over the villages (villages differ in size)."""
    weights = [ctx.rng.uniform(0.6, 1.4) for _ in villages]
    placed = sorted(ctx.rng.choices(range(len(villages)), weights=weights, k=count))
    return [make_household(ctx, villages[index]) for index in placed]


def make_household(ctx: Context, village: DemoVillage) -> DemoHousehold:
    surname = ctx.names.surname()
    head_sex = Sex.MALE if ctx.chance(HEAD_MALE_RATE) else Sex.FEMALE
    group = ctx.rng.choice(village.groups)
    row = {
        "id": ctx.ids.next(Household),
        "village_id": village.id,
        "head_name": ctx.names.adult(head_sex, surname if head_sex is Sex.MALE else None),
        "group_name": group,
        "address": f"{village.name}{group}{ctx.rng.randint(1, 60)}号",
        "phone": ctx.mobile() if ctx.chance(HOUSEHOLD_PHONE_RATE) else None,
        **{category: ctx.chance(rate) for category, rate in CATEGORY_RATES.items()},
        "remarks": None,
    }
    parents_work = ctx.pick(PARENTS_WORK_SHARES)
    away = parents_work is not ParentsWork.AT_HOME
    relatives: dict[str, tuple[str, str]] = {}
    if head_sex is Sex.MALE:
        relatives["父亲"] = (row["head_name"], row["phone"] or ctx.mobile())
    return DemoHousehold(
        row=row,
        village=village,
        surname=surname,
        parents_work=parents_work,
        has_disabled_parent=row["is_disabled_family"],
        work_region=ctx.rng.choice(list(CITY_REGIONS)) if away else None,
        relatives=relatives,
    )


def category_span_rows(ctx: Context, households: Sequence[DemoHousehold]) -> Iterator[Row]:
    """The category history the flush hook would write: each category a household holds,
    held since before it was recorded (the demo bulk-inserts, so no hook runs)."""
    for household in households:
        for category in HouseholdCategory:
            if household.row[category.attr]:
                yield {
                    "id": ctx.ids.next(HouseholdCategorySpan),
                    "household_id": household.row["id"],
                    "category": category,
                    "held_from": None,
                    "held_until": None,
                    "changed_by_id": None,
                }


# --- Children -------------------------------------------------------------------------------


@dataclass(slots=True)
class DemoChild:
    """A child row plus its household, school, 班主任 and status history (day, status)."""

    row: Row
    household: DemoHousehold
    school: DemoSchool | None
    timeline: list[tuple[dt.date, ChildStatus]]
    teacher: str | None = None  # 班主任, once classes are dealt

    @property
    def id(self) -> int:
        return self.row["id"]

    @property
    def status(self) -> ChildStatus:
        return self.row["status"]

    @property
    def village(self) -> DemoVillage:
        return self.household.village

    @property
    def in_history_since(self) -> dt.date:
        return self.timeline[0][0]

    @property
    def left_on(self) -> dt.date:
        """The day of the latest status change (for an out-of-school child: the day it left
        school, or its first day in the history if it never went)."""
        return self.timeline[-1][0]

    def status_on(self, day: dt.date) -> ChildStatus | None:
        current = None
        for since, status in self.timeline:
            if since > day:
                break
            current = status
        return current

    def register_as(self, status: ChildStatus) -> None:
        """Give the child ``status`` from its first day in the history."""
        self.timeline[0] = (self.in_history_since, status)
        self.row["status"] = status

    def change_status(self, status: ChildStatus, day: dt.date) -> None:
        self.timeline.append((day, status))
        self.row["status"] = status

    def attend(self, school: DemoSchool | None, grade: int | None) -> None:
        self.school = school
        self.row.update(school_id=school.id if school else None, grade=grade, stage=stage_of(grade))

    def never_enrolled(self) -> None:
        """Drop school, grade and 学籍号: the child was never on a school's roll."""
        self.attend(None, None)
        self.row["student_no"] = None


def make_children(ctx: Context, households: Sequence[DemoHousehold], count: int) -> list[DemoChild]:
    """``count`` children, at least one per household, siblings numbered together."""
    ids = IdNumbers(ctx.rng)
    children = []
    sizes = sibling_counts(ctx.rng, len(households), count)
    for household, size in zip(households, sizes, strict=True):
        births: list[dt.date] = []
        children.extend(make_child(ctx, household, ids, births) for _ in range(size))
    for child in children:
        # After all siblings exist: a disabled child makes the family a 残疾人家庭.
        child.row["is_poor"] = child.household.is_supported
    return children


def sibling_counts(rng: random.Random, households: int, children: int) -> list[int]:
    """Children on the roll per household: at least one, at most MAX_SIBLINGS."""
    counts = [1] * households
    for _ in range(children - households):
        index = rng.randrange(households)
        while counts[index] == MAX_SIBLINGS:
            index = rng.randrange(households)
        counts[index] += 1
    return counts


def draw_birth(ctx: Context, siblings: list[dt.date]) -> tuple[int, dt.date]:
    """An age on AGE_CUTOFF and a birth date far enough from ``siblings``, added to them."""
    while True:
        age = ctx.pick(AGE_WEIGHTS)
        birth = ctx.day(
            dt.date(AGE_CUTOFF.year - age - 1, 9, 1), dt.date(AGE_CUTOFF.year - age, 8, 31)
        )
        if all(abs((birth - other).days) >= MIN_SIBLING_GAP_DAYS for other in siblings):
            siblings.append(birth)
            return age, birth


class IdNumbers:
    """Valid, unique 18-character 居民身份证号码 (sequence parity carries the sex)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._issued: set[str] = set()

    def student_no_without_id(self, birth: dt.date) -> str:
        """The 全国学籍号 of a child without an ID number: ``J`` + an 18-character number
        made by the ID number's rule (the school's 区划码, the birth date, a sequence and
        the check digit) — not ``G`` + an ID number the child does not have."""
        while True:
            first17 = f"{COUNTY_REGION}{birth:%Y%m%d}{self._rng.randrange(1, 1000):03d}"
            if "J" + first17 not in self._issued:
                self._issued.add("J" + first17)
                return "J" + first17 + ric.calc_check_digit(first17 + "0")

    def issue(self, region: str, birth: dt.date, sex: Sex) -> str:
        parity = 1 if sex is Sex.MALE else 0
        while True:
            sequence = 2 * self._rng.randrange(1, 500) - parity  # odd for boys
            first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
            if first17 not in self._issued:
                self._issued.add(first17)
                # calc_check_digit reads the first 17 characters of an 18-character number.
                return first17 + ric.calc_check_digit(first17 + "0")


def make_child(
    ctx: Context, household: DemoHousehold, ids: IdNumbers, sibling_births: list[dt.date]
) -> DemoChild:
    rng = ctx.rng
    age, birth = draw_birth(ctx, sibling_births)
    sex = Sex.MALE if ctx.chance(MALE_RATE) else Sex.FEMALE
    id_number = None
    if not ctx.chance(NO_ID_RATE):
        born_away = household.work_region and ctx.chance(BORN_AWAY_RATE)
        id_number = ids.issue(household.work_region if born_away else COUNTY_REGION, birth, sex)
    row: Row = {
        "id": ctx.ids.next(Child),
        "village_id": household.village.id,
        "household_id": household.row["id"],
        "name": ctx.names.child(sex, household.surname),
        "sex": sex,
        "id_number": id_number,
        "no_id_reason": None if id_number else "未落户",
        "birth_date": birth,
        "ethnicity": rng.choice(MINORITIES) if ctx.chance(MINORITY_RATE) else "汉族",
        **guardian_fields(ctx, household),
        **key_group_fields(ctx, household, id_number),
        "school_id": None,
        "stage": None,
        "grade": None,
        "class_name": None,
        "student_no": f"G{id_number}" if id_number else ids.student_no_without_id(birth),
        "status": ChildStatus.ENROLLED,
        "status_reason": None,
        "status_note": None,
        "remarks": None,
    }
    child = DemoChild(row, household, None, [(HISTORY_START, ChildStatus.ENROLLED)])
    place_by_age(ctx, child, age)
    return child


def guardian_fields(ctx: Context, household: DemoHousehold) -> Row:
    orphan = ctx.chance(ORPHAN_RATE)
    relation = ctx.rng.choice(GRANDPARENTS) if orphan else ctx.pick(GUARDIAN_SHARES)
    name, phone = household.relative(ctx, relation)
    away = household.parents_work is not ParentsWork.AT_HOME
    return {
        "guardian_name": name,
        "guardian_relation": relation,
        "guardian_phone": phone,
        "guardian_migrant": away and relation in PARENTS,
        "is_orphan": orphan,
        "is_left_behind": household.parents_work is ParentsWork.BOTH_AWAY and not orphan,
        "is_migrant": household.parents_work is ParentsWork.WITH_CHILDREN,
    }


def key_group_fields(ctx: Context, household: DemoHousehold, id_number: str | None) -> Row:
    """Disability (with 残疾证, making the household a 残疾人家庭) and the other key groups;
    poverty is set once all siblings exist."""
    disabled = ctx.chance(DISABILITY_RATE)
    fields: Row = {
        "is_disabled": disabled,
        "disability_category": None,
        "disability_grade": None,
        "disability_cert_no": None,
        "is_poor": False,
        "is_prisoner_child": ctx.chance(PRISONER_CHILD_RATE),
        "is_disabled_parent_child": household.has_disabled_parent
        and ctx.chance(DISABLED_PARENT_CHILD_RATE),
    }
    if disabled:
        category = ctx.rng.choice(list(DISABILITY_CATEGORIES))
        grade = ctx.rng.choice(list(DISABILITY_GRADES))
        fields.update(disability_category=category, disability_grade=grade)
        if id_number:
            code = DISABILITY_CATEGORIES[category] + DISABILITY_GRADES[grade]
            fields["disability_cert_no"] = id_number + code
        household.row["is_disabled_family"] = True
    return fields


def place_by_age(ctx: Context, child: DemoChild, age: int) -> None:
    """School and grade from age (grade = age − 5, one less for late starters), or completion.

    Children who moved with their parents are 异地就读 where the parents work.
    """
    if age > LAST_COMPULSORY_AGE:
        child.attend(None, None)
        if age == LAST_COMPULSORY_AGE + 1:  # sat grade 9 last year
            child.change_status(ChildStatus.COMPLETED, JUNIOR_SCHOOL_FINISHED)
        else:
            child.register_as(ChildStatus.COMPLETED)
        return
    late = age >= 8 and ctx.chance(LATE_START_RATE)
    grade = min(age - 5 - late, 9)
    if grade == 1:  # first-graders entered this September; their history starts there
        child.timeline[0] = (SCHOOL_YEAR_START, ChildStatus.ENROLLED)
    household = child.household
    if household.parents_work is ParentsWork.WITH_CHILDREN:
        child.attend(None, grade)
        child.register_as(ChildStatus.ELSEWHERE)
        child.row["status_note"] = f"随父母在{CITY_REGIONS[household.work_region]}就读"
    else:
        child.attend(child.village.school_for(grade), grade)


# --- Statuses -------------------------------------------------------------------------------


def assign_statuses(ctx: Context, children: Sequence[DemoChild]) -> None:
    """Move exact numbers of children out of plain 在校就读, then give the out-of-school
    ones their reasons (so that 因贫辍学 appears a known number of times)."""
    for status, share in STATUS_SHARES.items():
        eligible = [
            c
            for c in children
            if c.status is ChildStatus.ENROLLED
            and not c.row["is_disabled"]
            and STATUS_ELIGIBLE[status](c)
        ]
        for child in ctx.rng.sample(eligible, round(len(children) * share)):
            STATUS_MOVES[status](ctx, child)
    disabled = [c for c in children if c.row["is_disabled"] and c.status is ChildStatus.ENROLLED]
    for child, status in zip(
        disabled, shuffled_quota(ctx.rng, len(disabled), DISABLED_STATUS_SHARES), strict=True
    ):
        DISABLED_MOVES[status](child)
    for status, shares in REASON_SHARES.items():
        give_reasons(ctx, [c for c in children if c.status is status], shares)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def reason_fits(reason: OutOfSchoolReason, age: int) -> bool:
    """Whether ``reason`` is a plausible story for a child of ``age`` (REASON_MIN_AGE)."""
    return age >= REASON_MIN_AGE.get(reason, 0)


def give_reasons(
    ctx: Context, out_of_school: Sequence[DemoChild], shares: dict[OutOfSchoolReason, float]
) -> None:
    """Deal the reasons' quota to the children, the age-limited ones (strictest first) only
    to children old enough on the day they left; one that nobody fits becomes
    REASON_FALLBACK, so the quota of the other reasons (因贫 above all) is kept exactly."""
    reasons = shuffled_quota(ctx.rng, len(out_of_school), shares)
    limited = sorted((r for r in reasons if r in REASON_MIN_AGE), key=REASON_MIN_AGE.__getitem__)
    free = [r for r in reasons if r not in REASON_MIN_AGE]
    left = list(out_of_school)
    for reason in reversed(limited):
        fits = [c for c in left if reason_fits(reason, age_on(c.row["birth_date"], c.left_on))]
        if not fits:
            free.append(REASON_FALLBACK)
            continue
        child = ctx.rng.choice(fits)
        left.remove(child)
        child.row.update(status_reason=reason, status_note=REASON_NOTES[reason])
    for child, reason in zip(left, free, strict=True):
        child.row.update(status_reason=reason, status_note=REASON_NOTES[reason])


def drop_out(ctx: Context, child: DemoChild) -> None:
    if ctx.chance(SPRING_DROPOUT_RATE):  # so still in last year's grade and school
        left = ctx.day(*SPRING_TERM)
        grade = child.row["grade"] - 1
        child.attend(child.village.school_for(grade), grade)
    else:  # did not come back after the summer holidays
        left = ctx.day(SCHOOL_YEAR_START, dt.date(2026, 10, 31))
    child.change_status(ChildStatus.DROPOUT, left)


def stay_home(ctx: Context, child: DemoChild) -> None:
    child.never_enrolled()
    child.register_as(ChildStatus.NOT_ENROLLED)


def transfer_to_town(ctx: Context, child: DemoChild) -> None:
    moved_on = ctx.day(*SPRING_TERM) if ctx.chance(MIDYEAR_TRANSFER_RATE) else SCHOOL_YEAR_START
    child.attend(None, child.row["grade"])
    child.change_status(ChildStatus.ELSEWHERE, moved_on)
    child.row["status_note"] = "随父母进城，转入县城学校就读"


def suspend(ctx: Context, child: DemoChild) -> None:
    child.change_status(ChildStatus.SUSPENDED, ctx.day(SPRING_TERM[0], dt.date(2026, 10, 31)))
    child.row["status_note"] = "因病休学一年，已经县教育局批准"


def defer_entry(ctx: Context, child: DemoChild) -> None:
    child.never_enrolled()
    child.register_as(ChildStatus.EXEMPTED)
    child.row["status_note"] = "体弱多病，经县教育局批准缓学一年"


#: Who may take each status: dropouts are 11 or older, those kept from school are 6.
STATUS_ELIGIBLE: dict[ChildStatus, Callable[[DemoChild], bool]] = {
    ChildStatus.DROPOUT: lambda c: c.row["grade"] >= 5,
    ChildStatus.NOT_ENROLLED: lambda c: c.row["grade"] == 1,
    ChildStatus.ELSEWHERE: lambda c: c.row["grade"] >= 2,
    ChildStatus.SUSPENDED: lambda c: c.row["grade"] >= 3,
    ChildStatus.EXEMPTED: lambda c: c.row["grade"] == 1,
}
STATUS_MOVES: dict[ChildStatus, Callable[[Context, DemoChild], None]] = {
    ChildStatus.DROPOUT: drop_out,
    ChildStatus.NOT_ENROLLED: stay_home,
    ChildStatus.ELSEWHERE: transfer_to_town,
    ChildStatus.SUSPENDED: suspend,
    ChildStatus.EXEMPTED: defer_entry,
}


def special_school(child: DemoChild) -> None:
    child.attend(None, child.row["grade"])
    child.register_as(ChildStatus.SPECIAL_SCHOOL)
    child.row["status_note"] = "在县特殊教育学校就读"


def exempt(child: DemoChild) -> None:
    child.never_enrolled()
    child.register_as(ChildStatus.EXEMPTED)
    child.row["status_note"] = "重度残疾，经县教育局批准免学"


DISABLED_MOVES: dict[ChildStatus, Callable[[DemoChild], None]] = {
    ChildStatus.ENROLLED: lambda child: None,
    ChildStatus.INCLUSIVE: lambda child: child.register_as(ChildStatus.INCLUSIVE),
    ChildStatus.HOME_TEACHING: lambda child: child.register_as(ChildStatus.HOME_TEACHING),
    ChildStatus.SPECIAL_SCHOOL: special_school,
    ChildStatus.EXEMPTED: exempt,
}


ClassKey = tuple[int, int, int]  # school id, grade, class number


def assign_classes(ctx: Context, children: Sequence[DemoChild]) -> dict[ClassKey, str]:
    """Deal each school grade into classes of about CLASS_SIZE, each with a 班主任;
    return the 班主任 by class for their agreements with the school."""
    by_grade: dict[tuple[int, int], list[DemoChild]] = defaultdict(list)
    for child in children:
        if child.school is not None:
            by_grade[child.school.id, child.row["grade"]].append(child)
    teachers: dict[ClassKey, str] = {}
    for (school_id, grade), pupils in by_grade.items():
        classes = math.ceil(len(pupils) / CLASS_SIZE)
        for number in range(1, classes + 1):
            teachers[school_id, grade, number] = ctx.names.adult(ctx.pick(TEACHER_SEX_SHARES))
        for index, child in enumerate(pupils):
            number = index % classes + 1
            child.row["class_name"] = f"{number}班"
            child.teacher = teachers[school_id, grade, number]
    return teachers


def status_history_rows(ctx: Context, children: Iterable[DemoChild]) -> Iterator[Row]:
    """One ChildStatusChange per step of each timeline, as ``admin_app.util.history`` writes
    them."""
    for child in children:
        previous = None
        for step, (day, status) in enumerate(child.timeline, start=1):
            final = step == len(child.timeline)  # the current status, with its reason
            yield {
                "id": ctx.ids.next(ChildStatusChange),
                "child_id": child.id,
                "from_status": previous,
                "to_status": status,
                "effective_on": day,
                "ended_on": None if final else child.timeline[step][0],
                "reason": child.row["status_reason"] if final else None,
                "note": child.row["status_note"] if final else None,
                "changed_by_id": None,
            }
            previous = status


# --- Cases and plans ------------------------------------------------------------------------


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


# --- Assistance records ---------------------------------------------------------------------


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


# --- Agreements -----------------------------------------------------------------------------


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
    """The DEMO_ACCOUNTS, skipping usernames already taken (an admin made before seeding)."""
    taken = set(session.scalars(select(User.username)))
    villages = {v.name: v.id for v in places.villages if v.township is places.townships[0]}
    schools = {s.name: s.id for s in places.schools}
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    created = 0
    for account in DEMO_ACCOUNTS:
        if account.username in taken:
            continue
        user = User(
            username=account.username,
            display_name=f"演示{account.role.label}",
            role=account.role,
            village_id=villages.get(account.village),
            school_id=schools.get(account.school),
            # Exempt from the password policy, and marked: see admin_app.util.siteflags.
            is_demo=True,
        )
        user.set_password(account.password, method)
        session.add(user)
        created += 1
    session.flush()
    return created


# --- Writing and checking ---------------------------------------------------------------------

#: Summary labels, in the order the tables are written.
TABLE_LABELS = {
    Township: "乡镇",
    Village: "行政村",
    School: "学校",
    Household: "家庭户",
    Child: "儿童",
    ChildStatusChange: "状态变更记录",
    DropoutCase: "控辍案件",
    CaseVisit: "劝返走访",
    Notice: "文书",
    CaseEvent: "案件办理步骤",
    AssistancePlan: "帮扶方案",
    AssistanceRecord: "帮扶记录",
    ResponsibilityAgreement: "责任书",
    Inspection: "督导检查",
    InspectionScore: "督导评分",
}


TIMESTAMP_COLUMNS = ("created_at", "updated_at", "changed_at")


class BulkWriter:
    """Writes generated rows (``admin_app.lists.bulk``: COPY on PostgreSQL), and counts them.

    The whole load carries one timestamp: calling the columns' Python default for each of
    hundreds of thousands of rows would cost seconds.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._counts: dict[type, int] = {}
        self._written_at = utcnow()
        self._dialect = session.get_bind().dialect

    def insert(self, model: type, rows: Iterable[Row]) -> None:
        table = model.__table__
        stamps = {name: self._written_at for name in TIMESTAMP_COLUMNS if name in table.c}
        self._counts[model] = insert_rows(self._session, table, rows, same_for_all=stamps)

    def sync_id_sequences(self, ids: IdAllocator) -> None:
        """Explicit keys leave PostgreSQL's sequences behind; move them past the rows."""
        if self._dialect.name != "postgresql":
            return
        for model in ids.first:
            self._session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"),
                {"table": model.__tablename__, "last": ids.last(model)},
            )

    def summary(self) -> dict[str, int]:
        return {label: self._counts.get(model, 0) for model, label in TABLE_LABELS.items()}


def validators() -> list[tuple[type, Callable[[Session, Any], Errors]]]:
    """The panel's own checks, judged on the demo's present rather than the clock's."""
    return [
        (Household, check_household),
        (Child, partial(check_child, today=DEMO_PRESENT)),
        (AssistancePlan, check_plan),
        (AssistanceRecord, partial(check_assistance, today=DEMO_PRESENT)),
        (ResponsibilityAgreement, partial(check_agreement, today=DEMO_PRESENT)),
        (Inspection, partial(check_inspection, today=DEMO_PRESENT)),
        (InspectionScore, check_score),
    ]


def verify(session: Session, ids: IdAllocator, every: int) -> None:
    """Run every ``every``-th generated row through the validators the panel's forms use.

    A refusal, or a validator wanting to change a value, is a bug in this module; raising
    before the commit keeps such data out of the database. The validators read the rows'
    many-to-one relations, so those are loaded in batches rather than one query each.
    """
    with session.no_autoflush:
        for model, check in validators():
            first = ids.first[model]
            parents = [
                selectinload(relation)
                for relation in inspect(model).relationships
                if relation.direction is MANYTOONE
            ]
            sample = (
                select(model)
                .where(model.id >= first, (model.id - first) % every == 0)
                .options(*parents)
                .order_by(model.id)
            )
            for obj in session.scalars(sample):
                errors = check(session, obj)
                if errors or session.is_modified(obj):
                    problem = errors or "校验改动了数据"
                    raise DemoDataError(f"{model.__tablename__} #{obj.id}: {problem}")
