"""A reader's tasks on the FRUS volume's web edition, in headless Chromium (issue 15).

The volume is built once (html, text, cite; the PDF of document 300 from the print writer) and
served by http.server on 127.0.0.1.  Every task counts its page loads (a marker set in the page
survives a jump within it and not a new load) and must take at most three.  axe-core (npm) runs
with the WCAG 2.2 A/AA tags on the home page, the volume's contents, d300, the longest document,
the search page and every index page; screenshots at 1280 and 390 px go to test-artifacts/.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import MEMO
from web import AXE, axe_violations, chromium, console_errors, requested, served

VOLUME = "frus1958-60v19"

pytestmark = pytest.mark.browser
#: Markup in the text of a document: search results must show it as text.
HOSTILE = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>Hostile</title>
</titleStmt><publicationStmt><p>Test</p></publicationStmt><sourceDesc><p>Test</p></sourceDesc></fileDesc></teiHeader>
<text><body><div><p>Zanzibarite &lt;img src=x onerror="document.title='owned'"&gt; &amp;lt;b&amp;gt; words.</p>
</div></body></text></TEI>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reader")


@pytest.fixture(scope="module")
def edition(frus_volume: Path, site: Path) -> Path:
    """The volume built once (html, text, citations: its 404 PDFs would take minutes)."""
    from edition.build import build

    out = site / "volume"
    report = build([frus_volume], out=out, formats=["html", "text", "cite"])
    assert report.exit_code == 0, [str(d) for d in report.diagnostics if d.severity >= 2]
    return out


@pytest.fixture(scope="module")
def printed(frus_excerpt: Path, site: Path) -> Path:
    """The excerpt (a volume of d299-d302) and the memo with every output, PDF included."""
    from edition.build import build

    out = site / "printed"
    hostile = site / "sources" / "hostile.xml"
    hostile.parent.mkdir()
    hostile.write_text(HOSTILE, encoding="utf-8")
    report = build([frus_excerpt, MEMO, hostile], out=out, formats=["html", "text", "cite", "pdf"])
    assert report.exit_code == 0, [str(d) for d in report.diagnostics if d.severity >= 2]
    return out


@pytest.fixture(scope="module")
def server(site: Path, edition: Path, printed: Path) -> Iterator[str]:
    with served(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    with chromium(tmp_path_factory.mktemp("chromium-reader"), "1280,1000", timeout=60) as driver:
        driver.set_script_timeout(60)
        yield driver


class Loads:
    """Counts the page loads of a task: a marker set in the page survives only jumps within it."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.count = 0

    def _mark(self) -> None:
        self.driver.execute_script("window.__readerMarker = true")

    def get(self, url: str) -> None:
        self.driver.get(url)
        self.count += 1
        self._mark()

    def do(self, action: Callable[[], object]) -> None:
        action()
        self._wait()
        if not self.driver.execute_script("return window.__readerMarker === true"):
            self.count += 1
            self._mark()

    def _wait(self) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete")


def _path(driver) -> str:
    return urlsplit(driver.current_url).path


def _link(driver, text: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.PARTIAL_LINK_TEXT, text)


# -- the reader's tasks --------------------------------------------------------------

def test_find_d300_from_the_home_page(browser, server: str) -> None:
    loads = Loads(browser)
    loads.get(f"{server}/volume/html/index.html")
    assert browser.title == "Foreign Relations of the United States, 1958–1960, China, Volume XIX"
    assert "404 documents" in browser.find_element("css selector", "main").text
    loads.do(lambda: _link(browser, "Foreign Relations of the United States").click())
    loads.do(lambda: _link(browser, "300. Memorandum From the Director").click())
    assert _path(browser).endswith(f"/{VOLUME}/d300.html")
    assert browser.title == ("300. Memorandum From the Director of the Bureau of Intelligence and Research "
                             "(Cumming) to Secretary of State Herter — FRUS 1958–1960, Volume XIX")
    assert loads.count <= 3


def _query_documents(frus_volume: Path, word: str) -> set[str]:
    """The documents `edition query` finds holding ``word`` (any case), by reference."""
    import edition

    document = edition.load(frus_volume)
    query = edition.Query(f"//div[@type='document'][contains(lower-case(string(.)), '{word.lower()}')]")
    return {hit.ref for hit in query(document)}


def test_search_finds_what_edition_query_finds(browser, server: str, frus_volume: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    loads = Loads(browser)
    loads.get(f"{server}/volume/html/{VOLUME}/d1.html")
    box = browser.find_element(By.ID, "site-search")
    box.send_keys("Quemoy")
    loads.do(box.submit)
    assert _path(browser).endswith("/html/search.html")
    WebDriverWait(browser, 60).until(
        lambda d: "documents for" in d.find_element(By.CSS_SELECTOR, ".search-status").text)
    links = browser.find_elements(By.CSS_SELECTOR, ".search-results li > a")
    found = {Path(urlsplit(link.get_attribute("href")).path).stem for link in links}
    expected = _query_documents(frus_volume, "Quemoy")
    assert len(expected) > 100
    assert found == expected
    first = browser.find_element(By.CSS_SELECTOR, ".search-results li")
    assert re.match(r"\d+\. ", first.find_element(By.TAG_NAME, "a").text)
    assert first.find_elements(By.CSS_SELECTOR, ".excerpt mark")
    assert first.find_element(By.CSS_SELECTOR, ".date").text.strip()
    # the filters narrow the results: year 1958 only
    year = browser.find_element(By.CSS_SELECTOR, ".search-filters select[name='year']")
    year.find_element(By.CSS_SELECTOR, "option[value='1958']").click()
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "const n = document.querySelector('.search-results').getAttribute('data-count');"
        f"return n !== null && Number(n) < {len(found)};"))
    narrowed = browser.find_elements(By.CSS_SELECTOR, ".search-results li .date")
    assert narrowed and all("1958" in date.text for date in narrowed)
    people = browser.find_elements(By.CSS_SELECTOR, ".search-filters select[name='person'] option")
    assert any(option.get_attribute("value") == "Khrushchev, Nikita S." for option in people)
    assert browser.find_elements(By.CSS_SELECTOR, ".search-filters select[name='chapter'] option")
    assert loads.count <= 3


def test_search_results_show_markup_of_the_text_as_text(browser, server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/printed/html/search.html?q=Zanzibarite")
    WebDriverWait(browser, 60).until(
        lambda d: "1 document for" in d.find_element(By.CSS_SELECTOR, ".search-status").text)
    excerpt = browser.find_element(By.CSS_SELECTOR, ".search-results .excerpt")
    assert "<img src=x onerror=" in excerpt.text and "&lt;b&gt;" in excerpt.text
    assert excerpt.find_element(By.TAG_NAME, "mark").text == "Zanzibarite"
    assert not browser.find_elements(By.CSS_SELECTOR, ".search-results img, .search-results b")
    assert browser.title != "owned"


def test_go_to_printed_page_594(browser, server: str) -> None:
    from selenium.webdriver.common.by import By

    loads = Loads(browser)
    loads.get(f"{server}/volume/html/{VOLUME}/index.html")
    field = browser.find_element(By.ID, "goto-page")
    field.send_keys("594")
    loads.do(field.submit)
    assert _path(browser).endswith(f"/{VOLUME}/d300.html")
    assert browser.execute_script("return location.hash") == "#pg_594"
    marker = browser.find_element(By.ID, "pg_594")
    assert marker.is_displayed() and marker.text == "[Page 594]"
    assert loads.count <= 3
    # d300 begins in the middle of page 593: the page says so where it begins
    assert browser.find_element(By.CSS_SELECTOR, "main .pb-continued").text == "[Page 593]"


def test_a_mention_of_khrushchev_leads_to_his_entry_and_back(browser, server: str) -> None:
    from selenium.webdriver.common.by import By

    loads = Loads(browser)
    loads.get(f"{server}/volume/html/{VOLUME}/d300.html")
    mention = browser.find_element(By.XPATH, "//a[contains(@class, 'entity') and . = 'Khrushchev']")
    anchor = mention.get_attribute("id")
    loads.do(mention.click)
    target = browser.execute_script("return document.querySelector(':target')")
    assert target is not None
    assert target.find_element(By.CSS_SELECTOR, ".entry-label").text == "Khrushchev, Nikita S."
    back = target.find_element(By.CSS_SELECTOR, f"a[href='{VOLUME}/d300.html#{anchor}']")
    assert "300. Memorandum" in back.text
    assert "September 24, 1959" in back.find_element(By.XPATH, "..").text
    # his entry also leads to the volume's printed List of Persons
    assert target.find_elements(By.CSS_SELECTOR, f"a.listed[href^='{VOLUME}/persons.html#']")
    loads.do(back.click)
    assert _path(browser).endswith(f"/{VOLUME}/d300.html")
    assert browser.execute_script("return location.hash") == f"#{anchor}"
    assert loads.count <= 3


def test_a_page_of_the_printed_index_by_its_initial(browser, server: str) -> None:
    from selenium.webdriver.common.by import By

    loads = Loads(browser)
    loads.get(f"{server}/volume/html/{VOLUME}/index-section.html")  # A, and a link to every initial
    assert browser.find_element(By.CSS_SELECTOR, "nav.letters a[aria-current='page']").text == "A"
    loads.do(lambda: browser.find_element(By.CSS_SELECTOR, "nav.letters").find_element(By.LINK_TEXT, "Q").click())
    assert _path(browser).endswith(f"/{VOLUME}/index-section-q.html")
    assert browser.title == "Index: Q — FRUS 1958–1960, Volume XIX"
    entry = browser.find_element(By.XPATH, "//li[@class='item'][starts-with(normalize-space(.), 'Quarles, Donald')]")
    loads.do(entry.find_element(By.LINK_TEXT, "47").click)
    assert _path(browser).endswith(f"/{VOLUME}/d28.html")
    assert browser.execute_script("return location.hash") == "#pg_47"
    assert browser.find_element(By.ID, "pg_47").is_displayed()
    assert loads.count <= 3


def test_october_1958_documents(browser, server: str, frus_volume: Path) -> None:
    from lxml import etree
    from selenium.webdriver.common.by import By

    loads = Loads(browser)
    loads.get(f"{server}/volume/html/index.html")
    loads.do(lambda: _link(browser, "Foreign Relations of the United States").click())
    month = browser.find_element(By.CSS_SELECTOR, "a[href='by-date.html#m1958-10']")
    loads.do(month.click)
    heading = browser.find_element(By.ID, "m1958-10")
    assert heading.text.startswith("October 1958")
    listing = heading.find_element(By.XPATH, "following-sibling::ul[1]")
    shown = [Path(a.get_attribute("href")).stem for a in listing.find_elements(By.CSS_SELECTOR, "li > a")]
    tree = etree.parse(str(frus_volume))
    ns = {"t": "http://www.tei-c.org/ns/1.0"}
    documents = tree.iterfind(".//t:div[@type='document']", ns)
    expected = [d.get("{http://www.w3.org/XML/1998/namespace}id") for d in documents
                if d.xpath("string((.//t:dateline//t:date/@when)[1])", namespaces=ns).startswith("1958-10")]
    assert sorted(shown) == sorted(expected) and len(shown) > 10
    assert loads.count <= 3


def test_cite_paragraph_4_of_d300(browser, server: str, frus_volume: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from edition.cite import cite
    from edition.transforms.citations import render

    loads = Loads(browser)
    loads.get(f"{server}/volume/html/{VOLUME}/d300.html")
    paragraph = browser.find_element(By.ID, "d300.p4")
    anchor = paragraph.find_element(By.CSS_SELECTOR, "a.para-anchor")
    assert anchor.is_displayed() and anchor.get_attribute("href").endswith("#d300.p4")
    paragraph.find_element(By.CSS_SELECTOR, "button.cite-para").click()
    box = browser.find_element(By.CSS_SELECTOR, ".para-cite")
    text = box.find_element(By.CSS_SELECTOR, ".para-cite-text").text
    expected = render(cite("d300.p4", [frus_volume]).citation, "chicago-note")
    assert "para. 4" in text and text == expected
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": server, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    copy = box.find_element(By.CSS_SELECTOR, "button.copy")
    label = copy.text
    copy.click()
    # The clipboard answers asynchronously; the label says how it answered, for two seconds.
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda _: copy.text != label)
    assert copy.text == "Copied"
    pasted = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));")
    assert pasted == expected
    assert loads.count <= 3


def test_download_the_pdf_of_d300(browser, server: str, frus_excerpt: Path) -> None:
    from selenium.webdriver.common.by import By

    loads = Loads(browser)
    loads.get(f"{server}/printed/html/{frus_excerpt.stem}/d300.html")
    downloads = browser.find_element(By.CSS_SELECTOR, "section.downloads")
    pdf = downloads.find_element(By.LINK_TEXT, "PDF").get_attribute("href")
    text = downloads.find_element(By.LINK_TEXT, "Plain text").get_attribute("href")
    with urllib.request.urlopen(pdf) as response:  # the link the reader's click downloads
        assert response.read(5) == b"%PDF-"
    with urllib.request.urlopen(text) as response:
        assert "Cumming" in response.read().decode("utf-8")
    citations = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".cite-files a")]
    assert {Path(urlsplit(href).path).suffix for href in citations} >= {".bib", ".ris", ".json"}
    for href in citations:
        with urllib.request.urlopen(href) as response:
            assert response.status == 200
    assert loads.count <= 3
    # a volume built without the print edition does not link a PDF it does not have
    browser.get(f"{server}/volume/html/{VOLUME}/d300.html")
    assert not browser.find_elements(By.LINK_TEXT, "PDF")


# -- the pages themselves -------------------------------------------------------------

def test_reading_switch_is_remembered_and_both_readings_show_without_script(browser, server: str,
                                                                           frus_excerpt: Path) -> None:
    from selenium.webdriver.common.by import By

    memo = f"{server}/printed/html/d300.html"
    browser.get(memo)
    browser.find_element(By.CSS_SELECTOR, "button[data-reading='diplomatic']").click()
    assert "suggest wait the Sino-Soviet" in browser.find_element(By.ID, "d300.p4").text
    browser.get(f"{server}/printed/html/{frus_excerpt.stem}/d299.html")  # another page, then back
    browser.get(memo)
    assert browser.execute_script("return document.documentElement.classList.contains('diplomatic')")
    assert "suggest wait the Sino-Soviet" in browser.find_element(By.ID, "d300.p4").text
    assert browser.find_element(By.CSS_SELECTOR, "button[data-reading='diplomatic']").get_attribute(
        "aria-pressed") == "true"
    browser.find_element(By.CSS_SELECTOR, "button[data-reading='reading']").click()
    # without JavaScript both readings show, the printed one marked apart, in words and spaces
    # that are text (what a copy and a screen reader get), not generated by the style sheet
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(memo)
        assert "js" not in (browser.find_element(By.TAG_NAME, "html").get_attribute("class") or "").split()
        assert "suggest [printed: wait] that the Sino-Soviet" in browser.find_element(By.ID, "d300.p4").text
        copied = browser.execute_cdp_cmd("Runtime.evaluate", {"returnByValue": True, "expression": """
            window.getSelection().selectAllChildren(document.getElementById('d300.p4'));
            window.getSelection().toString()"""})["result"]["value"]
        assert "suggest [printed: wait] that the Sino-Soviet" in copied
        # the paragraph's "¶4" link is for the eye and the pointer: a copy starts with the text
        assert copied.strip().startswith("While available evidence"), copied[:40]
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_pages_opened_from_files_say_search_needs_a_server(browser, edition: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get((edition / "html" / VOLUME / "d300.html").as_uri())
    note = browser.find_element(By.CSS_SELECTOR, ".search-box .search-offline")
    assert note.is_displayed() and "served over HTTP" in note.text
    assert browser.find_element(By.ID, "d300.p4").is_displayed()  # everything else still works
    browser.get((edition / "html" / "search.html").as_uri())
    WebDriverWait(browser, 10).until(
        lambda d: "needs the edition served over HTTP" in d.find_element(By.CSS_SELECTOR, ".search-status").text)


def _longest(edition: Path) -> str:
    pages = sorted((edition / "html" / VOLUME).glob("d*.html"), key=lambda p: p.stat().st_size)
    return pages[-1].stem


def _index_pages(edition: Path) -> list[str]:
    html = edition / "html"
    return sorted(p.name for p in html.glob("*.html") if p.name not in ("index.html", "search.html"))


def test_axe_finds_no_wcag_22_violation(browser, server: str, edition: Path) -> None:
    if not AXE.is_file():
        pytest.skip("node_modules/axe-core missing: run npm ci (install.sh does)")
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1280, 1000)
    pages = ["index.html", f"{VOLUME}/index.html", f"{VOLUME}/by-date.html", f"{VOLUME}/d300.html",
             f"{VOLUME}/{_longest(edition)}.html", "search.html?q=Quemoy", f"{VOLUME}/index-section.html",
             f"{VOLUME}/index-section-c.html"]
    pages += _index_pages(edition)
    urls = {page: f"{server}/volume/html/{page}" for page in pages}
    urls["memo with every download"] = f"{server}/printed/html/d300.html"
    found: dict[str, list[dict]] = {}
    for page, url in urls.items():
        browser.get(url)
        if page.startswith("search.html"):
            WebDriverWait(browser, 60).until(lambda d: d.find_elements("css selector", ".search-results li"))
        violations = axe_violations(browser)
        if violations:
            found[page] = violations
    assert found == {}
    assert len(pages) > 20


def test_no_horizontal_overflow_on_a_phone_and_screenshots(browser, server: str, edition: Path,
                                                          artifacts: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    pages = {"home": "index.html", "volume": f"{VOLUME}/index.html", "d300": f"{VOLUME}/d300.html",
             "longest": f"{VOLUME}/{_longest(edition)}.html", "persons-k": "persons-k.html",
             "search": "search.html?q=Quemoy", "by-date": f"{VOLUME}/by-date.html"}
    wide: dict[str, int] = {}
    try:
        for width in (1280, 390):
            browser.set_window_size(width, 900)
            for name, page in pages.items():
                browser.get(f"{server}/volume/html/{page}")
                if name == "search":  # the results and the filters are made in the page
                    WebDriverWait(browser, 60).until(lambda d: d.find_elements("css selector", ".search-results li"))
                inner = browser.execute_script("return window.innerWidth")
                scroll = browser.execute_script("return document.documentElement.scrollWidth")
                if scroll > inner:
                    wide[f"{name}@{width}"] = scroll
                if name in ("home", "volume", "d300", "search"):
                    target = artifacts / f"reader-{name}-{width}.png"
                    assert browser.save_screenshot(str(target)) and target.stat().st_size > 5_000
    finally:
        browser.set_window_size(1280, 1000)
    assert wide == {}


def test_line_length_dark_mode_and_target_size(browser, server: str) -> None:
    browser.set_window_size(1280, 1000)
    browser.get(f"{server}/volume/html/{VOLUME}/d300.html")
    # the measure: characters per line of d300's paragraphs (text length over rendered lines)
    per_line = browser.execute_script("""
        const out = [];
        for (const p of document.querySelectorAll('.text p[id]')) {
          const lines = Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight));
          if (lines >= 4) out.push(p.textContent.length / lines);
        }
        return out;""")
    assert per_line and all(60 <= n <= 80 for n in per_line), per_line
    light = browser.execute_script("return getComputedStyle(document.documentElement).backgroundColor")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        dark = browser.execute_script("return getComputedStyle(document.documentElement).backgroundColor")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert light != dark
    # the citation's download links, the pager and the header's links are 24 x 24 px or more
    small = browser.execute_script("""
        return [...document.querySelectorAll('.cite-files a, .downloads a, .pager a, header.site a, button')]
          .filter(e => e.offsetParent !== null)
          .map(e => e.getBoundingClientRect()).filter(r => r.width < 24 || r.height < 24).length;""")
    assert small == 0


def test_print_keeps_both_readings(browser, server: str) -> None:
    browser.get(f"{server}/printed/html/d300.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.execute_script("""
            return document.getElementById('d300.p4').innerText;""")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert "suggest [printed: wait] that the Sino-Soviet" in shown


def test_nothing_leaves_the_edition(browser, server: str) -> None:
    browser.get_log("performance")  # what earlier tests requested is counted there
    for page in ("index.html", f"{VOLUME}/index.html", f"{VOLUME}/d300.html", "persons-k.html",
                 "search.html?q=Quemoy"):
        browser.get(f"{server}/volume/html/{page}")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 60).until(lambda d: d.find_elements("css selector", ".search-results li"))
    assert console_errors(browser) == []
    origin = urlsplit(server).netloc
    urls = requested(browser, server)
    assert any("/pagefind/" in url for url in urls)
    assert [url for url in urls if urlsplit(url).netloc != origin] == []


# -- the pages as files (no browser) -------------------------------------------------------

def test_indexes_have_one_entry_per_authority_entry_and_names_apart(edition: Path) -> None:
    from lxml import html

    folder = edition / "html"
    pages = sorted(folder.glob("persons-*.html"))
    assert len(pages) > 10
    identified: list[str] = []
    unidentified: list[str] = []
    for page in pages:
        tree = html.document_fromstring(page.read_bytes())
        identified += tree.xpath("//main/ul[@class='entries']/li/span[@class='entry-label']/text()")
        unidentified += tree.xpath("//section[@class='unidentified']//li/span[@class='entry-label']/text()")
        assert page.stat().st_size < 150_000, page.name
    assert identified.count("Dulles, John Foster") == 1 and "Dulles" not in identified
    assert "Dulles" in unidentified and "Khrushchev, Nikita S." in identified
    assert len(identified) == len(set(identified))
    for name in ("HAROLD", "JOHN", "G.", "General"):
        assert name not in identified
    # an index with no entry has no page and no link
    overview = (folder / "indexes.html").read_text(encoding="utf-8")
    assert 'href="persons.html"' in overview and not (folder / "organisations.html").exists()
    assert "organisations" not in overview
    # the pages the edition makes (the volume's printed back-of-book index is a page of its text)
    made = [*folder.glob("*.html"), *(folder / VOLUME / name for name in ("index.html", "by-date.html",
                                                                            "page-list.html")),
            *(folder / VOLUME).glob("index-section*.html")]  # the printed index: a page per initial
    for page in made:
        assert page.stat().st_size < 150_000, page


def test_volume_contents_print_dates_once_numbered_with_chapters_and_pages(edition: Path, frus_volume: Path) -> None:
    from lxml import html

    tree = html.document_fromstring((edition / "html" / VOLUME / "index.html").read_bytes())
    chapters = tree.xpath("//nav[@class='toc']/*[self::h3 or self::h4][@class='chapter']/text()")
    assert chapters[:2] == ["China", chapters[1]] and len(chapters) >= 6  # the volume's part, then its chapters
    assert chapters[1].startswith("January–August 1958, Background of the Taiwan Strait Crisis")
    d300 = tree.xpath("//nav[@class='toc']//li[a/@href='d300.html']")[0]
    assert d300.xpath("string(a)").startswith("300. Memorandum")  # the number once
    assert d300.xpath("string(time)") == "September 24, 1959"
    assert d300.xpath("time/@datetime") == ["1959-09-24"]
    assert d300.xpath("string(span[@class='pages'])") == "pp. 593–594"
    assert not tree.xpath("//nav[@class='toc']//ol")  # no list numbers doubling the documents' own
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", tree.text_content())
    # the printed back-of-book index, a page per initial
    back = "".join(page.read_text(encoding="utf-8") for page in (edition / "html" / VOLUME).glob("index-section*"))
    linked = len(re.findall(r'<a class="ref" href="[^"]*#pg_[^"]*"', back))
    plain = len(re.findall(r'<span class="ref unresolved"[^>]*>\d+', back))
    # every page reference, those to a page opening a chapter (page 69, 479, …) and the body's first too
    assert plain == 0 and linked == _tei_page_references(frus_volume) == 5196
    for page, document in (("1", "d1"), ("69", "d41"), ("479", "d232"), ("751", "d367")):
        assert f'href="{document}.html#pg_{page}"' in back
        assert f'id="pg_{page}"' in (edition / "html" / VOLUME / f"{document}.html").read_text(encoding="utf-8")


def _tei_page_references(volume: Path) -> int:
    from lxml import etree

    found = etree.parse(str(volume)).xpath("//t:div[@xml:id='index']//t:ref[starts-with(@target, '#pg_')]",
                                           namespaces={"t": "http://www.tei-c.org/ns/1.0"})
    return len(found)
