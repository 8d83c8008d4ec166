"""The pages still work under the Content-Security-Policy (issue 11 item 12).

No inline handler runs under the policy: each behaviour below used one (Flask-Admin's row
delete confirm, bulk actions and inline 添加, our period selects) and is now attached by
``static/panel.js``. The ``panel`` fixture also fails a test whose console shows a refusal.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.panel import Panel


def rows(panel: Panel) -> int:
    return len(panel.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr"))


def test_row_delete_and_bulk_actions_ask_first(panel: Panel) -> None:
    panel.login("clerk")
    panel.open("/admin/household/")
    before = rows(panel)
    delete = panel.driver.find_element(By.CSS_SELECTOR, "form.icon button[data-confirm]")
    panel.scroll_to(delete)
    delete.click()
    panel.wait.until(ec.alert_is_present())
    assert "删除" in panel.driver.switch_to.alert.text
    panel.driver.switch_to.alert.dismiss()
    assert rows(panel) == before and panel.path.startswith("/admin/household/")

    panel.driver.find_element(By.CSS_SELECTOR, "input.action-checkbox").click()
    panel.driver.find_element(By.XPATH, "//a[normalize-space(.)='选中的']").click()
    action = panel.wait.until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, 'a[data-model-action="delete"]'))
    )
    action.click()
    panel.wait.until(ec.alert_is_present())
    assert "确定要删除所选记录吗" in panel.driver.switch_to.alert.text
    panel.driver.switch_to.alert.dismiss()
    assert rows(panel) == before


def test_score_sheet_total_and_inline_edit_work(panel: Panel) -> None:
    panel.login("clerk")
    panel.open("/admin/inspection/new/")
    box = panel.driver.find_element(By.CSS_SELECTOR, "table[data-score-sheet] input[data-max]")
    panel.scroll_to(box)
    box.send_keys("6")
    panel.wait.until(ec.text_to_be_present_in_element((By.ID, "sheet-total"), "6"))

    panel.open("/admin/child/")
    editable = panel.driver.find_element(By.CSS_SELECTOR, "a.editable")
    panel.scroll_to(editable)
    editable.click()
    panel.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".editable-input")))


def test_period_select_and_change_password_work(panel: Panel) -> None:
    panel.login("leader")
    panel.open("/admin/ranking/")
    select = panel.field("period")
    options = select.find_elements(By.TAG_NAME, "option")
    target = next(o for o in options if not o.is_selected())
    wanted = target.get_attribute("value")
    old = panel.driver.find_element(By.TAG_NAME, "html")
    target.click()
    panel.wait.until(ec.staleness_of(old))
    assert f"period={wanted}" in panel.path

    panel.driver.find_element(By.ID, "change-password").click()
    panel.wait.until(ec.presence_of_element_located((By.NAME, "current_password")))
    assert "修改密码" in panel.text()
    assert not panel.exists("#demo-account-warning")  # a demo account in the demo database
    panel.logout()
