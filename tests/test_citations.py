"""Citation metadata: every output parsed back with an independent library and
compared, field by field, with what the teiHeader says.

The expected values are read from the header in each test with plain lxml
XPath (never from our own code), so the tests check our derivation, not a
copy of it.  The memo's values are also pinned to the ones the issue lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import pytest
import rispy
from citeproc.source.json import CiteProcJSON
from lxml import etree

from edition.diagnostics import EditionReferenceError, EditionUsageError, Severity
from edition.document import NAMESPACES, Document, load, parse
from edition.transforms.citations import (
    FORMATS,
    canonical_url,
    citation_files,
    highwire_meta,
    json_ld,
    metadata,
    parse_name,
    render,
)

FIXTURES = Path(__file__).parent / "fixtures" / "citations"
LETTER = FIXTURES / "edition-letter.xml"
SPARSE = FIXTURES / "standalone-sparse.xml"

MEMO_TITLE = ("Memorandum From the Director of the Bureau of Intelligence and Research (Cumming) "
              "to Secretary of State Herter")
MEMO_BOOK = "Foreign Relations of the United States, 1958–1960, Volume XIX, China"
MEMO_URL = "https://history.state.gov/historicaldocuments/frus1958-60v19/d300"


def header_value(document: Document, expression: str) -> str:
    """First string an XPath gives on the document (the test's independent reading)."""
    found = document.root.xpath(expression, namespaces=NAMESPACES)
    assert found, f"fixture lacks {expression}"
    value = found[0]
    return " ".join(("".join(value.itertext()) if isinstance(value, etree._Element) else str(value)).split())


@pytest.fixture(scope="module")
def memo(memo_path: Path) -> Document:
    return load(memo_path)


@pytest.fixture(scope="module")
def memo_citation(memo: Document):
    return metadata(memo, memo.units()[0])


@pytest.fixture(scope="module")
def letter() -> Document:
    return load(LETTER)


# -- the memo: the values the issue names ------------------------------------------------

def test_memo_csl_item_has_the_issue_values(memo_citation) -> None:
    item = memo_citation.item
    assert memo_citation.warnings == []
    assert item["type"] == "chapter"
    assert item["title"] == MEMO_TITLE
    assert item["author"] == [{"family": "Cumming", "given": "Hugh S.", "suffix": "Jr."}]
    assert item["container-title"] == MEMO_BOOK
    assert item["editor"] == [{"family": "Schwar", "given": "Harriet Dashiell"}]
    assert item["collection-editor"] == [{"family": "LaFantasie", "given": "Glenn W."}]
    assert item["publisher"] == "United States Government Printing Office"
    assert item["publisher-place"] == "Washington"
    assert item["issued"] == {"date-parts": [[1996]]}
    assert item["original-date"] == {"date-parts": [[1959, 9, 24]]}
    assert item["number"] == "300"
    assert item["page"] == "593-594"
    assert item["ISBN"] == "0160417570"
    assert item["URL"] == MEMO_URL
    assert memo_citation.place == "Washington"
    assert memo_citation.date == "1959-09-24"
    assert memo_citation.series == "Foreign Relations of the United States"
    # every field says where in the header it came from
    assert memo_citation.provenance["ISBN"].endswith("tei:monogr/tei:idno[1]")
    assert "tei:teiHeader" in memo_citation.provenance["title"]


def test_memo_chicago_forms(memo_citation) -> None:
    # the document's date after its title (CMOS 14.111); tests/test_chicago.py holds the rest
    note = render(memo_citation, "chicago-note")
    assert note == (
        f"Hugh S. Cumming Jr., “{MEMO_TITLE},” September 24, 1959, in {MEMO_BOOK}, no. 300, "
        "ed. Harriet Dashiell Schwar (Washington: United States Government Printing Office, 1996), "
        f"593–94, {MEMO_URL}.")
    bibliography = render(memo_citation, "chicago-bibliography")
    assert bibliography == (
        f"Cumming, Hugh S., Jr. “{MEMO_TITLE}.” September 24, 1959. In {MEMO_BOOK}, No. 300, edited by "
        "Harriet Dashiell Schwar, 593–94. Washington: United States Government Printing Office, 1996. "
        f"{MEMO_URL}.")
    html = render(memo_citation, "chicago-note", markup="html")
    assert f"<i>{MEMO_BOOK}</i>" in html


def test_memo_office_of_the_historian_form(memo_citation) -> None:
    assert render(memo_citation, "ohist") == (
        f"{MEMO_BOOK}, ed. Harriet Dashiell Schwar (Washington: United States Government Printing "
        f"Office, 1996), Document 300. {MEMO_URL}")


# -- parsed back with independent libraries --------------------------------------------

@pytest.mark.parametrize("source", ["memo", "letter"])
def test_bibtex_parses_back_field_by_field(source: str, request: pytest.FixtureRequest) -> None:
    document = request.getfixturevalue(source)
    citation = metadata(document, document.units()[0])
    library = bibtexparser.parse_string(render(citation, "bibtex"))
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.entry_type == "incollection"
    fields = {name: entry.fields_dict[name].value for name in entry.fields_dict}
    bibl = "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct"
    assert fields["title"] == header_value(document, f"{bibl}/tei:analytic/tei:title")
    assert fields["booktitle"] == header_value(document, f"{bibl}/tei:monogr/tei:title")
    assert fields["publisher"] == header_value(document, f"{bibl}/tei:monogr/tei:imprint/tei:publisher")
    assert fields["address"] == header_value(document, f"{bibl}/tei:monogr/tei:imprint/tei:pubPlace")
    assert fields["year"] == header_value(document, f"{bibl}/tei:monogr/tei:imprint/tei:date/@when")
    first = header_value(document, f"{bibl}//tei:biblScope[@unit='page']/@from")
    last = header_value(document, f"{bibl}//tei:biblScope[@unit='page']/@to")
    assert fields["pages"] == f"{first}--{last}"
    assert fields["isbn"] == header_value(document, f"{bibl}/tei:monogr/tei:idno[@type='ISBN-10']")
    assert fields["url"] == header_value(document, f"{bibl}/tei:analytic/tei:idno[@type='URL']")
    number = header_value(document, f"{bibl}//tei:biblScope[@unit='document']/@n")
    assert f"Document {number}" in fields["note"]
    primary = document.root.xpath(f"{bibl}/tei:monogr/tei:editor[@role='primary']", namespaces=NAMESPACES)
    editors = fields["editor"].split(" and ")
    assert len(editors) == len(primary)
    for shown, editor in zip(editors, primary, strict=False):
        family = "".join(editor.itertext()).split()[-1]
        assert shown.startswith(f"{family}, ")
    author = header_value(document, f"{bibl}/tei:analytic/tei:author")
    assert fields["author"].split(",")[0] == author.split(",")[0]


def test_bibtex_names_split_into_their_parts(memo_citation) -> None:
    from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts

    library = bibtexparser.parse_string(render(memo_citation, "bibtex"),
                                        append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    fields = library.entries[0].fields_dict
    (author,) = fields["author"].value
    assert (author.first, author.last, author.jr) == (["Hugh", "S."], ["Cumming"], ["Jr."])
    (editor,) = fields["editor"].value
    assert (editor.first, editor.last) == (["Harriet", "Dashiell"], ["Schwar"])
    assert library.entries[0].key == "frus1958-60v19-d300"


@pytest.mark.parametrize("source", ["memo", "letter"])
def test_ris_parses_back_field_by_field(source: str, request: pytest.FixtureRequest) -> None:
    document = request.getfixturevalue(source)
    citation = metadata(document, document.units()[0])
    (record,) = rispy.loads(render(citation, "ris"))
    bibl = "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct"
    assert record["type_of_reference"] == "CHAP"
    assert record["title"] == header_value(document, f"{bibl}/tei:analytic/tei:title")
    assert record["secondary_title"] == header_value(document, f"{bibl}/tei:monogr/tei:title")
    assert record["tertiary_title"] == header_value(document, f"{bibl}/tei:series/tei:title")
    assert record["publisher"] == header_value(document, f"{bibl}/tei:monogr/tei:imprint/tei:publisher")
    assert record["place_published"] == header_value(document, f"{bibl}/tei:monogr/tei:imprint/tei:pubPlace")
    assert record["year"] == header_value(document, f"{bibl}/tei:monogr/tei:imprint/tei:date/@when")
    assert record["start_page"] == header_value(document, f"{bibl}//tei:biblScope[@unit='page']/@from")
    assert record["end_page"] == header_value(document, f"{bibl}//tei:biblScope[@unit='page']/@to")
    assert record["issn"] == header_value(document, f"{bibl}/tei:monogr/tei:idno[@type='ISBN-10']")
    assert record["urls"] == [header_value(document, f"{bibl}/tei:analytic/tei:idno[@type='URL']")]
    primary = document.root.xpath(f"{bibl}/tei:monogr/tei:editor[@role='primary']", namespaces=NAMESPACES)
    general = document.root.xpath(f"{bibl}/tei:monogr/tei:editor[@role='general']", namespaces=NAMESPACES)
    assert len(record["secondary_authors"]) == len(primary)
    assert len(record["tertiary_authors"]) == len(general)
    assert record["authors"][0].split(",")[0] == header_value(document, f"{bibl}/tei:analytic/tei:author").split(",")[0]


@pytest.mark.parametrize("source", ["memo", "letter"])
def test_csl_json_loads_in_citeproc(source: str, request: pytest.FixtureRequest) -> None:
    document = request.getfixturevalue(source)
    citation = metadata(document, document.units()[0])
    items = json.loads(render(citation, "csl-json"))
    reference = CiteProcJSON(items)[str(items[0]["id"]).lower()]
    bibl = "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct"
    assert reference["type"] == "chapter"
    assert str(reference["title"]) == header_value(document, f"{bibl}/tei:analytic/tei:title")
    assert str(reference["container_title"]) == header_value(document, f"{bibl}/tei:monogr/tei:title")
    assert str(reference["publisher"]) == header_value(document, f"{bibl}/tei:monogr/tei:imprint/tei:publisher")
    assert reference["issued"]["year"] == int(header_value(document, f"{bibl}//tei:imprint/tei:date/@when"))
    created = header_value(document, "tei:teiHeader/tei:profileDesc/tei:creation/tei:date/@when")
    original = reference["original_date"]
    assert f"{original['year']}-{original['month']:02d}-{original['day']:02d}" == created
    assert str(reference["page"]).split("-") == [
        header_value(document, f"{bibl}//tei:biblScope[@unit='page']/@from"),
        header_value(document, f"{bibl}//tei:biblScope[@unit='page']/@to")]
    primary = document.root.xpath(f"{bibl}/tei:monogr/tei:editor[@role='primary']", namespaces=NAMESPACES)
    assert [str(e.family) for e in reference["editor"]] == ["".join(e.itertext()).split()[-1] for e in primary]


def test_dublin_core_is_oai_dc(memo_citation) -> None:
    tree = etree.fromstring(render(memo_citation, "dc").encode("utf-8"))
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert tree.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    values = {}
    for child in tree:
        values.setdefault(child.tag.replace(dc, ""), []).append(child.text)
    assert values["title"] == [MEMO_TITLE]
    assert values["creator"] == ["Cumming, Hugh S., Jr."]
    assert values["contributor"] == ["Schwar, Harriet Dashiell (editor)", "LaFantasie, Glenn W. (general editor)"]
    assert values["date"] == ["1959-09-24", "1996"]
    assert values["coverage"] == ["Washington"]
    assert values["publisher"] == ["United States Government Printing Office"]
    assert MEMO_URL in values["identifier"]
    assert values["source"] == [f"{MEMO_BOOK}, Document 300, pp. 593–594 "
                                "(Washington: United States Government Printing Office, 1996)"]
    assert "urn:isbn:0160417570" in values["relation"]
    assert values["language"] == ["en"]


# -- the page head: Zotero's Embedded Metadata translator ---------------------------------

def zotero_embedded_metadata(tags: list[tuple[str, str]]) -> dict[str, object]:
    """The parts of Zotero's "Embedded Metadata" translator that decide type, creators,
    pages and date from Highwire tags (its init() type switch, HIGHWIRE_MAPPINGS order and
    addHighwireMetadata()), restated to check our tags against its rules."""
    hw_type = guess = None
    for name, _ in tags:
        if name == "citation_journal_title":
            hw_type = "journalArticle"
        elif name in ("citation_conference_title", "citation_conference"):
            hw_type = "conferencePaper"
        elif name in ("citation_book_title", "citation_inbook_title"):
            hw_type = "bookSection"
        elif name in ("citation_title", "citation_series_title"):
            guess = guess or "journalArticle"
        elif name == "citation_isbn":
            guess = "book"
    first = {}
    for name, value in tags:
        first.setdefault(name, value)
    date = None
    for name in ("citation_publication_date", "citation_cover_date", "citation_date"):
        # processFields walks the mapping in order; a later date tag overrides an earlier one
        if name in first:
            date = first[name]
    creators = [("author", v) for n, v in tags if n == "citation_author"]
    creators += [("editor", v) for n, v in tags if n == "citation_editor"]
    pages = first.get("citation_firstpage")
    if pages and first.get("citation_lastpage"):
        pages = f"{pages}-{first['citation_lastpage']}"
    return {"itemType": hw_type or guess, "title": first.get("citation_title"),
            "bookTitle": first.get("citation_book_title") or first.get("citation_inbook_title"),
            "creators": creators, "pages": pages, "date": date, "ISBN": first.get("citation_isbn"),
            "url": first.get("citation_public_url"), "publisher": first.get("citation_publisher"),
            "series": first.get("citation_series_title")}


def test_highwire_tags_make_a_book_section_in_zotero(memo_citation) -> None:
    tags = highwire_meta(memo_citation)
    names = [name for name, _ in tags]
    assert all(name.startswith("citation_") for name in names)
    assert "citation_journal_title" not in names and "citation_date" not in names
    item = zotero_embedded_metadata(tags)
    assert item == {
        "itemType": "bookSection", "title": MEMO_TITLE, "bookTitle": MEMO_BOOK,
        "creators": [("author", "Cumming, Hugh S., Jr."), ("editor", "Schwar, Harriet Dashiell")],
        "pages": "593-594", "date": "1996", "ISBN": "0160417570", "url": MEMO_URL,
        "publisher": "United States Government Printing Office",
        "series": "Foreign Relations of the United States"}
    # the document number is not a page
    assert ("citation_firstpage", "300") not in tags


def test_json_ld_and_canonical_link(memo_citation) -> None:
    data = json_ld(memo_citation)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Chapter"
    assert data["name"] == MEMO_TITLE
    assert (data["pageStart"], data["pageEnd"]) == ("593", "594")
    assert data["dateCreated"] == "1959-09-24"
    book = data["isPartOf"]
    assert book["@type"] == "Book" and book["name"] == MEMO_BOOK and book["isbn"] == "0160417570"
    assert [e["familyName"] for e in book["editor"]] == ["Schwar"]
    assert book["datePublished"] == "1996"
    json.dumps(data)  # serialisable as it stands
    assert canonical_url(memo_citation) == MEMO_URL


def test_citation_files_for_the_build(memo: Document) -> None:
    files = citation_files(memo, memo.units()[0])
    assert sorted(files) == ["d300.bib", "d300.dc.xml", "d300.json", "d300.ris"]
    assert files == citation_files(memo, memo.units()[0])  # deterministic


# -- passage-level citations ---------------------------------------------------------------

def test_passage_citation_adds_the_paragraph(memo: Document) -> None:
    citation = metadata(memo, passage_ref="d300.p4")
    assert (citation.passage_ref, citation.locator, citation.label) == ("d300.p4", "4", "paragraph")
    assert citation.passage_pages == "594"  # the pb to page 594 falls in the first paragraph
    assert citation.item["page"] == "593-594"  # the item keeps the document's pages
    assert ", para. 4, https://" in render(citation, "chicago-note")
    assert render(citation, "ohist").endswith(f"Document 300, paragraph 4. {MEMO_URL}")
    assert "d300.p4" in render(citation, "bibtex") and "d300.p4" in render(citation, "ris")
    ranged = metadata(memo, passage_ref="d300.p1-p2")
    assert ranged.locator == "1–2" and ranged.passage_pages == "593-594"
    assert "paras. 1–2" in render(ranged, "chicago-note")
    with pytest.raises(EditionReferenceError) as caught:
        metadata(memo, passage_ref="d300.p7")
    assert caught.value.diagnostic.code == "E0401"


# -- every output follows the header ------------------------------------------------------

MUTATIONS = {
    "title": ("tei:teiHeader//tei:biblStruct/tei:analytic/tei:title", "A Different Letter"),
    "author": ("tei:teiHeader//tei:biblStruct/tei:analytic/tei:author", "Smith, Jane"),
    "book": ("tei:teiHeader//tei:biblStruct/tei:monogr/tei:title", "Other Documents, Volume IX"),
    "editor": ("tei:teiHeader//tei:biblStruct/tei:monogr/tei:editor[@role='primary'][1]", "Zed Zee"),
    "publisher": ("tei:teiHeader//tei:imprint/tei:publisher", "Other Press"),
    "place": ("tei:teiHeader//tei:imprint/tei:pubPlace", "Chicago"),
    "year": ("tei:teiHeader//tei:imprint/tei:date/@when", "2009"),
    "pages": ("tei:teiHeader//tei:biblScope[@unit='page']/@to", "48"),
    "document": ("tei:teiHeader//tei:biblScope[@unit='document']/@n", "13"),
    "isbn": ("tei:teiHeader//tei:monogr/tei:idno[@type='ISBN-10']", "0000000027"),
    "url": ("tei:teiHeader//tei:analytic/tei:idno[@type='URL']", "https://example.org/other/d12"),
}

#: Outputs that by design do not show a field: Chicago's notes and bibliography and the Office
#: of the Historian's form omit the ISBN, the latter cites the document number and not its title,
#: author or pages, and the Highwire vocabulary has no tag for the place of publication.
NOT_SHOWN = {
    "ohist": {"title", "author", "isbn", "pages"},
    "chicago-note": {"isbn"}, "chicago-bibliography": {"isbn"},
    "highwire": {"place", "document"},
}


def mutated(expression: str, value: str) -> Document:
    tree = etree.parse(str(LETTER))
    found = tree.getroot().xpath(expression, namespaces=NAMESPACES)
    assert found, expression
    target = found[0]
    if isinstance(target, etree._ElementUnicodeResult):
        target.getparent().set(target.attrname, value)
    else:
        for child in list(target):
            target.remove(child)
        target.text = value
    return parse(etree.tostring(tree, encoding="UTF-8", xml_declaration=True), str(LETTER))


@pytest.fixture(scope="module")
def letter_outputs(letter: Document) -> dict[str, str]:
    citation = metadata(letter, letter.units()[0])
    return {fmt: render(citation, fmt) for fmt in FORMATS} | {
        "highwire": repr(highwire_meta(citation)), "json-ld": json.dumps(json_ld(citation))}


@pytest.mark.parametrize("field", sorted(MUTATIONS))
def test_changing_a_header_field_changes_every_output(field: str, letter_outputs: dict[str, str]) -> None:
    expression, value = MUTATIONS[field]
    document = mutated(expression, value)
    citation = metadata(document, document.units()[0])
    outputs = {fmt: render(citation, fmt) for fmt in FORMATS} | {
        "highwire": repr(highwire_meta(citation)), "json-ld": json.dumps(json_ld(citation))}
    unchanged = [fmt for fmt in outputs if outputs[fmt] == letter_outputs[fmt]
                 and field not in NOT_SHOWN.get(fmt, set())]
    assert unchanged == [], f"changing {field} left {unchanged} unchanged"


# -- documents that lack fields: warnings, nothing invented ----------------------------------

def test_missing_fields_are_warnings_not_inventions() -> None:
    document = load(SPARSE)
    citation = metadata(document)
    codes = {w.code for w in citation.warnings}
    assert codes == {"W0402"}
    assert all(w.severity == Severity.WARNING and w.line > 0 for w in citation.warnings)
    messages = " ".join(w.message for w in citation.warnings)
    for missing in ("author", "date", "publisher", "URL"):
        assert f"no {missing}" in messages
    item = citation.item
    assert item["title"] == "Minutes of a Meeting of the Advisory Committee"
    assert not {"author", "issued", "publisher", "URL", "page", "ISBN"} & set(item)
    assert render(citation, "ohist") == ""
    assert canonical_url(citation) is None
    for fmt in FORMATS:
        render(citation, fmt)  # no traceback on a sparse header


def test_every_frus_history_document_gets_metadata(history_documents: Path) -> None:
    files = sorted(history_documents.glob("*.xml"))
    assert len(files) == 63
    for path in files:
        document = load(path)
        citation = metadata(document)
        assert citation.item["title"], path.name
        assert citation.item["issued"]["date-parts"], path.name
        assert all(w.code == "W0402" for w in citation.warnings), path.name
        # the header names no author: none is invented, and the gap is reported
        assert "author" not in citation.item
        assert any("no author" in w.message for w in citation.warnings)
        for fmt in ("chicago-note", "chicago-bibliography", "csl-json", "bibtex", "ris", "dc"):
            assert render(citation, fmt), (path.name, fmt)
        assert "“" not in render(citation, "chicago-bibliography").split("”", 1)[1][:3]


def test_frus_volume_documents_from_the_volume_header(frus_excerpt: Path) -> None:
    document = load(frus_excerpt)
    units = {document.ref_of(u): u for u in document.units()}
    citation = metadata(document, units["d300"])
    item = citation.item
    assert citation.kind == "volume" and citation.ref_source == "fallback"
    assert item["title"] == MEMO_TITLE  # head without "300. " and its source note
    assert item["container-title"] == MEMO_BOOK
    assert item["page"] == "593-594" and item["number"] == "300"
    assert item["URL"] == MEMO_URL
    assert item["ISBN"] == "0160417570"
    assert item["author"] == [{"family": "Cumming", "given": "Hugh S.", "suffix": "Jr."}]
    assert citation.date == "1959-09-24" and citation.place == "Washington"
    assert metadata(document, units["d299"]).item["page"] == "591-593"
    assert metadata(document, units["d302"]).item["page"] == "599"
    assert render(citation, "ohist") == (
        f"{MEMO_BOOK}, ed. Harriet Dashiell Schwar (Washington: United States Government Printing "
        f"Office, 1996), Document 300. {MEMO_URL}")


def test_names_are_parsed_in_both_orders() -> None:
    assert parse_name("Cumming, Hugh S., Jr.") == {"family": "Cumming", "given": "Hugh S.", "suffix": "Jr."}
    assert parse_name("Hugh S. Cumming, Jr.") == {"family": "Cumming", "given": "Hugh S.", "suffix": "Jr."}
    assert parse_name("Glenn W. LaFantasie") == {"family": "LaFantasie", "given": "Glenn W."}
    assert parse_name("Herodotus") == {"family": "Herodotus"}
    assert parse_name("de la Mare") == {"family": "de la Mare"}
    assert parse_name("Charles de Gaulle") == {"family": "de Gaulle", "given": "Charles"}
    assert parse_name("Ludwig van Beethoven") == {"family": "van Beethoven", "given": "Ludwig"}


def test_unknown_format_is_a_usage_error(memo_citation) -> None:
    with pytest.raises(EditionUsageError) as caught:
        render(memo_citation, "mla")
    assert "choose one of" in caught.value.diagnostic.message


HOSTILE = {
    "no-header": b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>x</p></body></text></TEI>',
    "empty-biblstruct": (
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title/></titleStmt>'
        b'<publicationStmt><p/></publicationStmt><sourceDesc><biblStruct><analytic><title/></analytic>'
        b'<monogr><title/><imprint><date when="1996-13-45"/><biblScope unit="page" from="x"/></imprint>'
        b'</monogr></biblStruct></sourceDesc></fileDesc></teiHeader><text><body>'
        b'<div type="document" xml:id="d1"><head/><p>x</p></div></body></text></TEI>'),
    "volume-without-heads": (
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title type="volume">V'
        b'</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>'
        b'</teiHeader><text><body><div type="document" xml:id="d1"><p>a</p></div>'
        b'<div type="document" xml:id="d2"><p>b</p></div></body></text></TEI>'),
    "special-characters": (
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title type="complete">'
        'T &amp; “q” {brace} \\ 50% $x #1 a_b &lt;i&gt;</title><author>Ann O\'Neil</author></titleStmt>'
        '<publicationStmt><date type="created" when="2001-02-03"/></publicationStmt><sourceDesc><p/>'
        '</sourceDesc></fileDesc></teiHeader><text><body><p>x</p></body></text></TEI>').encode(),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_headers_give_warnings_and_valid_files(name: str) -> None:
    document = parse(HOSTILE[name], f"{name}.xml")
    for unit in [None, *document.units()]:
        citation = metadata(document, unit)
        assert all(w.code == "W0402" and w.severity == Severity.WARNING for w in citation.warnings)
        for fmt in FORMATS:
            render(citation, fmt)
        json.dumps(json_ld(citation))
        highwire_meta(citation)
        files = citation_files(document, unit)
        library = bibtexparser.parse_string(next(v for k, v in files.items() if k.endswith(".bib")))
        assert not library.failed_blocks and len(library.entries) == 1
        assert len(rispy.loads(next(v for k, v in files.items() if k.endswith(".ris")))) == 1
        etree.fromstring(next(v for k, v in files.items() if k.endswith(".dc.xml")).encode("utf-8"))
    if name == "special-characters":
        entry = bibtexparser.parse_string(render(metadata(document), "bibtex")).entries[0]
        assert entry.fields_dict["title"].value == (r"T \& “q” \textbraceleft{}brace\textbraceright{} \textbackslash{} "
                                                     r"50\% \$x \#1 a\_b <i>")
