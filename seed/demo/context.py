"""The state every generator step shares: the random source, name pools and key allocator."""

from __future__ import annotations

import datetime as dt
import math
import random

from faker import Faker
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_app.choices import (
    Stage,
)
from admin_app.util.dates import local_today
from seed.demo.settings import DEMO_PRESENT, MOBILE_PREFIXES, K
from seed.names import NameMaker


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
