"""动态监测预警 in Chromium: a school reports a pupil absent for 3 days, finds the 缺勤超限
alert on its home page, and closes it with an action and a note (refused without one).
"""

from __future__ import annotations

import datetime as dt

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from admin_app.util.dates import local_today
from tests.browser.panel import Panel
from tests.browser.records import query

SCHOOL = "联合乡中心小学"


def pupil_without_alert(panel: Panel) -> str:
    """A pupil of the demo school, in school, with a unique name and no alert yet."""
    rows = query(
        panel.server,
        """
        SELECT c.name FROM child c JOIN school s ON s.id = c.school_id
        WHERE s.name = ? AND c.status = 'enrolled'
          AND c.id NOT IN (SELECT child_id FROM alert)
          AND c.id NOT IN (SELECT child_id FROM dropout_case)
          AND c.name IN (SELECT name FROM child GROUP BY name HAVING count(*) = 1)
        ORDER BY c.id DESC LIMIT 1
        """,
        SCHOOL,
    )
    assert rows, "the demo school has no pupil left without an alert"
    return rows[0]["name"]


def test_school_reports_absence_and_closes_the_alert(panel: Panel) -> None:
    name = pupil_without_alert(panel)
    start = (local_today() - dt.timedelta(days=4)).isoformat()

    panel.login("school")
    panel.open("/admin/absence/new/")
    panel.pick("child", name[:2], name)
    panel.type_date("from_on", start)
    panel.type("days", "3")
    panel.type("reason", "连续三天未到校，电话未接通")
    panel.screenshot("report")
    panel.save()
    assert any("已生成缺勤超限预警" in f for f in panel.flashes()), panel.flashes()

    panel.open("/admin/")
    box = panel.driver.find_element(By.ID, "my-alerts")
    assert f"缺勤超限：{name}" in box.text, box.text
    panel.screenshot("home")
    old = panel.driver.find_element(By.TAG_NAME, "html")
    box.find_element(By.PARTIAL_LINK_TEXT, f"缺勤超限：{name}").click()
    panel.wait.until(ec.staleness_of(old))
    assert "连续缺勤3天" in panel.driver.find_element(By.ID, "alert-detail").text

    # An action without a note is refused next to the note, the choice kept.
    panel.choose("action", "已返校")
    panel.save("关闭预警")
    assert "请填写处理情况" in panel.error_at("note")
    assert panel.value("action") == "returned"
    panel.screenshot("refused")
    panel.type("note", "班主任家访，家长保证按时送校，学生已返校上课")
    panel.save("关闭预警")
    assert any(f"已关闭预警：{name}" in f for f in panel.flashes()), panel.flashes()
    panel.screenshot("closed")

    (alert,) = query(
        panel.server,
        "SELECT a.status, a.closed_action, a.closed_note, a.owner_line, s.name AS school"
        " FROM alert a JOIN child c ON c.id = a.child_id JOIN school s ON s.id = a.school_id"
        " WHERE c.name = ? AND a.kind = 'absence'",
        name,
    )
    assert tuple(alert) == (
        "closed",
        "returned",
        "班主任家访，家长保证按时送校，学生已返校上课",
        "school",
        SCHOOL,
    )
    panel.open("/admin/")
    assert f"缺勤超限：{name}" not in panel.driver.find_element(By.ID, "my-alerts").text
