"""The memo's page in a real browser: headless Chromium driven by Selenium.

The built edition is served by http.server on 127.0.0.1 (a real origin, so
the Content-Security-Policy's 'self' means what it means on a web server).
The browser's network events (the DevTools performance log) prove that no
request leaves that origin, and its console must stay free of errors.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.browser


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture(scope="module")
def server(memo_edition) -> Iterator[str]:
    out, report = memo_edition
    assert report.exit_code == 0
    handler = functools.partial(_QuietHandler, directory=str(out))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} missing: install the Debian packages chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1200,1600",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def memo(driver, server: str):
    driver.get(f"{server}/html/d300.html")
    return driver


def _hash(driver) -> str:
    return driver.execute_script("return location.hash")


def test_note_call_jumps_to_the_note_and_back(memo) -> None:
    from selenium.webdriver.common.by import By

    call = memo.find_element(By.CSS_SELECTOR, "a.note-call")
    call.click()
    assert _hash(memo) == "#d300fn0"
    note = memo.find_element(By.ID, "d300fn0")
    assert note.is_displayed() and "Lot 58 D 776" in note.text
    assert memo.execute_script("return document.querySelector(':target').id") == "d300fn0"
    note.find_element(By.CSS_SELECTOR, "a[role='doc-backlink']").click()
    assert _hash(memo) == "#call-d300fn0"


def test_page_marker_is_visible(memo) -> None:
    from selenium.webdriver.common.by import By

    marker = memo.find_element(By.ID, "pg_594")
    assert marker.is_displayed() and marker.text == "[Page 594]"


def test_reading_switch_changes_that_to_wait(memo) -> None:
    from selenium.webdriver.common.by import By

    paragraph = memo.find_element(By.ID, "d300.p4")
    assert "suggest that the Sino-Soviet" in paragraph.text
    memo.find_element(By.CSS_SELECTOR, "button[data-reading='diplomatic']").click()
    assert "suggest wait the Sino-Soviet" in paragraph.text
    assert "that the Sino-Soviet" not in paragraph.text
    memo.find_element(By.CSS_SELECTOR, "button[data-reading='reading']").click()
    assert "suggest that the Sino-Soviet" in paragraph.text


def test_screenshot_is_kept(memo, artifacts: Path) -> None:
    memo.execute_script("window.scrollTo(0, 0)")
    target = artifacts / "d300.png"
    assert memo.save_screenshot(str(target))
    assert target.stat().st_size > 10_000


def test_console_is_clean_and_no_request_leaves_the_origin(memo, server: str) -> None:
    memo.get(f"{server}/html/d300.html")  # a fresh load after the interactions above
    memo.get(f"{server}/html/persons.html")
    errors = [entry for entry in memo.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    origin = urlsplit(server).netloc
    requested: list[str] = []
    for entry in memo.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        # requests made for our pages (the browser's own new-tab page also shows up in the log)
        if (message.get("method") == "Network.requestWillBeSent"
                and message["params"].get("documentURL", "").startswith(server)):
            requested.append(message["params"]["request"]["url"])
    assert requested, "the performance log recorded no request at all"
    foreign = [url for url in requested if urlsplit(url).netloc != origin]
    assert foreign == []
    assert any(url.endswith("/assets/edition.js") for url in requested)
    assert any(url.endswith("/assets/edition.css") for url in requested)
