"""送教上门 sessions: the recent term months of every child taught at home.

Twice a month, sometimes three times, by the child's 班主任 (or the school's principal),
from September to the demo's present. Two children fall short so that the 送教上门情况
screen has something to flag: the first missed a visit in October, the second in November.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal

from admin_app.choices import ChildStatus
from admin_app.models import HomeTeachingSession
from seed.demo.context import Context
from seed.demo.households import DemoChild
from seed.demo.settings import DEMO_PRESENT, HOME_TEACHING_TERM_MONTHS, Row

#: The months recorded: this school year's term months up to the demo's present.
FIRST_MONTH = dt.date(2026, 9, 1)
SHORT_MONTHS = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
HOURS = (Decimal("1.5"), Decimal("2.0"), Decimal("2.0"), Decimal("2.5"), Decimal("3.0"))
CONTENTS = (
    "语文：认读生字10个，听读课文",
    "数学：20以内加减法，认识钱币",
    "生活自理：穿衣、洗漱训练",
    "康复训练：上肢精细动作、握笔",
    "语言训练：看图说话，指认日常用品",
    "音乐律动与游戏，家长同步学习训练方法",
)


def months_until(present: dt.date) -> Iterator[dt.date]:
    month = FIRST_MONTH
    while month <= present:
        if month.month in HOME_TEACHING_TERM_MONTHS:
            yield month
        month = (month + dt.timedelta(days=32)).replace(day=1)


def home_teaching_session_rows(ctx: Context, children: Sequence[DemoChild]) -> Iterator[Row]:
    taught = [c for c in children if c.status is ChildStatus.HOME_TEACHING]
    short = dict(zip((c.id for c in taught), SHORT_MONTHS, strict=False))
    rng = ctx.rng
    for child in taught:
        grade = child.row["grade"] or 1
        teacher = child.teacher or child.village.school_for(grade).principal
        for month in months_until(DEMO_PRESENT):
            visits = 1 if short.get(child.id) == month else rng.choice((2, 2, 2, 3))
            # One visit in each part of the month, so that the days never collide.
            parts = ((3, 10), (12, 19), (21, 27))[:visits]
            for number, (first, last) in enumerate(parts, start=1):
                day = month.replace(day=rng.randint(first, last))
                if day > DEMO_PRESENT or child.status_on(day) is not ChildStatus.HOME_TEACHING:
                    continue
                yield {
                    "id": ctx.ids.next(HomeTeachingSession),
                    "child_id": child.id,
                    "taught_on": day,
                    "teacher": teacher,
                    "school_id": child.row["school_id"],
                    "hours": rng.choice(HOURS),
                    "content": rng.choice(CONTENTS),
                    "note": "家长签字确认" if rng.random() < 0.7 else None,
                    "photo_ref": f"送教照片{day:%Y%m}-{child.id}-{number}",
                    "recorded_by_id": None,
                }
