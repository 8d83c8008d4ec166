"""Facts about the database itself, kept in it (``SiteFlag``), so a backup carries them.

``seed-demo`` marks a demo database. The demo accounts' passwords are in the README: used
anywhere else, they are a door anyone can open, and the panel says so on every page.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy.orm import Session

from ..models import SiteFlag, utcnow

DEMO_DATABASE = "demo_database"


def flag(session: Session, name: str) -> str | None:
    row = session.get(SiteFlag, name)
    return row.value if row is not None else None


def set_flag(session: Session, name: str, value: str) -> None:
    row = session.get(SiteFlag, name)
    if row is None:
        session.add(SiteFlag(name=name, value=value, set_at=utcnow()))
    else:
        row.value, row.set_at = value, utcnow()


def is_demo_database(session: Session) -> bool:
    """True once ``seed-demo`` loaded the demo data set into this database.

    Asked by the page template on each page a demo account sees; answered once per request.
    """
    if has_request_context() and "demo_database" in g:
        return bool(g.demo_database)
    answer = flag(session, DEMO_DATABASE) == "1"
    if has_request_context():
        g.demo_database = answer
    return answer
