"""Townships, villages and schools."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from admin_app.choices import (
    SchoolKind,
    Sex,
)
from admin_app.models import (
    School,
    Township,
    Village,
)
from seed.demo.context import Context
from seed.demo.settings import COUNTY_REGION, INSPECTORS_PER_TOWNSHIP, Row, Scale
from seed.names import group_names, township_names, village_names


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
