from tests.browser.panel import Panel


def test_clerk_creates_a_household_by_typing(panel: Panel) -> None:
    panel.login("clerk")
    panel.open("/admin/household/new/")
    panel.pick("village", "联合")
    panel.type("head_name", "浏览器户")
    panel.screenshot("filled")
    panel.save()
    panel.screenshot("saved")
    assert "浏览器户" in panel.text() or any("成功" in f for f in panel.flashes()), panel.flashes()


def test_dates_are_typed(panel: Panel) -> None:
    panel.login("clerk")
    panel.open("/admin/inspection/new/")
    panel.type_date("inspected_on", "2026-11-20")
    panel.screenshot("date")
