"""Factory helpers for test data (``make_child(**kw)`` and friends).

Each helper adds a valid row with sensible defaults and flushes, so a test states only
what matters to it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from stdnum.cn import ric

from admin_app.choices import (
    AccountabilityAction,
    AccountabilityStatus,
    AgreementLevel,
    AgreementLine,
    AgreementStatus,
    AssistanceKind,
    CaseEventKind,
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    NoticeKind,
    OutOfSchoolReason,
    PlanStatus,
    Role,
    SchoolKind,
    Sex,
    Stage,
)
from admin_app.extensions import db
from admin_app.models import (
    Accountability,
    AssessmentPeriod,
    AssistancePlan,
    AssistanceRecord,
    CaseEvent,
    CaseVisit,
    Child,
    DropoutCase,
    Household,
    Inspection,
    InspectionItem,
    InspectionScore,
    Notice,
    ResponsibilityAgreement,
    School,
    Township,
    User,
    Village,
)

PASSWORD = "test-pass-123"
_sequence = itertools.count(1)


def make_id_number(
    birth: dt.date = dt.date(2014, 3, 15), sex: Sex = Sex.MALE, region: str = "430121"
) -> str:
    """A valid 18-character ID number, unique within the test run."""
    serial = next(_sequence) % 500
    order = serial * 2 + (1 if sex == Sex.MALE else 0)
    base = f"{region}{birth:%Y%m%d}{order:03d}"
    return base + ric.calc_check_digit(base + "0")


def _add(obj: Any) -> Any:
    db.session.add(obj)
    db.session.flush()
    return obj


def make_township(**kw: Any) -> Township:
    return _add(Township(**{"name": "联合乡", "code": "430121100000", **kw}))


def make_village(township: Township | None = None, **kw: Any) -> Village:
    township = township or db.session.query(Township).first() or make_township()
    return _add(Village(**{"township": township, "name": f"测试村{next(_sequence)}", **kw}))


def make_school(township: Township | None = None, **kw: Any) -> School:
    township = township or db.session.query(Township).first() or make_township()
    defaults = {
        "township": township,
        "name": f"测试小学{next(_sequence)}",
        "kind": SchoolKind.PRIMARY,
    }
    return _add(School(**{**defaults, **kw}))


def make_household(village: Village | None = None, **kw: Any) -> Household:
    village = village or make_village()
    return _add(Household(**{"village": village, "head_name": "王大山", **kw}))


def make_child(**kw: Any) -> Child:
    """A child enrolled in grade 6 of a primary school unless told otherwise."""
    birth = kw.pop("birth_date", dt.date(2014, 3, 15))
    sex = kw.pop("sex", Sex.MALE)
    village = kw.pop("village", None) or make_village()
    defaults: dict[str, Any] = {
        "name": "王小明",
        "id_number": make_id_number(birth, sex),
        "birth_date": birth,
        "sex": sex,
        "village": village,
        "status": ChildStatus.ENROLLED,
        "stage": Stage.PRIMARY,
        "grade": 6,
        "class_name": "1班",
        "guardian_name": "王大山",
        "guardian_relation": "父亲",
        "guardian_phone": "13812345678",
        # Registered at the start of the 2025 school year, so later changes sort after it.
        "status_effective_on": dt.date(2025, 9, 1),
    }
    if "school" not in kw:
        defaults["school"] = make_school()
    return _add(Child(**{**defaults, **kw}))


def make_user(role: Role, username: str | None = None, **kw: Any) -> User:
    user = User(
        username=username or f"{role.value}{next(_sequence)}",
        display_name=kw.pop("display_name", f"测试{role.label}"),
        role=role,
        **kw,
    )
    user.set_password(kw.pop("password", PASSWORD), "pbkdf2:sha256:1000")
    return _add(user)


def make_period(**kw: Any) -> AssessmentPeriod:
    defaults = {
        "name": "2026年度",
        "start_on": dt.date(2026, 1, 1),
        "end_on": dt.date(2026, 12, 31),
    }
    return _add(AssessmentPeriod(**{**defaults, **kw}))


def make_item(**kw: Any) -> InspectionItem:
    defaults = {"name": f"检查项{next(_sequence)}", "max_points": Decimal(10)}
    return _add(InspectionItem(**{**defaults, **kw}))


def make_inspection(
    village: Village, period: AssessmentPeriod | None = None, **kw: Any
) -> Inspection:
    period = period or make_period()
    defaults = {
        "period": period,
        "village": village,
        "inspected_on": dt.date(2026, 5, 10),
        "inspectors": "李督导",
    }
    return _add(Inspection(**{**defaults, **kw}))


def make_agreement(**kw: Any) -> ResponsibilityAgreement:
    defaults: dict[str, Any] = {
        "year": 2026,
        "line": AgreementLine.GOVERNMENT,
        "level": AgreementLevel.TOWNSHIP_VILLAGE,
        "party_a_name": "张乡长",
        "party_a_org": "联合乡人民政府",
        "party_b_name": "刘主任",
        "party_b_org": "村委会",
        "signed_on": dt.date(2026, 2, 1),
        "valid_until": dt.date(2026, 12, 31),
        "status": AgreementStatus.SIGNED,
    }
    if "village" not in kw:
        defaults["village"] = make_village()
    return _add(ResponsibilityAgreement(**{**defaults, **kw}))


def make_assistance(child: Child, **kw: Any) -> AssistanceRecord:
    defaults = {
        "child": child,
        "kind": AssistanceKind.LIVING_ALLOWANCE,
        "given_on": dt.date(2026, 3, 1),
        "amount": Decimal("500.00"),
        "person": "李老师",
    }
    return _add(AssistanceRecord(**{**defaults, **kw}))


def make_case(child: Child | None = None, **kw: Any) -> DropoutCase:
    """A dropout case in persuasion, written as a row (no lifecycle steps, no events):
    for tests about what is shown or scoped. Tests of the steps drive ``admin_app.cases.core``."""
    defaults: dict[str, Any] = {
        "child": child or make_child(),
        "kind": CaseKind.DROPOUT,
        "discovered_on": dt.date(2026, 3, 1),
        "source": CaseSource.SCHOOL_REPORT,
        "reason": OutOfSchoolReason.LEARNING,
        "status": CaseStatus.PERSUADING,
    }
    return _add(DropoutCase(**{**defaults, **kw}))


def make_visit(case: DropoutCase | None = None, **kw: Any) -> CaseVisit:
    """The case's next visit (``seq`` counts on from its last one)."""
    case = case or make_case()
    defaults: dict[str, Any] = {
        "case": case,
        "seq": len(case.visits) + 1,
        "visited_on": dt.date(2026, 3, 20),
        "persons": "李老师",
    }
    return _add(CaseVisit(**{**defaults, **kw}))


def make_notice(case: DropoutCase | None = None, **kw: Any) -> Notice:
    """A return notice of the case's township with a number of its own (no counter used)."""
    case = case or make_case()
    seq = next(_sequence)
    defaults: dict[str, Any] = {
        "case": case,
        "township_id": case.child.village.township_id,
        "kind": NoticeKind.RETURN,
        "year": 2026,
        "seq": seq,
        "number": f"测劝字〔2026〕{seq}号",
        "issued_on": dt.date(2026, 3, 25),
        "deadline": dt.date(2026, 4, 10),
    }
    return _add(Notice(**{**defaults, **kw}))


def make_plan(**kw: Any) -> AssistancePlan:
    """An active assistance plan: a child's (with its household, if it has one) unless
    given only a household (一家一案); a new child's if given neither."""
    if "child" not in kw and "household" not in kw:
        kw["child"] = make_child()
    child = kw.get("child")
    defaults: dict[str, Any] = {
        "household": child.household if child is not None else None,
        "measures": "每周家访一次",
        "start_on": dt.date(2026, 3, 1),
        "status": PlanStatus.ACTIVE,
    }
    return _add(AssistancePlan(**{**defaults, **kw}))


def make_case_event(case: DropoutCase | None = None, **kw: Any) -> CaseEvent:
    """A line of the case's history (立案 unless told otherwise)."""
    defaults: dict[str, Any] = {
        "case": case or make_case(),
        "kind": CaseEventKind.OPEN,
        "happened_on": dt.date(2026, 3, 1),
    }
    return _add(CaseEvent(**{**defaults, **kw}))


def make_score(
    inspection: Inspection, item: InspectionItem | None = None, **kw: Any
) -> InspectionScore:
    item = item or make_item()
    defaults: dict[str, Any] = {
        "inspection": inspection,
        "item": item,
        "max_points": item.max_points,
        "score": Decimal(8),
    }
    return _add(InspectionScore(**{**defaults, **kw}))


def make_accountability(village: Village, period: AssessmentPeriod, **kw: Any) -> Accountability:
    defaults: dict[str, Any] = {
        "period": period,
        "village": village,
        "person": "刘主任",
        "line": AgreementLine.GOVERNMENT,
        "problem": "走访不及时",
        "action": AccountabilityAction.INTERVIEW,
        "status": AccountabilityStatus.PROPOSED,
    }
    return _add(Accountability(**{**defaults, **kw}))
