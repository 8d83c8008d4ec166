"""Domain validation: plain functions over the session, shared by views, CLI and imports.

Each ``check_*`` function looks at a (possibly unsaved) model object, fills in what can
be derived (birth date and sex from the ID number), and returns the problems as
``{field name: Chinese message}``. An empty dict means the object may be saved.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from ..access.scope import scope_criterion
from ..cases import hometeaching
from ..choices import (
    IN_SCHOOL_STATUSES,
    LEVEL_LINE,
    OUT_OF_SCHOOL_STATUSES,
    PARENT_LEVELS,
    AgreementLevel,
    AgreementStatus,
    ChildStatus,
    OutOfSchoolReason,
    Role,
    Sex,
    Stage,
)
from ..models import (
    AssistancePlan,
    AssistanceRecord,
    Child,
    ChildStatusChange,
    HomeTeachingSession,
    Household,
    Inspection,
    InspectionScore,
    ResponsibilityAgreement,
    Township,
    User,
    Village,
)
from ..reports.display import points
from ..util.dates import age_on, local_today, school_year_cutoff

Errors = dict[str, str]

SPACE_RE = re.compile(r"\s+")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
STAGE_GRADES = {Stage.PRIMARY: range(1, 7), Stage.JUNIOR: range(7, 10)}
MAX_SCHOOL_AGE = 18


def normalize_id_number(raw: Any) -> str:
    """Clean what clerks paste: full-width digits, spaces, a lowercase ``x``."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return SPACE_RE.sub("", text).upper()


def id_number_error(number: str) -> str | None:
    """The Chinese reason why an 18-character ID number is invalid, or None.

    The same checks as ``ric.validate`` (length, digits, checksum, birth date, place),
    with the place lookup — the slow part — cached per region code and birth year, so
    that an import of 100,000 rows does not look the same county up 100,000 times.
    """
    if len(number) != 18:
        return f"身份证号应为18位，当前为{len(number)}位"
    if not (number[:17].isascii() and number[:17].isdigit()):
        return "身份证号前17位应为数字，末位为数字或X"
    if number[-1] != ric.calc_check_digit(number):
        return "身份证号校验码错误，请逐位核对"
    try:  # as ric.get_birth_date, without its re-cleaning of a number already clean
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if not _known_place(number[:6], birth.year):
        return "身份证号中的地区码无效"
    return None


@lru_cache(maxsize=8192)
def _known_place(region: str, year: int) -> bool:
    try:
        ric.get_birth_place(f"{region}{year:04d}01010000")
    except InvalidComponent:
        return False
    return True


def sex_from_id_number(number: str) -> Sex:
    return Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE


def phone_error(phone: str | None) -> str | None:
    if not phone:
        return None
    compact = phone.replace(" ", "")
    if MOBILE_RE.match(compact) or LANDLINE_RE.match(compact):
        return None
    return "电话号码应为11位手机号或带区号的固定电话（如 0731-84012345）"


def not_in_future(value: dt.date | None, label: str, today: dt.date) -> str | None:
    if value is not None and value > today:
        return f"{label}不能晚于今天"
    return None


def _blank_to_none(obj: Any, *fields: str) -> None:
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, str) and not value.strip():
            setattr(obj, name, None)
        elif isinstance(value, str):
            setattr(obj, name, value.strip())


def check_child(
    session: Session,
    child: Child,
    today: dt.date | None = None,
    *,
    check_unique: bool = True,
    viewer: Any = None,
) -> Errors:
    """Check a child; ``check_unique=False`` skips the one query (imports match ID numbers
    against the register in bulk and upsert, so a known number is an update, not a clash).

    A duplicate ID number is named with the village and child number that hold it only
    when ``viewer`` (the user saving, if any) may read that child; otherwise the message
    says only that it is registered, so the form cannot be used to look people up."""
    today = today or local_today()
    errors: Errors = {}
    _blank_to_none(
        child,
        "id_number",
        "no_id_reason",
        "guardian_name",
        "guardian_relation",
        "guardian_phone",
        "class_name",
        "student_no",
        "status_note",
    )

    if child.id_number:
        child.id_number = normalize_id_number(child.id_number)
        problem = id_number_error(child.id_number)
        if problem:
            errors["id_number"] = problem
        else:
            derived_birth = ric.get_birth_date(child.id_number)
            derived_sex = sex_from_id_number(child.id_number)
            if child.birth_date is None:
                child.birth_date = derived_birth
            elif child.birth_date != derived_birth:
                errors["birth_date"] = (
                    f"出生日期与身份证号不一致（身份证号中为{derived_birth:%Y-%m-%d}）"
                )
            if child.sex is None:
                child.sex = derived_sex
            elif child.sex != derived_sex:
                errors["sex"] = f"性别与身份证号不一致（身份证号中为{derived_sex.label}）"
            existing = None
            if check_unique:
                readable = true() if viewer is None else scope_criterion(Child, viewer)
                with session.no_autoflush:
                    existing = session.execute(
                        select(Child.id, Village.name, readable.label("readable"))
                        .join(Village, Village.id == Child.village_id)
                        .where(Child.id_number == child.id_number, Child.id != (child.id or 0))
                    ).first()
            if existing and existing.readable:
                errors["id_number"] = f"该身份证号已登记在{existing.name}（儿童编号{existing.id}）"
            elif existing:
                errors["id_number"] = (
                    "该身份证号已登记（不在您的管辖范围内），请联系乡镇工作人员核实"
                )
    elif not child.no_id_reason:
        errors["no_id_reason"] = "无身份证号时须填写无证原因（如未落户）"

    if child.birth_date is None:
        errors.setdefault("birth_date", "请填写出生日期，或填写身份证号自动带出")
    else:
        if child.birth_date > today:
            errors["birth_date"] = "出生日期不能晚于今天"
        else:
            age = age_on(child.birth_date, school_year_cutoff(today))
            if not 0 <= age <= MAX_SCHOOL_AGE:
                errors.setdefault(
                    "birth_date", f"学年起始日年龄为{age}岁，超出登记范围（0–{MAX_SCHOOL_AGE}岁）"
                )
    if child.sex is None:
        errors.setdefault("sex", "请选择性别，或填写身份证号自动带出")

    if child.village_id is None and child.village is None:
        errors["village"] = "请选择行政村"
    household = child.household
    village_id = child.village.id if child.village is not None else child.village_id
    if household is not None and village_id is not None and household.village_id != village_id:
        errors["household"] = "所选家庭户不属于该行政村"

    if child.grade is not None:
        if not 1 <= child.grade <= 9:
            errors["grade"] = "年级应在1–9之间"
        elif child.stage is not None and child.grade not in STAGE_GRADES[Stage(child.stage)]:
            span = STAGE_GRADES[Stage(child.stage)]
            errors["grade"] = (
                f"{Stage(child.stage).label}学段的年级应为{span.start}–{span.stop - 1}年级"
            )
    if child.grade is not None and child.stage is None:
        child.stage = Stage.PRIMARY if child.grade <= 6 else Stage.JUNIOR

    problem = phone_error(child.guardian_phone)
    if problem:
        errors["guardian_phone"] = problem

    status = ChildStatus(child.status) if child.status else ChildStatus.ENROLLED
    if status in OUT_OF_SCHOOL_STATUSES and child.status_reason is None:
        errors["status_reason"] = "状态为未入学或辍学时须选择原因"
    if child.status_reason == OutOfSchoolReason.OTHER and not child.status_note:
        errors["status_note"] = "原因为“其他”时须写明具体情况"
    if status not in OUT_OF_SCHOOL_STATUSES and status != ChildStatus.MOVED_OUT:
        # A stale reason would make the child count as 因贫辍学 in reports.
        child.status_reason = None
    effective_on = child.status_effective_on
    if effective_on is not None:
        if effective_on > today:
            errors["status_effective_on"] = "状态生效日期不能晚于今天"
        elif child.id is not None:
            with session.no_autoflush:
                last = session.scalar(
                    select(func.max(ChildStatusChange.effective_on)).where(
                        ChildStatusChange.child_id == child.id
                    )
                )
            if last is not None and effective_on < last:
                errors["status_effective_on"] = (
                    f"状态生效日期不能早于上一次状态变更（{last:%Y-%m-%d}）"
                )
    if status in {ChildStatus.ENROLLED, ChildStatus.INCLUSIVE} and child.school is None:
        errors["school"] = f"状态为“{status.label}”时须选择就读学校"
    if status in IN_SCHOOL_STATUSES and status != ChildStatus.ELSEWHERE and child.grade is None:
        errors.setdefault("grade", "在校儿童须填写年级")
    return errors


def check_household(session: Session, household: Household) -> Errors:
    _blank_to_none(household, "group_name", "address", "phone", "remarks")
    errors: Errors = {}
    if not (household.head_name or "").strip():
        errors["head_name"] = "请填写户主姓名"
    problem = phone_error(household.phone)
    if problem:
        errors["phone"] = problem
    return errors


def check_agreement(
    session: Session, agreement: ResponsibilityAgreement, today: dt.date | None = None
) -> Errors:
    today = today or local_today()
    errors: Errors = {}
    level = AgreementLevel(agreement.level) if agreement.level else None
    if level is not None:
        expected_line = LEVEL_LINE[level]
        if agreement.line is None:
            agreement.line = expected_line
        elif agreement.line != expected_line:
            errors["line"] = f"“{level.label}”属于{expected_line.label}"
        if level == AgreementLevel.TOWNSHIP_VILLAGE and agreement.village is None:
            errors["village"] = "乡政府—村委会责任书须选择行政村"
        if level in (AgreementLevel.SCHOOL_TEACHER, AgreementLevel.TEACHER_PARENT) and (
            agreement.school is None
        ):
            errors["school"] = "学校线责任书须选择学校"
        if level in PARENT_LEVELS and agreement.child is None and agreement.household is None:
            errors["child"] = "与家长签订的责任书须选择儿童或家庭户"
    if agreement.child is not None and agreement.village is None:
        agreement.village = agreement.child.village
    for name in ("target_enrolment_rate", "target_retention_rate"):
        value = getattr(agreement, name)
        if value is not None and not Decimal(0) <= Decimal(value) <= Decimal(100):
            errors[name] = "目标比例应在0–100之间"
    if agreement.status == AgreementStatus.SIGNED and agreement.signed_on is None:
        errors["signed_on"] = "已签订的责任书须填写签订日期"
    problem = not_in_future(agreement.signed_on, "签订日期", today)
    if problem:
        errors["signed_on"] = problem
    if (
        agreement.signed_on is not None
        and agreement.valid_until is not None
        and agreement.valid_until < agreement.signed_on
    ):
        errors["valid_until"] = "有效期至不能早于签订日期"
    return errors


def check_plan(session: Session, plan: AssistancePlan) -> Errors:
    errors: Errors = {}
    if plan.child is None and plan.household is None:
        errors["child"] = "帮扶方案须对应一名儿童或一个家庭户"
    if (
        plan.child is not None
        and plan.household is not None
        and plan.child.household_id != plan.household.id
    ):
        errors["household"] = "所选儿童不属于该家庭户"
    if not (plan.measures or "").strip():
        errors["measures"] = "请填写帮扶措施"
    if plan.start_on and plan.review_on and plan.review_on < plan.start_on:
        errors["review_on"] = "复核日期不能早于开始日期"
    return errors


def check_assistance(
    session: Session, record: AssistanceRecord, today: dt.date | None = None
) -> Errors:
    today = today or local_today()
    errors: Errors = {}
    if record.amount is None:
        record.amount = Decimal("0")
    elif Decimal(record.amount) < 0:
        errors["amount"] = "金额不能为负数"
    problem = not_in_future(record.given_on, "帮扶日期", today)
    if problem:
        errors["given_on"] = problem
    plan = record.plan
    child = record.child
    if plan is not None and child is not None:
        belongs = plan.child_id == child.id or (
            plan.child_id is None and plan.household_id == child.household_id
        )
        if not belongs:
            errors["plan"] = "所选帮扶方案不是该儿童（或其家庭）的方案"
    return errors


def check_inspection(
    session: Session, inspection: Inspection, today: dt.date | None = None
) -> Errors:
    today = today or local_today()
    errors: Errors = {}
    problem = not_in_future(inspection.inspected_on, "检查日期", today)
    if problem:
        errors["inspected_on"] = problem
    period = inspection.period
    if (
        period is not None
        and inspection.inspected_on is not None
        and not period.start_on <= inspection.inspected_on <= period.end_on
    ):
        errors["inspected_on"] = (
            f"检查日期不在考核周期“{period.name}”"
            f"（{period.start_on:%Y-%m-%d}至{period.end_on:%Y-%m-%d}）内"
        )
    return errors


def score_error(score: InspectionScore) -> str | None:
    """Check a score against its item's maximum and copy the maximum onto the row."""
    if score.item is None:
        return "请选择检查项目"
    score.max_points = score.item.max_points
    if score.score is None:
        return "请填写得分"
    if Decimal(score.score) < 0:
        return "得分不能为负数"
    if Decimal(score.score) > Decimal(score.item.max_points):
        return f"得分不能超过该项满分{points(score.item.max_points)}分"
    return None


def check_score(session: Session, score: InspectionScore) -> Errors:
    problem = score_error(score)
    if problem:
        return {"item" if score.item is None else "score": problem}
    if score.inspection is not None and score.item is not None:
        with session.no_autoflush:
            duplicate = session.scalar(
                select(InspectionScore.id).where(
                    InspectionScore.inspection_id == score.inspection.id,
                    InspectionScore.item_id == score.item.id,
                    InspectionScore.id != (score.id or 0),
                )
            )
        if duplicate:
            return {"item": "该次检查已有此项目的评分"}
    return {}


def check_user(session: Session, user: User, creator: User | None = None) -> Errors:
    """An account's problems. ``creator``: the administrator saving it; one kept to a
    township (``User.township_id``) makes and edits accounts of that township only."""
    errors: Errors = {}
    if user.role == Role.VILLAGE and user.village is None:
        errors["village"] = "村干部账号须选择所属行政村"
    if user.role == Role.SCHOOL and user.school is None:
        errors["school"] = "学校账号须选择所属学校"
    if user.role != Role.VILLAGE:
        user.village = None
    if user.role != Role.SCHOOL:
        user.school = None
    errors.update(_check_user_township(session, user, getattr(creator, "township_id", None)))
    with session.no_autoflush:
        duplicate = session.scalar(
            select(User.id).where(User.username == user.username, User.id != (user.id or 0))
        )
    if duplicate:
        errors["username"] = "该用户名已被使用"
    return errors


def _check_user_township(session: Session, user: User, creator_township: int | None) -> Errors:
    """全县部署: the account's township agrees with its village or school (which imply
    it, and fill it in when left empty); the 县教育局 belongs to no township. A township's
    administrator's accounts are of that township (filled in when left empty)."""
    if user.role == Role.COUNTY:
        if user.township is not None or user.township_id is not None:
            return {"township": "县教育局账号查看全县各乡镇，不能选择所属乡镇"}
        if creator_township is not None:
            return {"role": "乡镇管理员不能创建县教育局账号"}
        return {}
    place = user.village if user.role == Role.VILLAGE else user.school
    if place is not None:
        if user.township is not None and place.township_id != user.township.id:
            field = "village" if user.role == Role.VILLAGE else "school"
            what = "行政村" if user.role == Role.VILLAGE else "学校"
            return {field: f"所选{what}不属于所选乡镇“{user.township.name}”"}
        if user.township is None:
            user.township = place.township
    if creator_township is not None and user.township is None:
        user.township = session.get(Township, creator_township)
    township_id = user.township.id if user.township is not None else user.township_id
    if creator_township is not None and township_id != creator_township:
        return {"township": "只能管理本乡镇的账号：请选择本乡镇"}
    return {}


def check_village(session: Session, village: Village) -> Errors:
    _blank_to_none(village, "code", "groups")
    if village.code and not re.fullmatch(r"\d{12}", village.code):
        return {"code": "区划代码应为12位数字"}
    return {}


def check_school(session: Session, school: Any) -> Errors:
    _blank_to_none(school, "code")
    if school.code and not re.fullmatch(r"\d{10}", school.code):
        return {"code": "学校标识码应为10位数字"}
    return {}


# --- 送教上门 ---------------------------------------------------------------------------------

#: A session's hours: more than none, at most a school day.
HOME_TEACHING_MAX_HOURS = Decimal(8)


def check_home_teaching(
    session: Session, record: HomeTeachingSession, today: dt.date | None = None
) -> Errors:
    """A 送教上门 session: a child under 送教上门, a real day, hours, who taught and what."""
    today = today or local_today()
    errors: Errors = {}
    _blank_to_none(record, "teacher", "content", "note", "photo_ref")
    child = record.child
    if child is None:
        errors["child"] = "请选择送教对象（就学状态为“送教上门”的儿童）"
    if record.taught_on is None:
        errors["taught_on"] = "请填写送教日期"
    else:
        problem = not_in_future(record.taught_on, "送教日期", today)
        if problem:
            errors["taught_on"] = problem
        elif child is not None and child.birth_date and record.taught_on < child.birth_date:
            errors["taught_on"] = f"送教日期不能早于儿童出生日期（{child.birth_date:%Y-%m-%d}）"
        elif child is not None and not hometeaching.under_home_teaching_on(
            session, child, record.taught_on
        ):
            errors["child"] = (
                f"{child.name}的就学状态是“{child.status.label}”，送教日期当天也不是送教上门，"
                "不能登记送教上门记录"
            )
    if record.hours is None:
        errors["hours"] = "请填写课时（小时）"
    else:
        hours = Decimal(record.hours)
        # NaN and Infinity parse as decimals; comparing NaN raises, so they go first.
        if not hours.is_finite() or not 0 < hours <= HOME_TEACHING_MAX_HOURS:
            errors["hours"] = f"课时应大于0且不超过{HOME_TEACHING_MAX_HOURS}小时"
        elif hours != hours.quantize(Decimal("0.1")):
            errors["hours"] = "课时最多保留一位小数，如 1.5"
    if not record.teacher:
        errors["teacher"] = "请填写送教教师"
    if not record.content:
        errors["content"] = "请填写送教内容"
    return errors
