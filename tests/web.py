"""What the browser tests share: a folder served on 127.0.0.1, headless Chromium, and what its logs say.

A real origin, so that the Content-Security-Policy's 'self' means what it means on a web server;
the browser's network events (the DevTools performance log) show every request a page made.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: axe-core (npm), with the WCAG 2.2 A/AA rules the edition's pages must pass.
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMEDRIVER = Path("/usr/bin/chromedriver")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served by http.server on a free port of 127.0.0.1: yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def chromium(profile: Path, window: str, timeout: int) -> Iterator[Any]:
    """Headless Chromium (Selenium) logging the console and the network, with its profile in
    ``profile``; the test is skipped when Debian's chromium or chromium-driver is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} missing: install the Debian packages chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={window}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(timeout)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[dict[str, Any]]:
    """The console's errors since the last time it was read."""
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def requested(driver: Any, server: str) -> list[str]:
    """The URLs our pages (those under ``server``) requested since the performance log was last read
    (the browser's own new-tab page shows up in the log too: left out)."""
    urls: list[str] = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if (message.get("method") == "Network.requestWillBeSent"
                and message["params"].get("documentURL", "").startswith(server)):
            urls.append(message["params"]["request"]["url"])
    return urls


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page ``driver`` shows: id and the first three nodes each."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[0];"
        f"axe.run(document, {{runOnly: {{type: 'tag', values: {json.dumps(AXE_TAGS)}}}}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target)}))),"
        " e => done([{id: 'axe-error', nodes: [String(e)]}]));")
    return list(result)
