"""考核指标 in Chromium: the admin edits a method's parameters in labelled number boxes."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.browser.panel import Panel
from tests.browser.records import query


def test_admin_edits_the_enrolment_rate_parameters(panel: Panel) -> None:
    (indicator,) = query(
        panel.server, "SELECT id FROM assessment_indicator WHERE code = 'enrolment'"
    )
    panel.login("admin")
    panel.open(f"/admin/indicator/edit/?id={indicator['id']}")
    shown = [
        e.get_attribute("name")
        for e in panel.driver.find_elements(By.CSS_SELECTOR, "[data-method]")
        if e.is_displayed()
    ]
    # Only 入学率's two boxes, not the other methods' (巩固率's 目标巩固率, 走访期限 …).
    assert shown == ["param_enrolment_rate_target", "param_enrolment_rate_deduct_per_child"]
    labels = panel.text()
    assert "目标入学率(%)" in labels and "每差1人扣分" in labels and "首次走访期限" not in labels
    # Over the maximum the browser itself holds the form back (the server refuses it too:
    # tests/test_assessment.py) and says why at the box.
    panel.type("param_enrolment_rate_target", "120")
    box = panel.field("param_enrolment_rate_target")
    assert box.get_property("validity")["rangeOverflow"]
    assert box.get_property("validationMessage")
    panel.type("param_enrolment_rate_target", "100")
    panel.type("param_enrolment_rate_deduct_per_child", "4")
    panel.screenshot("form")
    panel.save()
    assert "每差1人扣分：4" in panel.text(), panel.text()
    panel.screenshot("list")
