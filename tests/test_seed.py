"""The demo data set: a realistic township, valid by the panel's own rules, the same every time."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from stdnum.cn import ric

from admin_app.choices import OUT_OF_SCHOOL_STATUSES, Role
from admin_app.extensions import db
from admin_app.models import (
    AssistanceRecord,
    Child,
    ChildStatusChange,
    Household,
    InspectionScore,
    ResponsibilityAgreement,
    School,
    User,
    Village,
)
from admin_app.siteflags import is_demo_database
from admin_app.validation import check_child
from seed.demo import DEMO_ACCOUNTS
from tests.conftest import login


def fingerprint() -> str:
    rows = db.session.execute(
        select(Child.id_number, Child.name, Child.status, Village.name)
        .join(Village, Village.id == Child.village_id)
        .order_by(Child.id)
    ).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_seed_demo_builds_a_valid_township(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "演示数据已生成" in result.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count(model.id)))  # noqa: E731
        assert 10 <= count(Village) <= 14
        assert count(School) == 3
        assert 1400 <= count(Child) <= 1600
        assert count(Household) > 500
        assert count(AssistanceRecord) > 1000
        assert count(ResponsibilityAgreement) > 100
        assert count(InspectionScore) > 0
        children = db.session.scalars(select(Child)).all()
        numbers = [c.id_number for c in children if c.id_number]
        assert len(numbers) == len(set(numbers))
        assert all(ric.is_valid(n) for n in numbers)
        out_of_school = [c for c in children if c.status in OUT_OF_SCHOOL_STATUSES]
        assert 20 <= len(out_of_school) <= 60
        assert all(c.status_reason is not None for c in out_of_school)
        # Every child passes the same rules a clerk's form does.
        with db.session.no_autoflush:
            problems = {c.id: check_child(db.session, c) for c in children[:300]}
        assert {k: v for k, v in problems.items() if v} == {}
        db.session.rollback()
        # Every child has a status history, and it ends in the current status.
        last = dict(
            db.session.execute(
                select(ChildStatusChange.child_id, ChildStatusChange.to_status).order_by(
                    ChildStatusChange.effective_on, ChildStatusChange.id
                )
            ).all()
        )
        assert all(last[c.id] == c.status for c in children)
        roles = set(db.session.scalars(select(User.role)))
        assert roles == set(Role)


def test_demo_accounts_log_in_and_are_printed(app, runner):
    runner.invoke(args=["seed-demo"])
    printed = runner.invoke(args=["demo-accounts"]).output
    for account in DEMO_ACCOUNTS:
        assert account.username in printed and account.password in printed
        client = app.test_client()
        assert login(client, account.username, account.password).status_code == 302
        # Flagged as demo accounts, in a database flagged as a demo: no warning banner.
        home = client.get("/admin/").get_data(as_text=True)
        assert "demo-account-warning" not in home
    with app.app_context():
        assert is_demo_database(db.session)
        demo = db.session.scalars(select(User.username).where(User.is_demo)).all()
        assert sorted(demo) == sorted(a.username for a in DEMO_ACCOUNTS)


def test_seed_demo_is_deterministic_and_if_empty_skips(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        first = fingerprint()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "跳过" in result.output
    with app.app_context():
        assert fingerprint() == first
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    from seed.reference import load_reference

    with app.app_context():
        load_reference(db.session)
        db.session.commit()
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        assert fingerprint() == first
