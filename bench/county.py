"""The data sets benchmarks run on, prepared the same way by every bench script.

A benchmark names a database URL; the PostgreSQL database is created when missing, so that
`python bench/<name>.py` works on a fresh machine as well as on this one.
"""

from __future__ import annotations

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist (SQLite: nothing)."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql") or not target.database:
        return
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if not found:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


def county_database(url: str, scale: str = "county") -> None:
    """Migrate ``url``, load the data set of ``scale`` (`seed-demo --scale county`, or
    ``province`` for the trial) if it holds no children yet, and refresh the planner's
    statistics (also for indexes a migration has just added)."""
    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.models import Child

    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"], catch_exceptions=False)
    with app.app_context():
        children = db.session.scalar(select(func.count(Child.id)))
    if not children:
        print(f"seeding {scale} data into {url} …", flush=True)
        result = runner.invoke(args=["seed-demo", "--scale", scale], catch_exceptions=False)
        print(result.output.strip(), flush=True)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
