"""Exact ID numbers and name prefixes are answered from an index, not a table scan."""

from __future__ import annotations

from flask_login import login_user
from sqlalchemy import select, text

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, User
from tests.conftest import view_of


def plan_of(app, statement) -> str:
    """The database's own query plan for ``statement``, as one string."""
    with app.app_context(), db.engine.connect() as conn:
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        if db.engine.dialect.name == "sqlite":
            rows = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            return " | ".join(row[-1] for row in rows)
        # The test tables are tiny; forbid the planner the scan it would rightly prefer.
        conn.execute(text("SET enable_seqscan = off"))
        rows = conn.execute(text(f"EXPLAIN {compiled}")).all()
        return " | ".join(row[0] for row in rows)


def search_statement(app, term: str):
    """The list's search as a clerk runs it (masked roles get no search by ID number)."""
    view = view_of(app, "child")
    with app.test_request_context():
        clerk = db.session.scalar(select(User).where(User.role == Role.CLERK))
        login_user(clerk)
        return select(Child.id).where(view.search_criterion(term))


def test_exact_id_number_search_uses_an_index(app, world):
    with app.app_context():
        number = db.session.get(Child, world.child_a).id_number
    plan = plan_of(app, search_statement(app, number))
    assert "SCAN child" not in plan and "Seq Scan" not in plan, plan
    assert "INDEX" in plan.upper(), plan


def test_name_prefix_search_uses_the_name_index(app, world):
    plan = plan_of(app, search_statement(app, "王小"))
    assert "ix_child_name" in plan, plan
    assert "SCAN child" not in plan.replace("SCAN child USING", ""), plan


def test_prefix_search_escapes_wildcards(app, client_as, world):
    html = client_as(Role.CLERK).get("/admin/child/?search=%25").get_data(as_text=True)
    assert "王小明" not in html and "李小红" not in html
