"""Households and their children, with each child's status timeline and class."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from stdnum.cn import ric

from admin_app.choices import (
    ChildStatus,
    HouseholdCategory,
    OutOfSchoolReason,
    Sex,
)
from admin_app.models import (
    Child,
    ChildStatusChange,
    Household,
    HouseholdCategorySpan,
)
from seed.demo.context import Context, shuffled_quota, stage_of
from seed.demo.places import DemoSchool, DemoVillage
from seed.demo.settings import (
    AGE_CUTOFF,
    AGE_WEIGHTS,
    BORN_AWAY_RATE,
    CATEGORY_RATES,
    CITY_REGIONS,
    CLASS_SIZE,
    COUNTY_REGION,
    DISABILITY_CATEGORIES,
    DISABILITY_GRADES,
    DISABILITY_RATE,
    DISABLED_PARENT_CHILD_RATE,
    DISABLED_STATUS_SHARES,
    FAMILY_NAME_BEARERS,
    GRANDPARENTS,
    GUARDIAN_SHARES,
    HEAD_MALE_RATE,
    HISTORY_START,
    HOUSEHOLD_PHONE_RATE,
    JUNIOR_SCHOOL_FINISHED,
    LAST_COMPULSORY_AGE,
    LATE_START_RATE,
    MALE_RATE,
    MAX_SIBLINGS,
    MIDYEAR_TRANSFER_RATE,
    MIN_SIBLING_GAP_DAYS,
    MINORITIES,
    MINORITY_RATE,
    NO_ID_RATE,
    ORPHAN_RATE,
    PARENTS,
    PARENTS_WORK_SHARES,
    PRISONER_CHILD_RATE,
    REASON_FALLBACK,
    REASON_MIN_AGE,
    REASON_NOTES,
    REASON_SHARES,
    SCHOOL_YEAR_START,
    SPRING_DROPOUT_RATE,
    SPRING_TERM,
    STATUS_SHARES,
    TEACHER_SEX_SHARES,
    ParentsWork,
    Row,
)


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
