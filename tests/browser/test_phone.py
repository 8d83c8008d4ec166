"""A village cadre on a phone (390 px): the headline figures first, a child looked up by
name with the columns that tell children apart, and a home visit registered there."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.panel import PHONE, Panel
from tests.browser.records import query


def test_village_cadre_looks_up_a_child_and_registers_a_visit_on_a_phone(panel: Panel) -> None:
    panel.login("village")
    panel.driver.set_window_size(*PHONE)
    panel.open("/admin/")
    headline = panel.driver.find_element(By.ID, "headline")
    table = panel.driver.find_element(By.ID, "indicator-table")
    assert headline.location["y"] < table.location["y"]
    assert headline.is_displayed() and "联合村入学率" in headline.text, headline.text
    assert "巩固率" in headline.text and "%" in headline.text
    assert "本村合计" in panel.text() and "全乡合计" not in panel.text()
    assert panel.horizontal_overflow() == 0
    panel.screenshot("home")

    (child,) = query(
        panel.server,
        "SELECT c.name FROM child c JOIN village v ON v.id = c.village_id"
        " WHERE v.name = '联合村' AND c.status = 'enrolled'"
        " AND (SELECT count(*) FROM child o WHERE o.name = c.name) = 1 LIMIT 1",
    )
    panel.open("/admin/child/")
    box = panel.driver.find_element(By.NAME, "search")
    box.send_keys(child["name"][:2])
    box.submit()
    # The search reloads the page: wait for the new address, then read the new page.
    panel.wait.until(ec.url_contains("search="))
    panel.wait.until(lambda d: panel.row(child["name"]) is not None)
    row = panel.row(child["name"])
    assert row is not None
    cells = row.find_elements(By.TAG_NAME, "td")
    visible = [c.get_attribute("class") for c in cells if c.is_displayed()]
    assert "col-status" in visible and "col-school" in visible, visible
    assert "col-id_number" not in visible, visible  # on the record, not in the phone's list
    assert panel.horizontal_overflow() == 0
    panel.screenshot("children")

    panel.open("/admin/assistance/new/")
    panel.pick("child", child["name"], child["name"])
    panel.choose("kind", "入户走访")
    panel.type_date("given_on", "2026-11-25")
    panel.type("person", "村干部")
    panel.type("content", "入户了解在校情况")
    assert panel.horizontal_overflow() == 0
    panel.screenshot("visit")
    panel.save()
    assert any("保存" in f or "成功" in f for f in panel.flashes()), panel.flashes()
    visits = query(
        panel.server,
        "SELECT a.kind FROM assistance_record a JOIN child c ON c.id = a.child_id"
        " WHERE c.name = ? AND a.given_on = '2026-11-25'",
        child["name"],
    )
    assert [v["kind"] for v in visits] == ["home_visit"]
