"""Reading a citation from the teiHeader, in its three shapes (see :mod:`.citations`).

A :class:`Builder` fills a CSL item field by field, recording where each came from and warning
(W0402) on each field the header does not give; :func:`read_edition`, :func:`read_volume` and
:func:`read_standalone` read the header of each shape, :func:`page_range` the printed pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from edition.diagnostics import Diagnostic
from edition.document import NAMESPACES, XML_ID, XML_LANG, local_name, tei

from .citation_record import Citation, Provenance, parse_name
from .kinds import document_kind
from .stage import plain_text  # the toolkit's one "text without notes": titles, names, places

if TYPE_CHECKING:
    from edition.document import Document

#: Office of the Historian document URLs: ``{base}{volume id}/{document id}``.  Used only for
#: whole volumes (whose header has the volume's ``idno[@type='frus']`` but no per-document URL);
#: a single-document edition gives its URL in its own header.
OHIST_DOCUMENT_BASE = "https://history.state.gov/historicaldocuments/"


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


class Builder:
    """Fills a CSL item field by field, recording provenance and warning on gaps."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.item: dict[str, Any] = {}
        self.provenance = Provenance()
        self.warnings: list[Diagnostic] = []

    def set(self, key: str, value: Any, source: etree._Element | str | Callable[[], str] | None) -> None:
        """``key`` = ``value`` unless empty, and where it came from: an element (its XPath), a note,
        or a function giving the note (made only if the provenance is read)."""
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
        elif isinstance(source, etree._Element):
            self.provenance.later(key, partial(self.document.xpath_of, source))
        elif source is not None:
            self.provenance.later(key, source)

    def require(self, key: str, where: etree._Element | None, message: str) -> None:
        """W0402 at ``where`` unless ``key`` was set."""
        if key in self.item:
            return
        node = where if where is not None else (self.document.header if self.document.header is not None
                                                else self.document.root)
        self.warnings.append(self.document.diagnostic(node, "W0402", message))


def source_kind(document: Document) -> str:
    """``edition``, ``volume`` or ``standalone``: read from the header once per file (a volume's
    build asks for each of its 400 documents)."""
    kind = document.cache.get("citations.kind")
    if kind is None:
        kind = document.cache["citations.kind"] = _source_kind(document)
    return kind


def _source_kind(document: Document) -> str:
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


def read_language(document: Document, builder: Builder) -> None:
    root_lang = document.root.get(XML_LANG)
    if root_lang:
        builder.set("language", root_lang, f"{document.xpath_of(document.root)}/@xml:lang")
        return
    language = _first(document, "tei:teiHeader/tei:profileDesc/tei:langUsage/tei:language[@ident]")
    if language is not None:
        builder.set("language", language.get("ident"), language)


def read_edition(document: Document, builder: Builder, citation: Citation) -> None:
    header = document.header
    bibl = _first(document, "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct[tei:analytic]")
    assert bibl is not None  # source_kind() says "edition" only for a file that has one
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
        citation.provenance.later("series", partial(document.xpath_of, series_title))
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


def _editors(document: Document, builder: Builder, context: etree._Element) -> None:
    editors = context.findall(tei("editor"))
    primary = [e for e in editors if (e.get("role") or "primary") not in ("general",)]
    general = [e for e in editors if e.get("role") == "general"]
    builder.set("editor", [_person(document, e) for e in primary], primary[0] if primary else None)
    builder.set("collection-editor", [_person(document, e) for e in general], general[0] if general else None)


def _imprint(document: Document, builder: Builder, context: etree._Element) -> None:
    publisher = context.find(tei("publisher"))
    builder.set("publisher", plain_text(publisher), publisher)
    place = context.find(tei("pubPlace"))
    builder.set("publisher-place", plain_text(place), place)
    date = context.find(tei("date"))
    value = _iso(date)
    builder.set("issued", _date_parts(value) if value else None, date)


def _document_date(document: Document, builder: Builder, citation: Citation,
                   date: etree._Element | None, where: etree._Element | None,
                   hint: str = "add profileDesc/creation/date[@when]") -> None:
    value = _iso(date)
    if value:
        citation.date = value
        citation.provenance.later("date", partial(document.xpath_of, date))
        # The date the document was written, as distinct from the volume's publication.
        builder.set("original-date", _date_parts(value), date)
    else:
        builder.warnings.append(document.diagnostic(
            where if where is not None else document.root, "W0402",
            f"no date of the document: {hint}"))


def _document_place(document: Document, citation: Citation, builder: Builder,
                    place: etree._Element | None, where: etree._Element | None,
                    hint: str = "add profileDesc/creation/placeName") -> None:
    if place is not None and plain_text(place):
        citation.place = plain_text(place)
        citation.provenance.later("place", partial(document.xpath_of, place))
    else:
        builder.warnings.append(document.diagnostic(
            where if where is not None else (document.header if document.header is not None else document.root),
            "W0402", f"no place where the document was written: {hint}"))


@dataclass
class _VolumeFields:
    """What every document of a volume shares (its container), read from the header once."""

    builder: Builder
    series: str | None
    series_source: str | None
    publication: etree._Element | None


def _volume_fields(document: Document) -> _VolumeFields:
    cached = document.cache.get("citations.volume")
    if cached is not None:
        return cached
    builder = Builder(document)
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


def read_volume(document: Document, builder: Builder, citation: Citation, unit: etree._Element) -> None:
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
    # a walk, not head.xpath(): that compiles its expression again for each of a volume's documents
    senders = [name for name in head.iter(tei("persName")) if name.get("type") == "from"] if head is not None else []
    builder.set("author", [_person(document, s) for s in senders], senders[0] if senders else None)
    shared = _volume_fields(document)
    if shared.series is not None:
        citation.series = shared.series
        citation.provenance["series"] = shared.series_source or ""
    # copies: a citation's item is its own to change (passages, CSL-JSON notes)
    builder.item.update(json.loads(json.dumps(shared.builder.item)))
    builder.provenance.take(shared.builder.provenance)
    builder.warnings.extend(shared.builder.warnings)
    publication = shared.publication
    builder.set("number", number, lambda: f"{document.xpath_of(unit)}/@n")
    pages = page_range(document, unit, None)
    builder.set("page", pages, "derived: the pb before the division and the pb's inside it")
    builder.require("page", unit, "no pages: no pb before or inside the division")
    volume_id = _idno(document, publication, "frus")
    unit_id = unit.get(XML_ID)
    if volume_id is not None and unit_id:
        builder.set("URL", f"{OHIST_DOCUMENT_BASE}{plain_text(volume_id)}/{unit_id}",
                    lambda: f"derived: Office of the Historian URL from {document.xpath_of(volume_id)} "
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


#: What a corpus member's citation takes from the corpus when its own header does not say it.
_INHERITED = ("publisher", "publisher-place", "issued")


def read_standalone(document: Document, builder: Builder, citation: Citation,
                    corpus: Citation | None = None) -> None:
    """A file cited as a whole from its header; a ``teiCorpus`` member (``corpus``: the corpus's
    citation) also as a part of the corpus, whose publisher and date it takes if it has none."""
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
        citation.provenance.later("date", partial(document.xpath_of, created))
    if corpus is not None:
        builder.set("container-title", corpus.item.get("title"), corpus.provenance.get("title"))
        for key in _INHERITED:
            if key not in builder.item and key in corpus.item:
                builder.set(key, corpus.item[key], corpus.provenance.get(key))
                if key == "issued":
                    citation.date = corpus.date
    builder.require("issued", publication, "no date: add publicationStmt/date[@type='created'][@when]")
    builder.require("publisher", publication, "no publisher: add publicationStmt/publisher")
    if posted is not None and _iso(posted):
        citation.posted = _iso(posted)
        citation.provenance.later("posted", partial(document.xpath_of, posted))
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


def last_break_before(element: etree._Element) -> etree._Element | None:
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


def page_range(document: Document, first: etree._Element, last: etree._Element | None,
           fallback_start: str | None = None) -> str | None:
    """Pages from the start of ``first`` to the end of ``last``: the page of the last pb
    before ``first`` (else ``fallback_start``) to that of the last pb up to ``last``'s end."""
    last = first if last is None else last
    before = last_break_before(first)
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
