"""Exact ID numbers and name prefixes are answered from an index, not a table scan."""

from __future__ import annotations

from flask_login import login_user
from sqlalchemy import select, text

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Child, User
from tests.helpers import view_of


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


def listed_names(client, term: str) -> list[str]:
    import re

    html = client.get("/admin/child/", query_string={"search": term}).get_data(as_text=True)
    body = html.split('class="table table-striped')[1] if "table-striped" in html else html
    return re.findall(r'<td class="col-name">\s*(.*?)\s*</td>', body, re.S)


def test_the_first_digits_of_an_id_number_or_student_number_find_the_child(app, client_as, world):
    """王小明's ID number begins 4301212014… (the factory's county and birth year); its
    first ten digits find him and not 李小红 (born 2014 too but told apart by the digits
    that follow), his 学籍号's beginning too; a masked role finds nobody by number."""
    with app.app_context():
        ming = db.session.get(Child, world.child_a)
        hong = db.session.get(Child, world.child_b)
        ming.student_no = f"G{ming.id_number}"
        db.session.commit()
        number, other = ming.id_number, hong.id_number
    shared = next(i for i in range(18) if number[i] != other[i])
    prefix = number[: max(shared + 1, 10)]
    clerk = client_as(Role.CLERK)
    assert listed_names(clerk, prefix) == ["王小明"]
    assert listed_names(clerk, "G" + prefix) == ["王小明"]
    assert listed_names(clerk, number[:4] + "9999") == []
    assert listed_names(client_as(Role.LEADER), prefix) == []


def test_a_number_prefix_search_uses_an_index(app, world):
    for term in ("4301212014", "G4301212014"):
        plan = plan_of(app, search_statement(app, term))
        assert "SCAN child" not in plan.replace("SCAN child USING", ""), plan
        assert "Seq Scan" not in plan, plan
        assert (
            "ix_child_id_number_prefix" in plan
            or "ix_child_student_no" in plan
            or ("sqlite_autoindex_child" in plan)
        ), plan


def test_an_empty_search_says_what_was_searched_and_how(app, client_as, world):
    html = client_as(Role.CLERK).get("/admin/child/?search=小明").get_data(as_text=True)
    assert "没有找到与“小明”相符的记录" in html
    assert "姓名须从第一个字输起" in html and "可只输前几位" in html
