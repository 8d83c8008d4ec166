"""送教上门 in a real browser: a school records a visit, the overview flags a shortfall.

Demo data (联合乡, seed 2026): 洪一琳 of 红星村 is taught at home by 联合乡中心小学 (the
demo school account's school) and had one visit in November 2026, of the two owed.
"""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By

from admin_app.util.dates import local_today
from tests.browser.panel import Panel

CHILD = "洪一琳"


def _rows(panel: Panel) -> list:
    return panel.driver.find_elements(By.CSS_SELECTOR, "#overview-table tbody tr")


def test_school_records_a_session_and_the_overview_flags_a_shortfall(panel: Panel) -> None:
    teacher = f"送教{uuid.uuid4().int % 10**6:06d}"
    today = local_today().isoformat()
    panel.login("school")

    panel.open("/admin/hometeach/new/")
    label = panel.pick("child", "洪", CHILD)
    assert label == f"{CHILD}（红星村，联合乡中心小学）", label
    # A day before she was born (a slip of the year) is refused beside the field, in
    # Chinese, with the typing kept.
    panel.type_date("taught_on", "2005-11-20")
    panel.type("teacher", teacher)
    panel.type("hours", "2")
    panel.type("content", "语文识字；穿衣训练")
    panel.save()
    assert "送教日期不能早于儿童出生日期" in panel.error_at("taught_on")
    assert panel.value("hours") == "2" and panel.value("teacher") == teacher
    assert panel.picked("child").startswith(CHILD)
    panel.screenshot("refused")

    panel.type_date("taught_on", today)
    panel.screenshot("filled")
    panel.save()
    assert any("成功" in f for f in panel.flashes()), panel.flashes()
    panel.open(f"/admin/hometeach/?search={CHILD}")
    row = panel.row(teacher)
    assert row is not None and CHILD in row.text and today in row.text, row and row.text

    # This month: one of two, still in time.
    panel.open("/admin/hometeach_overview/")
    mine = [r for r in _rows(panel) if CHILD in r.text]
    assert mine and "进行中（还需1次）" in mine[0].text, [r.text for r in _rows(panel)]

    # November is over: one visit of two, flagged and listed first.
    panel.open("/admin/hometeach_overview/?month=2026-11")
    rows = _rows(panel)
    assert rows and CHILD in rows[0].text and "未达频次（差1次）" in rows[0].text
    assert rows[0].get_attribute("data-state") == "未达频次"
    panel.screenshot("overview")

    panel.click_button("导出2026年11月送教上门登记表（Excel）")
    assert panel.downloaded().stat().st_size > 0
