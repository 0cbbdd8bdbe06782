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

This module is the entry point (:func:`metadata`, :func:`citation_files`); the record and CSL
names are in :mod:`.citation_record`, the reading of each shape of header in
:mod:`.citation_header`, the formats in :mod:`.citation_formats`, the page head in
:mod:`.citation_meta`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from edition.names import XML_ID, tei
from edition.paths import safe_name

from .citation_formats import CHICAGO_STYLE, CSL_DIR, FORMATS, render
from .citation_header import (
    OHIST_DOCUMENT_BASE,
    Builder,
    last_break_before,
    page_range,
    read_edition,
    read_language,
    read_standalone,
    read_volume,
    source_kind,
)
from .citation_meta import canonical_url, highwire_meta, json_ld
from .citation_record import Citation, parse_name
from .stage import plain_text

if TYPE_CHECKING:
    from edition.document import Document

__all__ = ["Citation", "FORMATS", "metadata", "render", "highwire_meta", "json_ld",
           "canonical_url", "citation_files", "plain_text", "parse_name", "CHICAGO_STYLE", "CSL_DIR",
           "OHIST_DOCUMENT_BASE", "last_break_before"]

#: CSL locator labels (CSL 1.0.2 appendix); a unit name outside them is cited as a section.
_CSL_LOCATORS = {"act", "appendix", "article-locator", "book", "canon", "chapter", "column",
                 "elocation", "equation", "figure", "folio", "issue", "line", "note", "opus",
                 "page", "paragraph", "part", "rule", "scene", "section", "sub-verbo",
                 "supplement", "table", "timestamp", "title-locator", "verse", "version",
                 "volume"}


def _top(unit: Any) -> Any:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def _locator_value(unit: Any) -> str:
    """``d300.p4`` → ``4``: the unit's own part of its reference, without the delimiter's letters."""
    own = unit.ref[len(unit.parent.ref):] if unit.parent is not None else unit.ref
    match = re.fullmatch(r"[^0-9A-Za-z]*[A-Za-z]*?(\d+[A-Za-z]?)", own)
    return match.group(1) if match else own.lstrip(".:/_-")


_TEI_CORPUS = tei("teiCorpus")


def metadata(document: Document, unit_element: etree._Element | None = None,
             passage_ref: str | None = None) -> Citation:
    """The citation of ``document`` (or of its citable unit ``unit_element``, a
    division of a volume), optionally narrowed to ``passage_ref`` (``d300.p4``,
    ``d300.p2-p3``), which must resolve in ``document`` (E0401 otherwise).  A member of a
    ``teiCorpus`` is cited from its own header, as a part of the corpus."""
    node = unit_element
    if node is None and passage_ref and document.root.tag == _TEI_CORPUS:  # the member the passage is in
        from edition.passages import resolve
        node = resolve(document, passage_ref).first.element
    member = document.member(node) if node is not None else document
    if member is not document:
        return _metadata(member, unit_element, passage_ref, corpus=_metadata(document, None, None))
    return _metadata(document, unit_element, passage_ref)


def _metadata(document: Document, unit_element: etree._Element | None, passage_ref: str | None,
              corpus: Citation | None = None) -> Citation:
    kind = source_kind(document)
    citer = document.citer
    passage: Any = None  # a resolved Passage, or a _Passage of one unit
    if passage_ref:
        from edition.passages import resolve
        passage = resolve(document, passage_ref)
        if unit_element is None:
            unit_element = _top(passage.first).element
    unit = citer.unit_of(unit_element) if unit_element is not None else None
    builder = Builder(document)
    stem = Path(document.path).stem
    citation = Citation(item=builder.item, kind=kind, key=unit.ref if unit is not None else stem,
                        ref=unit.ref if unit is not None else "", ref_source=citer.source,
                        provenance=builder.provenance, warnings=builder.warnings)
    if kind == "volume" and unit is not None:
        top = _top(unit)
        read_volume(document, builder, citation, top.element)
        item_unit = top
        citation.key = citation.ref = top.ref
    elif kind == "edition":
        read_edition(document, builder, citation)
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
        read_standalone(document, builder, citation, corpus)
        kind = citation.kind = "standalone"
        item_unit = None
        # a corpus member by its TEI's xml:id, as its page
        citation.key, citation.ref = (document.root.get(XML_ID) if corpus is not None else None) or stem, ""
        if unit is not None and passage is None:
            # a division of a standalone file is a passage of the file (its files named after it)
            passage = _Passage(unit, unit, unit.ref)
            citation.key = unit.ref
    if passage is None and unit is not None and item_unit is not None and unit is not item_unit:
        # a unit below the item (a paragraph) is cited as a passage of it
        passage = _Passage(unit, unit, unit.ref)
    read_language(document, builder)
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
        citation.passage_pages = page_range(document, passage.first.element, passage.last.element, fallback)
    return citation


@dataclass
class _Passage:
    first: Any
    last: Any
    ref: str


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
