"""开学排查 in Chromium: the demo school marks its pupils on the marking screen (typing a
name in the search box narrows the list as one types; 全选 then ticks only what is shown),
the clerk reads the progress by village and school, and after a check's deadline turns
the child still not at school into a 疑似 case with one click.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from tests.browser.panel import Panel
from tests.browser.records import child_without_case, query


def shown_rows(panel: Panel) -> list:
    return [
        row
        for row in panel.driver.find_elements(By.CSS_SELECTOR, "#mark-table tbody tr")
        if row.is_displayed()
    ]


def test_school_marks_by_typing_and_clerk_escalates(panel: Panel) -> None:
    # --- The school: from the home page's panel to the marking screen -----------------------
    panel.login("school")
    panel.open("/admin/")
    remaining = panel.driver.find_element(By.ID, "termcheck-panel").text
    assert "未标记" in remaining, remaining
    old = panel.driver.find_element(By.TAG_NAME, "html")
    panel.driver.find_element(By.ID, "termcheck-mark-link").click()
    panel.wait.until(ec.staleness_of(old))
    panel.assert_no_error_page()
    before = int(panel.driver.find_element(By.ID, "mark-remaining").text)
    rows = shown_rows(panel)
    assert len(rows) > 5
    # Every pupil listed is the school's own.
    assert {r.find_elements(By.TAG_NAME, "td")[5].text for r in rows} == {"联合乡中心小学"}

    # Typing a surname narrows the list at once.
    surname = rows[0].find_elements(By.TAG_NAME, "td")[1].text[0]
    search = panel.driver.find_element(By.ID, "mark-search")
    search.send_keys(surname)
    panel.wait.until(lambda _: len(shown_rows(panel)) < len(rows))
    narrowed = shown_rows(panel)
    assert narrowed and all(surname in r.get_attribute("data-search") for r in narrowed)
    assert "筛选出" in panel.driver.find_element(By.ID, "mark-shown").text
    panel.driver.find_element(By.ID, "mark-all").click()
    ticked = panel.driver.find_elements(By.CSS_SELECTOR, "input[name=entry]:checked")
    assert len(ticked) == len(narrowed)
    assert f"（{len(narrowed)}）" in panel.driver.find_element(By.ID, "mark-present").text
    newly = len([r for r in narrowed if "未标记" in r.text])
    panel.screenshot("school-typed")
    panel.save_confirmed(f"所选标记为已到校（{len(narrowed)}）")
    assert any(f"已标记{len(narrowed)}名儿童为已到校" in m for m in panel.flashes())
    assert int(panel.driver.find_element(By.ID, "mark-remaining").text) == before - newly

    # 未到校 without a reason: refused at the row, nothing saved; with one: saved.
    row = shown_rows(panel)[0]
    entry = row.get_attribute("data-entry")
    name = row.find_elements(By.TAG_NAME, "td")[1].text
    panel.field(f"note-{entry}").send_keys("开学未报到，电话联系不上")
    old = panel.driver.find_element(By.TAG_NAME, "html")
    row.find_element(By.XPATH, ".//button[normalize-space(.)='未到校']").click()
    panel.wait.until(ec.staleness_of(old))
    error = panel.driver.find_element(By.CSS_SELECTOR, f"tr[data-entry='{entry}'] .row-error")
    assert "标记未到校须选择原因" in error.text
    assert panel.value(f"note-{entry}") == "开学未报到，电话联系不上"
    panel.screenshot("school-refused")
    Select(panel.field(f"reason-{entry}")).select_by_visible_text("外出务工")
    row = panel.driver.find_element(By.CSS_SELECTOR, f"tr[data-entry='{entry}']")
    old = panel.driver.find_element(By.TAG_NAME, "html")
    row.find_element(By.XPATH, ".//button[normalize-space(.)='未到校']").click()
    panel.wait.until(ec.staleness_of(old))
    assert any("已标记1名儿童为未到校" in m for m in panel.flashes())
    # Marked, it left the list of those still to mark (the home page's link): search all.
    panel.type("q", name)
    panel.check("unmarked", False)
    panel.save("查找")
    row = panel.driver.find_element(By.CSS_SELECTOR, f"tr[data-entry='{entry}']")
    assert "未到校（外出务工）" in row.text, (name, row.text)
    panel.check_console()

    # --- The clerk: progress by village and school -------------------------------------------
    panel.login("clerk")
    panel.open("/admin/")
    assert "已标记" in panel.driver.find_element(By.ID, "termcheck-panel").text
    panel.screenshot("clerk-home")
    panel.follow("查看进度")
    schools = panel.driver.find_element(By.ID, "school-progress").text
    assert "联合乡中心小学" in schools
    assert panel.driver.find_element(By.ID, "village-progress").text.count("村") >= 10
    panel.screenshot("clerk-progress")

    # --- After a deadline: the spring check, entered late by the clerk ----------------------
    panel.open("/admin/termcheck/")
    panel.type("term", "2026年春季学期")
    panel.type_date("opens_on", "2026-03-01")
    panel.type_date("deadline", "2026-03-20")
    panel.screenshot("clerk-new-check")
    panel.save("创建并列入应到校儿童")
    assert "2026年春季学期开学排查" in panel.text()
    campaign = panel.path.split("id=")[1]
    # The one child the schools reported absent; the rest returned the roll as present.
    absent = child_without_case(panel.server)
    panel.follow("标记儿童")
    panel.type("q", absent["name"])
    panel.save("查找")
    entry = shown_rows(panel)[0].get_attribute("data-entry")
    Select(panel.field(f"reason-{entry}")).select_by_visible_text("家庭经济困难")
    old = panel.driver.find_element(By.TAG_NAME, "html")
    panel.driver.find_element(By.NAME, f"absent-{entry}").click()
    panel.wait.until(ec.staleness_of(old))
    panel.open(f"/admin/termcheck_mark/?id={campaign}&unmarked=1")
    while panel.exists("#mark-all"):
        panel.driver.find_element(By.ID, "mark-all").click()
        count = len(panel.driver.find_elements(By.CSS_SELECTOR, "input[name=entry]:checked"))
        panel.save_confirmed(f"所选标记为已到校（{count}）")
    panel.open(f"/admin/termcheck/campaign/?id={campaign}")
    assert panel.driver.find_element(By.ID, "total-unmarked").text == "0"
    panel.save_confirmed("转为疑似案件")
    assert any("已为1名未到校或未标记的儿童立疑似控辍案件" in m for m in panel.flashes())
    cases = query(
        panel.server,
        "SELECT status, source FROM dropout_case WHERE child_id = ?",
        absent["id"],
    )
    assert [tuple(c) for c in cases] == [("suspected", "household_check")]
    panel.screenshot("clerk-escalated")
    # Once: a second click opens none.
    panel.save_confirmed("转为疑似案件")
    assert any("已为0名" in m for m in panel.flashes())
    # Closed, it leaves the home page to the demo's own check.
    panel.save_confirmed("结束本次排查")
    panel.open("/admin/")
    assert "2026年春季学期" not in panel.driver.find_element(By.ID, "termcheck-panel").text
    panel.check_console()
