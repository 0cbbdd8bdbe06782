"""A ``teiCorpus``: each member ``TEI`` is a page of the corpus, titled, dated and cited from its own
header, as a part of the corpus (whose publisher and date it takes when it names none)."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
from lxml import html

from edition.build import build
from edition.document import parse, tei

CORPUS = """<?xml version="1.0" encoding="UTF-8"?>
<teiCorpus xmlns="http://www.tei-c.org/ns/1.0" xml:lang="en">
  <teiHeader><fileDesc><titleStmt><title>Two letters</title><editor>Edith Editor</editor></titleStmt>
    <publicationStmt><publisher>Corpus Press</publisher><date type="created" when="2020-01-01">2020</date>
    </publicationStmt><sourceDesc><p>Born digital.</p></sourceDesc></fileDesc></teiHeader>
  <TEI xml:id="anna">
    <teiHeader><fileDesc><titleStmt><title>Letter one</title><author>Anna Adams</author></titleStmt>
      <publicationStmt><p>Part of the corpus.</p></publicationStmt><sourceDesc><p>Autograph.</p></sourceDesc>
      </fileDesc><profileDesc><creation><date when="1901-05-02">2 May 1901</date></creation></profileDesc></teiHeader>
    <text><body><div><p>Dear Bert, the first letter.</p></div></body></text>
  </TEI>
  <TEI xml:lang="de">
    <teiHeader><fileDesc><titleStmt><title>Letter two</title><author>Bert Brown</author></titleStmt>
      <publicationStmt><publisher>Bert's Heirs</publisher><date type="created" when="1901-06-01">1901</date>
      </publicationStmt><sourceDesc><p>Copy.</p></sourceDesc></fileDesc></teiHeader>
    <text><body><div><p>Dear Anna, the second letter.</p></div></body></text>
  </TEI>
</teiCorpus>
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tei-corpus")
    source = folder / "letters.xml"
    source.write_text(CORPUS, encoding="utf-8")
    report = build([source], out=folder / "edition", formats=["html", "text", "cite", "pdf"])
    assert report.exit_code == 0, [str(d) for d in report.diagnostics]
    return folder / "edition"


def test_a_member_is_seen_with_its_own_header_and_the_corpus_references() -> None:
    document = parse(CORPUS.encode(), "letters.xml")
    first, second = document.root.findall(tei("TEI"))
    view = document.member(first.find(f".//{tei('p')}"))
    assert view.root is first and view.header is first.find(tei("teiHeader"))
    assert view.citer is document.citer and view.lang == "en"
    assert document.member(second.find(tei("text"))).root is second
    assert document.member(document.root.find(tei("teiHeader"))) is document  # the corpus's own header
    plain = parse(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>x</p></body></text></TEI>', "a.xml")
    assert plain.member(plain.root.find(f".//{tei('p')}")) is plain


def test_each_member_is_a_page_named_and_titled_by_its_own_tei(built: Path) -> None:
    pages = built / "html" / "letters"
    assert sorted(p.name for p in pages.glob("*.html") if p.stem not in ("index", "by-date", "page-list")) == [
        "anna.html", "section-2.html"]  # the second member has no xml:id
    contents = html.document_fromstring((pages / "index.html").read_bytes())
    assert [a.text_content() for a in contents.xpath("//main//a[@href='anna.html' or @href='section-2.html']")] \
        == ["Letter one", "Letter two"]
    page = html.document_fromstring((pages / "anna.html").read_bytes())
    assert page.findtext(".//title").startswith("Letter one")
    # each page in its member's language (the second member writes German)
    assert [html.document_fromstring((pages / name).read_bytes()).get("lang")
            for name in ("anna.html", "section-2.html")] == ["en", "de"]
    # the page's Chicago note: the member's author and title, in the corpus, the corpus's publisher and date
    assert " ".join(page.xpath("string(//p[@id='cite-document'])").split()) == \
        "Anna Adams, “Letter one,” in Two letters (Corpus Press, 2020)."


def test_each_member_is_cited_from_its_own_header_as_a_part_of_the_corpus(built: Path) -> None:
    anna = json.loads((built / "cite" / "letters" / "anna" / "anna.json").read_text(encoding="utf-8"))[0]
    assert (anna["id"], anna["title"], anna["author"], anna["container-title"], anna["publisher"]) == (
        "anna", "Letter one", [{"family": "Adams", "given": "Anna"}], "Two letters", "Corpus Press")
    assert anna["issued"] == {"date-parts": [[2020, 1, 1]]}  # the corpus's: the member names no publication date
    bert = json.loads((built / "cite" / "letters" / "section-2" / "letters.json").read_text(encoding="utf-8"))[0]
    assert (bert["title"], bert["author"], bert["publisher"], bert["issued"]) == (
        "Letter two", [{"family": "Brown", "given": "Bert"}], "Bert's Heirs", {"date-parts": [[1901, 6, 1]]})


def test_each_members_print_edition_opens_with_its_own_title_and_the_book_with_the_corpuss(built: Path) -> None:
    pdf = pypdf.PdfReader(BytesIO((built / "pdf" / "letters" / "anna.pdf").read_bytes()))
    front = pdf.pages[0].extract_text() or ""
    assert front.splitlines()[0] == "Letter one" and "Anna Adams" in front
    assert pdf.metadata is not None and pdf.metadata.title == "Letter one"
    # the book of the whole corpus is the corpus's, not its first member's
    book = pypdf.PdfReader(BytesIO((built / "pdf" / "letters.pdf").read_bytes()))
    assert (book.pages[0].extract_text() or "").splitlines()[0] == "Two letters"
    assert book.metadata is not None and book.metadata.title == "Two letters"



def test_a_passage_of_a_member_is_cited_as_a_part_of_its_member() -> None:
    from edition.transforms.citations import metadata, render

    document = parse(CORPUS.encode(), "letters.xml")
    # references without a citeStructure: the body's divisions across the members, div1 and div2
    assert render(metadata(document, passage_ref="div2.p1"), "chicago-note") == \
        "Bert Brown, “Letter two,” in Two letters (Bert's Heirs, 1901), sec. div2.p1."
