"""Alembic migrations build exactly the schema the models declare, and init-db applies them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import func, inspect, select, text

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import AssessmentIndicator, InspectionItem, InspectionScore
from tests import conftest


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database (no tables at all)."""
    uri = conftest.TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    conftest.reset_postgres_schema_flag()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def test_init_db_migrates_an_empty_database_to_the_models(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "数据库已就绪" in result.output
    with empty_app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], diff
        tables = set(inspect(db.engine).get_table_names())
        assert {"child", "child_status_change", "audit_log", "inspection_score"} <= tables
        # Reference data: the default inspection items and the assessment scheme of §5.
        assert db.session.scalar(select(func.count(InspectionItem.id))) == 7
        total = db.session.scalar(select(func.sum(AssessmentIndicator.points)))
        assert total == 100


def test_init_db_is_idempotent(empty_app):
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalar(select(func.count(InspectionItem.id))) == 7


def test_upgrading_keeps_rows_that_refer_to_rebuilt_tables(empty_app):
    """SQLite rebuilds a table to add a column; the scores referring to it must survive."""
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "a47017366eeb"]).exit_code == 0
    # Keys come from the database (no literal ids), so PostgreSQL's sequences stay right.
    statements = [
        "INSERT INTO township (name) VALUES ('联合乡')",
        "INSERT INTO village (township_id, name) SELECT id, '联合村' FROM township",
        "INSERT INTO assessment_period (name, start_on, end_on)"
        " VALUES ('2026年度', '2026-01-01', '2026-12-31')",
        "INSERT INTO inspection_item (name, max_points, sort_order, active)"
        " VALUES ('旧项目', 10, 1, true)",
        "INSERT INTO inspection (period_id, village_id, inspected_on, inspectors, created_at,"
        " updated_at) SELECT p.id, v.id, '2026-05-01', '李', '2026-05-01', '2026-05-01'"
        " FROM assessment_period p, village v",
        "INSERT INTO inspection_score (inspection_id, item_id, max_points, score)"
        " SELECT i.id, t.id, 10, 8 FROM inspection i, inspection_item t",
    ]
    with empty_app.app_context(), db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalar(select(func.count(InspectionScore.id))) == 1


def kind_check(app: Flask) -> str:
    """The CHECK on ``case_event.kind`` as the database holds it."""
    with app.app_context():
        checks = inspect(db.engine).get_check_constraints("case_event")
        return next(c["sqltext"] for c in checks if c["name"] == "ck_case_event_case_event_kind")


def test_the_case_event_kind_check_admits_relapse_and_downgrades_cleanly(empty_app):
    """compare_metadata does not compare CHECKs, so the enum's list of codes is read back."""
    from admin_app.cases import core as cases
    from admin_app.choices import CaseEventKind, CaseKind, CaseSource, ChildStatus
    from admin_app.choices import OutOfSchoolReason as Reason
    from admin_app.models import CaseEvent
    from admin_app.util.dates import local_today
    from tests.factories import make_child

    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    check = kind_check(empty_app)
    assert all(f"'{kind.value}'" in check for kind in CaseEventKind), check
    today = local_today()
    with empty_app.app_context():
        child = make_child(status=ChildStatus.DROPOUT, status_reason=Reason.WORK)
        case = cases.open_case(
            db.session, child, CaseKind.DROPOUT, CaseSource.SCHOOL_REPORT, Reason.WORK, on=today
        )
        for step in (cases.start_verification, cases.confirm_case, cases.start_persuasion):
            step(db.session, case, on=today, actor=None)
        cases.record_return(db.session, case, on=today, actor=None, placement=ChildStatus.ENROLLED)
        cases.record_relapse(db.session, case, on=today, actor=None, reason=Reason.POVERTY)
        db.session.commit()
        db.session.remove()  # no open transaction may hold the table the migration alters

    result = runner.invoke(args=["db", "downgrade", "626e9d5c7ead"])
    assert result.exit_code == 0, result.output
    assert "'relapse'" not in kind_check(empty_app)
    with empty_app.app_context():
        kinds = db.session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)).all()
        assert kinds[-1] == CaseEventKind.PERSUADE  # the 复辍 row stays, as the step back
        db.session.remove()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert "'relapse'" in kind_check(empty_app)


def status_check(app: Flask) -> str:
    with app.app_context():
        checks = inspect(db.engine).get_check_constraints("dropout_case")
        return next(c["sqltext"] for c in checks if c["name"] == "ck_dropout_case_case_status")


def test_the_case_outcomes_are_admitted_and_downgrade_to_their_nearest_old_codes(empty_app):
    """核实在校, 休学 and 失联 are new codes of the case status and event kind; downgraded,
    each becomes the old step nearest in meaning, and upgraded again they are admitted."""
    from admin_app.cases import core as cases
    from admin_app.choices import CaseEventKind, CaseKind, CaseSource, CaseStatus
    from admin_app.models import CaseEvent, DropoutCase
    from admin_app.util.dates import local_today
    from tests.factories import make_child

    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert all(f"'{s.value}'" in status_check(empty_app) for s in CaseStatus)
    assert all(f"'{k.value}'" in kind_check(empty_app) for k in CaseEventKind)
    today = local_today()
    with empty_app.app_context():
        made = []
        for outcome in ("in_school", "suspended", "unreached"):
            case = cases.open_case(
                db.session, make_child(), CaseKind.DROPOUT, CaseSource.ROSTER_COMPARISON, on=today
            )
            cases.start_verification(db.session, case, on=today, actor=None)
            if outcome == "in_school":
                cases.close_as_in_school(db.session, case, on=today, actor=None, note="在读")
            elif outcome == "suspended":
                cases.close_as_suspended(db.session, case, on=today, actor=None, note="批准")
            else:
                cases.add_visit(db.session, case, visited_on=today, persons="村干部", result="无人")
                cases.mark_unreachable(db.session, case, on=today, actor=None, note="查找未果")
            made.append(case.id)
        db.session.commit()
        db.session.remove()

    result = runner.invoke(args=["db", "downgrade", "d4a8e6f2c1b3"])
    assert result.exit_code == 0, result.output
    assert "'unreached'" not in status_check(empty_app)
    assert "'in_school'" not in kind_check(empty_app)
    with empty_app.app_context():
        statuses = [db.session.get(DropoutCase, i).status.value for i in made]
        assert statuses == ["closed", "exempted", "verifying"]
        last = [
            db.session.scalars(
                select(CaseEvent.kind).where(CaseEvent.case_id == i).order_by(CaseEvent.id.desc())
            ).first()
            for i in made
        ]
        assert [k.value for k in last] == ["close", "exempted", "verify"]
        db.session.remove()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert "'unreached'" in status_check(empty_app)


def child_status_checks(app: Flask) -> list[str]:
    """The three CHECKs that list child statuses, as the database holds them."""
    names = {
        "child": "ck_child_child_status",
        "child_status_change": "ck_child_status_change_status_change_to",
    }
    with app.app_context():
        found = []
        for table, name in names.items():
            checks = inspect(db.engine).get_check_constraints(table)
            found.append(next(c["sqltext"] for c in checks if c["name"] == name))
        return found


def test_the_pending_status_is_admitted_and_downgrades_to_enrolled(empty_app):
    """待核实 is a new code of the child's status; downgraded, a pending child goes back to
    在校就读 (the list's import put children there before) and the list date is dropped."""
    from admin_app.choices import ChildStatus
    from admin_app.models import Child, ImportBatch
    from tests.factories import make_child

    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert all("'pending'" in check for check in child_status_checks(empty_app))
    with empty_app.app_context():
        child_id = make_child(status=ChildStatus.PENDING, school=None, grade=None, stage=None).id
        db.session.commit()
        db.session.remove()

    result = runner.invoke(args=["db", "downgrade", "d5a8e1f0c2b6"])
    assert result.exit_code == 0, result.output
    assert not any("'pending'" in check for check in child_status_checks(empty_app))
    with empty_app.app_context():
        status = db.session.execute(text(f"SELECT status FROM child WHERE id = {child_id}"))
        assert status.scalar() == "enrolled"
        columns = [c["name"] for c in inspect(db.engine).get_columns(ImportBatch.__tablename__)]
        assert "list_date" not in columns
        db.session.remove()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with empty_app.app_context():
        assert db.session.get(Child, child_id).status == ChildStatus.ENROLLED
        db.session.remove()
