"""Clone to a production server on PostgreSQL, by the deployment guide (slow: opt in).

Runs ``scripts/check_deploy.sh``: a fresh clone, ``make install`` from the package
registry, a new PostgreSQL role and database, ``init-db``, ``db upgrade``, an administrator,
``flask serve`` and a login through the login page. It takes about a minute and needs
PyPI and a PostgreSQL superuser, so it runs only with ``KONGCHUO_DEPLOY_CHECK=1``
(``PG_ADMIN_URL`` names the superuser connection; default root@127.0.0.1).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    os.environ.get("KONGCHUO_DEPLOY_CHECK") != "1", reason="set KONGCHUO_DEPLOY_CHECK=1"
)
def test_a_fresh_clone_reaches_a_production_server_by_the_guide() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check_deploy.sh"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "OK: clone → production server on PostgreSQL" in done.stdout
