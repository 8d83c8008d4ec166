"""The demo's story in numbers: fixed dates, sizes, shares and rates, texts, the demo
accounts and the assessment periods. Tuning the demo data set means editing this file.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from admin_app.assessment.core import PARAMS
from admin_app.choices import (
    AgreementLevel,
    AssistanceKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    IndicatorMethod,
    OutOfSchoolReason,
    Role,
    Sex,
    Stage,
)

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
    township: int | None = None  # index of the township a township role is kept to


#: One account per role. The passwords are published in the README: demo use only.
DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "admin123!", Role.ADMIN),
    DemoAccount("clerk", "clerk123!", Role.CLERK),
    DemoAccount("leader", "leader123!", Role.LEADER),
    DemoAccount("inspector", "inspector123!", Role.INSPECTOR),
    DemoAccount("village", "village123!", Role.VILLAGE, village="联合村"),
    DemoAccount("school", "school123!", Role.SCHOOL, school="联合乡中心小学"),
    # 全县部署: the 县教育局 reads every township.
    DemoAccount("county", "county123!", Role.COUNTY),
]

#: 全县部署: at a scale of several townships, each township's own accounts, kept to it
#: (``User.township_id``) and numbered as the townships are: clerk01, leader01, clerk02 …
#: The accounts above reach every township (the county's own clerks).
TOWNSHIP_ACCOUNT_PASSWORDS = {Role.CLERK: "clerk123!", Role.LEADER: "leader123!"}
#: Their names: 青山镇工作人员, 青山镇领导.
TOWNSHIP_TITLES = {Role.CLERK: "工作人员", Role.LEADER: "领导"}


def township_accounts(townships: int) -> list[DemoAccount]:
    """The accounts of each township when there are several (none for one township)."""
    if townships < 2:
        return []
    return [
        DemoAccount(f"{role.value}{index + 1:02d}", password, role, township=index)
        for index in range(townships)
        for role, password in TOWNSHIP_ACCOUNT_PASSWORDS.items()
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
