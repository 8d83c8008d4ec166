"""The real-browser suite: the real app served by ``flask run``, driven by Debian's Chromium.

One server and one browser serve the whole suite (starting them costs seconds); each
test logs in afresh as the role whose job it does and creates the records it needs, so
tests do not depend on each other's order. The server runs on a temporary SQLite
database loaded with the demo data set, like ``make run``.

Chromium and chromedriver come from Debian (``apt-get install chromium chromium-driver``);
nothing is downloaded. Without them the suite is skipped with a hint, except under
``CI=true``, where a missing browser fails the run: a suite that silently skipped in CI
would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.panel import Panel, Server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get(
    "CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver"
)
HINT = "browser suite: apt-get install -y chromium chromium-driver fonts-noto-cjk"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "build" / "screenshots"))


def _missing() -> str | None:
    if os.environ.get("TEST_DATABASE_URL"):
        return "the browser suite runs once, on the SQLite demo server (TEST_DATABASE_URL set)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} not found; {HINT}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip locally without a browser; under CI=true the ``driver`` fixture fails instead."""
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true" and not os.environ.get("TEST_DATABASE_URL"):
        return
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "admin_app", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def panel_env(home: Path) -> dict[str, str]:
    """The environment of a served panel over its own SQLite database under ``home``."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home / 'panel.db'}",
        "SECRET_KEY": "browser-suite-secret",
        "EXPORTS_DIR": str(home / "exports"),
        "IMPORT_DIR": str(home / "imports"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TEST_DATABASE_URL", None)
    return env


@contextmanager
def serve_panel(home: Path, env: dict[str, str]) -> Iterator[Server]:
    """``flask run`` on a free port over the database ``env`` names, until the block ends."""
    port = _free_port()
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "admin_app", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/admin/login/", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((home / "server.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield Server(url=url, home=home, log=home / "server.log")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``flask run`` on a free port over a fresh demo database (the ``make run`` data)."""
    home = tmp_path_factory.mktemp("panel")
    env = panel_env(home)
    _flask(["init-db"], env)
    _flask(["seed-demo"], env)
    with serve_panel(home, env) as served:
        yield served


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    reason = _missing()
    if reason is not None:
        pytest.fail(f"CI=true and the browser suite cannot run: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        "--lang=zh-CN",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "intl.accept_languages": "zh-CN,zh",
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
        },
    )
    # The console, to catch what the Content-Security-Policy refuses (Panel.check_console).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Chromium on Linux takes its UI language, and so the 年/月/日 order of date inputs,
    # from LANGUAGE; --lang alone leaves a headless browser in American mm/dd/yyyy.
    # LANG must name a UTF-8 locale that is installed (zh_CN.UTF-8 often is not; C.UTF-8
    # always is): in the C fallback Chromium saves a download named 适龄儿童少年台账.xlsx as
    # "download" and chromedriver cannot find a file to upload named 名单.xlsx.
    service = Service(CHROMEDRIVER, env={**os.environ, "LANGUAGE": "zh_CN", "LANG": "C.UTF-8"})
    browser = webdriver.Chrome(service=service, options=options)
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    browser.downloads = downloads  # type: ignore[attr-defined]
    yield browser
    browser.quit()


@pytest.fixture
def panel(server: Server, driver: object, request: pytest.FixtureRequest) -> Iterator[Panel]:
    """The browser at the panel, logged out, sized as a desktop screen."""
    page = Panel(driver, server, SCREENSHOTS, request.node.name)
    page.reset()
    yield page
    page.check_server_log()
    page.check_console()
