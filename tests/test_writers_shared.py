"""Every writer renders the transform stage's decisions, and so says the same thing.

The same fixtures go through the web, text and print writers; each test reads
back what matters from each output (note calls, the reading and the diplomatic
text, the heading levels, the page markers) and asserts that all three agree,
with each other and with :mod:`edition.transforms.stage`.  The print edition is
read from its print HTML (``PdfWriter.prepare``: what WeasyPrint lays out), one
test from the laid-out PDF itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from edition.build import document_units
from edition.document import Document, load, parse, tei
from edition.transforms.engine import get_writer
from edition.transforms.stage import decide, plain_text

WRITERS = ("html", "text", "pdf")

HEADER = ("<teiHeader><fileDesc><titleStmt><title>Fixture</title></titleStmt><publicationStmt><p>x</p>"
          "</publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>")

#: The issue's paragraph of notes, every kind of reading, nested divisions and a list's caption.
FIXTURE = f"""<TEI xmlns="http://www.tei-c.org/ns/1.0">{HEADER}<text><body>
<div type="document" xml:id="d1" n="1">
  <head>The title<note n="0" type="source">Source note.</note></head>
  <p>a<note n="1">one</note> b<note>two</note> c<note n="2">three</note> d<note>four</note></p>
  <p>The <choice><abbr>Dept.</abbr><expan>Department</expan></choice> said
     <choice><sic>wait</sic><corr>that</corr></choice> the
     <choice><orig>colour</orig><reg>color</reg></choice> was
     <app><lem>grey</lem><rdg wit="#B">gray</rdg></app> and
     <subst><del>old</del><add>new</add></subst>; the Vernunftver-
     <lb break="no"/>moegens.</p>
  <p>Folger: <w>in</w><c> </c><w>your</w> house.</p>
  <div xml:id="s1"><head>Section</head><p>Inside.</p>
    <div><head>Subsection</head>
      <list><head>Caption</head><item>state</item><item>mr</item></list>
    </div>
  </div>
</div>
</body></text></TEI>"""

#: A small volume: page breaks printed between its documents.
VOLUME = f"""<TEI xmlns="http://www.tei-c.org/ns/1.0">{HEADER}<text><body><div type="chapter">
<head>Chapter</head>
<pb n="10" xml:id="pg_10"/>
<div type="document" xml:id="d1" n="1"><head>One</head><p>first <pb n="11" xml:id="pg_11"/> page</p></div>
<pb n="12" xml:id="pg_12"/>
<div type="document" xml:id="d2" n="2"><head>Two</head><p>second</p></div>
</div></body></text></TEI>"""


def fixture(source: str = FIXTURE) -> Document:
    return parse(source.encode(), "fixture.xml")


def _options(document: Document, unit: etree._Element, **extra: Any) -> dict[str, Any]:
    # what edition build passes: the page breaks printed before the unit, as the stage decides
    return {"preceding": decide(document).breaks_before(unit), **extra}


#: HTML blocks: their edges separate words on screen, so they do in the text read back.
_BLOCKS = frozenset({"p", "div", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr",
                     "caption", "blockquote", "figure", "section", "article", "br"})


def _text_of(element: html.HtmlElement, drop: str) -> str:
    element = html.fromstring(html.tostring(element))
    for gone in element.xpath(drop):
        gone.drop_tree()
    for block in element.iter():
        if isinstance(block.tag, str) and (block.tag in _BLOCKS or "block" in (block.get("class") or "").split()):
            block.text, block.tail = " " + (block.text or ""), " " + (block.tail or "")
    return " ".join(element.text_content().split())


def _html_parts(document: Document, unit: etree._Element, options: dict[str, Any]) -> html.HtmlElement:
    result = get_writer("html")().write_unit(document, unit, options)
    page = next(data for name, data in result.files.items() if name.endswith(".html"))
    return html.document_fromstring(page)


def _pdf_body(document: Document, unit: etree._Element, options: dict[str, Any], folder: Path) -> html.HtmlElement:
    prepared = get_writer("pdf")().prepare(document, unit, options, folder)
    return html.fragment_fromstring(prepared.body, create_parent="div")


def _text(document: Document, unit: etree._Element, options: dict[str, Any]) -> str:
    result = get_writer("text")().write_unit(document, unit, options)
    return next(iter(result.files.values())).decode("utf-8")


def read(writer: str, document: Document, unit: etree._Element, folder: Path, **extra: Any) -> dict[str, Any]:
    """What one writer's output says: note calls, reading text, headings (rank, text), page markers."""
    options = _options(document, unit, **extra)
    diplomatic = bool(extra.get("diplomatic"))
    if writer == "html":
        page = _html_parts(document, unit, options)
        text = page.xpath("//main//div[contains(concat(' ', @class, ' '), ' text ')]")[0]
        main = page.xpath("//main")[0]
        hidden = "reading" if diplomatic else "diplomatic"
        titled = not page.xpath("//main/h1[@class='title']")
        return {
            "calls": [" ".join(s.text_content().split()) for s in text.xpath(".//*[contains(@class, 'note-call')]")],
            "notes": {" ".join(li.xpath("string(a[@class='note-label'])").split()):
                      " ".join(li.xpath("string(div[@class='note-body'])").split())
                      for li in page.xpath("//ol[@class='notes-list']/li")},
            # (as the reading switch shows it: one reading, without the marks of both side by side)
            "text": _text_of(text, f".//*[contains(@class, 'note-call')] | .//span[@class='{hidden}' or "
                                   "@class='alt-mark']"),
            "headings": [(int(h.tag[1]) - (0 if titled else 1), _text_of(h, ".//*[contains(@class, 'note-call')]"))
                         for h in text.xpath(".//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6")],
            # (a "continued from page 593" note of the page's own is not a page break)
            "pages": re.findall(r"\[Page (\w+)\]", _text_of(
                main, ".//section[@class='notes'] | .//*[contains(@class, 'pb-continued')]")),
        }
    if writer == "pdf":
        body = _pdf_body(document, unit, options, folder)
        return {
            "calls": [span.get("data-n") for span in body.xpath(".//span[contains(concat(' ', @class, ' '), ' fn ')]")],
            "notes": {span.get("data-n"): " ".join(span.text_content().split())
                      for span in body.xpath(".//span[contains(concat(' ', @class, ' '), ' fn ')]")},
            "letters": [span.get("data-n") for span in body.xpath(".//span[@class='tn']")],
            "text": _text_of(body, ".//span[contains(concat(' ', @class, ' '), ' fn ')] | .//span[@class='tn']"),
            "headings": [(int(h.tag[1]) - 1, _text_of(h, ".//span[contains(@class, 'fn')]"))
                         for h in body.xpath(".//h2 | .//h3 | .//h4 | .//h5 | .//h6")],
            "pages": [e.get("data-n") for e in body.xpath(".//*[@class='pb' or @class='pb-block']")],
        }
    output = _text(document, unit, {**options, "pages": True})
    body, _, notes = output.partition("\nNotes\n-----\n")
    lines = body.splitlines()
    headings = [(1 if set(lines[i + 1]) == {"="} else 2, lines[i]) for i in range(len(lines) - 1)
                if lines[i] and lines[i + 1] and set(lines[i + 1]) <= {"=", "-"}]
    return {
        "calls": re.findall(r"\[(\w+)\]", re.sub(r"\[Page \w+\]", "", body)),
        "notes": {m.group(1): " ".join(m.group(2).split())
                  for m in re.finditer(r"(?ms)^\[(\w+)\] (.*?)(?=^\[\w+\] |\Z)", notes)},
        "text": " ".join(re.sub(r"\[(?!Page)\w+\]", "", re.sub(r"\[Page \w+\]", "", body)).split()),
        "headings": [(rank, re.sub(r"\[\w+\]$", "", title)) for rank, title in headings],
        "pages": re.findall(r"\[Page (\w+)\]", " ".join(body.split())),  # a marker may wrap
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], dict[str, Any]]:
    document = fixture()
    unit = document.root.find(tei("text"))
    assert unit is not None
    folder = tmp_path_factory.mktemp("print")
    return {(writer, diplomatic): read(writer, document, unit, folder, diplomatic=diplomatic)
            for writer in WRITERS for diplomatic in (False, True)}


def test_the_issues_paragraph_gets_the_same_note_labels_everywhere(outputs) -> None:
    # @n respected; the others numbered on, skipping the numbers an @n uses; the app's note last
    for diplomatic in (False, True):
        for writer in WRITERS:
            assert outputs[writer, diplomatic]["calls"] == ["0", "1", "3", "2", "4", "5"], writer


def test_each_label_leads_to_the_same_note(outputs) -> None:
    for writer in WRITERS:
        notes = outputs[writer, False]["notes"]
        assert notes["3"].startswith("two") and notes["2"].startswith("three") and notes["4"].startswith("four")
        # the apparatus: the other reading and its witness, a note like any other
        assert notes["5"].startswith("gray B"), writer


def test_the_reading_text_is_the_same_in_every_output(outputs) -> None:
    for writer in WRITERS:
        text = outputs[writer, False]["text"]
        for expected in ("The Department said that the color was grey and new;", "Vernunftvermoegens."):
            assert expected in text, f"{writer}: {text}"
        for absent in ("Dept.", "wait", "colour", "gray", "old", "Vernunftver-"):
            assert absent not in text, f"{writer}: {absent!r} in the reading text"


def test_the_diplomatic_text_is_the_same_in_every_output(outputs) -> None:
    for writer in WRITERS:
        text = outputs[writer, True]["text"]
        for expected in ("The Dept. said wait the colour was grey and old", "Vernunftver-moegens."):
            assert expected in text, f"{writer}: {text}"
        for absent in ("Department", "that the", "color ", "gray"):
            assert absent not in text, f"{writer}: {absent!r} in the diplomatic text"


def test_the_print_editions_textual_notes_are_lettered_by_the_stage(outputs) -> None:
    document = fixture()
    stage = decide(document)
    letters = [a.letter for a in stage.alternates.values() if a.letter]
    assert letters == ["a", "b"]  # sic/corr and orig/reg; abbr/expan, app and subst have none
    assert outputs["pdf", False]["letters"] == letters


def test_heading_levels_are_the_same_in_every_output(outputs) -> None:
    expected = [(1, "The title"), (2, "Section"), (3, "Subsection")]
    assert outputs["html", False]["headings"] == expected
    assert outputs["pdf", False]["headings"] == expected
    # text has two underlines: = for a document's title, - below it
    assert outputs["text", False]["headings"] == [(1, "The title"), (2, "Section"), (2, "Subsection")]
    for writer in WRITERS:  # a list's head is its caption, never a heading
        assert "Caption" not in [title for _, title in outputs[writer, False]["headings"]]
        assert "Caption" in outputs[writer, False]["text"]


def test_block_siblings_without_space_are_not_glued(outputs) -> None:
    document = fixture()
    first_item = next(document.root.iter(tei("item")))
    assert decide(document).tails[first_item] == ((" ", ""),)  # the stage puts a space between them
    for writer in WRITERS:
        text = outputs[writer, False]["text"]
        assert re.search(r"\bstate\W+mr\b", text) and "statemr" not in text, writer


def test_spaces_encoded_as_c_are_spaces(outputs) -> None:
    for writer in WRITERS:
        assert "Folger: in your house." in outputs[writer, False]["text"], writer


def test_generated_contents_are_the_same_in_every_output(tmp_path: Path) -> None:
    document = fixture(FIXTURE.replace("<body>", "<body><divGen type='toc'/>"))
    unit = document.root.find(tei("text"))
    assert unit is not None
    for writer in WRITERS:
        found = read(writer, document, unit, tmp_path)
        # a heading and a list of the divisions' titles, whatever each writer's bullets
        assert re.search(r"Contents\W+The title\W+Section\W+Subsection", found["text"]), (writer, found["text"])


def test_page_breaks_before_a_document_are_rendered_with_it(tmp_path: Path) -> None:
    document = fixture(VOLUME)
    units, is_volume = document_units(document)
    assert is_volume
    for unit, expected in zip(units, (["10", "11"], ["12"]), strict=True):
        for writer in WRITERS:
            assert read(writer, document, unit, tmp_path)["pages"] == expected, writer


def test_the_frus_excerpts_pages_are_the_same_in_text_html_and_print(frus_excerpt: Path, tmp_path: Path) -> None:
    """The issue's case: `--pages` text lacked [Page 591], [Page 595] and [Page 599] that the web page had."""
    document = load(frus_excerpt)
    units, _ = document_units(document)
    firsts = []
    for unit in units:
        if unit.get("type") != "document":
            continue
        pages = {writer: read(writer, document, unit, tmp_path)["pages"] for writer in WRITERS}
        assert pages["text"] == pages["html"] == pages["pdf"], document.ref_of(unit)
        firsts.append(pages["text"][0])
    assert {"591", "595", "599"} <= set(firsts)


def test_plain_text_follows_the_same_rules() -> None:
    document = fixture()
    body = document.root.find(f"{tei('text')}/{tei('body')}")
    reading = plain_text(body)
    assert "The Department said that the color was grey and new; the Vernunftvermoegens." in reading
    assert "one" not in reading.split() and "statemr" not in reading
    assert "Vernunftver-moegens" in plain_text(body, diplomatic=True)


def test_the_laid_out_pdf_carries_the_stages_labels(tmp_path: Path) -> None:
    import io

    import pypdf

    document = fixture()
    result = get_writer("pdf")().write_unit(document, document.root.find(tei("text")), {"pdf_variant": "none"})
    assert result.files, [str(d) for d in result.diagnostics]
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(next(iter(result.files.values())))).pages]
    notes = " ".join(" ".join(page.split()) for page in pages)
    for label, text in (("1", "one"), ("3", "two"), ("2", "three"), ("4", "four"), ("5", "gray")):
        assert re.search(rf"\b{label}\. {text}", notes), f"note {label} ({text}) not found in {notes}"
