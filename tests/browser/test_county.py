"""全县部署 in the browser: the 县教育局 reads the county by township, down to a village's
children; a township's clerk sees their township only.

The suite's shared server holds the one-township demo; this module serves its own, a
county demo of three small townships (``seed-demo --scale county``, made small here so
that it seeds in seconds).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import ROOT, SCREENSHOTS, _flask, panel_env, serve_panel
from tests.browser.panel import Panel, Server

SEED_SMALL_COUNTY = """
from admin_app import create_app
from admin_app.extensions import db
from seed.demo import settings
from seed.demo.build import build_demo

settings.SCALES["county"] = settings.Scale(3, 4, 200, 450, 400, verify_every=1)
with create_app().app_context():
    build_demo(db.session, scale="county")
"""


@pytest.fixture(scope="module")
def county_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("county")
    env = panel_env(home)
    _flask(["init-db"], env)
    subprocess.run(
        [sys.executable, "-c", SEED_SMALL_COUNTY],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    with serve_panel(home, env) as served:
        yield served


@pytest.fixture
def county_panel(
    county_server: Server, driver: object, request: pytest.FixtureRequest
) -> Iterator[Panel]:
    page = Panel(driver, county_server, SCREENSHOTS, request.node.name)
    page.reset()
    yield page
    page.check_server_log()
    page.check_console()


def status_rows(panel: Panel) -> dict[str, str]:
    """The home page's status table: first cell → the 合计 cell."""
    rows = {}
    for row in panel.driver.find_elements(By.CSS_SELECTOR, "#status-table tbody tr"):
        cells = [c.text.strip() for c in row.find_elements(By.TAG_NAME, "td")]
        rows[cells[0]] = cells[1]
    return rows


def test_the_county_drills_from_townships_to_a_villages_children(county_panel: Panel) -> None:
    panel = county_panel
    panel.login("county", "county123!")
    townships = status_rows(panel)
    assert len(townships) == 3, townships
    panel.screenshot("county-home")
    first, total = next(iter(townships.items()))
    panel.follow(first)
    assert "township=" in panel.path
    villages = status_rows(panel)
    assert len(villages) == 4 and sum(int(n) for n in villages.values()) == int(total)
    panel.screenshot("township")
    village, count = next(iter(villages.items()))
    link = panel.driver.find_element(
        By.XPATH, f"//table[@id='status-table']//tr[td[1][normalize-space()='{village}']]/td[2]/a"
    )
    link.click()
    assert panel.path.startswith("/admin/child/")
    # The list holds the village's children: those of compulsory age the home page
    # counted, and any older or younger (counted apart there).
    listed = int(re.search(r"共 (\d+) 条记录", panel.text()).group(1))
    assert listed >= int(count)
    shown = {
        cell.text
        for cell in panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody td")
    }
    assert village in shown
    panel.screenshot("children")
    # The ranking: 全县 by default, with each township's summary line.
    panel.open("/admin/ranking/")
    assert panel.exists("#township-summary") and "全县排名" in panel.text()
    panel.screenshot("ranking")


def test_a_township_clerk_sees_only_their_township(county_panel: Panel) -> None:
    panel = county_panel
    panel.login("clerk02", "clerk123!")
    rows = status_rows(panel)
    assert len(rows) == 4  # their township's villages, not the county's townships
    panel.screenshot("clerk-home")
    panel.open("/admin/ranking/")
    assert (
        not panel.exists("#township")
        and len(panel.driver.find_elements(By.CSS_SELECTOR, "#ranking-table tbody tr")) == 4
    )
    panel.open("/admin/village/")
    assert "共 4 条记录" in panel.text()
    panel.screenshot("clerk-villages")
