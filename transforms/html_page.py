"""The page frame of the web edition and the parts of a document's page around its text.

:func:`render_page` is every page's frame (head with the CSP, banner, search box, footer); the
rest makes the parts of a unit's page that are not the rendering of its TEI elements: title, date,
printed pages, breadcrumb, pager, cite box, downloads, Pagefind's facets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from edition.document import NAMESPACES, XML_ID, Document, tei

from .contract import UnitRecord
from .indexes import OVERVIEW
from .markup import attribute, escape, plain, safe_id
from .reader import breadcrumb, chapter_anchor, search_box
from .stage import DIVISIONS as _DIVISIONS
from .stage import ContentsEntry

#: The Content-Security-Policy of every page: nothing but our own files, no inline script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'")
# Characters HTML forbids even when XML allows them (C1 controls, noncharacters).
_FORBIDDEN = re.compile("[\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


def _citations() -> Any:
    global _CITATIONS
    if _CITATIONS is None:
        from . import citations  # imported on first use: validation does not need it

        _CITATIONS = citations
    return _CITATIONS


_CITATIONS: Any = None


_CITATION_TAGS = frozenset({"i", "b", "em", "strong", "span", "sup", "sub"})


def inline_markup(fragment: str) -> str:
    """Re-serialise a formatter's HTML fragment keeping only bare phrase tags (i, b, …).

    Why: the Chicago formatter's HTML carries the titles' italics, but its text comes from
    the TEI header; nothing but these tags (and no attribute at all) may reach the page,
    whatever a formatter does.
    """
    import lxml.html

    try:
        wrapper = lxml.html.fragment_fromstring(fragment, create_parent="span")
    except (etree.ParserError, ValueError):
        return escape(fragment)
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        keep = isinstance(node.tag, str) and node.tag in _CITATION_TAGS and node is not wrapper
        if keep:
            parts.append(f"<{node.tag}>")
        if node.text:
            parts.append(escape(node.text))
        for child in node:
            walk(child)
            if child.tail:
                parts.append(escape(child.tail))
        if keep:
            parts.append(f"</{node.tag}>")

    walk(wrapper)
    return "".join(parts)


def _json_script(data: Any) -> str:
    """JSON for a <script type=application/ld+json> data block: no way to close the element."""
    # compact: indentation would need json's pure-Python encoder (a tenth of a volume's HTML time)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def render_page(title: str, lang: str, root: str, main: str, head_extra: str = "", nav: str = "",
                volume: Any = None, csp: str = CSP, search: bool = True) -> str:
    """The page frame: head with CSP, stylesheet and script; banner with the site's links and the
    search box, navigation, main, footer."""
    root_attr = attribute(root)
    site = (f'<li><a href="{root_attr}index.html">Home</a></li><li><a href="{root_attr}{OVERVIEW}">Indexes</a></li>'
            f'<li><a href="{root_attr}search.html">Search</a></li>')
    page = (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        f'<meta name="color-scheme" content="light dark">\n'
        f'<title>{escape(title)}</title>\n'
        f'<link rel="icon" href="{root_attr}assets/favicon.svg" type="image/svg+xml">\n'
        f'<link rel="stylesheet" href="{root_attr}assets/edition.css">\n'
        f'<script src="{root_attr}assets/edition.js" defer></script>\n'
        f'{head_extra}\n</head>\n<body>\n'
        f'<a class="skip-link" href="#main">Skip to the text</a>\n'
        f'<header class="site"><nav aria-label="Edition"><ul>{site}</ul></nav>'
        f'{search_box(root) if search else ""}</header>\n{nav}\n{main}\n'
        f'<footer class="site"><p>Web edition generated from TEI. Everything on this page is local: '
        f'no font, script or image is fetched from elsewhere.</p></footer>\n</body>\n</html>\n')
    return _FORBIDDEN.sub("\ufffd", page)


def page_title(document: Document, unit: etree._Element) -> str:
    """A unit's title: its head (notes left out), else its header's title (a corpus member's
    own), else the file name."""
    head = unit.find(tei("head"))
    if head is not None and unit.tag in _DIVISIONS:
        text = plain(head)
        if text:
            return text
    header = document.member(unit).header
    if header is not None:
        titles = header.findall(f"{tei('fileDesc')}/{tei('titleStmt')}/{tei('title')}")
        for wanted in ("main", "complete", None):
            for candidate in titles:
                if wanted is None or candidate.get("type") == wanted:
                    text = plain(candidate)
                    if text:
                        return text
    head = unit.find(f".//{tei('head')}")
    if head is not None and plain(head):
        return plain(head)
    return Path(document.path).stem


_DATE_IN_HEADER = etree.XPath(
    "(tei:profileDesc/tei:creation//tei:date/@when | "
    "tei:fileDesc/tei:publicationStmt/tei:date[@type='created']/@when)[1]", namespaces=NAMESPACES)


def unit_date(document: Document, unit: etree._Element) -> str:
    """The unit's date for the index: its dateline's date, else its header's date of creation
    (a corpus member's own, else the corpus's)."""
    for dateline in unit.iter(tei("dateline"), tei("docDate")):
        for date in dateline.iter(tei("date"), tei("docDate")):
            value = date.get("when") or date.get("notBefore") or date.get("from")
            if value:
                return value
    found: list[Any] = []
    for header in dict.fromkeys((document.member(unit).header, document.header)):
        found = found or (_DATE_IN_HEADER(header) if header is not None else [])
    return str(found[0]) if found else ""


def page_contents(entries: Sequence[ContentsEntry], anchors: Mapping[etree._Element, str]) -> str:
    """The page's divisions (the stage's contents), nested, each linking to the id its division
    was given (``anchors``); folded, since a book lists hundreds.  A division the table did not
    render with an id is listed without a link."""
    if not entries:
        return ""
    parts = ['<nav class="page-contents" aria-label="Contents of this page"><details><summary>Contents</summary>']
    depth = 0
    for entry in entries:
        if entry.depth > depth:  # the stage's depths grow by one: a division is listed after its parent
            parts.append("<ol>")
        else:
            parts.append("</li>")
            parts.extend("</ol></li>" for _ in range(depth - entry.depth))
        depth = entry.depth
        ident = anchors.get(entry.division)
        title = escape(entry.title)
        parts.append(f'<li><a href="#{attribute(ident)}">{title}</a>' if ident else f"<li>{title}")
    parts.append("</li>")
    parts.extend("</ol></li>" for _ in range(depth - 1))
    parts.append("</ol></details></nav>")
    return "".join(parts)


def cite_box(chicago: str, canonical: str | None, files: Iterable[str], root: str, name: str) -> str:
    parts = ['<aside class="cite-box" aria-labelledby="cite-title"><h2 id="cite-title">Cite this document</h2>',
             f'<p class="cite-chicago" id="cite-document">{chicago}</p>',
             '<button type="button" class="copy" data-copy="cite-document" hidden>Copy the citation</button>']
    if canonical:
        parts.append(f'<p class="cite-url">Canonical URL: <code>{escape(canonical)}</code></p>')
    links = [f'<li><a href="{attribute(root)}../cite/{attribute(name)}/{attribute(file)}" download>'
             f'{escape(file)}</a></li>' for file in files]
    if links:
        parts.append(f'<p>Download the citation:</p><ul class="cite-files">{"".join(links)}</ul>')
    parts.append("</aside>")
    return "".join(parts)

def pager(planned: UnitRecord, where: str) -> str:
    """Previous / contents / next; the top one carries rel="prev"/"next" (one of each per page)."""
    prev, next_ = planned.prev, planned.next
    volume = planned.volume
    if not (prev or next_ or volume):
        return ""
    top = where == "top"
    links = []
    if prev:
        rel = ' rel="prev"' if top else ""
        links.append(f'<a{rel} href="{attribute(prev[0])}">← {escape(prev[1])}</a>')
    if volume:
        links.append('<a href="index.html">Contents of the volume</a>')
    if next_:
        rel = ' rel="next"' if top else ""
        links.append(f'<a{rel} href="{attribute(next_[0])}">{escape(next_[1])} →</a>')
    label = "Previous and next document" if top else "Previous and next document, end of page"
    return f'<nav class="pager pager-{where}" aria-label="{label}">{" ".join(links)}</nav>'


_PARAGRAPH_OPEN = re.compile(r'<p id="([^"]*\.p(\d+))"[^>]*>')


def _printed_pages(unit: etree._Element, preceding: Iterable[etree._Element]
                   ) -> tuple[list[str], list[list[str]], str]:
    """The printed pages a unit spans, the anchors of the breaks it shows ([number, id]) and,
    when it begins in the middle of a page, that page's number ("" otherwise)."""
    breaks = [pb for pb in preceding if pb.get("n")]
    starts_with_break = bool(breaks)
    if not starts_with_break:
        # a break before any text of the unit also begins it on a new page
        for node in unit.iter():
            if node.tag == tei("pb") and node.get("n"):
                starts_with_break = True
                break
            if (node.text and node.text.strip()) or (node is not unit and node.tail and node.tail.strip()):
                break
    continued = ""
    if not starts_with_break:
        previous = _citations().last_break_before(unit)
        if previous is not None and previous.get("n"):
            continued = previous.get("n") or ""
    inside = [pb for pb in unit.iter(tei("pb")) if pb.get("n")]
    anchors = [[pb.get("n") or "", safe_id(pb.get(XML_ID) or f"pg_{pb.get('n')}")] for pb in [*breaks, *inside]]
    pages = ([continued] if continued else []) + [number for number, _ in anchors]
    return pages, anchors, continued


def _printed_date(unit: etree._Element) -> str:
    """The dateline's date as printed ("September 24, 1959")."""
    for dateline in unit.iter(tei("dateline")):
        for date in dateline.iter(tei("date")):
            text = plain(date)
            if text:
                return text.rstrip(",.; ")
    return ""


def _header_titles(document: Document) -> dict[str, str]:
    found = document.cache.get("html.header_titles")
    if found is None:
        found = {}
        header = document.header
        if header is not None:
            for title in header.iterfind(f"{tei('fileDesc')}/{tei('titleStmt')}/{tei('title')}"):
                kind = title.get("type")
                if kind and kind not in found:
                    found[kind] = plain(title)
        document.cache["html.header_titles"] = found
    return found


def _search_facets(number: str | None, title: str, date: str, chapters: Sequence[str], persons: list[str]) -> str:
    """Pagefind's metadata and filters of a document (empty <data> elements: nothing shows)."""
    parts = [f'<data data-pagefind-meta="title[value]" value="{attribute(title)}"></data>']
    if number:
        parts.append(f'<data data-pagefind-meta="number[value]" value="{attribute(number)}"></data>')
    from .reader import human_date, iso_parts

    if date:
        parts.append(f'<data data-pagefind-meta="date[value]" value="{attribute(human_date(date))}"></data>')
        parts.append(f'<data data-pagefind-sort="date[value]" value="{attribute(date[:10])}"></data>')
        year = iso_parts(date)
        if year:
            parts.append(f'<data data-pagefind-filter="year[value]" value="{year[0]}"></data>')
    if chapters:
        parts.append(f'<data data-pagefind-filter="chapter[value]" value="{attribute(chapters[-1])}"></data>')
    parts.extend(f'<data data-pagefind-filter="person[value]" value="{attribute(person)}"></data>'
                 for person in persons)
    return "".join(parts)


def _paragraph_anchors(body: str) -> str:
    """A visible anchor on every cited paragraph (``d300.p4`` → "¶ 4"); edition.js adds "cite"."""
    def anchor(match: re.Match[str]) -> str:
        ident, number = match.group(1), match.group(2)
        return (f'{match.group(0)}<a class="para-anchor" href="#{ident}" data-pagefind-ignore '
                f'data-para="{number}" aria-label="Paragraph {number}: link">¶{number}</a> ')
    return _PARAGRAPH_OPEN.sub(anchor, body)


def _paragraph_citation(citation: Any, citations: Any) -> str:
    """The document's Chicago note around a paragraph number, for "cite this paragraph" (edition.js)."""
    import dataclasses

    marker = "\u2063PARA\u2063"
    try:
        text = citations.render(dataclasses.replace(citation, locator=marker, label="paragraph"), "chicago-note")
    except (TypeError, ValueError):
        return ""
    if marker not in text:
        return ""
    before, after = text.split(marker, 1)
    return f' data-cite-before="{attribute(before)}" data-cite-after="{attribute(after)}"'


def _breadcrumb(root: str, volume: Any, short: str, chapters: Sequence[str], title: str, number: str | None) -> str:
    if not volume:
        return breadcrumb([(f"{root}index.html", "Home"), (None, title)])
    items: list[tuple[str | None, str]] = [(f"{root}index.html", "Home"), ("index.html", short)]
    if chapters:
        items.append((f"index.html#{chapter_anchor(chapters[-1])}", chapters[-1]))
    items.append((None, f"No. {number}" if number else title))
    return breadcrumb(items)


def _downloads(root: str, page_path: str, formats: Iterable[str]) -> str:
    links = []
    chosen = set(formats)
    if "pdf" in chosen:
        links.append(f'<li><a href="{attribute(root)}../pdf/{attribute(page_path)}.pdf" download>PDF</a></li>')
    if "text" in chosen:
        links.append(f'<li><a href="{attribute(root)}../text/{attribute(page_path)}.txt" download>Plain text</a></li>')
    if not links:
        return ""
    return ('<section class="downloads" aria-labelledby="downloads-title"><h2 id="downloads-title">Download</h2>'
            f'<ul>{"".join(links)}</ul></section>')
