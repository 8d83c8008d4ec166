"""报表导出, 名单导入 and 比对核查 in Chromium, each done by the role whose job it is.

Reports are chosen in the form and downloaded by the browser (then opened with openpyxl
and found again in the archive list); lists are built as .xlsx files, chosen in the file
input, previewed and committed.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from openpyxl import Workbook, load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.panel import Panel
from tests.browser.records import new_id_number, query
from tests.spreadsheets import POVERTY_HEADER, ROSTER_HEADER

PERIOD = "2026年度"
#: Report → (a header every sheet of it carries, whether it needs a period).
REPORTS = {
    "问责台账": (("排名", "行政村", "扣分合计", "问责措施"), True),
    "村级考核排名表": (("排名", "较上期", "行政村", "总分"), True),
    "辍学/未入学劝返台账": (("儿童姓名", "类型", "发现日期", "劝返走访"), True),  # paper sheet
    "帮扶台账": (("儿童姓名", "帮扶类型", "金额(元)"), True),
    "责任书签订情况表": (("线别", "层级", "甲方", "乙方"), True),
    "适龄儿童少年台账": (("姓名", "身份证号", "就学状态"), False),
}


def write_xlsx(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> Path:
    """A county list as it arrives: a title row, a blank row, the header, the rows."""
    book = Workbook()
    sheet = book.active
    sheet.append([f"联合乡{path.stem}"])
    sheet.append([])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("1" if number[17] == "0" else "0")


def cells(path: Path, sheet: int = 0, first: int = 12) -> list[list[str]]:
    """The first rows of a downloaded workbook's sheet as text (openpyxl reads it)."""
    book = load_workbook(path, read_only=True)
    worksheet = book.worksheets[sheet]
    rows = [
        ["" if v is None else str(v) for v in row]
        for row in worksheet.iter_rows(max_row=first, values_only=True)
    ]
    book.close()
    return rows


def download_report(panel: Panel, title: str, period: str | None) -> Path:
    """Choose the report (and period) on 报表导出, press 生成并下载, return the file."""
    panel.open("/admin/reports/")
    Select(panel.field("report")).select_by_visible_text(title)
    periods = Select(panel.field("period"))
    if period is None:
        periods.select_by_visible_text("（请选择）")
    else:
        periods.select_by_visible_text(
            next(o.text for o in periods.options if o.text.startswith(period))
        )
    panel.click_button("生成并下载")
    path = panel.downloaded()
    assert panel.path.startswith("/admin/reports/"), panel.path  # the page stays
    assert not panel.field_errors(), panel.field_errors()
    return path


def check_report(path: Path, title: str, user: str) -> None:
    headers, _ = REPORTS[title]
    rows = cells(path)
    assert title in rows[0][0], rows[0]  # 联合乡控辍保学<title>
    text = "\n".join("\t".join(r) for r in rows)
    assert "联合乡" in text and user in text, text
    header_row = next((r for r in rows if headers[0] in r and headers[-1] in r), None)
    assert header_row is not None, (title, rows)
    assert set(headers) <= set(header_row), (headers, header_row)
    assert load_workbook(path, read_only=True).sheetnames[-1].endswith("汇总")


def archive_top(panel: Panel) -> list[str]:
    """The newest row of the archive list on 报表导出."""
    panel.open("/admin/reports/")
    row = panel.driver.find_element(By.CSS_SELECTOR, "#export-archive tbody tr")
    return [td.text for td in row.find_elements(By.TAG_NAME, "td")]


def download_reports_as(panel: Panel, user: str, titles: list[str], display: str) -> Path:
    """Log in as ``user``, download each report, check it and its archive entry."""
    panel.login(user)
    path = Path()
    for title in titles:
        path = download_report(panel, title, PERIOD if REPORTS[title][1] else None)
        check_report(path, title, display)
        top = archive_top(panel)
        assert top[0].startswith(title) and top[2].startswith(user + "（"), top
    panel.screenshot("archive")
    assert panel.horizontal_overflow() == 0, "报表导出 is wider than the screen"
    return path


def test_inspector_downloads_accountability_and_ranking(panel: Panel) -> None:
    download_reports_as(panel, "inspector", ["问责台账", "村级考核排名表"], "演示督导员")
    # Without the period it needs, the report is refused at the field, in Chinese.
    Select(panel.field("report")).select_by_visible_text("问责台账")
    Select(panel.field("period")).select_by_visible_text("（请选择）")
    panel.save("生成并下载")
    assert panel.error_at("period") == "“问责台账”须选择考核周期", panel.field_errors()
    assert Select(panel.field("report")).first_selected_option.text == "问责台账"


def test_clerk_downloads_the_registers(panel: Panel) -> None:
    titles = ["辍学/未入学劝返台账", "帮扶台账", "责任书签订情况表", "适龄儿童少年台账"]
    last = download_reports_as(panel, "clerk", titles, "演示乡镇工作人员")
    # Downloaded again from the archive: the very file issued.
    panel.driver.find_element(By.CSS_SELECTOR, "#export-archive tbody tr").find_element(
        By.LINK_TEXT, "下载"
    ).click()
    assert panel.downloaded().read_bytes() == last.read_bytes()


def test_leader_downloads_the_ledger_masked(panel: Panel) -> None:
    panel.login("leader")
    panel.open("/admin/reports/")
    assert "身份证号、电话将脱敏导出" in panel.text()
    path = download_report(panel, "适龄儿童少年台账", None)
    check_report(path, "适龄儿童少年台账", "演示乡领导")
    rows = cells(path, first=30)
    column = next(r for r in rows if "身份证号" in r).index("身份证号")
    numbers = [r[column] for r in rows[-10:] if len(r) > column and r[column]]
    assert numbers and all("********" in n for n in numbers), numbers
    top = archive_top(panel)
    # A snapshot is named by the day its data stand for, not by a period it has none of.
    assert top[0].startswith("适龄儿童少年台账_数据截至20"), top
    assert top[2] == "leader（乡领导）" and top[5] == "是", top


def test_clerk_imports_a_poverty_list(panel: Panel, tmp_path: Path) -> None:
    known = random.choice(
        query(
            panel.server,
            """
            SELECT c.name, c.id_number, v.name AS village, s.name AS school, c.grade
            FROM child c JOIN village v ON v.id = c.village_id JOIN school s ON s.id = c.school_id
            WHERE c.status = 'enrolled' AND NOT c.is_poor AND c.id_number IS NOT NULL
              AND c.grade IS NOT NULL
            """,
        )
    )
    tag = f"{random.randrange(10**6):06d}"
    fresh = [
        (f"导入甲{tag}", new_id_number(panel.server, "2016-05-20"), "联合村", "联合乡中心小学"),
        (f"导入乙{tag}", new_id_number(panel.server, "2015-03-02"), "新华村", "联合乡中心小学"),
    ]
    bad = (f"导入丙{tag}", wrong_check_digit(fresh[0][1]), "联合村", "联合乡中心小学")
    rows = [
        (1, *fresh[0][:2], "", "", *fresh[0][2:], "三年级"),
        (2, *fresh[1][:2], "", "", *fresh[1][2:], "四年级"),
        (3, known["name"], known["id_number"], "", "", known["village"], known["school"],
         known["grade"]),
        (4, *bad[:2], "", "", *bad[2:], "三年级"),
    ]  # fmt: skip
    path = write_xlsx(tmp_path / f"建档立卡名单{tag}.xlsx", POVERTY_HEADER, rows)

    panel.login("clerk")
    panel.open("/admin/import/")
    panel.driver.find_element(By.ID, "kind-poverty").click()
    panel.upload("file", path)
    panel.save("上传并预览")
    summary = re.sub(r"\s+", "", panel.driver.find_element(By.ID, "summary").text)
    assert "共4行数据：新增2，更新1，无变化0，有错误1" in summary, summary
    table = panel.driver.find_element(By.ID, "preview-table").text
    assert f"导入甲{tag}" in table and "新增" in table and "有错误" in table, table
    assert "校验" in table or "身份证号" in table, table  # the bad row says why
    panel.screenshot("preview")
    assert panel.horizontal_overflow() == 0, "the preview is wider than the screen"

    panel.save_confirmed("确认导入3行有效记录")
    flash = " ".join(panel.flashes())
    assert "新增2，更新1，无变化0，未导入1" in flash, flash
    batch = panel.driver.find_element(By.CSS_SELECTOR, "#batch-table tbody tr").text
    assert path.name in batch, batch
    panel.screenshot("committed")

    # The batch's rejected row, downloaded with its reason beside it.
    panel.driver.find_element(By.CSS_SELECTOR, "#batch-table tbody tr").find_element(
        By.LINK_TEXT, "下载"
    ).click()
    rejects = "\n".join("\t".join(r) for r in cells(panel.downloaded(), first=20))
    assert bad[0] in rejects and "未导入原因" in rejects, rejects

    imported = query(
        panel.server,
        "SELECT name, is_poor FROM child WHERE id_number IN (?, ?, ?) ORDER BY name",
        fresh[0][1],
        fresh[1][1],
        known["id_number"],
    )
    assert sorted((r[0], r[1]) for r in imported) == sorted(
        [(fresh[0][0], 1), (fresh[1][0], 1), (known["name"], 1)]
    )


def test_clerk_cross_checks_a_school_roster(panel: Panel, tmp_path: Path) -> None:
    """The school's roster lists its pupils but two; those two come up as suspected."""
    pupils = query(
        panel.server,
        """
        SELECT c.id, c.name, c.id_number, c.grade, c.birth_date,
               c.id IN (SELECT child_id FROM dropout_case WHERE status NOT IN
                        ('elsewhere', 'exempted', 'moved_out', 'closed')) AS open_case
        FROM child c JOIN school s ON s.id = c.school_id
        WHERE s.name = '联合乡中学' AND c.id_number IS NOT NULL
          AND c.status IN ('enrolled', 'inclusive', 'suspended', 'home_teaching')
        """,
    )
    candidates = [p for p in pupils if not p["open_case"] and p["birth_date"] > "2012-09-01"]
    absent = random.sample(candidates, 2)
    listed = [p for p in pupils if p not in absent]
    tag = f"{random.randrange(10**6):06d}"
    rows = [(p["name"], p["id_number"], "联合乡中学", p["grade"], "1班", "") for p in listed]
    stranger = new_id_number(panel.server, "2013-07-01")
    rows.append((f"外乡生{tag}", stranger, "联合乡中学", 7, "2班", ""))
    rows.append((f"错号生{tag}", "43012120130701123", "联合乡中学", 7, "2班", ""))
    path = write_xlsx(tmp_path / f"联合乡中学学籍名单{tag}.xlsx", ROSTER_HEADER, rows)

    panel.login("clerk")
    panel.open("/admin/crosscheck/")
    panel.upload("file", path)
    panel.check("schools")
    panel.save("上传并比对")
    summary = panel.driver.find_element(By.ID, "summary").text
    assert f"名单共{len(rows)}行，只比对在联合乡中学就读的儿童" in summary, summary
    assert f"已匹配 {len(listed)}" in summary and "在名单未在任何村台账 1" in summary, summary
    assert "名单中身份证号有误 1" in summary, summary
    missing = panel.driver.find_element(By.ID, "missing-table")
    for pupil in absent:
        assert pupil["name"] in missing.text, (pupil["name"], missing.text)
    # Everyone else on that list is a pupil of the school already out of school.
    others = [
        row.text
        for row in missing.find_elements(By.CSS_SELECTOR, "tbody tr")
        if int(row.get_attribute("data-child")) not in {p["id"] for p in absent}
    ]
    assert not [row for row in others if "在校就读" in row], others
    assert f"外乡生{tag}" in panel.driver.find_element(By.ID, "unregistered-table").text
    assert f"错号生{tag}" in panel.driver.find_element(By.ID, "invalid-table").text
    panel.screenshot("result")
    assert panel.horizontal_overflow() == 0, "the result is wider than the screen"

    # A suspected case for one of the two, in one step.
    row = missing.find_element(By.CSS_SELECTOR, f"tr[data-child='{absent[0]['id']}']")
    box = row.find_element(By.NAME, "child_id")
    panel.scroll_to(box)
    box.click()
    panel.save_confirmed("为所选儿童立疑似控辍案件")
    flash = " ".join(panel.flashes())
    assert "已为1名儿童立疑似控辍案件（来源：学籍比对）" in flash, flash
    row = panel.driver.find_element(
        By.CSS_SELECTOR, f"#missing-table tr[data-child='{absent[0]['id']}']"
    )
    assert "已有未结案件" in row.text, row.text

    # All the lists in one workbook, the absent pupils on its first sheet.
    panel.driver.find_element(By.ID, "export-link").click()
    result = panel.downloaded()
    assert load_workbook(result, read_only=True).sheetnames[:2] == [
        "在台账未在名单(疑似未入学辍学)",
        "在名单未在台账",
    ]
    listed_absent = "\n".join("\t".join(r) for r in cells(result, first=400))
    assert "联合乡比对核查：在台账未在名单" in listed_absent
    assert absent[1]["name"] in listed_absent, listed_absent[:500]
