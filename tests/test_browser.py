"""The memo's page in a real browser: headless Chromium driven by Selenium.

The built edition is served by http.server on 127.0.0.1 (a real origin, so
the Content-Security-Policy's 'self' means what it means on a web server).
The browser's network events (the DevTools performance log) prove that no
request leaves that origin, and its console must stay free of errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from web import chromium, console_errors, requested, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(memo_edition) -> Iterator[str]:
    out, report = memo_edition
    assert report.exit_code == 0
    with served(out) as url:
        yield url


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    with chromium(tmp_path_factory.mktemp("chromium-profile"), "1200,1600", timeout=30) as browser:
        yield browser


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
    assert console_errors(memo) == []
    origin = urlsplit(server).netloc
    urls = requested(memo, server)
    assert urls, "the performance log recorded no request at all"
    foreign = [url for url in urls if urlsplit(url).netloc != origin]
    assert foreign == []
    assert any(url.endswith("/assets/edition.js") for url in urls)
    assert any(url.endswith("/assets/edition.css") for url in urls)
