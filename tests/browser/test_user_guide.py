"""The user guide's tasks (docs/使用说明.md), done in Chromium by the role that does each.

Each test walks one task of the guide as a clerk, an inspector or a village cadre does
it and asserts what the guide says they will see. The pictures in the guide are taken
here: ``make screenshots`` runs this module with ``USER_GUIDE_IMAGES=docs/img``, and each
``shot`` then also writes a compact PNG under that stable name, so the guide's pictures
are always of the panel as it is. Without the variable, the pictures go only to
build/screenshots/ like every browser test's.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import random
import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from admin_app.util.dates import local_today
from tests.browser.panel import Panel
from tests.browser.records import child_without_case, new_id_number, query
from tests.browser.test_reports_import import write_xlsx
from tests.spreadsheets import POVERTY_HEADER, ROSTER_HEADER

TODAY = local_today()
#: The guide's pictures are scaled down: legible, a few tens of KB each.
SCALE = 0.65
#: The window's top part is what a guide's picture needs, at the width of a small office
#: screen (CSS pixels): narrower pictures, the same layout as on a desktop.
WINDOW_HEIGHT = 600
WINDOW_WIDTH = 1280


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def shot(panel: Panel, name: str, css: str | None = None, pad: int = 8) -> None:
    """A picture for the guide: the element ``css`` (with a margin) or the window.

    Always a full-page screenshot in build/screenshots/; with USER_GUIDE_IMAGES set also
    ``<dir>/<name>.png``, clipped and scaled by Chromium itself (no image library).
    """
    panel.screenshot(name)
    target = os.environ.get("USER_GUIDE_IMAGES")
    if not target:
        return
    driver = panel.driver
    size = driver.get_window_size()
    driver.set_window_size(WINDOW_WIDTH, size["height"])
    try:
        picture = _capture(panel, css, pad)
    finally:
        driver.set_window_size(size["width"], size["height"])
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.png").write_bytes(base64.b64decode(picture))


def _capture(panel: Panel, css: str | None, pad: int) -> str:
    """Chromium's own PNG of the element ``css`` or the window's top, scaled (base64)."""
    driver = panel.driver
    if css is None:
        box = driver.execute_script(
            "return {x: 0, y: window.scrollY, width: window.innerWidth,"
            " height: Math.min(window.innerHeight, arguments[0])};",
            WINDOW_HEIGHT,
        )
    else:
        element = driver.find_element(By.CSS_SELECTOR, css)
        panel.scroll_to(element)
        box = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            " return {x: r.left + window.scrollX, y: r.top + window.scrollY,"
            " width: r.width, height: Math.min(r.height, 1400)};",
            element,
        )
        box = {
            "x": max(box["x"] - pad, 0),
            "y": max(box["y"] - pad, 0),
            "width": box["width"] + 2 * pad,
            "height": box["height"] + 2 * pad,
        }
    picture = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": {**box, "scale": SCALE}},
    )
    return picture["data"]


def step(panel: Panel, name: str, label: str, dates: dict[str, str], **texts: str) -> None:
    """Unfold a step on the case page, type its dates and texts, press 确定<label>."""
    panel.unfold(label)
    for field, day in dates.items():
        panel.type_date(f"{name}-{field}", day)
    for field, text in texts.items():
        panel.type(f"{name}-{field}", text)
    panel.save("确定" + label)


# --- 登记一个新儿童 -------------------------------------------------------------------------


def test_guide_registers_a_new_child(panel: Panel) -> None:
    tag = f"{random.randrange(10**4):04d}"
    name = f"林小禾{tag}"
    number = new_id_number(panel.server, "2019-04-12")
    panel.login("clerk")
    shot(panel, "home")
    panel.open("/admin/child/")
    panel.follow("创建")
    panel.type("name", name)
    panel.type("id_number", number)
    panel.pick("village", "联合", "联合村")
    panel.type("guardian_name", "林大福")
    panel.type("guardian_relation", "父亲")
    panel.type("guardian_phone", "13812345678")
    panel.pick("school", "联合乡中心", "联合乡中心小学")
    panel.choose("stage", "小学")
    panel.type("grade", "1")
    panel.type_date("status_effective_on", ago(30))
    panel.driver.execute_script("window.scrollTo(0, 0)")
    shot(panel, "child-new")

    # A typo in the ID number: the message stands at the field, the typing stays.
    panel.type("id_number", number[:17] + ("1" if number[17] == "0" else "0"))
    panel.save()
    assert panel.error_at("id_number") == "身份证号校验码错误，请逐位核对"
    assert panel.value("name") == name
    shot(panel, "child-error", "input[name=id_number]", pad=60)
    panel.type("id_number", number)
    panel.save()
    assert any("成功" in f for f in panel.flashes()), panel.flashes()
    panel.open(f"/admin/child/?search={name}")
    row = panel.row(name)
    assert row is not None and "在校就读" in row.text and "2019-04-12" in row.text, row


# --- 处理一个疑似辍学案件，打印通知书 ---------------------------------------------------------


def test_guide_works_a_suspected_dropout_and_prints_the_notice(panel: Panel) -> None:
    child = child_without_case(panel.server)
    panel.login("clerk")
    panel.open(f"/admin/child/details/?id={child['id']}")
    panel.driver.find_element(By.ID, "open-case").click()
    panel.wait.until(lambda d: "/admin/case/new/" in d.current_url)
    panel.choose("kind", "辍学")
    panel.choose("source", "学校报告")
    panel.type_date("discovered_on", ago(6))
    panel.type("village_person", "刘主任")
    panel.type("school_person", "李老师")
    panel.save()
    assert panel.driver.find_element(By.ID, "case-status").text == "疑似"

    step(panel, "verify", "开始核查", {"on": ago(5)}, note="学校报告连续缺课，入户核实")
    panel.unfold("确认未入学/辍学")
    panel.type_date("confirm-on", ago(4))
    panel.choose("confirm-reason", "学习困难/厌学")
    panel.save("确定确认未入学/辍学")
    step(panel, "persuade", "开始劝返", {"on": ago(4)})
    step(
        panel,
        "visit",
        "登记走访",
        {"visited_on": ago(3)},
        persons="刘主任、李老师",
        result="监护人同意送学",
    )
    assert panel.driver.find_element(By.ID, "case-status").text == "劝返中"
    assert "已登记第1次走访" in " ".join(panel.flashes())
    panel.driver.execute_script("window.scrollTo(0, 0)")
    shot(panel, "case-page")

    panel.unfold("开具通知书《劝返复学通知书》")
    panel.type_date("notice-issued_on", ago(2))
    panel.type_date("notice-deadline", (TODAY + dt.timedelta(days=7)).isoformat())
    shot(panel, "notice-issue", "#case-actions")
    panel.save("确定开具通知书")
    assert "已开具《劝返复学通知书》" in " ".join(panel.flashes())
    link = panel.driver.find_element(By.ID, "case-notices").find_element(By.LINK_TEXT, "打印")
    with panel.new_window(link.click):
        text = panel.text()
        assert child["name"] in text and "送达回执" in text
        assert panel.print_pages() == 1
        shot(panel, "notice-print")


# --- 导入县扶贫办名单 -----------------------------------------------------------------------


def test_guide_imports_the_poverty_list(panel: Panel, tmp_path: Path) -> None:
    tag = f"{random.randrange(10**6):06d}"
    good = new_id_number(panel.server, "2016-05-20")
    other = new_id_number(panel.server, "2015-09-03")
    while not other.isdigit():  # one ending in X would not be a number in Excel either
        other = new_id_number(panel.server, "2015-09-03")
    rows = [
        (1, f"导入甲{tag}", good, "", "", "联合村", "联合乡中心小学", "四年级"),
        # Excel turned this ID number into a number: its last digits are lost.
        (2, f"导入乙{tag}", float(other), "", "", "联合村", "联合乡中心小学", "五年级"),
        (3, f"导入丙{tag}", other, "", "", "联合材", "联合乡中心小学", "五年级"),
    ]
    path = write_xlsx(tmp_path / f"建档立卡名单{tag}.xlsx", POVERTY_HEADER, rows)
    panel.login("clerk")
    panel.open("/admin/import/")
    panel.driver.find_element(By.ID, "kind-poverty").click()
    panel.upload("file", path)
    panel.save("上传并预览")
    summary = re.sub(r"\s+", "", panel.driver.find_element(By.ID, "summary").text)
    assert "共3行数据：新增1，更新0，无变化0，有错误2" in summary, summary
    table = panel.driver.find_element(By.ID, "preview-table").text
    assert "科学计数" in table or "数字" in table, table
    assert "联合村" in table, table  # the closest village is suggested
    shot(panel, "import-preview")
    panel.save_confirmed("确认导入1行有效记录")
    assert "新增1，更新0，无变化0，未导入2" in " ".join(panel.flashes())
    shot(panel, "import-done", "#batch-table")


# --- 比对学籍名单 ---------------------------------------------------------------------------


def test_guide_cross_checks_a_school_roster(panel: Panel, tmp_path: Path) -> None:
    pupils = query(
        panel.server,
        """
        SELECT c.id, c.name, c.id_number, c.grade FROM child c
        JOIN school s ON s.id = c.school_id
        WHERE s.name = '联合乡中学' AND c.id_number IS NOT NULL
          AND c.status IN ('enrolled', 'inclusive', 'suspended', 'home_teaching')
        """,
    )
    absent = random.choice(pupils)
    rows = [
        (p["name"], p["id_number"], "联合乡中学", p["grade"], "1班", "")
        for p in pupils
        if p["id"] != absent["id"]
    ]
    path = write_xlsx(tmp_path / "联合乡中学学籍名单.xlsx", ROSTER_HEADER, rows)
    panel.login("clerk")
    panel.open("/admin/crosscheck/")
    panel.upload("file", path)
    panel.check("schools")
    panel.save("上传并比对")
    assert absent["name"] in panel.driver.find_element(By.ID, "missing-table").text
    shot(panel, "crosscheck-result")


# --- 导出问责台账 ---------------------------------------------------------------------------


def test_guide_exports_the_accountability_ledger(panel: Panel) -> None:
    panel.login("inspector")
    panel.open("/admin/reports/")
    Select(panel.field("report")).select_by_visible_text("问责台账")
    periods = Select(panel.field("period"))
    periods.select_by_visible_text(next(o.text for o in periods.options if "2026年度" in o.text))
    shot(panel, "reports")
    panel.click_button("生成并下载")
    assert panel.downloaded().stat().st_size > 0
    panel.open("/admin/reports/")
    assert panel.driver.find_element(By.CSS_SELECTOR, "#export-archive tbody tr").text.startswith(
        "问责台账"
    )


# --- 查看本村排名 ---------------------------------------------------------------------------


def test_guide_village_cadre_reads_the_ranking(panel: Panel) -> None:
    panel.login("village")
    panel.follow("村级考核排名")
    text = panel.text()
    assert "联合村" in text and "总分" in text, text[:400]
    shot(panel, "ranking")
