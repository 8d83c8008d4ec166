"""The clerk's forms as a person sees them (issue 13): grouped record forms, the
inspection's score sheet, the accountability proposals and the roster cross-check.

Screenshots of each go to build/screenshots/ (the child form at 1366 and 390 px wide).
Nothing here leaves records behind that other tests could trip over: the proposals and
the many cases are asked about and then declined.
"""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl import Workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.panel import DESKTOP, PHONE, Panel
from tests.browser.records import child_without_case, query
from tests.spreadsheets import ROSTER_HEADER

KEY_GROUPS = (
    "is_left_behind",
    "is_migrant",
    "is_disabled",
    "is_poor",
    "is_prisoner_child",
    "is_disabled_parent_child",
    "is_orphan",
)


def _top(panel: Panel, name: str) -> int:
    return int(panel.field(name).location["y"])


def _left(panel: Panel, name: str) -> int:
    return int(panel.field(name).location["x"])


def _page_height(panel: Panel) -> int:
    return int(panel.driver.execute_script("return document.documentElement.scrollHeight"))


def _heading(panel: Panel) -> str:
    return panel.driver.find_element(By.ID, "record-heading").text


# --- 1. Record forms in sections ------------------------------------------------------------


def test_child_form_is_grouped_in_two_columns_and_says_whom_it_edits(panel: Panel) -> None:
    child = child_without_case(panel.server)
    panel.login("clerk")
    panel.open(f"/admin/child/edit/?id={child['id']}")
    heading = _heading(panel)
    assert child["name"] in heading and child["village"] in heading, heading

    sections = [
        e.get_attribute("data-section")
        for e in panel.driver.find_elements(By.CSS_SELECTOR, "fieldset[data-section]")
    ]
    assert sections == ["身份", "家庭与监护", "重点群体", "就学"], sections
    assert panel.section_of("id_number") == "身份"
    assert panel.section_of("guardian_phone") == "家庭与监护"
    assert panel.section_of("is_orphan") == "重点群体"
    assert panel.section_of("status") == "就学"

    # Wide screen: two fields side by side; the seven key-group boxes on one line.
    assert _top(panel, "name") == _top(panel, "id_number")
    assert _left(panel, "id_number") > _left(panel, "name") + 300
    assert len({_top(panel, name) for name in KEY_GROUPS}) == 1
    wide = _page_height(panel)
    panel.screenshot("1366")
    assert wide < 2400, f"the child form is {wide}px tall at 1366px"

    # A phone (the page loaded at its width, as a phone loads it): one column, nothing
    # wider than the screen.
    panel.driver.set_window_size(*PHONE)
    panel.driver.refresh()
    assert _top(panel, "id_number") > _top(panel, "name")
    assert panel.horizontal_overflow() == 0
    panel.screenshot("390")
    panel.driver.set_window_size(*DESKTOP)

    # A save from the grouped form still saves (the record version travels with it).
    panel.type("guardian_phone", "13900001111")
    panel.save()
    assert any("成功" in f for f in panel.flashes()), panel.flashes()


def test_school_users_edit_page_names_the_child(panel: Panel) -> None:
    panel.login("school")
    panel.open("/admin/child/")
    link = panel.driver.find_element(By.CSS_SELECTOR, "a[title='编辑记录']")
    panel.driver.get(link.get_attribute("href"))
    child_id = int(panel.driver.current_url.split("id=")[1].split("&")[0])
    name, village = query(
        panel.server,
        "SELECT c.name, v.name FROM child c JOIN village v ON v.id = c.village_id WHERE c.id = ?",
        child_id,
    )[0]
    heading = _heading(panel)
    assert name in heading and village in heading, heading
    # Only the enrolment section: identity and family are not the school's to change.
    sections = [
        e.get_attribute("data-section")
        for e in panel.driver.find_elements(By.CSS_SELECTOR, "fieldset[data-section]")
    ]
    assert sections == ["就学"], sections
    panel.screenshot("school")


def test_household_case_and_agreement_forms_are_grouped_too(panel: Panel) -> None:
    panel.login("clerk")
    household = query(
        panel.server,
        "SELECT h.id, h.head_name, v.name FROM household h JOIN village v ON v.id = h.village_id"
        " ORDER BY h.id LIMIT 1",
    )[0]
    panel.open(f"/admin/household/edit/?id={household[0]}")
    assert household[1] in _heading(panel) and household[2] in _heading(panel)
    categories = ("is_poverty_alleviated", "is_monitored", "is_dibao", "is_tekun")
    assert len({_top(panel, name) for name in categories}) == 1
    assert panel.section_of("is_dibao") == "帮扶类别"
    panel.screenshot("household")

    case = query(
        panel.server,
        "SELECT k.id, c.name FROM dropout_case k JOIN child c ON c.id = k.child_id"
        " WHERE k.status NOT IN ('closed') ORDER BY k.id LIMIT 1",
    )[0]
    panel.open(f"/admin/case/edit/?id={case[0]}")
    assert case[1] in _heading(panel)
    assert panel.section_of("village_person") == "责任人"
    panel.screenshot("case")

    agreement = query(
        panel.server,
        "SELECT id, party_b_name FROM responsibility_agreement ORDER BY id LIMIT 1",
    )[0]
    panel.open(f"/admin/agreement/edit/?id={agreement[0]}")
    assert agreement[1] in _heading(panel)
    assert panel.section_of("party_b_name") == "签约双方"
    assert _top(panel, "party_a_name") == _top(panel, "party_a_org")
    panel.screenshot("agreement")


# --- 2. The score sheet ---------------------------------------------------------------------


def test_inspection_sheet_lists_every_item_and_keeps_a_running_total(panel: Panel) -> None:
    panel.login("inspector")
    panel.open("/admin/inspection/new/")
    items = query(
        panel.server,
        "SELECT name, max_points FROM inspection_item WHERE active = 1 ORDER BY sort_order, id",
    )
    rows = panel.driver.find_elements(By.CSS_SELECTOR, "table[data-score-sheet] tbody tr")
    assert [r.find_element(By.TAG_NAME, "label").text for r in rows] == [i[0] for i in items]
    assert not panel.driver.find_elements(By.PARTIAL_LINK_TEXT, "添加")
    total = panel.driver.find_element(By.ID, "sheet-total")
    assert total.text == "0"
    first, second = items[0][0], items[1][0]
    score_1, reason_1 = panel.sheet_fields(first)
    score_2, _ = panel.sheet_fields(second)
    panel.type(score_1, "7.5")
    panel.type(score_2, "6")
    assert total.text == "13.5"
    # Below the maximum: the reason box asks for a reason before the save does.
    assert "扣分原因" in (panel.field(reason_1).get_attribute("placeholder") or "")
    panel.field(score_2).send_keys(Keys.BACKSPACE)  # 6 deleted, as a user deletes it
    assert total.text == "7.5"
    panel.screenshot("sheet")


# --- 3. Accountability proposals --------------------------------------------------------------


def test_proposals_start_unticked_and_are_ticked_per_group(panel: Panel) -> None:
    panel.login("inspector")
    panel.open("/admin/accountability/propose/")
    boxes = panel.driver.find_elements(By.CSS_SELECTOR, "input[name=confirm]")
    assert boxes, "the demo period has no open proposals"
    assert not [b for b in boxes if b.is_selected()]
    count = panel.driver.find_element(By.ID, "proposal-count")
    assert "已勾选 0 条" in count.text, count.text

    village = panel.driver.find_element(By.XPATH, "//tr[contains(@class,'village-row')][.//button]")
    key = village.get_attribute("data-group")
    members = panel.driver.find_elements(By.CSS_SELECTOR, f"input.{key}")
    panel.click_button("全选", within=village)
    assert all(b.is_selected() for b in members)
    assert f"已勾选 {len(members)} 条" in count.text, count.text
    panel.click_button("全不选", within=village)
    assert not [b for b in members if b.is_selected()]

    person = boxes[0].get_attribute("class").split()[1]  # the box's village, then person
    chosen = panel.driver.find_elements(By.CSS_SELECTOR, f"input.{person}")
    for box in chosen:
        panel.scroll_to(box)
        box.click()
    panel.screenshot("ticked")
    panel.click_button("登记所勾选的建议")
    panel.wait.until(lambda d: d.switch_to.alert)
    alert = panel.driver.switch_to.alert
    assert alert.text == f"将登记 {len(chosen)} 条“拟问责”记录，确定吗？", alert.text
    alert.dismiss()  # declined: nothing is saved
    assert "/propose/" in panel.path


# --- 4. Roster cross-check ------------------------------------------------------------------


def test_a_short_roster_warns_pages_and_asks_before_opening_many_cases(
    panel: Panel, tmp_path: Path
) -> None:
    pupils = query(
        panel.server,
        "SELECT name, id_number, grade FROM child WHERE id_number IS NOT NULL"
        " AND status = 'enrolled' ORDER BY id LIMIT 11",
    )
    book = Workbook()
    sheet = book.active
    sheet.append(["某班学籍名单"])
    sheet.append(list(ROSTER_HEADER))
    for p in pupils:
        sheet.append([p["name"], p["id_number"], "联合乡中心小学", p["grade"], "1班", ""])
    path = tmp_path / f"一个班{random.randrange(10**6):06d}.xlsx"
    book.save(path)

    panel.login("clerk")
    panel.open("/admin/crosscheck/")
    panel.upload("file", path)
    panel.save("上传并比对")
    warning = panel.driver.find_element(By.ID, "coverage-warning").text
    assert "名单只覆盖了在册儿童的" in warning and "是否选错了文件或学校？" in warning, warning
    boxes = panel.driver.find_elements(By.CSS_SELECTOR, "#missing-table input[name=child_id]")
    assert 0 < len(boxes) <= 50
    assert panel.exists("#missing-pages")
    panel.screenshot("warned")

    # The page's select-all ticks this page only; the button asks with the count …
    select_all = panel.driver.find_element(By.CSS_SELECTOR, "#missing-table thead input")
    panel.scroll_to(select_all)
    select_all.click()
    ticked = len([b for b in boxes if b.is_selected()])
    assert f"已勾选 {ticked} 名" in panel.driver.find_element(By.ID, "open-cases-count").text
    old = panel.driver.find_element(By.TAG_NAME, "html")
    panel.click_button("为所选儿童立疑似控辍案件")
    panel.wait.until(lambda d: d.switch_to.alert)
    alert = panel.driver.switch_to.alert
    assert f"将为 {ticked} 名儿童立疑似控辍案件" in alert.text, alert.text
    alert.accept()
    # … and the server asks once more, with the count, before opening anything.
    panel.wait.until(ec.staleness_of(old))
    confirm = panel.driver.find_element(By.ID, "confirm-count").text
    assert f"将为 {ticked} 名儿童立疑似控辍案件" in confirm, confirm
    panel.screenshot("confirm")
    panel.driver.find_element(By.ID, "back-to-result").click()
    flashes = " ".join(panel.flashes())
    assert "已为" not in flashes, flashes
