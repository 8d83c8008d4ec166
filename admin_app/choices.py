"""Enumerations of the domain, stored as stable ASCII codes and shown with Chinese labels.

Codes never change once data exists (imports, exports and SQL reports rely on them);
labels may be reworded freely.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class CodeEnum(StrEnum):
    """A string enumeration whose members carry a Chinese ``label``."""

    label: str

    def __new__(cls, code: str, label: str) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class Role(CodeEnum):
    ADMIN = "admin", "系统管理员"
    CLERK = "clerk", "乡镇工作人员"
    LEADER = "leader", "乡领导"
    INSPECTOR = "inspector", "督导员"
    VILLAGE = "village", "村干部"
    SCHOOL = "school", "学校"
    COUNTY = "county", "县教育局"


class SchoolKind(CodeEnum):
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    NINE_YEAR = "nine_year", "九年一贯制"
    TEACHING_POINT = "teaching_point", "教学点"
    SPECIAL = "special", "特殊教育学校"


class Sex(CodeEnum):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Stage(CodeEnum):
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"


class ChildStatus(CodeEnum):
    ENROLLED = "enrolled", "在校就读"
    ELSEWHERE = "elsewhere", "异地就读"
    INCLUSIVE = "inclusive", "随班就读"
    HOME_TEACHING = "home_teaching", "送教上门"
    SPECIAL_SCHOOL = "special_school", "特教学校"
    NOT_ENROLLED = "not_enrolled", "未入学"
    DROPOUT = "dropout", "辍学"
    #: On an official list (县扶贫办) with no school named: in N, not enrolled, until a
    #: verification step finds the child in school or opens a 疑似 case (DESIGN.md §4).
    PENDING = "pending", "待核实"
    SUSPENDED = "suspended", "休学(批准)"
    EXEMPTED = "exempted", "免缓学(批准)"
    COMPLETED = "completed", "已完成义务教育"
    MOVED_OUT = "moved_out", "迁出/死亡"


#: Statuses that count as "in school" for 入学率 (DESIGN.md §4).
IN_SCHOOL_STATUSES = frozenset(
    {
        ChildStatus.ENROLLED,
        ChildStatus.ELSEWHERE,
        ChildStatus.INCLUSIVE,
        ChildStatus.HOME_TEACHING,
        ChildStatus.SPECIAL_SCHOOL,
    }
)
#: Statuses that need a not-in-school reason.
OUT_OF_SCHOOL_STATUSES = frozenset({ChildStatus.NOT_ENROLLED, ChildStatus.DROPOUT})


class OutOfSchoolReason(CodeEnum):
    POVERTY = "poverty", "家庭经济困难"
    LEARNING = "learning", "学习困难/厌学"
    ILLNESS = "illness", "身体原因(病残)"
    WORK = "work", "外出务工"
    EARLY_MARRIAGE = "early_marriage", "早婚早育"
    PARENT_ATTITUDE = "parent_attitude", "家长观念"
    DISTANCE = "distance", "上学路远"
    LACK_OF_CARE = "lack_of_care", "关爱缺失"
    OTHER = "other", "其他(须说明)"


class AgreementLine(CodeEnum):
    GOVERNMENT = "government", "政府线"
    SCHOOL = "school", "学校线"


class AgreementLevel(CodeEnum):
    TOWNSHIP_VILLAGE = "township_village", "乡政府—村委会"
    VILLAGE_PARENT = "village_parent", "村委会—村民小组/家长"
    SCHOOL_TEACHER = "school_teacher", "学校—班主任"
    TEACHER_PARENT = "teacher_parent", "班主任—家长"


#: Which line each level belongs to; a mismatch is refused.
LEVEL_LINE = {
    AgreementLevel.TOWNSHIP_VILLAGE: AgreementLine.GOVERNMENT,
    AgreementLevel.VILLAGE_PARENT: AgreementLine.GOVERNMENT,
    AgreementLevel.SCHOOL_TEACHER: AgreementLine.SCHOOL,
    AgreementLevel.TEACHER_PARENT: AgreementLine.SCHOOL,
}
PARENT_LEVELS = frozenset({AgreementLevel.VILLAGE_PARENT, AgreementLevel.TEACHER_PARENT})


class AgreementStatus(CodeEnum):
    DRAFT = "draft", "草拟"
    SIGNED = "signed", "已签订"
    EXPIRED = "expired", "已失效"


class PlanStatus(CodeEnum):
    DRAFT = "draft", "制定中"
    ACTIVE = "active", "实施中"
    DONE = "done", "已完成"
    STOPPED = "stopped", "已终止"


class AssistanceKind(CodeEnum):
    TWO_EXEMPTIONS = "two_exemptions", "两免一补"
    NUTRITION = "nutrition", "营养改善计划"
    LIVING_ALLOWANCE = "living_allowance", "生活补助"
    SOCIAL_RELIEF = "social_relief", "社会救助"
    LEARNING = "learning", "学习帮扶"
    COUNSELLING = "counselling", "心理辅导"
    HOME_TEACHING = "home_teaching", "送教上门"
    HOME_VISIT = "home_visit", "入户走访"
    PERSUASION_VISIT = "persuasion_visit", "劝返走访"
    LEGAL_AID = "legal_aid", "法律援助"


#: What 帮扶覆盖率 counts as support (DESIGN §4): aid, subsidies, tutoring, counselling,
#: teaching at home, relief and legal aid. A visit (入户走访, 劝返走访) is a duty of the
#: cadres, not help given to the family.
SUPPORT_KINDS = frozenset(AssistanceKind) - {
    AssistanceKind.HOME_VISIT,
    AssistanceKind.PERSUASION_VISIT,
}


class CaseKind(CodeEnum):
    NOT_ENROLLED = "not_enrolled", "未入学"
    DROPOUT = "dropout", "辍学"


class CaseSource(CodeEnum):
    HOUSEHOLD_CHECK = "household_check", "入户排查"
    ROSTER_COMPARISON = "roster_comparison", "学籍比对"
    SCHOOL_REPORT = "school_report", "学校报告"
    HIGHER_FEEDBACK = "higher_feedback", "上级反馈"


class CaseStatus(CodeEnum):
    SUSPECTED = "suspected", "疑似"
    VERIFYING = "verifying", "核查中"
    ELSEWHERE = "elsewhere", "异地就读"
    EXEMPTED = "exempted", "免缓学"
    MOVED_OUT = "moved_out", "迁出/死亡"
    #: A false alarm (误报): the child was in school all along; closed, counted per source.
    IN_SCHOOL = "in_school", "核实在校"
    #: An approved suspension (休学, 义务教育法第十一条第二款): a lawful closure.
    SUSPENDED = "suspended", "休学"
    #: Unreachable after the visits: stays open and is reported to the 县政府.
    UNREACHED = "unreached", "失联"
    CONFIRMED = "confirmed", "确认"
    PERSUADING = "persuading", "劝返中"
    RETURNED = "returned", "已复学"
    FOLLOW_UP = "follow_up", "巩固跟踪"
    CLOSED = "closed", "销号"


class NoticeKind(CodeEnum):
    ENROLMENT = "enrolment", "入学通知书"
    RETURN = "return", "劝返复学通知书"
    RECTIFY = "rectify", "责令限期改正通知书"
    JUDICIAL = "judicial", "司法文书"


class IndicatorMethod(CodeEnum):
    ENROLMENT_RATE = "enrolment_rate", "入学率"
    RETENTION_RATE = "retention_rate", "巩固率"
    DROPOUT_RETURN = "dropout_return", "辍学劝返"
    AGREEMENT_COVERAGE = "agreement_coverage", "责任书覆盖率"
    LEDGER_COMPLETENESS = "ledger_completeness", "台账完整率"
    ASSISTANCE_COVERAGE = "assistance_coverage", "帮扶覆盖率"
    VISIT_TIMELINESS = "visit_timeliness", "劝返及时率"
    INSPECTION_SCORE = "inspection_score", "督导检查得分"


class AccountabilityAction(CodeEnum):
    INTERVIEW = "interview", "约谈"
    CRITICISM = "criticism", "通报批评"
    DEDUCTION = "deduction", "扣减考核分"
    RECTIFICATION = "rectification", "责令整改"
    REFERRAL = "referral", "移送纪检监察"


class AccountabilityStatus(CodeEnum):
    PROPOSED = "proposed", "拟问责"
    DECIDED = "decided", "已问责"
    RECTIFIED = "rectified", "已整改"


class ImportSource(CodeEnum):
    POVERTY = "poverty", "帮扶对象名单"
    ROSTER = "roster", "学籍名单"


class AuditAction(CodeEnum):
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    CREATE = "create", "新建"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    VIEW_SENSITIVE = "view_sensitive", "查看敏感信息"


#: Child key groups (重点群体), each a boolean column on Child.
CHILD_KEY_GROUPS: dict[str, str] = {
    "is_left_behind": "留守儿童",
    "is_migrant": "流动随迁",
    "is_disabled": "残疾",
    "is_poor": "家庭经济困难",
    "is_prisoner_child": "服刑人员未成年子女",
    "is_disabled_parent_child": "残疾人子女",
    "is_orphan": "孤儿·事实无人抚养",
}

#: Household support categories (帮扶类别), each a boolean column on Household;
#: a household with none of them is a 一般户.
HOUSEHOLD_CATEGORIES: dict[str, str] = {
    "is_poverty_alleviated": "脱贫户(建档立卡)",
    "is_monitored": "防返贫监测户",
    "is_dibao": "低保户",
    "is_tekun": "特困供养",
    "is_disabled_family": "残疾人家庭",
}


class HouseholdCategory(CodeEnum):
    """A support category as the category history stores it; ``attr`` is the Household
    column holding today's value (``"is_" + code``)."""

    POVERTY_ALLEVIATED = "poverty_alleviated", "脱贫户(建档立卡)"
    MONITORED = "monitored", "防返贫监测户"
    DIBAO = "dibao", "低保户"
    TEKUN = "tekun", "特困供养"
    DISABLED_FAMILY = "disabled_family", "残疾人家庭"

    @property
    def attr(self) -> str:
        return f"is_{self.value}"


class CaseEventKind(CodeEnum):
    """What happened on a 控辍案件: each lifecycle step, escalation step and notice event."""

    OPEN = "open", "立案"
    VERIFY = "verify", "开始核查"
    ELSEWHERE = "elsewhere", "核实异地就读"
    EXEMPTED = "exempted", "核实免缓学"
    MOVED_OUT = "moved_out", "核实迁出/死亡"
    IN_SCHOOL = "in_school", "核实在校"
    SUSPENDED = "suspended", "核实休学"
    UNREACHED = "unreached", "登记失联"
    CONFIRM = "confirm", "确认未入学/辍学"
    PERSUADE = "persuade", "开始劝返"
    CRITICISM = "criticism", "批评教育"
    RECTIFY = "rectify", "责令限期改正"
    JUDICIAL = "judicial", "司法文书"
    ACCOUNTABILITY = "accountability", "依法追责"
    RETURN = "return", "复学安置"
    FOLLOW_UP = "follow_up", "巩固跟踪"
    CLOSE = "close", "销号"
    #: Dropped out again while 已复学 or 巩固跟踪: back to 劝返中 (``cases.record_relapse``).
    RELAPSE = "relapse", "复辍"
    NOTICE = "notice", "开具文书"
    SERVED = "served", "文书送达"


#: The escalation order of the policy: a later step needs the earlier ones (or a reason).
ESCALATION_STEPS = (
    CaseEventKind.CRITICISM,
    CaseEventKind.RECTIFY,
    CaseEventKind.JUDICIAL,
    CaseEventKind.ACCOUNTABILITY,
)
#: Where a returned child may be placed (安置).
PLACEMENT_STATUSES = (
    ChildStatus.ENROLLED,
    ChildStatus.INCLUSIVE,
    ChildStatus.HOME_TEACHING,
    ChildStatus.SPECIAL_SCHOOL,
)
