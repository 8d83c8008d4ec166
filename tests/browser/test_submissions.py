"""月报/学期报上报 in Chromium: the clerk prepares, the leader reviews and submits, the clerk
corrects; the downloaded workbook carries the names of those who signed."""

from __future__ import annotations

from openpyxl import load_workbook
from selenium.webdriver.common.by import By

from tests.browser.panel import Panel

LIST = "/admin/submission/"


def test_a_term_report_from_preparing_to_a_correction(panel: Panel) -> None:
    # The demo's months are there: September and October 上报, November awaiting review.
    panel.login("leader")
    panel.follow("月报/学期报上报")
    table = panel.driver.find_element(By.ID, "submission-table").text
    assert "2026年11月" in table and "已填报" in table and "已更正" in table
    panel.screenshot("1-list-leader")

    # The clerk prepares the autumn term's statistics (as of 9/20).
    panel.login("clerk")
    panel.open(LIST)
    panel.choose("kind", "学期报")
    panel.choose("period", "学期报：2026年秋季学期")
    panel.save("生成并填报")
    assert "已填报2026年秋季学期学期报（第1版）" in " ".join(panel.flashes())
    assert "数据截至 2026-09-20" in panel.text()
    assert panel.driver.find_element(By.ID, "submission-status").text == "已填报"
    figures = panel.driver.find_element(By.ID, "figures").text
    assert "全乡合计" in figures and "村：联合村" in figures
    panel.screenshot("2-prepared-clerk")
    report = panel.path

    # The leader reviews it, then submits it to the county.
    panel.login("leader")
    panel.open(report)
    panel.save("审核通过")
    assert panel.driver.find_element(By.ID, "submission-status").text == "已审核"
    panel.save("上报县教育局")
    assert panel.driver.find_element(By.ID, "submission-status").text == "已上报"
    signed = panel.driver.find_element(By.ID, "sign-off").text
    assert "演示乡镇工作人员" in signed and "演示乡领导" in signed
    dropouts = panel.driver.find_element(By.ID, "dropouts").text
    assert "****" in dropouts  # the leader reads ID numbers masked
    panel.screenshot("3-submitted-leader")

    # The clerk finds a mistake: a correction needs its reason, then makes version 2.
    panel.login("clerk")
    panel.open(report)
    assert "重新填报" not in panel.text()  # locked
    panel.save("更正（生成新版本）")
    assert "请填写更正原因" in panel.error_at("reason")
    panel.screenshot("4-correction-refused")
    panel.type("reason", "联合村一名学生9月18日已复学，原报为辍学")
    panel.save("更正（生成新版本）")
    assert "第2版" in panel.text()
    assert "更正原因：联合村一名学生9月18日已复学，原报为辍学" in panel.text()
    assert panel.driver.find_element(By.ID, "submission-status").text == "已填报"
    panel.screenshot("5-version-2")

    # The first version stays, marked 已更正, and its workbook says who signed it.
    old = panel.driver.find_element(By.TAG_NAME, "html")
    panel.click_link("第1版（已更正）")
    panel.wait_for(lambda: not old.id or panel.driver.find_element(By.TAG_NAME, "html") != old)
    assert panel.driver.find_element(By.ID, "submission-status").text == "已更正"
    panel.driver.find_element(By.ID, "download-xlsx").click()
    book = load_workbook(panel.downloaded(), read_only=True)
    texts = [
        str(value)
        for row in book["汇总"].iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    block = next(t for t in texts if t.startswith("填报人："))
    assert "审核人：演示乡领导" in block and "上报人：演示乡领导" in block
    assert "第1版" in block

    # The 县教育局 reads what was submitted (the corrected first version among it), not the
    # drafts: version 2 and November wait for the township's review.
    panel.login("county")
    panel.follow("月报/学期报上报")
    table = panel.driver.find_element(By.ID, "submission-table").text
    assert "2026年秋季学期" in table and "已更正" in table and "已上报" in table
    assert "已填报" not in table and "2026年11月" not in table
    assert "生成并填报" not in panel.text()
    panel.screenshot("6-county-reads-submitted")
