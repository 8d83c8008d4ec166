"""Choosing records for a browser test from the server's database (read only).

The suite shares one demo database, so each test picks records no other test is likely to
use (a random child that has no case yet, say) and identifies them by what a user sees.
Writing goes through the browser; this module only reads.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

from stdnum.cn import ric

from tests.browser.panel import Server


def query(server: Server, sql: str, *params: Any) -> list[sqlite3.Row]:
    connection = sqlite3.connect(f"file:{server.home / 'panel.db'}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def child_without_case(server: Server, village: str | None = None) -> sqlite3.Row:
    """A random child in school, aged about 8–13, with a school and a guardian, never the
    subject of a case, and whose name is unique (so a picker finds only this child)."""
    rows = query(
        server,
        """
        SELECT c.id, c.name, c.guardian_name, s.name AS school, v.name AS village
        FROM child c JOIN school s ON s.id = c.school_id JOIN village v ON v.id = c.village_id
        WHERE c.status = 'enrolled' AND c.guardian_name IS NOT NULL
          AND c.birth_date BETWEEN date('now', '-13 years') AND date('now', '-8 years')
          AND c.id NOT IN (SELECT child_id FROM dropout_case)
          AND (? IS NULL OR v.name = ?)
          AND c.name IN (SELECT name FROM child GROUP BY name HAVING count(*) = 1)
        """,
        village,
        village,
    )
    assert rows, "the demo data has no child without a case left"
    return random.choice(rows)


def new_id_number(server: Server, birth: str) -> str:
    """A valid ID number (长沙县 430121, born on ``birth`` YYYY-MM-DD) on no child yet."""
    taken = {r[0] for r in query(server, "SELECT id_number FROM child WHERE id_number IS NOT NULL")}
    while True:
        base = f"430121{birth.replace('-', '')}{random.randrange(100, 1000):03d}"
        number = base + ric.calc_check_digit(base + "0")
        if number not in taken:
            return number


def child_with_plan(server: Server) -> sqlite3.Row:
    """A child with a unique name and an 一人一案 plan of their own (name, plan's opening words)."""
    rows = query(
        server,
        """
        SELECT c.name AS name, substr(p.measures, 1, 4) AS plan_start
        FROM assistance_plan p JOIN child c ON c.id = p.child_id
        WHERE c.name IN (SELECT name FROM child GROUP BY name HAVING count(*) = 1)
        """,
    )
    assert rows, "the demo data has no child with a plan"
    return random.choice(rows)
