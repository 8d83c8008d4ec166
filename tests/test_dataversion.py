"""The cached ranking and home page (``admin_app.assessment.dataversion``) never show stale figures.

The property: after any sequence of edits — through the ORM, through Core statements,
through an import committed with the driver's own cursor, a write left uncommitted and
rolled back — the cached ranking equals a fresh ``rank_villages`` and the cached home
page equals one computed afresh. The sequences are random (seeded, so a failure repeats).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from admin_app.assessment import dataversion
from admin_app.assessment.core import rank_villages, ranked, ranking_with_change
from admin_app.choices import (
    AgreementLevel,
    AuditAction,
    CaseKind,
    CaseSource,
    ChildStatus,
    ImportSource,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.lists import imports
from admin_app.models import (
    AssessmentIndicator,
    AssessmentPeriod,
    AssistanceRecord,
    AuditLog,
    CaseVisit,
    Child,
    DropoutCase,
    InspectionScore,
    ResponsibilityAgreement,
    Village,
)
from admin_app.util.dates import local_today
from tests.factories import make_agreement, make_assistance, make_id_number, make_period
from tests.helpers import login, seed_scheme, submit
from tests.spreadsheets import poverty_row, xlsx

STATUSES = [
    (ChildStatus.ENROLLED, None),
    (ChildStatus.DROPOUT, OutOfSchoolReason.LEARNING),
    (ChildStatus.DROPOUT, OutOfSchoolReason.POVERTY),
    (ChildStatus.NOT_ENROLLED, OutOfSchoolReason.WORK),
    (ChildStatus.ELSEWHERE, None),
    (ChildStatus.SUSPENDED, None),
    (ChildStatus.MOVED_OUT, None),
]
VILLAGE_NAMES = ("甲村", "乙村", "丙村", "丁村")


def summary(results: list[Any]) -> list[tuple[Any, ...]]:
    """Everything a ranking shows, as plain values."""
    return [
        (
            r.village_id,
            r.rank,
            r.previous_rank,
            r.exact_total,
            tuple(r.veto_reasons),
            tuple((s.code, s.numerator, s.denominator, s.exact, s.note) for s in r.scores),
            tuple(sorted(r.counts.facts.items())),
        )
        for r in results
    ]


def fresh_ranking(period: AssessmentPeriod, earlier: AssessmentPeriod) -> list[Any]:
    """The full computation, as ``ranking_with_change`` would give it without a cache."""
    results = rank_villages(db.session, period)
    before = {r.village_id: r.rank for r in rank_villages(db.session, earlier)}
    for r in results:
        r.previous_rank = before.get(r.village_id)
    return results


def tables(html: str) -> list[str]:
    """The home page's figures (its tables), without the per-request token and nonce."""
    ids = "indicator-table|status-table|pending-watch"
    return re.findall(rf'<table[^>]*id="(?:{ids})".*?</table>', html, re.S)


def periods() -> tuple[AssessmentPeriod, AssessmentPeriod]:
    named = {p.name: p for p in db.session.scalars(select(AssessmentPeriod))}
    return named["2026年度"], named["2025年度"]


def assert_same(client: Any) -> None:
    """Cached ranking == fresh ranking; cached home page == home page computed afresh."""
    period, earlier = periods()
    assert summary(ranking_with_change(db.session, period)) == summary(
        fresh_ranking(period, earlier)
    )
    db.session.commit()
    cached_page = tables(client.get("/admin/").get_data(as_text=True))
    dataversion.clear()
    assert cached_page == tables(client.get("/admin/").get_data(as_text=True))


# --- The edits ---------------------------------------------------------------------------


def pick(rng: random.Random, model: type) -> Any:
    ids = list(db.session.scalars(select(model.id).order_by(model.id)))
    return db.session.get(model, rng.choice(ids)) if ids else None


def edit_status(rng: random.Random, step: int) -> None:
    child = pick(rng, Child)
    child.status, child.status_reason = rng.choice(STATUSES)
    child.status_effective_on = min(local_today(), dt.date(2026, 1, 5) + dt.timedelta(days=step))
    db.session.commit()


def add_assistance(rng: random.Random, step: int) -> None:
    make_assistance(pick(rng, Child), given_on=dt.date(rng.choice((2025, 2026)), 3, 1))
    db.session.commit()


def drop_assistance(rng: random.Random, step: int) -> None:
    record = pick(rng, AssistanceRecord)
    if record is not None:
        db.session.delete(record)
        db.session.commit()


def reweigh_indicator(rng: random.Random, step: int) -> None:
    indicator = pick(rng, AssessmentIndicator)
    if rng.random() < 0.3:
        indicator.active = not indicator.active
    else:
        indicator.points = Decimal(rng.randint(5, 30))
    db.session.commit()


def toggle_phone(rng: random.Random, step: int) -> None:
    child = pick(rng, Child)
    child.guardian_phone = None if child.guardian_phone else "13800000000"
    db.session.commit()


def sign_or_tear_agreement(rng: random.Random, step: int) -> None:
    agreement = pick(rng, ResponsibilityAgreement)
    if agreement is not None and rng.random() < 0.5:
        db.session.delete(agreement)
    else:
        child = pick(rng, Child)
        make_agreement(
            level=AgreementLevel.VILLAGE_PARENT,
            village=child.village,
            child=child,
            party_b_name="家长",
        )
    db.session.commit()


def open_case(rng: random.Random, step: int) -> None:
    child = pick(rng, Child)
    found = dt.date(2026, rng.randint(1, 10), rng.randint(1, 28))
    case = DropoutCase(
        child=child, kind=CaseKind.DROPOUT, discovered_on=found, source=CaseSource.SCHOOL_REPORT
    )
    db.session.add(case)
    db.session.flush()
    if rng.random() < 0.7:
        visited = found + dt.timedelta(days=rng.randint(1, 15))
        db.session.add(CaseVisit(case=case, seq=1, visited_on=visited, persons="村干部"))
    db.session.commit()


def rescore_inspection(rng: random.Random, step: int) -> None:
    # A Core UPDATE through the session: no ORM object is touched.
    score = pick(rng, InspectionScore)
    db.session.execute(
        update(InspectionScore)
        .where(InspectionScore.id == score.id)
        .values(score=Decimal(rng.randint(0, 10)))
    )
    db.session.commit()


def delete_by_core(rng: random.Random, step: int) -> None:
    # A Core DELETE on the connection itself, not through the session.
    record = pick(rng, CaseVisit)
    if record is not None:
        db.session.connection().execute(delete(CaseVisit).where(CaseVisit.id == record.id))
        db.session.commit()


def import_children(rng: random.Random, step: int) -> None:
    """A 扶贫 list committed by ``imports.commit_plan`` (rows written by the driver's cursor)."""
    rows = [
        poverty_row(
            make_id_number(dt.date(rng.randint(2011, 2019), 6, 1)),
            name=f"导入{step}{n}",
            village=rng.choice(VILLAGE_NAMES),
            school=rng.choice(("中心小学", "")),
            grade="三年级",
        )
        for n in range(rng.randint(1, 3))
    ]
    plan = imports.plan_file(db.session, xlsx(rows), "名单.xlsx", ImportSource.POVERTY)
    imports.commit_plan(db.session, plan, user_id=None, username="tester")


def uncommitted_then_rolled_back(rng: random.Random, step: int) -> None:
    """Inside a transaction that has written, the cache is neither read nor filled: the
    figures show the transaction's own rows; rolled back, they are gone again."""
    period, earlier = periods()
    for status, reason in (STATUSES[2], STATUSES[4]):
        child = pick(rng, Child)
        child.status, child.status_reason = status, reason
        child.status_effective_on = dt.date(2026, 6, 1)
        db.session.flush()
        assert summary(ranking_with_change(db.session, period)) == summary(
            fresh_ranking(period, earlier)
        )
    db.session.rollback()


EDITS = (
    edit_status,
    edit_status,
    add_assistance,
    drop_assistance,
    reweigh_indicator,
    toggle_phone,
    sign_or_tear_agreement,
    open_case,
    rescore_inspection,
    delete_by_core,
    import_children,
    uncommitted_then_rolled_back,
)


@pytest.fixture
def scheme(app):
    """Four villages with known records; returns the ids the tests need."""
    return seed_scheme(app)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cached_figures_equal_the_full_computation_after_random_edits(app, client, scheme, seed):
    login(client, "boss")
    rng = random.Random(seed)
    dataversion.clear()
    with app.app_context():
        assert_same(client)
        for step in range(25):
            edit = rng.choice(EDITS)
            edit(rng, step)
            assert_same(client)
            db.session.commit()


def test_unchanged_data_is_answered_from_the_cache(app, scheme):
    """Without this the property above would hold vacuously."""
    with app.app_context():
        period, _ = periods()
        first = ranked(db.session, period)
        db.session.commit()
        assert ranked(db.session, period) is first
        # A login's writes (user, audit log) do not empty it.
        db.session.add(AuditLog(action=AuditAction.LOGIN, username="x"))
        db.session.commit()
        assert ranked(db.session, period) is first
        db.session.execute(update(Village).values(name=Village.name))
        db.session.commit()
        assert ranked(db.session, period) is not first


def test_many_small_entries_do_not_push_the_ranking_out(app, scheme):
    """A clerk's searches each keep a count estimate; the ranking, a second's work at
    county scale, keeps its own place however many there are."""
    with app.app_context():
        period, _ = periods()
        first = ranked(db.session, period)
        for n in range(dataversion.CACHE_SIZE + 5):
            dataversion.cached(db.session, "listing.planner_rows", ("search", n), lambda: 1)
        assert ranked(db.session, period) is first


def test_every_table_the_figures_read_is_watched():
    """A table the indicators or the home page read must never be left out of the token."""
    read = {
        "village", "school", "household", "household_category_span", "child",
        "child_status_change", "responsibility_agreement", "assistance_record",
        "dropout_case", "case_visit", "notice", "assessment_period", "inspection",
        "inspection_score", "inspection_item", "assessment_indicator",
    }  # fmt: skip
    assert not read & dataversion.UNWATCHED
    assert dataversion.written_table('INSERT INTO "child" (name) VALUES (?)') == "child"
    assert dataversion.written_table("update child set name = 1") == "child"
    assert dataversion.written_table("DELETE FROM case_visit WHERE id = 1") == "case_visit"
    assert dataversion.written_table("TRUNCATE TABLE child") == "child"
    assert dataversion.written_table("COPY child (name) FROM STDIN") == "child"
    assert dataversion.written_table("SELECT * FROM child") is None


def test_a_saved_status_shows_on_the_very_next_request(app, client_as, world):
    """A clerk marks a child 辍学: the next home page counts it, though the page before
    was served (and cached) a moment earlier."""
    with app.app_context():
        make_period(name="2026年度", start_on=dt.date(2026, 1, 1), end_on=dt.date(2026, 12, 31))
        db.session.commit()
    clerk = client_as(Role.CLERK)
    dropout_link = re.compile(r"=dropout\">(\d+)</a>")
    before = clerk.get("/admin/").get_data(as_text=True)
    assert clerk.get("/admin/").get_data(as_text=True).count("=dropout") == before.count("=dropout")
    assert not dropout_link.search(before)
    with app.app_context():
        # The page just served was filed under the current token: the next one can be cached.
        assert dataversion.current(db.session) is not None
    ranking_before = ranking_table(clerk.get("/admin/ranking/").get_data(as_text=True))
    response = submit(
        clerk,
        f"/admin/child/edit/?id={world.child_a}",
        {
            "status": "dropout",
            "status_reason": "learning",
            "status_effective_on": local_today().isoformat(),
            "school": world.school_a,
        },
    )
    assert response.status_code == 302
    after = clerk.get("/admin/").get_data(as_text=True)
    assert dropout_link.findall(after) == ["1"]
    ranking_after = ranking_table(clerk.get("/admin/ranking/").get_data(as_text=True))
    assert "1人未劝返" not in ranking_before
    assert "1人未劝返" in ranking_after


def ranking_table(html: str) -> str:
    found = re.search(r'<table[^>]*id="ranking-table".*?</table>', html, re.S)
    assert found, "no ranking table"
    return found.group(0)


def test_a_token_changed_elsewhere_is_read_by_the_next_transaction(app, world):
    """The token is read once per transaction (a list page asks three times): another
    process's commit must show in the session's next transaction, i.e. the next request."""
    with app.app_context():
        db.session.execute(update(Village).values(name=Village.name))
        db.session.commit()
        first = dataversion.current(db.session)
        assert first is not None and dataversion.current(db.session) == first
        with db.engine.begin() as other:  # another request saves a village
            other.execute(update(Village).where(Village.id == world.village_a).values(name="新村"))
        db.session.commit()  # this request ends; the next one begins
        assert dataversion.current(db.session) not in (None, first)


def test_figures_computed_while_a_write_commits_are_not_filed_under_the_old_token(app, world):
    """Each statement sees the latest commit (PostgreSQL's READ COMMITTED; pysqlite opens
    no transaction for reads): a computation that straddles another transaction's commit
    must not be filed under the token it started with: a backup taken under that token
    and restored brings the token back with the rows it named."""
    with app.app_context():
        db.session.execute(update(Village).values(name=Village.name))  # a token to key on
        db.session.commit()

        def villages_named_new() -> int:
            return db.session.scalar(
                select(func.count()).select_from(Village).where(Village.name == "改名村")
            )

        def straddling() -> int:
            with db.engine.begin() as other:  # another request's transaction
                other.execute(
                    update(Village).where(Village.id == world.village_a).values(name="改名村")
                )
            return villages_named_new()

        token = dataversion.current(db.session)
        name = db.session.get(Village, world.village_a).name
        db.session.commit()
        assert dataversion.cached(db.session, "straddle", (), straddling) == 1
        db.session.commit()
        assert dataversion.cached(db.session, "straddle", (), villages_named_new) == 1
        db.session.commit()
        with db.engine.begin() as restore:  # the rows and the token as they were before
            restore.execute(update(Village).where(Village.id == world.village_a).values(name=name))
            restore.exec_driver_sql(
                f"UPDATE site_flag SET value = '{token}' WHERE name = '{dataversion.NAME}'"
            )
        assert dataversion.cached(db.session, "straddle", (), villages_named_new) == 0
