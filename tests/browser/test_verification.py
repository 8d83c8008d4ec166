"""A 县扶贫办 list that names a child without a school, in Chromium (issue 12, items 10–11).

The clerk types the list's date, uploads it, sees each row's village in the preview and
that the child will be 待核实, commits, finds the child on the home page's watch with the
list and the date, and verifies her in school by typing the date, picking the school and
typing the grade.
"""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl import Workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.panel import Panel
from tests.browser.records import new_id_number, query

HEADER = ("序号", "姓名", "身份证号", "性别", "出生日期", "行政村", "户主", "户类别")


def test_clerk_imports_a_child_without_school_and_verifies_her(
    panel: Panel, tmp_path: Path
) -> None:
    tag = f"{random.randrange(10**6):06d}"
    name, head = f"待核实{tag}", f"户主{tag}"
    number = new_id_number(panel.server, "2017-06-08")
    book = Workbook()
    book.active.append(["联合乡县扶贫办帮扶对象名单"])
    book.active.append(list(HEADER))
    book.active.append([1, name, number, "", "", "新华村", head, "监测户"])
    path = tmp_path / f"扶贫办名单{tag}.xlsx"
    book.save(path)

    panel.login("clerk")
    panel.open("/admin/import/")
    panel.driver.find_element(By.ID, "kind-poverty").click()
    panel.type_date("list_date", "2026-11-02")
    panel.upload("file", path)
    panel.save("上传并预览")
    assert "名单日期：2026-11-02" in panel.driver.find_element(By.ID, "summary").text
    preview = panel.driver.find_element(By.ID, "preview-table")
    row = next(tr for tr in preview.find_elements(By.TAG_NAME, "tr") if name in tr.text)
    assert "新华村" in row.text and "待核实" in row.text, row.text
    assert f"{head}户（新建）" in row.text and "防返贫监测户" in row.text, row.text
    panel.screenshot("preview")
    panel.save_confirmed("确认导入1行有效记录")

    panel.open("/admin/")
    watch = panel.driver.find_element(By.ID, "pending-watch")
    line = next(tr for tr in watch.find_elements(By.TAG_NAME, "tr") if name in tr.text)
    assert path.name in line.text and "2026-11-02" in line.text, line.text
    panel.scroll_to(watch)
    panel.screenshot("watch")
    old = panel.driver.find_element(By.TAG_NAME, "html")
    line.find_element(By.LINK_TEXT, name).click()
    panel.wait.until(ec.staleness_of(old))

    # Without a school the form is refused next to the field, the typing kept.
    panel.type_date("found-on", "2026-11-20")
    panel.type("found-grade", "3")
    panel.save("确认在校")
    assert "须选择就读学校" in panel.error_at("found-school")
    assert panel.value("found-grade") == "3" and panel.value("found-on") == "2026-11-20"
    panel.choose("found-school", "联合乡中心小学")
    panel.save("确认在校")
    assert any(f"已核实：{name}在校就读" in f for f in panel.flashes()), panel.flashes()
    panel.screenshot("verified")

    (child,) = query(
        panel.server,
        "SELECT c.status, c.grade, s.name AS school, h.head_name, h.is_monitored"
        " FROM child c JOIN school s ON s.id = c.school_id"
        " JOIN household h ON h.id = c.household_id WHERE c.id_number = ?",
        number,
    )
    assert tuple(child) == ("enrolled", 3, "联合乡中心小学", head, 1)
