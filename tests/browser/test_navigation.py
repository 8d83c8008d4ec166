"""Reading the panel in Chromium: every menu entry for every role, the numbers on the home
page leading to the children behind them, the ranking leading to a village, dates typed
into filters and forms, and the screens that must fit a phone."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from tests.browser.panel import PHONE, Panel

ROLES = ("admin", "clerk", "leader", "inspector", "village", "school")


@pytest.mark.parametrize("username", ROLES)
def test_every_menu_entry_opens(panel: Panel, username: str) -> None:
    panel.login(username)
    entries = panel.menu()
    assert len(entries) >= 3, entries
    for label, path in entries:
        panel.open(path)
        heading = panel.driver.title
        assert panel.exists(".navbar"), (label, path, heading)
    panel.open("/admin/")
    panel.screenshot("home")


def test_dashboard_numbers_lead_to_the_children_behind_them(panel: Panel) -> None:
    panel.login("leader")
    panel.open("/admin/")
    table = panel.driver.find_element(By.ID, "status-table")
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    dropout_column = headers.index("辍学")
    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        links = cells[dropout_column].find_elements(By.TAG_NAME, "a")
        if links:
            village, number = cells[0].text, int(links[0].text)
            links[0].click()
            break
    else:
        pytest.fail("no village with a dropout number to follow")
    panel.assert_no_error_page()
    rows = panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr")
    assert len(rows) == number, (village, number, len(rows))
    for row in rows:
        assert village in row.text and "辍学" in row.text, row.text
    panel.screenshot("dropouts-of-village")


def test_ranking_leads_to_a_village_drill_down(panel: Panel) -> None:
    panel.login("leader")
    panel.open("/admin/")
    panel.follow("查看村级考核排名")
    table_rows = panel.driver.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert len(table_rows) == 12, len(table_rows)
    first = table_rows[0].find_element(By.TAG_NAME, "a")
    village = first.text
    first.click()
    panel.assert_no_error_page()
    assert village in panel.text()
    panel.screenshot("village-drill-down")


def add_day_filter(panel: Panel, column: str, operation: str, day: str) -> None:
    """Add a list filter on a date column through the filter bar and type its day."""
    panel.driver.find_element(By.LINK_TEXT, "添加筛选器").click()
    panel.driver.find_element(By.PARTIAL_LINK_TEXT, column).click()
    row = panel.driver.find_elements(By.CSS_SELECTOR, "#filter_form tr")[-1]
    row.find_element(By.CSS_SELECTOR, ".select2-container a").click()
    panel.wait_for(lambda: panel._result(operation)).click()
    day_box = panel.wait_for(
        lambda: panel.driver.find_elements(By.CSS_SELECTOR, "#filter_form input.filter-val")[-1]
    )
    assert day_box.get_attribute("type") == "date"
    day_box.click()
    day_box.send_keys(day)
    assert day_box.get_attribute("value") == day
    panel.screenshot("filter")
    panel.save("应用")


def test_a_list_filter_takes_a_typed_day(panel: Panel) -> None:
    panel.login("clerk")
    panel.open("/admin/inspection/")
    rows = panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr")
    latest = re.search(r"\d{4}-\d{2}-\d{2}", rows[0].text).group(0)  # newest first
    add_day_filter(panel, "检查日期", "从（含）", latest)
    assert re.search(rf"flt\d+_\w+={latest}", panel.driver.current_url)
    shown = panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr")
    assert 1 <= len(shown) < len(rows)
    assert all(latest in row.text for row in shown)


def test_a_time_filter_takes_a_beijing_day(panel: Panel) -> None:
    """The audit log's times are kept in UTC and filtered by the day a user types."""
    panel.login("admin")
    panel.open("/admin/audit/")
    today = panel.driver.execute_script(
        "return new Date().toLocaleDateString('sv-SE', {timeZone: 'Asia/Shanghai'})"
    )
    add_day_filter(panel, "时间", "为", today)
    shown = panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr")
    assert shown and "登录" in panel.text()  # this test's own login, today in Beijing
    add_day_filter(panel, "时间", "至（含）", "2000-01-01")
    assert not panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr td a")


@pytest.mark.parametrize("path", ["/admin/", "/admin/child/"])
def test_screens_fit_a_phone(panel: Panel, path: str) -> None:
    panel.login("village")
    panel.driver.set_window_size(*PHONE)
    panel.open(path)
    panel.screenshot("phone")
    assert panel.horizontal_overflow() == 0


def test_a_picker_speaks_chinese_when_nothing_matches(panel: Panel) -> None:
    panel.login("clerk")
    panel.open("/admin/household/new/")
    container = panel._select2("village")
    container.find_element(By.CSS_SELECTOR, "a.select2-choice").click()
    search = panel.wait_for(
        lambda: panel.driver.find_element(By.CSS_SELECTOR, "#select2-drop input.select2-input")
    )
    search.send_keys("不存在的村")
    message = panel.wait_for(
        lambda: panel.driver.find_element(By.CSS_SELECTOR, "#select2-drop li.select2-no-results")
    )
    panel.wait_for(lambda: message.text.strip())
    assert message.text == "没有找到匹配的记录", message.text
