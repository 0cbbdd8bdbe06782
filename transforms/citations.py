"""Citation metadata from the teiHeader, in the forms reference managers read.

One :class:`Citation` per citable item holds a CSL-JSON item (the pivot every
output is written from), where each field came from (``provenance``: field →
XPath of the header node, or how it was derived) and a W0402 warning for each
field the header does not give.  Nothing is invented: a missing field stays
missing, and says so.

Three shapes of source are recognised, by what the header holds:

``edition``
    a single-document edition whose ``sourceDesc/biblStruct`` describes the
    printed source (``analytic`` = the document, ``monogr`` = the volume);
    our memo ``tei/frus1958-60v19-d300.xml``.
``volume``
    a whole documentary volume (``titleStmt/title[@type='series' |
    'sub-series' | 'volume-number' | 'volume']``): each top-level division is
    a chapter-like item; title from its ``head``, date and place from its
    ``dateline``, pages from the page breaks.
``standalone``
    anything else (the frus-history documents): the file is the item.

Outputs (:func:`render`): CSL-JSON, BibTeX, RIS, Dublin Core XML, Chicago
note and bibliography entries (:mod:`edition.transforms.chicago`, checked in the tests
against citeproc-py and the official CSL style shipped in ``transforms/csl/``),
and the Office of the Historian's form.
The HTML writer uses :func:`highwire_meta`, :func:`json_ld` and
:func:`canonical_url` for the page head.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from edition import resources
from edition.diagnostics import Diagnostic, EditionUsageError
from edition.document import NAMESPACES, XML_ID, XML_LANG, local_name, tei
from edition.paths import safe_name

from . import chicago
from .kinds import document_kind
from .stage import plain_text  # the toolkit's one "text without notes": titles, names, places

if TYPE_CHECKING:
    from edition.document import Document

__all__ = ["Citation", "FORMATS", "metadata", "render", "highwire_meta", "json_ld",
           "canonical_url", "citation_files", "plain_text"]

#: Output formats of :func:`render`, in the order ``edition cite --format all`` prints them.
FORMATS: tuple[str, ...] = ("chicago-note", "chicago-bibliography", "ohist", "csl-json", "bibtex",
                            "ris", "dc")

CSL_DIR = resources.csl_dir()
#: The official CSL style (citation-style-language/styles, CC BY-SA 3.0, licence in its <info>)
#: that the tests run through citeproc-py as the oracle of :mod:`edition.transforms.chicago`.
#: The 17th-edition variant, because it keeps the place of publication and the page range
#: that the 18th edition's note form drops.
CHICAGO_STYLE = CSL_DIR / "chicago-notes-bibliography-17th-edition.csl"

#: Office of the Historian document URLs: ``{base}{volume id}/{document id}``.  Used only for
#: whole volumes (whose header has the volume's ``idno[@type='frus']`` but no per-document URL);
#: a single-document edition gives its URL in its own header.
OHIST_DOCUMENT_BASE = "https://history.state.gov/historicaldocuments/"

#: CSL locator labels (CSL 1.0.2 appendix); a unit name outside them is cited as a section.
_CSL_LOCATORS = {"act", "appendix", "article-locator", "book", "canon", "chapter", "column",
                 "elocation", "equation", "figure", "folio", "issue", "line", "note", "opus",
                 "page", "paragraph", "part", "rule", "scene", "section", "sub-verbo",
                 "supplement", "table", "timestamp", "title-locator", "verse", "version",
                 "volume"}
_NAME_SUFFIXES = {"jr.", "jr", "sr.", "sr", "ii", "iii", "iv"}
_NAME_PARTICLES = frozenset({"de", "la", "le", "du", "des", "van", "von", "der", "den", "ten", "ter", "da",
                             "di", "del", "della", "dos", "das", "zu"})


@dataclass
class Citation:
    """A CSL-JSON item plus what the other formats need and where it all came from."""

    item: dict[str, Any]
    kind: str                               # "edition" | "volume" | "standalone"
    key: str                                # file stem for citation files ("d300")
    ref: str = ""                           # canonical reference of the cited unit
    ref_source: str = "citeStructure"       # or "fallback" (division id, paragraph position)
    passage_ref: str | None = None
    locator: str | None = None              # "4", "2–3"
    label: str | None = None                # CSL locator label: "paragraph"
    passage_pages: str | None = None        # pages the passage is printed on: "594"
    series: str | None = None
    place: str | None = None                # where the document was written
    date: str | None = None                 # ISO date of the document itself
    posted: str | None = None               # ISO date a standalone document was published online
    url_is_canonical: bool = False          # False when URL is a scan, not the document's page
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.item.get("title", ""))


# -- reading the header --------------------------------------------------------

@lru_cache(maxsize=256)
def _compiled(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=NAMESPACES)


def _first(document: Document, expression: str, node: etree._Element | None = None) -> etree._Element | None:
    found = _compiled(expression)(node if node is not None else document.root)
    return found[0] if found else None


def _either(*elements: etree._Element | None) -> etree._Element | None:
    """The first element that exists (lxml elements without children are falsy: no ``or``)."""
    return next((element for element in elements if element is not None), None)


def _iso(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    for attribute in ("when", "from", "notBefore", "when-iso"):
        value = element.get(attribute)
        if value:
            return value.strip()
    text = plain_text(element)
    return text or None


def _date_parts(value: str) -> dict[str, Any]:
    match = re.fullmatch(r"(-?\d{1,4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not match:
        return {"literal": value}
    parts = [int(part) for part in match.groups() if part]
    if len(parts) > 1 and not 1 <= parts[1] <= 12 or len(parts) > 2 and not 1 <= parts[2] <= 31:
        return {"literal": value}
    return {"date-parts": [parts]}


def _person(document: Document, element: etree._Element) -> dict[str, str]:
    """CSL name of an author/editor: structured persName (own or via @ref) first, else parsed text."""
    candidates = [element]
    target = (element.get("ref") or element.get("corresp") or "").strip().split(" ")[0]
    if target.startswith("#") and target[1:] in document.ids:
        entry = document.ids[target[1:]]
        if local_name(entry) == "persName":
            # a volume's list of persons: the entry is the name, inverted ("Cumming, Hugh S., Jr.")
            return _person(document, entry) if entry is not element else parse_name(plain_text(entry))
        names = entry.findall(tei("persName")) if local_name(entry) == "person" else []
        main = [n for n in names if n.get("type") == "main"] or names
        candidates = main[:1] + candidates
    for candidate in candidates:
        surname = candidate.find(f".//{tei('surname')}")
        if surname is not None:
            name = {"family": plain_text(surname)}
            given = " ".join(plain_text(f) for f in candidate.iter(tei("forename")))
            if given:
                name["given"] = given
            suffix = candidate.find(f".//{tei('genName')}")
            if suffix is not None:
                name["suffix"] = plain_text(suffix)
            return name
    return parse_name(plain_text(element))


def parse_name(text: str) -> dict[str, str]:
    """``"Cumming, Hugh S., Jr."``, ``"Hugh S. Cumming, Jr."`` or ``"Harriet Dashiell Schwar"`` → CSL name."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return {"literal": text}
    suffix = ""
    if len(parts) > 1 and parts[-1].lower() in _NAME_SUFFIXES:
        suffix = parts.pop()
    if len(parts) >= 2:
        name = {"family": parts[0], "given": ", ".join(parts[1:])}
    else:
        words = parts[0].split()
        if len(words) == 1:
            name = {"family": words[0]}
        else:
            # a surname's lowercase particle starts the family name: "de la Mare", "Charles de Gaulle"
            start = next((i for i, word in enumerate(words[:-1]) if word in _NAME_PARTICLES), len(words) - 1)
            name = {"family": " ".join(words[start:])}
            if start:
                name["given"] = " ".join(words[:start])
    if suffix:
        name["suffix"] = suffix
    return name


def _name_inverted(name: dict[str, str]) -> str:
    """``Family, Given, Suffix`` (RIS, Dublin Core, Highwire)."""
    if "literal" in name:
        return name["literal"]
    return ", ".join(p for p in (name.get("family"), name.get("given"), name.get("suffix")) if p)


def _name_direct(name: dict[str, str]) -> str:
    if "literal" in name:
        return name["literal"]
    text = " ".join(p for p in (name.get("given"), name.get("family")) if p)
    return f"{text}, {name['suffix']}" if name.get("suffix") else text


class _Builder:
    """Fills a CSL item field by field, recording provenance and warning on gaps."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.item: dict[str, Any] = {}
        self.provenance: dict[str, str] = {}
        self.warnings: list[Diagnostic] = []

    def set(self, key: str, value: Any, source: etree._Element | str | None) -> None:
        if value in (None, "", [], {}):
            return
        if key == "URL" and not re.match(r"https?://", str(value).strip(), re.I):
            # A javascript: or data: "URL" would become a link in meta tags and JSON-LD.
            where = source if isinstance(source, etree._Element) else self.document.header
            self.warnings.append(self.document.diagnostic(
                where, "W0402", f"URL {str(value)[:80]!r} is not an http(s) address; it is left out of "
                "the citation: write the document's web address, https://..."))
            return
        self.item[key] = value
        if isinstance(source, str):
            self.provenance[key] = source
        elif source is not None:
            self.provenance[key] = self.document.xpath_of(source)

    def require(self, key: str, where: etree._Element | None, message: str) -> None:
        """W0402 at ``where`` unless ``key`` was set."""
        if key in self.item:
            return
        node = where if where is not None else (self.document.header if self.document.header is not None
                                                else self.document.root)
        self.warnings.append(self.document.diagnostic(node, "W0402", message))


def _kind(document: Document) -> str:
    if _first(document, "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct[tei:analytic]") is not None:
        return "edition"
    if _first(document, "tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@type='volume' or "
                        "@type='volume-number' or @type='sub-series']") is not None:
        return "volume"
    return "standalone"


def _container_from_parts(document: Document, titles: etree._Element | None,
                          series: etree._Element | None) -> tuple[str, str] | None:
    """``Series, Sub-series, Volume N, Volume title`` from typed titles (the Office of the Historian's order)."""
    if titles is None:
        return None
    parts = [series] + [_first(document, f"tei:title[@type='{kind}']", titles)
                        for kind in ("sub-series", "volume-number", "volume")]
    if any(part is None for part in parts):
        return None
    return ", ".join(plain_text(p) for p in parts), f"{document.xpath_of(titles)}/tei:title[@type]"


def _idno(document: Document, context: etree._Element | None, *types: str) -> etree._Element | None:
    if context is None:
        return None
    for wanted in types:
        for idno in context.findall(tei("idno")):
            if (idno.get("type") or "").lower() == wanted.lower() and plain_text(idno):
                return idno
    return None


def _language(document: Document, builder: _Builder) -> None:
    root_lang = document.root.get(XML_LANG)
    if root_lang:
        builder.set("language", root_lang, f"{document.xpath_of(document.root)}/@xml:lang")
        return
    language = _first(document, "tei:teiHeader/tei:profileDesc/tei:langUsage/tei:language[@ident]")
    if language is not None:
        builder.set("language", language.get("ident"), language)


def _edition(document: Document, builder: _Builder, citation: Citation) -> None:
    header = document.header
    bibl = _first(document, "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct[tei:analytic]")
    assert bibl is not None  # _kind() says "edition" only for a file that has one
    analytic = bibl.find(tei("analytic"))
    monogr = bibl.find(tei("monogr"))
    imprint = monogr.find(tei("imprint")) if monogr is not None else None
    title = _either(_first(document, "tei:title[@type='main']", analytic), analytic.find(tei("title")),
                    _first(document, "tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@type='main']"))
    builder.set("title", plain_text(title), title)
    builder.require("title", analytic, "no document title: add sourceDesc/biblStruct/analytic/title")
    authors = analytic.findall(tei("author"))
    builder.set("author", [_person(document, a) for a in authors], authors[0] if authors else None)
    builder.require("author", analytic, "no author: add sourceDesc/biblStruct/analytic/author "
                    "(the citation is left without one)")
    series_title = _first(document, "tei:series/tei:title", bibl) if bibl is not None else None
    if series_title is None:
        series_title = _first(document, "tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@type='series']")
    if series_title is not None:
        citation.series = plain_text(series_title)
        citation.provenance["series"] = document.xpath_of(series_title)
    if monogr is not None:
        main = _either(_first(document, "tei:title[@type='main']", monogr), monogr.find(tei("title")))
        if main is not None:
            builder.set("container-title", plain_text(main), main)
        else:
            parts = _container_from_parts(document, monogr, series_title)
            if parts:
                builder.set("container-title", parts[0], parts[1])
        _editors(document, builder, monogr)
        isbn = _idno(document, monogr, "ISBN-10", "ISBN-13", "ISBN")
        builder.set("ISBN", plain_text(isbn) if isbn is not None else None, isbn)
    builder.require("container-title", monogr, "no volume title: add biblStruct/monogr/title")
    builder.require("editor", monogr, "no volume editor: add biblStruct/monogr/editor (role='primary')")
    builder.require("ISBN", monogr, "no ISBN: add biblStruct/monogr/idno[@type='ISBN-10' or 'ISBN-13']")
    if imprint is not None:
        _imprint(document, builder, imprint)
        scope_page = _first(document, "tei:biblScope[@unit='page']", imprint)
        if scope_page is not None:
            first, last = scope_page.get("from"), scope_page.get("to")
            pages = f"{first}-{last}" if first and last and first != last else (first or plain_text(scope_page))
            builder.set("page", pages.replace("–", "-"), scope_page)
        number = _first(document, "tei:biblScope[@unit='document']", imprint)
        if number is not None:
            builder.set("number", number.get("n") or plain_text(number), number)
    for key, what in (("publisher", "imprint/publisher"), ("publisher-place", "imprint/pubPlace"),
                      ("issued", "imprint/date"), ("page", "imprint/biblScope[@unit='page'] with @from/@to"),
                      ("number", "imprint/biblScope[@unit='document']")):
        builder.require(key, imprint if imprint is not None else monogr, f"no {key}: add biblStruct/monogr/{what}")
    url = _idno(document, analytic, "URL")
    builder.set("URL", plain_text(url) if url is not None else None, url)
    citation.url_is_canonical = url is not None
    builder.require("URL", analytic, "no URL: add biblStruct/analytic/idno[@type='URL']")
    creation = _first(document, "tei:teiHeader/tei:profileDesc/tei:creation")
    when = _first(document, ".//tei:date", creation) if creation is not None else None
    if when is None:
        when = _first(document, "tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:origDate")
    _document_date(document, builder, citation, when, header)
    place = _first(document, ".//tei:placeName", creation) if creation is not None else None
    if place is None:
        place = _first(document, "tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:origPlace")
    _document_place(document, citation, builder, place, creation)
    idno = _either(_idno(document, _first(document, "tei:teiHeader/tei:fileDesc/tei:publicationStmt"), "frus"),
                   _idno(document, analytic, "frus"))
    builder.set("id", plain_text(idno) if idno is not None else document.root.get(XML_ID),
                idno if idno is not None else "TEI/@xml:id")


def _editors(document: Document, builder: _Builder, context: etree._Element) -> None:
    editors = context.findall(tei("editor"))
    primary = [e for e in editors if (e.get("role") or "primary") not in ("general",)]
    general = [e for e in editors if e.get("role") == "general"]
    builder.set("editor", [_person(document, e) for e in primary], primary[0] if primary else None)
    builder.set("collection-editor", [_person(document, e) for e in general], general[0] if general else None)


def _imprint(document: Document, builder: _Builder, context: etree._Element) -> None:
    publisher = context.find(tei("publisher"))
    builder.set("publisher", plain_text(publisher), publisher)
    place = context.find(tei("pubPlace"))
    builder.set("publisher-place", plain_text(place), place)
    date = context.find(tei("date"))
    value = _iso(date)
    builder.set("issued", _date_parts(value) if value else None, date)


def _document_date(document: Document, builder: _Builder, citation: Citation,
                   date: etree._Element | None, where: etree._Element | None,
                   hint: str = "add profileDesc/creation/date[@when]") -> None:
    value = _iso(date)
    if value:
        citation.date = value
        citation.provenance["date"] = document.xpath_of(date)
        # The date the document was written, as distinct from the volume's publication.
        builder.set("original-date", _date_parts(value), date)
    else:
        builder.warnings.append(document.diagnostic(
            where if where is not None else document.root, "W0402",
            f"no date of the document: {hint}"))


def _document_place(document: Document, citation: Citation, builder: _Builder,
                    place: etree._Element | None, where: etree._Element | None,
                    hint: str = "add profileDesc/creation/placeName") -> None:
    if place is not None and plain_text(place):
        citation.place = plain_text(place)
        citation.provenance["place"] = document.xpath_of(place)
    else:
        builder.warnings.append(document.diagnostic(
            where if where is not None else (document.header if document.header is not None else document.root),
            "W0402", f"no place where the document was written: {hint}"))


@dataclass
class _VolumeFields:
    """What every document of a volume shares (its container), read from the header once."""

    builder: _Builder
    series: str | None
    series_source: str | None
    publication: etree._Element | None


def _volume_fields(document: Document) -> _VolumeFields:
    cached = document.cache.get("citations.volume")
    if cached is not None:
        return cached
    builder = _Builder(document)
    titles = _first(document, "tei:teiHeader/tei:fileDesc/tei:titleStmt")
    publication = _first(document, "tei:teiHeader/tei:fileDesc/tei:publicationStmt")
    series = _first(document, "tei:title[@type='series']", titles) if titles is not None else None
    parts = _container_from_parts(document, titles, series)
    if parts:
        builder.set("container-title", parts[0], parts[1])
    else:
        complete = (_first(document, "tei:title[@type='complete']", titles) if titles is not None else None)
        builder.set("container-title", plain_text(complete), complete)
    builder.require("container-title", titles, "no volume title: add titleStmt/title[@type='complete'] "
                    "or the typed parts (series, sub-series, volume-number, volume)")
    if titles is not None:
        _editors(document, builder, titles)
    builder.require("editor", titles, "no volume editor: add titleStmt/editor[@role='primary']")
    if publication is not None:
        _imprint(document, builder, publication)
        isbn = _idno(document, publication, "isbn-10", "isbn-13", "isbn")
        builder.set("ISBN", plain_text(isbn) if isbn is not None else None, isbn)
    for key, what in (("publisher", "publisher"), ("publisher-place", "pubPlace"), ("issued", "date"),
                      ("ISBN", "idno[@type='isbn-10']")):
        builder.require(key, publication, f"no {key}: add publicationStmt/{what}")
    fields = _VolumeFields(builder, plain_text(series) if series is not None else None,
                           document.xpath_of(series) if series is not None else None, publication)
    document.cache["citations.volume"] = fields
    return fields


def _volume(document: Document, builder: _Builder, citation: Citation, unit: etree._Element) -> None:
    head = unit.find(tei("head"))
    title = plain_text(head)
    number = unit.get("n")
    if number and title.startswith(f"{number}."):
        title = title[len(number) + 1:].strip()
    else:
        title = re.sub(r"^\d+[A-Za-z]?\.\s+", "", title)
    builder.set("title", title, head)
    builder.require("title", unit, "no title: the division has no head")
    # FRUS heads mark the sender: <persName type="from" corresp="#p_…"> into the list of persons.
    senders = head.xpath(".//tei:persName[@type='from']", namespaces=NAMESPACES) if head is not None else []
    builder.set("author", [_person(document, s) for s in senders], senders[0] if senders else None)
    shared = _volume_fields(document)
    if shared.series is not None:
        citation.series = shared.series
        citation.provenance["series"] = shared.series_source or ""
    # copies: a citation's item is its own to change (passages, CSL-JSON notes)
    builder.item.update(json.loads(json.dumps(shared.builder.item)))
    builder.provenance.update(shared.builder.provenance)
    builder.warnings.extend(shared.builder.warnings)
    publication = shared.publication
    builder.set("number", number, f"{document.xpath_of(unit)}/@n")
    pages = _pages(document, unit, None)
    builder.set("page", pages, "derived: the pb before the division and the pb's inside it")
    builder.require("page", unit, "no pages: no pb before or inside the division")
    volume_id = _idno(document, publication, "frus")
    unit_id = unit.get(XML_ID)
    if volume_id is not None and unit_id:
        builder.set("URL", f"{OHIST_DOCUMENT_BASE}{plain_text(volume_id)}/{unit_id}",
                    f"derived: Office of the Historian URL from {document.xpath_of(volume_id)} "
                    f"and {document.xpath_of(unit)}/@xml:id")
        citation.url_is_canonical = True
    builder.require("URL", publication, "no URL: add publicationStmt/idno[@type='frus'] (volume id) "
                    "and an xml:id on the division")
    dateline = _first(document, ".//tei:dateline", unit)
    kind = document_kind(unit, dateline)  # an editorial note has no date or place to warn about
    date = _first(document, ".//tei:date", dateline) if dateline is not None else None
    if date is not None or kind.dated:
        _document_date(document, builder, citation, date, dateline if dateline is not None else unit,
                       "add a dateline with a date[@when] to the division")
    place = _first(document, ".//tei:placeName", dateline) if dateline is not None else None
    if place is not None or kind.placed:
        _document_place(document, citation, builder, place, dateline if dateline is not None else unit,
                        "add a placeName to the division's dateline")
    base = plain_text(volume_id) if volume_id is not None else (document.root.get(XML_ID) or Path(document.path).stem)
    builder.set("id", f"{base}-{unit_id or number or 'document'}", "derived: volume id and division id")


def _standalone(document: Document, builder: _Builder, citation: Citation) -> None:
    titles = _first(document, "tei:teiHeader/tei:fileDesc/tei:titleStmt")
    publication = _first(document, "tei:teiHeader/tei:fileDesc/tei:publicationStmt")
    title = None
    if titles is not None:
        title = _either(_first(document, "tei:title[@type='complete']", titles),
                        _first(document, "tei:title[@type='main']", titles),
                        _first(document, "tei:title[not(@type)]", titles),
                        titles.find(tei("title")))
    builder.set("title", plain_text(title), title)
    builder.require("title", titles, "no title: add titleStmt/title")
    authors = titles.findall(tei("author")) if titles is not None else []
    builder.set("author", [_person(document, a) for a in authors], authors[0] if authors else None)
    builder.require("author", titles, "no author: add titleStmt/author (the citation is left without one)")
    if titles is not None:
        _editors(document, builder, titles)
    created = posted = None
    if publication is not None:
        created = _first(document, "tei:date[@type='created']", publication)
        posted = _first(document, "tei:date[@type='posted' or @type='published']", publication)
        plain_date = _first(document, "tei:date[not(@type)]", publication)
        publisher = publication.find(tei("publisher"))
        builder.set("publisher", plain_text(publisher), publisher)
        place = publication.find(tei("pubPlace"))
        builder.set("publisher-place", plain_text(place), place)
        created = created if created is not None else plain_date
    value = _iso(created)
    builder.set("issued", _date_parts(value) if value else None, created)
    if value:
        citation.date = value
        citation.provenance["date"] = document.xpath_of(created)
    builder.require("issued", publication, "no date: add publicationStmt/date[@type='created'][@when]")
    builder.require("publisher", publication, "no publisher: add publicationStmt/publisher")
    if posted is not None and _iso(posted):
        citation.posted = _iso(posted)
        citation.provenance["posted"] = document.xpath_of(posted)
    url = _idno(document, publication, "URL")
    if url is not None:
        builder.set("URL", plain_text(url), url)
        citation.url_is_canonical = True
    else:
        # A link to a scan of the document, given in sourceDesc, is where a reader can get it.
        scan = _first(document, "tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:ref"
                                "[starts-with(@target, 'http://') or starts-with(@target, 'https://')]")
        if scan is not None:
            builder.set("URL", scan.get("target"), f"{document.xpath_of(scan)}/@target")
            builder.warnings.append(document.diagnostic(
                publication if publication is not None else document.header, "W0402",
                "no URL of the document itself: the citation links the scan named in sourceDesc; "
                "add publicationStmt/idno[@type='URL'] for the document's page"))
    builder.require("URL", publication, "no URL: add publicationStmt/idno[@type='URL']")
    idno = _idno(document, publication, "frus", "filename")
    builder.set("id", plain_text(idno) if idno is not None else (document.root.get(XML_ID) or Path(document.path).stem),
                idno if idno is not None else "derived: file name")


def _pb_number(pb: etree._Element) -> str | None:
    value = (pb.get("n") or "").strip()
    return value or None


def _numbered_breaks(element: etree._Element) -> list[etree._Element]:
    return [pb for pb in element.iter(tei("pb")) if _pb_number(pb)]


def _last_break_before(element: etree._Element) -> etree._Element | None:
    """The nearest numbered pb before ``element`` in document order.

    Why not ``preceding::tei:pb[1]``: that axis walks the whole tree on every call (2 s over a
    FRUS volume's 400 documents); walking back sibling by sibling stops at the first break.
    """
    node: etree._Element | None = element
    while node is not None:
        for sibling in node.itersiblings(preceding=True):
            if isinstance(sibling.tag, str):
                found = _numbered_breaks(sibling)
                if found:
                    return found[-1]
        node = node.getparent()
    return None


def _pages(document: Document, first: etree._Element, last: etree._Element | None,
           fallback_start: str | None = None) -> str | None:
    """Pages from the start of ``first`` to the end of ``last``: the page of the last pb
    before ``first`` (else ``fallback_start``) to that of the last pb up to ``last``'s end."""
    last = first if last is None else last
    before = _last_break_before(first)
    start = _pb_number(before) if before is not None else fallback_start
    seen = _numbered_breaks(first)
    if last is not first:
        after_first = set(first.xpath("following::tei:pb[@n]", namespaces=NAMESPACES))
        seen += [pb for pb in last.xpath("preceding::tei:pb[@n]", namespaces=NAMESPACES)
                 if pb in after_first and _pb_number(pb)]
        seen += _numbered_breaks(last)
    if start is None and seen:
        start = _pb_number(seen[0])
    if start is None:
        return None
    end = _pb_number(seen[-1]) if seen else start
    return start if end == start else f"{start}-{end}"


# -- the public entry point ---------------------------------------------------

def _top(unit: Any) -> Any:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def _locator_value(unit: Any) -> str:
    """``d300.p4`` → ``4``: the unit's own part of its reference, without the delimiter's letters."""
    own = unit.ref[len(unit.parent.ref):] if unit.parent is not None else unit.ref
    match = re.fullmatch(r"[^0-9A-Za-z]*[A-Za-z]*?(\d+[A-Za-z]?)", own)
    return match.group(1) if match else own.lstrip(".:/_-")


def metadata(document: Document, unit_element: etree._Element | None = None,
             passage_ref: str | None = None) -> Citation:
    """The citation of ``document`` (or of its citable unit ``unit_element``, a
    division of a volume), optionally narrowed to ``passage_ref`` (``d300.p4``,
    ``d300.p2-p3``), which must resolve in ``document`` (E0401 otherwise)."""
    kind = _kind(document)
    citer = document.citer
    passage: Any = None  # a resolved Passage, or a _Passage of one unit
    if passage_ref:
        from edition.passages import resolve
        passage = resolve(document, passage_ref)
        if unit_element is None:
            unit_element = _top(passage.first).element
    unit = citer.unit_of(unit_element) if unit_element is not None else None
    builder = _Builder(document)
    stem = Path(document.path).stem
    citation = Citation(item=builder.item, kind=kind, key=unit.ref if unit is not None else stem,
                        ref=unit.ref if unit is not None else "", ref_source=citer.source,
                        provenance=builder.provenance, warnings=builder.warnings)
    if kind == "volume" and unit is not None:
        top = _top(unit)
        _volume(document, builder, citation, top.element)
        item_unit = top
        citation.key = citation.ref = top.ref
    elif kind == "edition":
        _edition(document, builder, citation)
        item_unit = _top(unit) if unit is not None else None
        tops = [u for u in citer.units if u.parent is None]
        if item_unit is None and len(tops) == 1:
            # the file's one document division is the item (cited as d300, files d300.bib …)
            item_unit = tops[0]
        if item_unit is not None:
            citation.key = citation.ref = item_unit.ref
    else:
        if kind == "volume":
            builder.warnings.append(document.diagnostic(
                document.header if document.header is not None else document.root, "W0402",
                "a volume is cited by its documents: name a division (unit) to cite"))
        _standalone(document, builder, citation)
        kind = citation.kind = "standalone"
        item_unit = None
        citation.key, citation.ref = stem, ""
        if unit is not None and passage is None:
            # a division of a standalone file is a passage of the file (its files named after it)
            passage = _Passage(unit, unit, unit.ref)
            citation.key = unit.ref
    if passage is None and unit is not None and item_unit is not None and unit is not item_unit:
        # a unit below the item (a paragraph) is cited as a passage of it
        passage = _Passage(unit, unit, unit.ref)
    _language(document, builder)
    builder.item.setdefault("id", citation.key)
    builder.item["type"] = "chapter" if kind in ("edition", "volume") else "manuscript"
    # CSL-JSON consumers expect id and type first: rebuild in a stable, readable order.
    ordered: dict[str, Any] = {key: builder.item[key] for key in ("id", "type") if key in builder.item}
    ordered.update((key, value) for key, value in builder.item.items() if key not in ordered)
    citation.item = ordered
    if passage is not None and (item_unit is None or passage.first is not item_unit
                                or passage.last is not item_unit):
        citation.passage_ref = passage.ref
        if passage.first.parent is item_unit:
            first, last = _locator_value(passage.first), _locator_value(passage.last)
            unit_name = passage.first.unit
            citation.label = unit_name if unit_name in _CSL_LOCATORS else "section"
        else:
            # deeper than one level below the item (a paragraph of a division of a standalone
            # file): a bare number would be ambiguous, so the reference itself is the locator
            first = passage.first.ref
            parent = passage.last.parent.ref if passage.last.parent is not None else ""
            last = passage.last.ref[len(parent):].lstrip(".") if parent else passage.last.ref
            citation.label = "section"
        citation.locator = first if passage.first is passage.last else f"{first}–{last}"
        fallback = str(citation.item.get("page", "")).split("-")[0] or None
        citation.passage_pages = _pages(document, passage.first.element, passage.last.element, fallback)
    return citation


@dataclass
class _Passage:
    first: Any
    last: Any
    ref: str


# -- rendering -------------------------------------------------------------------

def render(citation: Citation, fmt: str, markup: str = "text") -> str:
    """The citation in one of :data:`FORMATS`.  ``markup="html"`` gives the Chicago forms with <i>."""
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise EditionUsageError.at("E0901", f"unknown citation format '{fmt}'; "
                                   f"choose one of {', '.join(FORMATS)}")
    if fmt.startswith("chicago"):
        return _chicago(citation, bibliography=fmt.endswith("bibliography"), markup=markup)
    return writer(citation)


def _chicago(citation: Citation, bibliography: bool, markup: str) -> str:
    """Chicago note or bibliography entry from :mod:`edition.transforms.chicago` (citeproc-py with the
    official style is the tests' oracle, no longer a run-time dependency)."""
    if bibliography:
        return chicago.bibliography(citation.item, markup=markup)
    return chicago.note(citation.item, citation.locator, citation.label, markup=markup)


def _csl_json(citation: Citation) -> str:
    item = dict(citation.item)
    if citation.passage_ref:
        # CSL-JSON has no place for a locator on an item; the note field carries it for humans.
        item["note"] = _passage_note(citation)
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


def _label(citation: Citation) -> str:
    label = citation.label or "section"
    return f"{label}s" if citation.locator and "–" in citation.locator else label


def _passage_note(citation: Citation) -> str:
    text = f"{_label(citation)} {citation.locator}, {citation.passage_ref}"
    if citation.passage_pages:
        pages = citation.passage_pages
        text += f", {'pp.' if '-' in pages else 'p.'} {pages.replace('-', '–')}"
    return text


# Braces become commands with a balanced pair of their own: BibTeX counts every brace,
# escaped or not, so "\\}" would still end the field (and "Eve}, note = {x" add one).
_BIBTEX_SPECIAL = {"\\": "\\textbackslash{}", "{": "\\textbraceleft{}", "}": "\\textbraceright{}",
                   "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_", "~": "\\textasciitilde{}",
                   "^": "\\textasciicircum{}"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(value: str) -> str:
    """A field value on one line: a newline or other control character is a space."""
    return _CONTROL.sub(" ", value)


def _bibtex_escape(value: str) -> str:
    return re.sub(r"[\\{}&%$#_~^]", lambda match: _BIBTEX_SPECIAL[match.group(0)], _one_line(value))


def _bibtex_url(value: str) -> str:
    """A URL as BibTeX's url field takes it (verbatim): what could end the field or start a
    command is percent-encoded, the rest (%, #, _, &) stays as the address has it."""
    return re.sub(r"[\\{}\s]", lambda match: f"%{ord(match.group(0)):02X}", _one_line(value).strip())


def _bibtex_name(name: dict[str, str]) -> str:
    if "literal" in name:
        return "{" + _bibtex_escape(name["literal"]) + "}"
    # " and " inside a name would split it into two authors
    parts = [re.sub(r"\s+and\s+", " {and} ", _bibtex_escape(name.get("family", "")))]
    if name.get("suffix"):
        parts.append(_bibtex_escape(name["suffix"]))
    if name.get("given"):
        parts.append(re.sub(r"\s+and\s+", " {and} ", _bibtex_escape(name["given"])))
    return ", ".join(part.replace(",", "{,}") for part in parts)


def _year(date: Any) -> str | None:
    if isinstance(date, dict) and date.get("date-parts"):
        return str(date["date-parts"][0][0])
    if isinstance(date, dict) and date.get("literal"):
        return str(date["literal"])
    return None


def _bibtex(citation: Citation) -> str:
    item = citation.item
    entry_type = "incollection" if item.get("type") == "chapter" else "unpublished"
    key = str(item["id"]) + (f":{citation.passage_ref}" if citation.passage_ref else "")
    key = re.sub(r"[^A-Za-z0-9:._-]", "-", key)
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str | None, escape: bool = True) -> None:
        if value:
            fields.append((name, _bibtex_escape(value) if escape else value))

    if item.get("author"):
        add("author", " and ".join(_bibtex_name(n) for n in item["author"]), escape=False)
    add("title", item.get("title"))
    add("booktitle", item.get("container-title"))
    if item.get("editor"):
        add("editor", " and ".join(_bibtex_name(n) for n in item["editor"]), escape=False)
    add("series", citation.series)
    add("publisher", item.get("publisher"))
    add("address", item.get("publisher-place"))
    add("year", _year(item.get("issued")))
    add("pages", str(item["page"]).replace("-", "--") if item.get("page") else None)
    notes = []
    if item.get("number"):
        notes.append(f"Document {item['number']}")
    if citation.place or citation.date:
        notes.append(", ".join(p for p in (citation.place, citation.date) if p))
    if citation.passage_ref:
        notes.append(_passage_note(citation))
    add("note", ". ".join(notes))
    add("isbn", item.get("ISBN"))
    add("url", _bibtex_url(str(item["URL"])) if item.get("URL") else None, escape=False)
    add("language", item.get("language"))
    width = max(len(name) for name, _ in fields) if fields else 0
    body = "".join(f",\n  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{key}{body}\n}}\n"


def _ris(citation: Citation) -> str:
    item = citation.item
    lines: list[tuple[str, str]] = [("TY", "CHAP" if item.get("type") == "chapter" else "MANSCPT")]
    key = str(item["id"]) + (f":{citation.passage_ref}" if citation.passage_ref else "")
    lines.append(("ID", key))
    if item.get("title"):
        lines.append(("TI", str(item["title"])))
    for name in item.get("author", []):
        lines.append(("AU", _name_inverted(name)))
    if item.get("container-title"):
        lines.append(("T2", item["container-title"]))
    for name in item.get("editor", []):
        lines.append(("A2", _name_inverted(name)))
    for name in item.get("collection-editor", []):
        lines.append(("A3", _name_inverted(name)))
    if citation.series:
        lines.append(("T3", citation.series))
    year = _year(item.get("issued"))
    if year:
        lines.append(("PY", year))
    if citation.date and item.get("type") != "chapter":
        lines.append(("DA", citation.date.replace("-", "/")))
    if item.get("publisher-place"):
        lines.append(("CY", item["publisher-place"]))
    if item.get("publisher"):
        lines.append(("PB", item["publisher"]))
    if item.get("page"):
        first, _, last = str(item["page"]).partition("-")
        lines.append(("SP", first))
        if last:
            lines.append(("EP", last))
    if item.get("ISBN"):
        lines.append(("SN", item["ISBN"]))
    if item.get("URL"):
        lines.append(("UR", item["URL"]))
    if item.get("language"):
        lines.append(("LA", item["language"]))
    if item.get("number"):
        lines.append(("N1", f"Document {item['number']}"))
    if citation.date and item.get("type") == "chapter":
        lines.append(("N1", "Written: " + ", ".join(p for p in (citation.place, citation.date) if p)))
    if citation.passage_ref:
        lines.append(("N1", "Passage: " + _passage_note(citation)))
    lines.append(("ER", ""))
    # one line per tag, whatever the header holds: a newline could start a tag of its own
    return "".join(f"{tag}  - {_one_line(str(value)).strip()}\n" for tag, value in lines)


_OAI = "http://www.openarchives.org/OAI/2.0/oai_dc/"
_DC = "http://purl.org/dc/elements/1.1/"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _dc(citation: Citation) -> str:
    item = citation.item
    root = etree.Element(f"{{{_OAI}}}dc", nsmap={"oai_dc": _OAI, "dc": _DC, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", f"{_OAI} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

    def add(name: str, value: str | None) -> None:
        if value:
            etree.SubElement(root, f"{{{_DC}}}{name}").text = value

    title = item.get("title")
    if citation.passage_ref:
        title = f"{title} [{_passage_note(citation)}]" if title else None
    add("title", title)
    for name in item.get("author", []):
        add("creator", _name_inverted(name))
    for name in item.get("editor", []):
        add("contributor", f"{_name_inverted(name)} (editor)")
    for name in item.get("collection-editor", []):
        add("contributor", f"{_name_inverted(name)} (general editor)")
    add("date", citation.date)
    if item.get("type") == "chapter":
        add("date", _year(item.get("issued")))
    elif citation.posted:
        add("date", citation.posted)
    add("coverage", citation.place)
    add("publisher", item.get("publisher"))
    add("type", "Text")
    add("identifier", item.get("URL"))
    add("identifier", str(item["id"]) + (f"#{citation.passage_ref}" if citation.passage_ref else ""))
    if item.get("container-title"):
        source = [str(item["container-title"])]
        if item.get("number"):
            source.append(f"Document {item['number']}")
        if item.get("page"):
            source.append(f"pp. {str(item['page']).replace('-', '–')}")
        imprint = ": ".join(p for p in (item.get("publisher-place"), item.get("publisher")) if p)
        imprint = ", ".join(p for p in (imprint, _year(item.get("issued"))) if p)
        add("source", ", ".join(source) + (f" ({imprint})" if imprint else ""))
    if item.get("ISBN"):
        add("relation", f"urn:isbn:{item['ISBN']}")
    if citation.series:
        add("relation", citation.series)
    add("language", item.get("language"))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True).decode("utf-8")


def _and_names(names: list[dict[str, str]]) -> str:
    shown = [_name_direct(n) for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _ohist(citation: Citation) -> str:
    """The Office of the Historian's recommended form: volume, editors (not the general
    editor), place, publisher, year, Document N, then the document's URL."""
    item = citation.item
    if not item.get("container-title") or not item.get("number"):
        return ""
    text = str(item["container-title"])
    editors = item.get("editor", [])
    if editors:
        text += f", {'eds.' if len(editors) > 1 else 'ed.'} {_and_names(editors)}"
    imprint = ": ".join(p for p in (item.get("publisher-place"), item.get("publisher")) if p)
    year = _year(item.get("issued"))
    imprint = ", ".join(p for p in (imprint, year) if p)
    if imprint:
        text += f" ({imprint})"
    text += f", Document {item['number']}"
    if citation.passage_ref:
        text += f", {_label(citation)} {citation.locator}"
    text += "."
    if item.get("URL"):
        text += f" {item['URL']}"
    return text


def _chicago_note(citation: Citation) -> str:
    return _chicago(citation, bibliography=False, markup="text")


def _chicago_bibliography(citation: Citation) -> str:
    return _chicago(citation, bibliography=True, markup="text")


#: Format name → writer (a plain registry, as the house style asks).
_WRITERS: dict[str, Any] = {
    "chicago-note": _chicago_note, "chicago-bibliography": _chicago_bibliography,
    "ohist": _ohist, "csl-json": _csl_json, "bibtex": _bibtex, "ris": _ris, "dc": _dc,
}


# -- the page head -------------------------------------------------------------

def highwire_meta(citation: Citation) -> list[tuple[str, str]]:
    """``citation_*`` meta tags as Zotero's Embedded Metadata translator reads them:
    ``citation_book_title``/``citation_inbook_title`` make a book section, editors are
    ``citation_editor``, pages the printed pages (not the document number)."""
    item = citation.item
    tags: list[tuple[str, str]] = []

    def add(name: str, value: Any) -> None:
        if value:
            tags.append((name, str(value)))

    add("citation_title", item.get("title"))
    for name in item.get("author", []):
        add("citation_author", _name_inverted(name))
    if item.get("type") == "chapter":
        add("citation_inbook_title", item.get("container-title"))
        add("citation_book_title", item.get("container-title"))
        for name in item.get("editor", []):
            add("citation_editor", _name_inverted(name))
        add("citation_series_title", citation.series)
    add("citation_publisher", item.get("publisher"))
    # citation_date would override citation_publication_date in Zotero: emit only one date.
    add("citation_publication_date", _highwire_date(item.get("issued")))
    if item.get("page"):
        first, _, last = str(item["page"]).partition("-")
        add("citation_firstpage", first)
        add("citation_lastpage", last or first)
    add("citation_isbn", item.get("ISBN"))
    add("citation_language", item.get("language"))
    add("citation_public_url", item.get("URL"))
    return tags


def _highwire_date(date: Any) -> str | None:
    if isinstance(date, dict) and date.get("date-parts"):
        return "/".join(f"{part:02d}" if index else str(part)
                        for index, part in enumerate(date["date-parts"][0]))
    return None


def _iso_of(date: Any) -> str | None:
    if isinstance(date, dict) and date.get("date-parts"):
        return "-".join(f"{part:02d}" if index else str(part)
                        for index, part in enumerate(date["date-parts"][0]))
    return None


def _ld_person(name: dict[str, str]) -> dict[str, str]:
    person = {"@type": "Person", "name": _name_direct(name)}
    if name.get("family"):
        person["familyName"] = name["family"]
    if name.get("given"):
        person["givenName"] = name["given"]
    if name.get("suffix"):
        person["honorificSuffix"] = name["suffix"]
    return person


def json_ld(citation: Citation) -> dict[str, Any]:
    """schema.org description: a Chapter in a Book (or a CreativeWork for a standalone document)."""
    item = citation.item
    data: dict[str, Any] = {"@context": "https://schema.org",
                            "@type": "Chapter" if item.get("type") == "chapter" else "CreativeWork"}
    if citation.url_is_canonical and item.get("URL"):
        data["@id"] = item["URL"]
    data["name"] = item.get("title")
    if item.get("author"):
        data["author"] = [_ld_person(n) for n in item["author"]]
    if citation.date:
        data["dateCreated"] = citation.date
    if citation.place:
        data["locationCreated"] = {"@type": "Place", "name": citation.place}
    if item.get("type") == "chapter":
        if item.get("page"):
            first, _, last = str(item["page"]).partition("-")
            data["pageStart"] = first
            data["pageEnd"] = last or first
        if item.get("number"):
            data["position"] = str(item["number"])
        book: dict[str, Any] = {"@type": "Book", "name": item.get("container-title")}
        if item.get("editor"):
            book["editor"] = [_ld_person(n) for n in item["editor"]]
        if item.get("collection-editor"):
            book["contributor"] = [{**_ld_person(n), "roleName": "general editor"}
                                   for n in item["collection-editor"]]
        if item.get("ISBN"):
            book["isbn"] = item["ISBN"]
        if item.get("publisher"):
            book["publisher"] = {"@type": "Organization", "name": item["publisher"]}
            if item.get("publisher-place"):
                book["publisher"]["location"] = item["publisher-place"]
        if _iso_of(item.get("issued")):
            book["datePublished"] = _iso_of(item.get("issued"))
        if citation.series:
            book["isPartOf"] = {"@type": "BookSeries", "name": citation.series}
        data["isPartOf"] = {key: value for key, value in book.items() if value}
    else:
        if _iso_of(item.get("issued")) and not citation.date:
            data["dateCreated"] = _iso_of(item.get("issued"))
        if citation.posted:
            data["datePublished"] = citation.posted
        if item.get("publisher"):
            data["publisher"] = {"@type": "Organization", "name": item["publisher"]}
    if item.get("URL"):
        data["url"] = item["URL"]
    if item.get("language"):
        data["inLanguage"] = item["language"]
    if citation.passage_ref:
        data["citation"] = _passage_note(citation)
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def canonical_url(citation: Citation) -> str | None:
    """The document's own page (for ``<link rel="canonical">``), or None when the header
    names only a scan or nothing."""
    url = citation.item.get("URL")
    return str(url) if url and citation.url_is_canonical else None


def citation_files(document: Document, unit_element: etree._Element | None = None,
                   citation: Citation | None = None) -> dict[str, str]:
    """File name → content of the downloadable citations of one unit (or the whole file):
    ``d300.json`` (CSL-JSON), ``d300.bib``, ``d300.ris``, ``d300.dc.xml``.  ``citation``, when
    given, is that unit's :func:`metadata` already computed."""
    if citation is None:
        citation = metadata(document, unit_element)
    stem = safe_name(citation.key)  # a reference or @n from the TEI: never a path
    return {
        f"{stem}.json": render(citation, "csl-json"),
        f"{stem}.bib": render(citation, "bibtex"),
        f"{stem}.ris": render(citation, "ris"),
        f"{stem}.dc.xml": render(citation, "dc"),
    }
