"""What a user does in the panel, as browser steps: log in, open, type, pick, save, look.

Every step goes through the page as a person would: fields are found by their label or
name on screen, pickers are opened and typed into, dates are typed key by key, and a
save is a click on the button. Nothing posts around the page.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

DEMO_PASSWORDS = {name: f"{name}123!" for name in ("admin", "clerk", "leader", "inspector")}
DEMO_PASSWORDS.update({"village": "village123!", "school": "school123!", "county": "county123!"})
DESKTOP = (1366, 900)
PHONE = (390, 844)
SERVER_ERRORS = re.compile(r"Traceback|Unhandled error|\" 5\d\d ")
CONSOLE_PROBLEMS = re.compile(r"Content Security Policy|Refused to|Uncaught")


@dataclass
class Server:
    url: str
    home: Path
    log: Path


class Panel:
    def __init__(self, driver: Any, server: Server, shots: Path, test_name: str) -> None:
        self.driver: WebDriver = driver
        self.server = server
        self.shots = shots
        self.test_name = re.sub(r"[^\w.-]+", "_", test_name)[:80]
        self.log_offset = server.log.stat().st_size if server.log.exists() else 0
        self.wait = WebDriverWait(driver, 10, poll_frequency=0.05)

    # --- Session -------------------------------------------------------------------------

    def reset(self) -> None:
        self.driver.set_window_size(*DESKTOP)
        self.driver.get(self.server.url + "/admin/login/")
        self.driver.delete_all_cookies()
        self.console()  # what earlier tests left in the log is theirs

    def login(self, username: str, password: str | None = None) -> None:
        self.reset()
        self.open("/admin/login/")
        self.type("username", username)
        self.type("password", password or DEMO_PASSWORDS[username])
        self.click_button("登录")
        self.wait.until(ec.presence_of_element_located((By.ID, "current-user")))

    def logout(self) -> None:
        self.click_button("退出")
        self.wait.until(ec.presence_of_element_located((By.NAME, "username")))

    # --- Navigation ----------------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.server.url + path)
        self.assert_no_error_page()

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.server.url)

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def assert_no_error_page(self) -> None:
        heading = self.driver.find_elements(By.CSS_SELECTOR, ".error-page, h1.error-title")
        assert not heading, f"{self.path}: {heading[0].text}"
        body = self.text()
        for marker in ("系统错误", "Internal Server Error", "Bad Request", "Not Found"):
            assert marker not in body, f"{self.path} shows {marker!r}"

    def menu(self) -> list[tuple[str, str]]:
        """(label, href) of every entry of the navbar menu, dropdowns included."""
        entries = []
        for link in self.driver.find_elements(
            By.CSS_SELECTOR, ".navbar a.nav-link, .navbar a.dropdown-item"
        ):
            href = link.get_attribute("href") or ""
            label = link.get_attribute("textContent").strip()
            if href.startswith(self.server.url) and "dropdown-toggle" not in (
                link.get_attribute("class") or ""
            ):
                entries.append((label, href.removeprefix(self.server.url)))
        return entries

    def follow(self, link_text: str) -> None:
        self.driver.find_element(By.PARTIAL_LINK_TEXT, link_text).click()
        self.assert_no_error_page()

    # --- Fields --------------------------------------------------------------------------

    def field(self, name: str) -> WebElement:
        return self.driver.find_element(By.NAME, name)

    def type(self, name: str, text: str) -> None:
        element = self.field(name)
        element.clear()
        element.send_keys(text)

    def value(self, name: str) -> str:
        return self.field(name).get_attribute("value") or ""

    def type_date(self, name: str, iso: str) -> None:
        """Click into a date input and type the date as a clerk types it (2026-11-20)."""
        element = self.field(name)
        assert element.get_attribute("type") == "date", (name, element.get_attribute("outerHTML"))
        self.scroll_to(element)
        # Into the year, the first segment, as a clerk does: a click in the middle of a
        # narrow input lands on the month and the typed year spills into month and day.
        width = element.size["width"]
        ActionChains(self.driver).move_to_element_with_offset(
            element, -width // 2 + 6, 0
        ).click().perform()
        element.send_keys(iso)
        assert element.get_attribute("value") == iso, (name, element.get_attribute("value"))

    def check(self, name: str, on: bool = True) -> None:
        box = self.field(name)
        if box.is_selected() != on:
            self.scroll_to(box)
            box.click()

    def choose(self, name: str, label: str) -> None:
        """Choose an option by its visible text, in a select or its select2 picker."""
        if self._select2(name) is not None:
            self.pick(name, label)
            return
        Select(self.field(name)).select_by_visible_text(label)

    def pick(self, name: str, typed: str, choose: str | None = None) -> str:
        """Open a select2 picker, type into it, and click the matching result.

        ``choose`` is a text the wanted result contains (default: what was typed).
        Returns the label of the picked result.
        """
        container = self._select2(name)
        assert container is not None, f"{name} has no picker"
        self.scroll_to(container)
        opener = container.find_elements(By.CSS_SELECTOR, "a.select2-choice, ul.select2-choices")
        opener[0].click()
        search = self.wait.until(
            ec.visibility_of_element_located(
                (
                    By.CSS_SELECTOR,
                    # The search box, not the hidden "focusser" input of the container.
                    "#select2-drop input.select2-input,"
                    " .select2-container-active input.select2-input",
                )
            )
        )
        search.send_keys(typed)
        wanted = choose or typed
        # Each typed character sends a query: a result found in the answer to the first
        # characters can be replaced by the answer to all of them before the click lands.
        label = ""
        for attempt in range(3):
            try:
                result = self.wait.until(lambda d: self._result(wanted))
                label = result.text
                result.click()
                break
            except StaleElementReferenceException:
                if attempt == 2:
                    raise
        # The picked result closes the dropdown; until it has, its list lies over the
        # fields below and takes the next click (the CI run saw 种类's picker refused so).
        self.wait.until(lambda d: not self._dropdown_open())
        return label

    def _dropdown_open(self) -> bool:
        try:
            return any(e.is_displayed() for e in self.driver.find_elements(By.ID, "select2-drop"))
        except StaleElementReferenceException:
            return False  # redrawn or removed: not the list that was open

    def _result(self, wanted: str) -> WebElement | bool:
        try:
            for item in self.driver.find_elements(
                By.CSS_SELECTOR, "#select2-drop li.select2-result-selectable"
            ):
                if item.is_displayed() and wanted in item.text:
                    return item
        except StaleElementReferenceException:
            return False
        return False

    def _select2(self, name: str) -> WebElement | None:
        element = self.field(name)
        found = self.driver.find_elements(By.ID, "s2id_" + (element.get_attribute("id") or name))
        return found[0] if found else None

    def picked(self, name: str) -> str:
        container = self._select2(name)
        assert container is not None
        return container.find_element(By.CSS_SELECTOR, ".select2-chosen, .select2-choices").text

    def sheet_fields(self, item: str) -> tuple[str, str]:
        """The names of an item's score and reason boxes on an inspection's score sheet."""
        row = self.driver.find_element(
            By.XPATH, f"//table[@data-score-sheet]//tr[td/label[normalize-space(.)={item!r}]]"
        )
        score, reason = row.find_elements(By.CSS_SELECTOR, "input[type=text]")
        return score.get_attribute("name") or "", reason.get_attribute("name") or ""

    def section_of(self, name: str) -> str:
        """The title of the form section (``data-section``) that holds field ``name``."""
        element = self.field(name)
        return (
            element.find_element(By.XPATH, "ancestor::fieldset[@data-section][1]").get_attribute(
                "data-section"
            )
            or ""
        )

    # --- Buttons and results -------------------------------------------------------------

    def click_button(self, label: str, within: WebElement | None = None) -> None:
        scope = within or self.driver
        candidates = scope.find_elements(
            By.XPATH,
            ".//button[normalize-space(.)=$l] | .//input[@type='submit' and @value=$l]".replace(
                "$l", repr(label)
            ),
        )
        visible = [c for c in candidates if c.is_displayed()]
        assert visible, f"no button {label!r} on {self.path}"
        self.scroll_to(visible[0])
        visible[0].click()

    def save(self, label: str = "保存") -> None:
        """Click the form's save button and wait for the next page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.click_button(label)
        self.wait.until(ec.staleness_of(old))
        self.assert_no_error_page()

    def flashes(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".alert")]

    def field_errors(self) -> list[str]:
        return [
            e.text
            for e in self.driver.find_elements(
                By.CSS_SELECTOR, ".invalid-feedback, .help-block, .form-text.text-danger"
            )
            if e.text.strip()
        ]

    def error_at(self, name: str) -> str:
        """The message shown in the form group of field ``name``."""
        element = self.field(name)
        group = element.find_element(By.XPATH, "ancestor::*[contains(@class,'form-group')][1]")
        messages = group.find_elements(By.CSS_SELECTOR, ".invalid-feedback, .help-block")
        return " ".join(m.text for m in messages if m.text.strip())

    def accept_confirm(self) -> None:
        self.wait.until(ec.alert_is_present())
        self.driver.switch_to.alert.accept()

    # --- Looking -------------------------------------------------------------------------

    def scroll_to(self, element: WebElement) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)

    def screenshot(self, label: str) -> Path:
        """A full-page screenshot under build/screenshots/, for a person to look at."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.test_name}-{label}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        size = self.driver.get_window_size()
        self.driver.set_window_size(size["width"], min(max(height + 140, 600), 6000))
        try:
            self.driver.save_screenshot(str(path))
        finally:
            self.driver.set_window_size(size["width"], size["height"])
        return path

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the window (0: it fits)."""
        return int(
            self.driver.execute_script(
                "return Math.max(document.documentElement.scrollWidth,"
                " document.body.scrollWidth) - window.innerWidth"
            )
        )

    def print_pages(self) -> int:
        """Print the page to PDF on A4 (as 打印 does) and count the sheets."""
        options = PrintOptions()
        options.page_width = 21.0
        options.page_height = 29.7
        options.background = True
        pdf = base64.b64decode(self.driver.print_page(options))
        return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))

    def downloaded(self, suffix: str = ".xlsx", timeout: float = 30) -> Path:
        """Wait for the newest finished download and return its path (then forget it)."""
        folder: Path = self.driver.downloads  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [p for p in folder.iterdir() if p.suffix == suffix]
            pending = [p for p in folder.iterdir() if p.suffix == ".crdownload"]
            if done and not pending:
                newest = max(done, key=lambda p: p.stat().st_mtime)
                # Out of the folder, so the next call cannot mistake it for a new download.
                taken = folder / "taken"
                taken.mkdir(exist_ok=True)
                target = taken / f"{time.monotonic_ns()}-{newest.name}"
                newest.rename(target)
                return target
            time.sleep(0.2)
        raise TimeoutException(f"no {suffix} downloaded; folder holds {list(folder.iterdir())}")

    def wait_for(self, condition: Callable[[], Any], timeout: float = 10) -> Any:
        return WebDriverWait(self.driver, timeout).until(lambda d: condition())

    def check_server_log(self) -> None:
        """No request of the test ended in a server error."""
        with self.server.log.open() as log:
            log.seek(self.log_offset)
            new = log.read()
        problems = [line for line in new.splitlines() if SERVER_ERRORS.search(line)]
        assert not problems, "\n".join(problems[:20])

    def console(self) -> list[str]:
        """Browser console messages since the last call (reading the log empties it)."""
        return [entry["message"] for entry in self.driver.get_log("browser")]

    def check_console(self) -> None:
        """Nothing the test did was refused by the Content-Security-Policy (an inline
        handler, a javascript: link, a script without the nonce), and no script failed."""
        problems = [m for m in self.console() if CONSOLE_PROBLEMS.search(m)]
        assert not problems, "\n".join(problems[:20])

    def exists(self, css: str) -> bool:
        try:
            self.driver.find_element(By.CSS_SELECTOR, css)
        except NoSuchElementException:
            return False
        return True

    # --- Further steps -------------------------------------------------------------------

    def unfold(self, label: str) -> None:
        """Open a folded section (a <details>) by clicking its <summary> text."""
        summary = self.driver.find_element(By.XPATH, f"//summary[normalize-space(.)={label!r}]")
        self.scroll_to(summary)
        if summary.find_element(By.XPATH, "..").get_attribute("open") is None:
            summary.click()

    @contextmanager
    def new_window(self, click: Callable[[], None]) -> Iterator[None]:
        """Do ``click`` (which opens a link in a new tab), work in that tab, close it."""
        before = set(self.driver.window_handles)
        main = self.driver.current_window_handle
        click()
        handle = self.wait.until(lambda d: (set(d.window_handles) - before) or False).pop()
        self.driver.switch_to.window(handle)
        try:
            self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
            self.assert_no_error_page()
            yield
        finally:
            self.driver.close()
            self.driver.switch_to.window(main)

    def upload(self, name: str, path: Path) -> None:
        """Choose a file in the <input type=file> ``name`` (as picking it in the dialog)."""
        self.field(name).send_keys(str(path))

    def save_confirmed(self, label: str) -> None:
        """Click a button that asks 确认…? first, say yes, and wait for the next page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.click_button(label)
        self.accept_confirm()
        self.wait.until(ec.staleness_of(old))
        self.assert_no_error_page()

    # --- Lists: find a record's row, open or delete it from there -------------------------

    def click_link(self, label: str) -> None:
        """Click a visible link by its text, e.g. an inline form's 添加 评分."""
        links = [
            a
            for a in self.driver.find_elements(By.XPATH, f".//a[normalize-space(.)={label!r}]")
            if a.is_displayed()
        ]
        assert links, f"no link {label!r} on {self.path}"
        self.scroll_to(links[0])
        links[0].click()

    def list_count(self) -> int:
        """The record count the list's tab shows: 列表 (N)."""
        found = re.search(r"列表\s*\((\d+)\)", self.text())
        assert found, f"{self.path} shows no record count"
        return int(found.group(1))

    def row(self, text: str) -> WebElement | None:
        """The list row holding ``text`` (None: no row shows it)."""
        for row in self.driver.find_elements(By.CSS_SELECTOR, "table.model-list tbody tr"):
            # A record's row has its columns' cells; the empty list's message row, which
            # repeats the searched words, has none.
            if text in row.text and row.find_elements(By.CSS_SELECTOR, "td[class^='col-']"):
                return row
        return None

    def row_id(self, text: str) -> int:
        row = self.row(text)
        assert row is not None, f"no row shows {text!r} on {self.path}"
        box = row.find_element(By.CSS_SELECTOR, "input.action-checkbox")
        return int(box.get_attribute("value") or 0)

    def open_row(self, text: str, title: str = "编辑记录") -> None:
        """Click a row's icon (编辑记录 / 查看记录) and wait for that page."""
        row = self.row(text)
        assert row is not None, f"no row shows {text!r} on {self.path}"
        old = self.driver.find_element(By.TAG_NAME, "html")
        icon = row.find_element(By.CSS_SELECTOR, f"a[title={title!r}]")
        self.scroll_to(icon)
        icon.click()
        self.wait.until(ec.staleness_of(old))
        self.assert_no_error_page()

    def delete_row(self, text: str) -> None:
        """Click the row's delete button, accept the confirmation, wait for the list."""
        row = self.row(text)
        assert row is not None, f"no row shows {text!r} on {self.path}"
        old = self.driver.find_element(By.TAG_NAME, "html")
        button = row.find_element(By.CSS_SELECTOR, "button[title='删除记录']")
        self.scroll_to(button)
        button.click()
        self.accept_confirm()
        self.wait.until(ec.staleness_of(old))
        self.assert_no_error_page()
