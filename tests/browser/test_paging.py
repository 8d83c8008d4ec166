"""Paging a long list in Chromium: the pager says where the reader is and takes a typed page."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By

from tests.browser.panel import PHONE, Panel

STATUS = re.compile(r"第 (\d+) / 共 (\d+) 页，共 (\d+) 条记录")


def pager_status(panel: Panel) -> tuple[int, int, int]:
    found = STATUS.fullmatch(panel.driver.find_element(By.ID, "pager-status").text.strip())
    assert found, panel.driver.find_element(By.ID, "pager-status").text
    page, pages, rows = (int(n) for n in found.groups())
    return page, pages, rows


def test_a_page_number_typed_into_the_pager_opens_that_page(panel: Panel) -> None:
    panel.login("clerk")
    panel.open("/admin/child/")
    page, pages, rows = pager_status(panel)
    assert page == 1 and pages >= 3 and (pages - 1) * 20 < rows <= pages * 20, (pages, rows)
    first_rows = [
        r.text for r in panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr")
    ]

    box = panel.field("goto")
    panel.scroll_to(box)
    panel.type("goto", "3")
    panel.click_button("跳转")
    panel.wait_for(lambda: "page=2" in panel.driver.current_url)
    panel.assert_no_error_page()
    assert pager_status(panel) == (3, pages, rows)
    active = panel.driver.find_element(By.CSS_SELECTOR, ".pagination .page-item.active")
    assert active.text == "3"
    third_rows = [
        r.text for r in panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr")
    ]
    assert len(third_rows) == 20 and not set(third_rows) & set(first_rows)
    panel.screenshot("page-3-of-children")

    # The last page, typed with the keyboard's Enter.
    panel.type("goto", str(pages))
    panel.field("goto").submit()
    panel.wait_for(lambda: f"page={pages - 1}" in panel.driver.current_url)
    assert pager_status(panel)[0] == pages

    panel.driver.set_window_size(*PHONE)
    panel.scroll_to(panel.field("goto"))
    panel.screenshot("pager-on-a-phone")
