"""Chinese person and place names for the demo data, cheap enough for a whole county.

Faker's zh_CN provider is asked a few thousand times, once, to build frequency-weighted
pools; after that a name costs a couple of ``random.Random`` picks, which is what keeps
100,000 children affordable. Faker's given names are those of adults (秀英, 建国); the
children get names composed from characters common in names given since 2010.
"""

from __future__ import annotations

import random

from faker import Faker

from admin_app.choices import Sex

#: Faker calls per pool; its weighted surname list repeats itself well before this.
POOL_SIZE = 3000
#: Share of children with a one-character given name (子轩 is commoner than 轩).
ONE_CHARACTER_SHARE = 0.2

#: Children's given names: a leading and a trailing character (梓+涵), or one on its own.
CHILD_NAME_PARTS = {
    Sex.MALE: ("子梓浩宇俊博文睿泽嘉皓思天逸奕锦一昊明家", "轩涵宇辰晨宸然杰源佑航豪鑫磊程诺阳铭"),
    Sex.FEMALE: ("欣梓雨诗可语思梦紫佳若雅悦静慧诺安子一", "怡涵萱馨嫣彤琪曦婷瑶菲琳然晴妍宁"),
}
CHILD_SINGLE_NAMES = {Sex.MALE: "浩轩杰博鑫磊航豪睿晨宇涛", Sex.FEMALE: "欣悦琳婷瑶静菲晴雯妍萱"}

#: 联合乡's villages, as the implementation plan's township would name them.
LIANHE_VILLAGES = (
    "联合村",
    "新华村",
    "红星村",
    "光明村",
    "胜利村",
    "建设村",
    "和平村",
    "先锋村",
    "东风村",
    "团结村",
    "长岭村",
    "石桥村",
)
#: Further village names; a name recurs across townships, as it does in real counties.
OTHER_VILLAGES = (
    "青山村",
    "白沙村",
    "金盆村",
    "高桥村",
    "枫树村",
    "杨梅村",
    "花园村",
    "龙泉村",
    "双河村",
    "桃源村",
    "新塘村",
    "大塘村",
    "柏树村",
    "荷花村",
    "竹山村",
    "黄土村",
    "关山村",
    "茶园村",
    "新桥村",
    "永丰村",
    "合心村",
    "梅花村",
    "长冲村",
    "泉塘村",
    "水口村",
    "上屋村",
    "百禄村",
    "福星村",
    "南岭村",
    "太平村",
)
#: The county's townships; 联合乡 comes first so that the demo accounts always find it.
TOWNSHIPS = (
    "联合乡",
    "青山镇",
    "白沙乡",
    "金井镇",
    "高桥镇",
    "福临镇",
    "黄花镇",
    "春华镇",
    "果园镇",
    "路口镇",
    "北山镇",
    "开慧镇",
    "安沙镇",
    "江背镇",
    "双江镇",
)
#: The counties of the province-scale trial after the first (长沙县, whose townships are above):
#: each repeats the list of townships, told apart by its county's name.
OTHER_COUNTIES = (
    "浏阳市",
    "宁乡市",
    "望城区",
    "攸县",
    "茶陵县",
    "湘潭县",
    "韶山市",
    "衡山县",
    "南岳区",
)
NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def village_names(rng: random.Random, township_index: int, count: int) -> list[str]:
    """Distinct village names for one township (the database holds names unique per township)."""
    if township_index == 0:
        own = list(LIANHE_VILLAGES[:count])
        return own + rng.sample(OTHER_VILLAGES, count - len(own))
    return rng.sample(LIANHE_VILLAGES + OTHER_VILLAGES, count)


def township_names(count: int) -> list[str]:
    """The first county's townships as they are; further counties' carry the county's name
    (the database holds township names unique)."""
    counties = ("", *OTHER_COUNTIES)
    if count > len(counties) * len(TOWNSHIPS):
        raise ValueError(f"at most {len(counties) * len(TOWNSHIPS)} townships can be named")
    return [f"{counties[i // len(TOWNSHIPS)]}{TOWNSHIPS[i % len(TOWNSHIPS)]}" for i in range(count)]


def group_names(count: int) -> list[str]:
    """村民小组 as villagers say them: 一组, 二组, …"""
    return [f"{numeral}组" for numeral in NUMERALS[:count]]


class NameMaker:
    """Draws surnames, adult names and children's names from pools built once from Faker."""

    def __init__(self, rng: random.Random, fake: Faker) -> None:
        self._rng = rng
        self._surnames = [fake.last_name() for _ in range(POOL_SIZE)]
        self._adult_given = {
            Sex.MALE: [fake.first_name_male() for _ in range(POOL_SIZE // 2)],
            Sex.FEMALE: [fake.first_name_female() for _ in range(POOL_SIZE // 2)],
        }

    def surname(self) -> str:
        return self._rng.choice(self._surnames)

    def adult(self, sex: Sex, surname: str | None = None) -> str:
        return (surname or self.surname()) + self._rng.choice(self._adult_given[sex])

    def child(self, sex: Sex, surname: str) -> str:
        if self._rng.random() < ONE_CHARACTER_SHARE:
            return surname + self._rng.choice(CHILD_SINGLE_NAMES[sex])
        leading, trailing = CHILD_NAME_PARTS[sex]
        return surname + self._rng.choice(leading) + self._rng.choice(trailing)
