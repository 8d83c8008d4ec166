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


def test_inline_edit_posts_the_rows_version(panel: Panel) -> None:
    """panel.js sends the version the list showed with an inline edit, and takes the new one
    from the answer: two edits of one cell go through; an outdated version is refused."""
    from selenium.webdriver.common.by import By

    panel.login("clerk")
    panel.open("/admin/child/")
    css = 'a[data-role="x-editable"][name="class_name"]'
    cell = panel.driver.find_element(By.CSS_SELECTOR, css)
    pk = cell.get_attribute("data-pk")
    first = int(cell.get_attribute("data-version"))

    def edit(text: str) -> None:
        # The previous edit's popover closes with an animation; a click during it is lost.
        panel.wait_for(lambda: not panel.driver.find_elements(By.CSS_SELECTOR, ".popover"))
        cell = panel.driver.find_element(By.CSS_SELECTOR, f'{css}[data-pk="{pk}"]')
        panel.scroll_to(cell)
        cell.click()
        # The popover fades in: wait until its box can be typed into.
        box = panel.wait_for(
            lambda: next(
                (
                    b
                    for b in panel.driver.find_elements(By.CSS_SELECTOR, ".editable-input input")
                    if b.is_displayed() and b.is_enabled()
                ),
                False,
            )
        )
        box.clear()
        box.send_keys(text)
        panel.driver.find_element(By.CSS_SELECTOR, ".editable-submit").click()

    for n, text in enumerate(("浏览器1班", "浏览器2班"), start=1):
        edit(text)
        panel.wait_for(
            lambda n=n: (
                panel.driver.find_element(By.CSS_SELECTOR, f'{css}[data-pk="{pk}"]').get_attribute(
                    "data-version"
                )
                == str(first + n)
            )
        )
    panel.screenshot("edited twice")
    # A row as another clerk's older page shows it: refused, with what changed.
    panel.driver.execute_script(
        "document.querySelector(arguments[0]).setAttribute('data-version', arguments[1])",
        f'{css}[data-pk="{pk}"]',
        str(first),
    )
    edit("浏览器3班")
    error = panel.wait_for(
        lambda: panel.driver.find_element(By.CSS_SELECTOR, ".editable-error-block").text
    )
    panel.screenshot("refused")
    assert "已有他人修改并保存了它" in error and "浏览器2班" in error, error
    panel.check_server_log()
