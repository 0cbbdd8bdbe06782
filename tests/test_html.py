"""The web edition: the memo's page, its markup, and the Nu HTML Checker on real pages."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from checker import checker_reason, html_errors
from lxml import html

from edition.document import parse
from edition.transforms.engine import get_writer


@pytest.fixture(scope="module")
def memo_page(memo_edition) -> html.HtmlElement:
    out, report = memo_edition
    assert report.exit_code == 0, "\n".join(map(str, report.diagnostics))
    return html.document_fromstring((out / "html" / "d300.html").read_bytes())


def _one(page: html.HtmlElement, xpath: str) -> html.HtmlElement:
    found = page.xpath(xpath)
    assert len(found) == 1, f"{xpath}: {len(found)} matches"
    return found[0]


def test_paragraphs_carry_their_canonical_references(memo_page: html.HtmlElement) -> None:
    ids = [p.get("id") for p in memo_page.xpath("//main//p[starts-with(@id, 'd300.')]")]
    assert ids == ["d300.p1", "d300.p2", "d300.p3", "d300.p4"]
    assert _one(memo_page, "//article[@id='d300']") is not None


def test_page_break_is_a_linkable_marker(memo_page: html.HtmlElement) -> None:
    marker = _one(memo_page, "//*[@id='pg_594']")
    assert marker.text_content() == "[Page 594]"
    assert marker.xpath("string(.//a/@href)") == "#pg_594"
    # the marker sits inside the first paragraph, between "urgent" and "Peiping"
    paragraph = _one(memo_page, "//p[@id='d300.p1']")
    assert "urgent [Page 594]Peiping" in paragraph.text_content()


def test_source_note_links_both_ways(memo_page: html.HtmlElement) -> None:
    call = _one(memo_page, "//a[@class='note-call']")
    note_id = call.get("href")[1:]
    note = _one(memo_page, f"//li[@id='{note_id}']")
    assert note_id == "d300fn0" and "note-source" in note.get("class")
    assert note.xpath("string(.//a[@role='doc-backlink']/@href)") == f"#{call.get('id')}"
    assert "Lot 58 D 776" in note.text_content()
    assert call.getparent().tag == "h1"  # the call stays where the TEI puts it: after the title


def test_two_readings_are_marked(memo_page: html.HtmlElement) -> None:
    choice = _one(memo_page, "//p[@id='d300.p4']//span[@class='choice']")
    assert choice.xpath("string(span[@class='reading'])") == "that"
    assert choice.xpath("string(span[@class='diplomatic']/span[@class='sic'])") == "wait"
    # both readings as text, as a page without JavaScript shows them (the script hides the marks)
    assert choice.text_content() == "[printed: wait] that"
    assert choice.xpath("string(.//span[@class='alt-mark'][not(@data-pagefind-ignore)])") == " "
    switch = _one(memo_page, "//div[@class='reading-switch']")
    assert switch.get("hidden") is not None  # shown by edition.js only: no dead button without it
    assert {b.get("data-reading") for b in switch.xpath(".//button")} == {"reading", "diplomatic"}


def test_cite_box_and_metadata(memo_page: html.HtmlElement, memo_edition) -> None:
    box = _one(memo_page, "//aside[@class='cite-box']")
    assert "Cite this document" in box.text_content()
    assert "Foreign Relations of the United States" in box.text_content()
    out, _ = memo_edition
    for link in box.xpath(".//a[@download]/@href"):
        assert (out / "html" / link).resolve().is_file(), link
    meta = {m.get("name"): m.get("content") for m in memo_page.xpath("//head/meta[@name]")}
    assert meta["citation_title"].startswith("Memorandum From the Director")
    ld = json.loads(_one(memo_page, "//script[@type='application/ld+json']").text)
    assert ld["url"].endswith("/d300")


def test_page_frame_lang_landmarks_skip_link_and_csp(memo_page: html.HtmlElement) -> None:
    assert memo_page.get("lang") == "en"
    csp = _one(memo_page, "//meta[@http-equiv='Content-Security-Policy']").get("content")
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe-inline" not in csp
    skip = memo_page.xpath("//body/*[1]")[0]
    assert skip.get("href") == "#main" and _one(memo_page, "//main").get("id") == "main"
    for landmark in ("header", "nav", "main", "footer", "aside"):
        assert memo_page.xpath(f"//{landmark}"), landmark
    scripts = memo_page.xpath("//script")
    assert [s.get("src") for s in scripts if s.get("type") != "application/ld+json"] == ["assets/edition.js"]
    assert not [s for s in scripts if s.get("src") is None and s.get("type") != "application/ld+json"]
    assert not memo_page.xpath("//@*[starts-with(name(), 'on')]")


def test_mentions_link_to_index_entries_that_link_back(memo_edition) -> None:
    out, _ = memo_edition
    page = html.document_fromstring((out / "html" / "d300.html").read_bytes())
    mention = page.xpath("//a[contains(@class, 'entity') and . = 'Khrushchev']")[0]
    target, fragment = mention.get("href").split("#")
    persons = html.document_fromstring((out / "html" / target).read_bytes())
    entry = _one(persons, f"//li[@id='{fragment}']")
    assert "Khrushchev" in entry.text_content()
    backs = entry.xpath(".//a/@href")
    assert f"d300.html#{mention.get('id')}" in backs
    for index in ("persons.html", "places.html", "organisations.html", "terms.html"):
        listing = html.document_fromstring((out / "html" / index).read_bytes())
        assert listing.xpath("//ul[@class='entries']/li"), index


def test_everything_is_local(memo_edition) -> None:
    """No page loads anything from outside the output folder."""
    out, _ = memo_edition
    for page_path in sorted((out / "html").rglob("*.html")):
        page = html.document_fromstring(page_path.read_bytes())
        loaded = page.xpath("//script/@src | //img/@src | //link[@rel!='canonical']/@href | //iframe/@src"
                            " | //source/@src | //video/@src | //audio/@src | //object/@data")
        for url in loaded:
            assert not urlsplit(url).scheme and not url.startswith("//"), f"{page_path.name}: {url}"
            assert (page_path.parent / url).resolve().is_file(), f"{page_path.name}: {url} is missing"
    css = (out / "html" / "assets" / "edition.css").read_text()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert "@media print" in css
    script = (out / "html" / "assets" / "edition.js").read_text()
    assert "http" not in script and "fetch(" not in script and "XMLHttpRequest" not in script


def test_an_unknown_element_is_rendered_and_reported() -> None:
    document = parse(b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
<p>Before <sparkle>unmistakable</sparkle> and <x:widget xmlns:x="urn:example">gadget</x:widget>.</p>
</body></text></TEI>""", "fixture.xml")
    writer = get_writer("html")()
    result = writer.write_unit(document, document.root.find("{http://www.tei-c.org/ns/1.0}text"), {})
    text = html.document_fromstring(result.files["index.html"]).text_content()
    assert "Before unmistakable and gadget." in text
    codes = [(d.code, d.line) for d in result.diagnostics]
    # a TEI name the table lacks (W0301), an element of another namespace (W0303): every TEI element has a row
    assert sorted(codes) == [("W0301", 2), ("W0303", 2)]
    assert any("<sparkle>" in d.message for d in result.diagnostics)


def test_unsafe_link_targets_are_neutralised() -> None:
    document = parse(b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
<p xml:id="x&quot; onclick=&quot;y"><ref target="javascript:alert(1)">a</ref> <ref target="data:text/html,x">b</ref>
<ref target="https://example.org/">c</ref> <hi rend="&lt;b&gt; evil&quot;">d</hi></p>
</body></text></TEI>""", "fixture.xml")
    writer = get_writer("html")()
    result = writer.write_unit(document, document.root.find("{http://www.tei-c.org/ns/1.0}text"), {})
    page = result.files["index.html"].decode()
    assert "javascript:" not in page and "data:text" not in page and "onclick" not in page
    assert 'href="https://example.org/"' in page
    assert [d.code for d in result.diagnostics].count("W0302") == 2


def test_a_page_lists_its_divisions_linking_to_ids_it_holds_once() -> None:
    # a division's id is its canonical reference (div1), else its xml:id, else the stage's anchor
    # (sec-N); the third division's anchor, sec-3, is a seg's xml:id: its link follows the id it got
    document = parse(b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
<p><seg xml:id="sec-3">x</seg></p><div><head>One</head><div><head>Two</head><p>y</p></div>
<div><head>Three &amp; more</head><p>z</p></div></div><div xml:id="four"><head>Four</head></div></body></text></TEI>""",
                     "fixture.xml")
    result = get_writer("html")().write_unit(document, document.root.find("{http://www.tei-c.org/ns/1.0}text"), {})
    page = html.document_fromstring(result.files["index.html"])
    nav = _one(page, "//nav[@class='page-contents']")
    links = [(a.get("href"), a.text_content()) for a in nav.iter("a")]
    assert links == [("#div1", "One"), ("#sec-2", "Two"), ("#sec-3-2", "Three & more"), ("#four", "Four")]
    for href, title in links:
        target = _one(page, f"//*[@id='{href[1:]}']")
        assert target.tag == "div" and title in target.text_content()
    assert [a.text for a in nav.xpath("./details/ol/li/ol/li/a")] == ["Two", "Three & more"]  # nested as in the TEI
    assert result.record["contents"] == [[1, "div1", "One"], [2, "sec-2", "Two"], [2, "sec-3-2", "Three & more"],
                                         [1, "four", "Four"]]


def test_the_memo_and_a_volume_list_no_divisions_on_their_pages(memo_page: html.HtmlElement,
                                                                 corpus_edition) -> None:
    assert memo_page.xpath("//nav[@class='page-contents']") == []
    out, _ = corpus_edition
    for page in sorted((out / "html").glob("*/*.html")):  # the excerpt: a volume of four documents
        assert b"page-contents" not in page.read_bytes(), page


# -- the Nu HTML Checker ------------------------------------------------------------------

def test_every_page_is_valid_html5(memo_edition, corpus_edition) -> None:
    reason = checker_reason()
    if reason:
        pytest.skip(reason)
    memo_out, _ = memo_edition
    corpus_out, report = corpus_edition
    pages = sorted((memo_out / "html").rglob("*.html"))
    excerpt = sorted((corpus_out / "html").glob("*/*.html")) + sorted((corpus_out / "html").glob("*.html"))
    singles = [p for p in sorted((corpus_out / "html").glob("*.html"))]
    pages += excerpt + singles[::1]
    problems = html_errors(pages)
    assert len(pages) > 70
    assert problems == [], "\n".join(problems[:30])
