"""One declaration per entity of its columns: Chinese label, mask and import aliases.

List screens, detail pages, Excel exports and imports all read their headers from here,
so a column is named the same way everywhere a clerk meets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..choices import CHILD_KEY_GROUPS, HOUSEHOLD_CATEGORIES
from ..models import (
    AbsenceReport,
    Accountability,
    Alert,
    AssessmentIndicator,
    AssessmentPeriod,
    AssistancePlan,
    AssistanceRecord,
    AuditLog,
    CaseEvent,
    CaseVisit,
    Child,
    ChildStatusChange,
    DropoutCase,
    ExportRecord,
    HomeTeachingSession,
    Household,
    HouseholdCategorySpan,
    ImportBatch,
    Inspection,
    InspectionItem,
    InspectionScore,
    Notice,
    NoticeCounter,
    ReportSubmission,
    ResponsibilityAgreement,
    School,
    TermCheck,
    TermCheckEntry,
    Township,
    User,
    Village,
)
from .xlsx import Col


@dataclass(frozen=True)
class Column:
    label: str
    #: "id" or "phone": shown masked to roles that may not read them.
    mask: str | None = None
    #: Other headers that mean this column in files clerks receive.
    aliases: tuple[str, ...] = ()


def sheet_column(
    column: Column, value: str | Callable[[Any], Any], width: float, format: str = "text"
) -> Col:
    """A column of an Excel sheet headed and masked as ``column`` declares it: a report
    cannot retype a label, or forget the mask of a number that embeds the ID number."""
    return Col(column.label, value, width, format, mask=column.mask)


def _flags(groups: dict[str, str]) -> dict[str, Column]:
    return {name: Column(label) for name, label in groups.items()}


CHILD = {
    "name": Column(
        "姓名", aliases=("学生姓名", "儿童姓名", "姓 名", "儿童少年姓名", "适龄儿童姓名")
    ),
    "id_number": Column(
        "身份证号",
        mask="id",
        aliases=(
            "身份证号码",
            "证件号码",
            "公民身份号码",
            "身份证件号",
            "身份证件号码",
            "证件号",
            "学生身份证号",
            "儿童身份证号",
        ),
    ),
    "no_id_reason": Column("无证原因"),
    "sex": Column("性别", aliases=("性 别",)),
    "birth_date": Column("出生日期", aliases=("出生年月", "出生年月日", "生日")),
    "ethnicity": Column("民族"),
    "village": Column(
        "行政村",
        aliases=("村", "所在村", "村委会", "村(社区)", "所属村", "行政村名称", "户籍所在村"),
    ),
    "household": Column("家庭户"),
    # Not 户主: the household head is the household's, often not the child's guardian.
    "guardian_name": Column("监护人", aliases=("监护人姓名", "家长姓名")),
    "guardian_relation": Column("与儿童关系", aliases=("监护关系",)),
    "guardian_phone": Column(
        "监护人电话",
        mask="phone",
        aliases=("联系电话", "家长电话", "手机号", "监护人联系电话", "联系方式"),
    ),
    "guardian_migrant": Column("监护人外出务工"),
    **_flags(CHILD_KEY_GROUPS),
    "disability_category": Column("残疾类别"),
    "disability_grade": Column("残疾等级"),
    # 残疾证号 is the ID number and two digits, 学籍号 a letter and the ID number: whoever
    # may not read the ID number may not read them either.
    "disability_cert_no": Column("残疾证号", mask="id"),
    "school": Column("就读学校", aliases=("学校", "学校名称", "在读学校", "就读学校名称")),
    "stage": Column("学段"),
    "grade": Column("年级", aliases=("所在年级", "年级名称")),
    "class_name": Column("班级", aliases=("班别",)),
    "student_no": Column("学籍号", mask="id", aliases=("全国学籍号", "学籍辅号")),
    "status": Column("就学状态"),
    "status_reason": Column("未入学/辍学原因"),
    "status_note": Column("原因说明"),
    "status_effective_on": Column("状态生效日期"),
    "status_changes": Column("状态变更记录"),
    "remarks": Column("备注"),
    "updated_at": Column("更新时间"),
    "dropout_cases": Column("控辍案件"),
    "home_teaching": Column("送教上门记录"),
}

#: The columns a county list may carry: the child's, plus two that belong to the child's
#: household (户主 links or creates it; 户类别 is the support category a poverty list sets).
LIST_COLUMNS = {
    **CHILD,
    "household_head": Column("户主", aliases=("户主姓名", "户主名称")),
    "household_category": Column(
        "户类别",
        aliases=("帮扶类别", "户类型", "人口类型", "监测对象类别", "户属性", "脱贫户类型"),
    ),
}

HOUSEHOLD = {
    "village": Column("行政村"),
    "head_name": Column("户主"),
    "group_name": Column("村民小组"),
    "address": Column("住址"),
    "phone": Column("联系电话", mask="phone"),
    **_flags(HOUSEHOLD_CATEGORIES),
    "remarks": Column("备注"),
    "children": Column("适龄儿童"),
}

AGREEMENT = {
    "year": Column("年度"),
    "line": Column("线别"),
    "level": Column("层级"),
    "party_a_name": Column("甲方"),
    "party_a_org": Column("甲方单位"),
    "party_b_name": Column("乙方"),
    "party_b_org": Column("乙方单位"),
    "village": Column("行政村"),
    "school": Column("学校"),
    "child": Column("儿童"),
    "household": Column("家庭户"),
    "target_enrolment_rate": Column("目标入学率(%)"),
    "target_retention_rate": Column("目标巩固率(%)"),
    "liability_clause": Column("责任条款"),
    "signed_on": Column("签订日期"),
    "valid_until": Column("有效期至"),
    "status": Column("状态"),
    "scan_file": Column("扫描件"),
}

PLAN = {
    "child": Column("儿童"),
    "household": Column("家庭户"),
    "measures": Column("帮扶措施"),
    "village_person": Column("村级责任人"),
    "school_person": Column("学校责任人"),
    "start_on": Column("开始日期"),
    "review_on": Column("复核日期"),
    "status": Column("状态"),
}

ASSISTANCE = {
    "child": Column("儿童"),
    "child.village": Column("行政村"),
    "plan": Column("帮扶方案"),
    "kind": Column("帮扶类型"),
    "given_on": Column("帮扶日期"),
    "person": Column("帮扶人"),
    "amount": Column("金额(元)"),
    "content": Column("帮扶内容"),
    "outcome": Column("帮扶成效"),
}

INSPECTION = {
    "period": Column("考核周期"),
    "village": Column("行政村"),
    "inspected_on": Column("检查日期"),
    "inspectors": Column("检查人员"),
    "summary": Column("检查情况"),
    "scores": Column("评分"),
    "concealment_found": Column("发现隐瞒辍学"),
}

SCORE = {
    "inspection": Column("督导检查"),
    "inspection.village": Column("行政村"),
    "inspection.period": Column("考核周期"),
    "item": Column("检查项目"),
    "max_points": Column("满分"),
    "score": Column("得分"),
    "deduction_reason": Column("扣分原因"),
    "evidence_file": Column("佐证材料"),
}

VILLAGE = {
    "township": Column("乡镇"),
    "name": Column("村名"),
    "code": Column("区划代码"),
    "groups": Column("村民小组"),
}

SCHOOL = {
    "township": Column("乡镇"),
    "name": Column("校名"),
    "code": Column("学校标识码"),
    "kind": Column("类型"),
}

USER = {
    "username": Column("用户名"),
    "display_name": Column("姓名"),
    "role": Column("角色"),
    "village": Column("所属村"),
    "school": Column("所属学校"),
    "township": Column("所属乡镇"),
    "active": Column("启用"),
    "last_login_at": Column("最近登录"),
    "password": Column("密码"),
    "is_demo": Column("演示账号"),
    "session_token": Column("会话令牌"),
    "failed_logins": Column("连续登录失败次数"),
    "last_failed_login_at": Column("最近登录失败"),
    "locked_until": Column("锁定至"),
    "lockouts": Column("连续锁定次数"),
}

AUDIT = {
    "at": Column("时间"),
    "username": Column("用户"),
    "ip": Column("IP地址"),
    "action": Column("操作"),
    "table_name": Column("数据表"),
    "record_id": Column("记录编号"),
    "before": Column("修改前"),
    "after": Column("修改后"),
    "note": Column("说明"),
}

PERIOD = {"name": Column("名称"), "start_on": Column("开始日期"), "end_on": Column("结束日期")}

ITEM = {
    "name": Column("检查项目"),
    "max_points": Column("满分"),
    "sort_order": Column("排序"),
    "active": Column("启用"),
}

INDICATOR = {
    "code": Column("代码"),
    "name": Column("指标"),
    "points": Column("分值"),
    "method": Column("计算方法"),
    "params": Column("参数"),
    "sort_order": Column("排序"),
    "active": Column("启用"),
}

ACCOUNTABILITY = {
    "period": Column("考核周期"),
    "village": Column("行政村"),
    "person": Column("被问责人"),
    "line": Column("线别"),
    "position": Column("职务"),
    "problem": Column("问题"),
    "action": Column("问责方式"),
    "decided_on": Column("决定日期"),
    "decided_by": Column("决定人/单位"),
    "status": Column("状态"),
}

CASE = {
    "child": Column("儿童"),
    "child.village": Column("行政村"),
    "child.school": Column("学校"),
    "child.status": Column("儿童就学状态"),
    "kind": Column("案件类型"),
    "status": Column("案件状态"),
    "discovered_on": Column("发现日期"),
    "source": Column("来源"),
    "reason": Column("未入学/辍学原因"),
    "reason_note": Column("原因说明"),
    "family_situation": Column("家庭情况"),
    "village_person": Column("村级责任人"),
    "school_person": Column("学校责任人"),
    "follow_up_until": Column("巩固跟踪至"),
    "closed_on": Column("结案日期"),
    "outcome": Column("结案情况"),
}

# Tables no list screen shows, labelled for the audit log's before/after.
CASE_EVENT = {
    "case": Column("控辍案件"),
    "kind": Column("步骤"),
    "happened_on": Column("日期"),
    "from_status": Column("原状态"),
    "to_status": Column("新状态"),
    "note": Column("说明"),
    "deadline": Column("期限"),
    "skip_reason": Column("越级理由"),
    "notice": Column("通知书"),
    "actor": Column("经办人"),
    "actor_name": Column("经办人姓名"),
}

CASE_VISIT = {
    "case": Column("控辍案件"),
    "seq": Column("走访次序"),
    "visited_on": Column("走访日期"),
    "persons": Column("走访人员"),
    "result": Column("走访结果"),
}

NOTICE = {
    "case": Column("控辍案件"),
    "township": Column("乡镇"),
    "kind": Column("通知书类型"),
    "year": Column("年度"),
    "seq": Column("序号"),
    "number": Column("文号"),
    "issued_on": Column("发出日期"),
    "deadline": Column("期限"),
    "served_to": Column("送达对象"),
    "served_on": Column("送达日期"),
    "result": Column("送达情况"),
    "addressee": Column("受送达人"),
    "school_name": Column("学校"),
    "complied": Column("履行情况"),
    "issued_by": Column("签发人"),
}

NOTICE_COUNTER = {
    "township": Column("乡镇"),
    "year": Column("年度"),
    "last_seq": Column("已用最大序号"),
}

TOWNSHIP = {"name": Column("乡镇名称"), "code": Column("区划代码")}

STATUS_CHANGE = {
    "child": Column("儿童"),
    "from_status": Column("原状态"),
    "to_status": Column("新状态"),
    "effective_on": Column("生效日期"),
    "ended_on": Column("截止日期"),
    "reason": Column("原因"),
    "note": Column("说明"),
    "changed_by": Column("修改人"),
    "changed_at": Column("修改时间"),
}

CATEGORY_SPAN = {
    "household": Column("家庭户"),
    "category": Column("帮扶类别"),
    "held_from": Column("起始日期"),
    "held_until": Column("截止日期"),
    "changed_by": Column("修改人"),
    "changed_at": Column("修改时间"),
}

IMPORT_BATCH = {
    "source": Column("名单类型"),
    "file_name": Column("文件名"),
    "sha256": Column("文件校验码"),
    "user": Column("导入人"),
    "n_new": Column("新增"),
    "n_updated": Column("更新"),
    "n_rejected": Column("未导入"),
    "n_unchanged": Column("无变化"),
    "list_date": Column("名单日期"),
}

EXPORT_RECORD = {
    "report": Column("报表"),
    "title": Column("标题"),
    "path": Column("文件"),
    "user": Column("生成人"),
    "username": Column("用户名"),
    "role": Column("角色"),
    "filters": Column("筛选条件"),
    "row_count": Column("行数"),
    "sha256": Column("文件校验码"),
    "masked": Column("脱敏"),
}

# --- 送教上门 -------------------------------------------------------------------------------
HOME_TEACHING = {
    "child": Column("儿童"),
    "child.village": Column("行政村"),
    "taught_on": Column("送教日期"),
    "teacher": Column("送教教师"),
    "school": Column("送教学校"),
    "hours": Column("课时(小时)"),
    "content": Column("送教内容"),
    "note": Column("备注"),
    "photo_ref": Column("照片/记录存放位置"),
    "recorded_by": Column("登记人"),
}

# 动态监测预警
ABSENCE = {
    "child": Column("学生"),
    "child.village": Column("行政村"),
    "school": Column("报告学校"),
    "from_on": Column("缺勤开始日期"),
    "days": Column("连续缺勤天数"),
    "reason": Column("缺勤原因/说明"),
    "reported_by": Column("报告人账号"),
    "reported_by_name": Column("报告人"),
}
ALERT = {
    "kind": Column("预警类型"),
    "child": Column("儿童"),
    "source_key": Column("触发来源"),
    "owner_line": Column("责任线"),
    "village": Column("行政村"),
    "school": Column("学校"),
    "raised_on": Column("预警日期"),
    "due_on": Column("处理期限"),
    "detail": Column("预警内容"),
    "status": Column("状态"),
    "closed_action": Column("处理结果"),
    "closed_note": Column("处理情况"),
    "closed_by": Column("关闭人账号"),
    "closed_by_name": Column("关闭人"),
    "closed_at": Column("关闭时间"),
}

# 开学排查 (term-start check)
TERM_CHECK = {
    "township": Column("乡镇"),
    "term": Column("学期"),
    "opens_on": Column("开始日期"),
    "deadline": Column("截止日期"),
    "created_by": Column("创建人"),
    "escalated_at": Column("转疑似案件时间"),
    "closed_at": Column("结束时间"),
}
TERM_CHECK_ENTRY = {
    "campaign": Column("开学排查"),
    "child": Column("儿童"),
    "result": Column("排查结果"),
    "reason": Column("未到校原因"),
    "reason_note": Column("情况说明"),
    "marked_by": Column("标记人"),
    "marked_at": Column("标记时间"),
}

# 月报/学期报 上报
REPORT_SUBMISSION = {
    "township": Column("乡镇"),
    "kind": Column("报表类型"),
    "period": Column("报送期"),
    "period_label": Column("报送期名称"),
    "period_start": Column("统计起始日"),
    "as_of": Column("数据截至"),
    "revision": Column("版次"),
    "supersedes": Column("更正的版本"),
    "correction_reason": Column("更正原因"),
    "status": Column("状态"),
    "prepared_by": Column("填报人账号"),
    "prepared_by_name": Column("填报人"),
    "prepared_at": Column("填报时间"),
    "reviewed_by": Column("审核人账号"),
    "reviewed_by_name": Column("审核人"),
    "reviewed_at": Column("审核时间"),
    "submitted_by": Column("上报人账号"),
    "submitted_by_name": Column("上报人"),
    "submitted_at": Column("上报时间"),
    "return_reason": Column("退回原因"),
    "steps": Column("签批记录"),
    "snapshot": Column("数据快照"),
}

COLUMNS: dict[type, dict[str, Column]] = {
    Child: CHILD,
    Household: HOUSEHOLD,
    ResponsibilityAgreement: AGREEMENT,
    AssistancePlan: PLAN,
    AssistanceRecord: ASSISTANCE,
    Inspection: INSPECTION,
    InspectionScore: SCORE,
    Village: VILLAGE,
    School: SCHOOL,
    User: USER,
    AuditLog: AUDIT,
    AssessmentPeriod: PERIOD,
    InspectionItem: ITEM,
    AssessmentIndicator: INDICATOR,
    Accountability: ACCOUNTABILITY,
    DropoutCase: CASE,
    CaseEvent: CASE_EVENT,
    CaseVisit: CASE_VISIT,
    Notice: NOTICE,
    NoticeCounter: NOTICE_COUNTER,
    Township: TOWNSHIP,
    ChildStatusChange: STATUS_CHANGE,
    HouseholdCategorySpan: CATEGORY_SPAN,
    ImportBatch: IMPORT_BATCH,
    ExportRecord: EXPORT_RECORD,
    HomeTeachingSession: HOME_TEACHING,
    AbsenceReport: ABSENCE,
    Alert: ALERT,
    TermCheck: TERM_CHECK,
    TermCheckEntry: TERM_CHECK_ENTRY,
    ReportSubmission: REPORT_SUBMISSION,
}

#: Each table by the name clerks know it by (the audit log's 数据表).
TABLE_LABELS: dict[str, str] = {
    "child": "适龄儿童少年",
    "household": "家庭户",
    "responsibility_agreement": "目标责任书",
    "assistance_plan": "帮扶方案",
    "assistance_record": "帮扶记录",
    "dropout_case": "控辍案件",
    "case_event": "案件步骤",
    "case_visit": "案件走访",
    "notice": "通知书",
    "notice_counter": "通知书编号",
    "inspection": "督导检查",
    "inspection_score": "督导评分",
    "inspection_item": "检查项目",
    "assessment_period": "考核周期",
    "assessment_indicator": "考核指标",
    "accountability": "问责记录",
    "township": "乡镇",
    "village": "行政村",
    "school": "学校",
    "user_account": "用户",
    "audit_log": "操作日志",
    "child_status_change": "状态变更",
    "household_category_span": "帮扶类别变更",
    "import_batch": "导入批次",
    "export_record": "报表归档",
    "login_throttle": "登录失败计数（按地址）",
    "site_flag": "数据库标记",
    "home_teaching_session": "送教上门记录",
    "absence_report": "缺勤报告",
    "alert": "动态监测预警",
    "term_check": "开学排查",
    "term_check_entry": "开学排查名单",
    "report_submission": "月报/学期报",
}

#: Bookkeeping columns and links no list declares, but details pages, forms Flask-Admin
#: scaffolds and the audit log may show.
COMMON = {
    "id": Column("编号"),
    "created_at": Column("创建时间"),
    "updated_at": Column("更新时间"),
    # The optimistic-locking counter (admin_app.util.locking): how many saves the record has had.
    "version": Column("版本"),
    "case": Column("控辍案件"),
    "user": Column("用户账号"),
    "password_hash": Column("密码"),
}


def common_labels() -> dict[str, str]:
    return {name: column.label for name, column in COMMON.items()}


def model_of_table(table: str) -> type | None:
    return next((m for m in COLUMNS if getattr(m, "__tablename__", None) == table), None)


def field_label(table: str, key: str) -> str:
    """The Chinese label of a table's column key (``village_id`` reads as 行政村).

    Falls back to the key itself, which the tests of every table's columns rule out.
    """
    model = model_of_table(table)
    declared = COLUMNS.get(model, {}) if model is not None else {}
    for name in (key, key.removesuffix("_id")):
        if name in declared:
            return declared[name].label
    for name in (key, key.removesuffix("_id")):
        if name in COMMON:
            return COMMON[name].label
    return key


def labels(model: type) -> dict[str, str]:
    return {name: column.label for name, column in COLUMNS[model].items()}


def masked(model: type, kind: str) -> tuple[str, ...]:
    return tuple(name for name, column in COLUMNS[model].items() if column.mask == kind)
