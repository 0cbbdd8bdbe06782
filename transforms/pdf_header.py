"""What the print edition shows of a TEI header: the facts of :class:`Header` and the front pages.

A unit's PDF opens with a front page (title, dateline, the full citation as a Chicago note from
:mod:`edition.transforms.citations`, credits, the editorial practice the header states); a
volume's book opens with the volume's own (:func:`edition_front`).  Both engines set the same
HTML: WeasyPrint through the print stylesheet, Typst through :mod:`edition.transforms.pdf_book`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from edition.document import TEI_NS, XML_ID, Document, local_name, tei

from .engine import normalize_space
from .stage import DIVISIONS, plain_text

__all__ = ["Header", "NUMBER_PREFIX", "attrs", "citation", "credit_items", "document_division", "edition_front",
           "escape", "front_page"]

#: A heading's own number ("300. "), which titles and running heads leave out.
NUMBER_PREFIX = re.compile(r"^\s*\d+[A-Za-z]?\.\s+")


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def attrs(**values: str | None) -> str:
    """HTML attributes, escaped, in a fixed order (the output is deterministic)."""
    parts = []
    for name, value in values.items():
        if value:
            parts.append(f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"')
    return "".join(parts)


def document_division(unit: etree._Element) -> etree._Element:
    """The division a unit prints as one document: the unit itself, or the one it holds.

    ``edition build`` hands a single-document file over as its ``<text>``;
    its title, number and running head are those of its one document division.
    """
    if unit.tag in DIVISIONS and unit.get("type") == "document":
        return unit
    found = unit.xpath(".//tei:*[@type='document'][self::tei:div or self::tei:div1 or self::tei:div2]",
                       namespaces={"tei": TEI_NS})
    return found[0] if len(found) == 1 else unit


def prose(element: etree._Element | None) -> str:
    """Header prose (editorialDecl, licence) as HTML: <gi>, <att>, <mentioned> and titles marked."""
    if element is None:
        return ""
    parts: list[str] = [escape(normalize_space(element.text or ""))]
    for child in element:
        if isinstance(child.tag, str):
            name = local_name(child)
            inner = prose(child)
            if name == "gi":
                parts.append(f"<code>&lt;{inner}&gt;</code>")
            elif name == "att":
                parts.append(f"<code>@{inner}</code>")
            elif name == "val":
                parts.append(f"<code>“{inner}”</code>")
            elif name in ("mentioned", "title", "emph", "term", "foreign") or (
                    name == "hi" and "italic" in (child.get("rend") or "")):
                parts.append(f"<i>{inner}</i>")
            elif name == "p":
                parts.append(f"<p>{inner}</p>")
            else:
                parts.append(inner)
        parts.append(escape(normalize_space(child.tail or "")))
    return "".join(parts).strip()


@dataclass
class Header:
    """The facts of a teiHeader the print edition shows (front page, running heads, PDF info)."""

    series: str = ""
    volume_title: str = ""
    main_title: str = ""
    authors: tuple[str, ...] = ()
    editors: tuple[tuple[str, str], ...] = ()
    credits: tuple[tuple[str, str], ...] = ()
    publisher: str = ""
    pub_date: str = ""
    licence: str = ""
    correction: str = ""
    correction_method: str = ""
    keywords: tuple[str, ...] = ()
    resp_names: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, document: Document) -> Header:
        header = document.header
        if header is None:
            return cls()

        def first(expression: str) -> etree._Element | None:
            found = document.xpath(expression, header)
            return found[0] if found else None

        def text(expression: str) -> str:
            return plain_text(first(expression))

        volume = (text("tei:fileDesc/tei:titleStmt/tei:title[@type='complete']")
                  or text("tei:fileDesc/tei:sourceDesc//tei:monogr/tei:title[@type='main']")
                  or text("tei:fileDesc/tei:sourceDesc//tei:monogr/tei:title[1]"))
        main = (text("tei:fileDesc/tei:titleStmt/tei:title[@type='main']")
                or text("tei:fileDesc/tei:titleStmt/tei:title[not(@type)][1]"))
        authors = tuple(plain_text(a) for a in document.xpath("tei:fileDesc/tei:titleStmt/tei:author", header))
        editors: list[tuple[str, str]] = []
        seen: set[str] = set()
        for editor in document.xpath("tei:fileDesc/tei:titleStmt/tei:editor | "
                                     "tei:fileDesc/tei:sourceDesc//tei:monogr/tei:editor", header):
            name = plain_text(editor)
            if name and name not in seen:
                seen.add(name)
                role = editor.get("role") or ""
                editors.append(({"primary": "Editor", "general": "General Editor"}.get(role, "Editor"), name))
        credits: list[tuple[str, str]] = []
        resp_names: list[tuple[str, str]] = []
        for stmt in document.xpath("tei:fileDesc/tei:titleStmt/tei:respStmt", header):
            resp = "; ".join(plain_text(r) for r in document.xpath("tei:resp", stmt))
            names = ", ".join(plain_text(n) for n in document.xpath(
                "tei:name | tei:persName | tei:orgName", stmt))
            if resp or names:
                credits.append((resp, names))
            if stmt.get(XML_ID) and names:
                resp_names.append((stmt.get(XML_ID), names))
        correction = first("tei:encodingDesc/tei:editorialDecl/tei:correction")
        keywords = tuple(k for k in (plain_text(t) for t in document.xpath(
            "tei:profileDesc/tei:textClass/tei:keywords/tei:term", header)) if k)
        return cls(
            series=text("tei:fileDesc/tei:titleStmt/tei:title[@type='series']")
            or text("tei:fileDesc/tei:sourceDesc//tei:series/tei:title"),
            volume_title=volume, main_title=main, authors=tuple(a for a in authors if a),
            editors=tuple(editors), credits=tuple(credits),
            publisher=text("tei:fileDesc/tei:publicationStmt/tei:publisher"),
            pub_date=text("tei:fileDesc/tei:publicationStmt/tei:date"),
            licence=prose(first("tei:fileDesc/tei:publicationStmt/tei:availability/tei:licence"))
            or prose(first("tei:fileDesc/tei:publicationStmt/tei:availability/tei:p")),
            correction="".join(prose(p) for p in document.xpath("tei:p", correction))
            if correction is not None else "",
            correction_method=correction.get("method", "") if correction is not None else "",
            keywords=keywords, resp_names=tuple(resp_names))


def credit_items(header: Header, editor_suffix: str = "") -> list[str]:
    """List items for the editors, the header's respStmts and the publisher of a front page."""
    items = [f"<li>{escape(role)}{editor_suffix}: {escape(name)}</li>" for role, name in header.editors]
    items += [f"<li>{escape(resp[:1].upper() + resp[1:])}: {escape(names)}</li>" for resp, names in header.credits]
    if header.publisher:
        published = ", ".join(p for p in (header.publisher, header.pub_date) if p)
        items.append(f"<li>Published by {escape(published)}</li>")
    return items


def citation(document: Document, unit: etree._Element | None) -> str:
    """The full citation (Chicago note) as HTML, from edition.transforms.citations when it can."""
    try:
        from . import citations

        found = citations.metadata(document, unit)
        return citations.render(found, "chicago-note", markup="html")
    except Exception:  # the front page still shows what the header says
        return ""


def front_page(document: Document, unit: etree._Element, header: Header, info: dict[str, Any],
               diplomatic: bool = False) -> str:
    """A unit's front page: title, dateline, full citation, credits and editorial practice."""
    parts = ["<div class='front'>"]
    if header.series:
        parts.append(f"<p class='series'>{escape(header.series)}</p>")
    if header.volume_title:
        parts.append(f"<p class='volume'>{escape(header.volume_title)}</p>")
    parts.append(f"<h1>{escape(info['heading'])}</h1>")
    dateline = document_division(unit).find(tei("dateline"))
    if dateline is not None:
        parts.append(f"<p>{escape(plain_text(dateline))}</p>")
    parts.append("<h2>Citation</h2>")
    cited = citation(document, unit)
    if not cited:
        bits = [", ".join(info["authors"]), f"“{info['title']},”" if info["title"] else "",
                f"in <i>{escape(header.volume_title)}</i>" if header.volume_title else "",
                info["subject"].split(",")[0] if info["number"] else ""]
        cited = escape(" ".join(b for b in bits[:2] if b)) + " " + ", ".join(b for b in bits[2:] if b) + "."
    parts.append(f"<p class='citation'>{cited}</p>")
    parts.append("<h2>Credits</h2><ul>")
    parts.extend(f"<li>Author: {escape(author)}</li>" for author in header.authors)
    parts.extend(credit_items(header, " of the printed volume"))
    parts.append("</ul>")
    if header.licence:
        parts.append(f"<p>{header.licence}</p>")
    parts.append("<h2>Editorial practice</h2>")
    if header.correction:
        parts.append(f"<p><b>Corrections.</b> {header.correction}</p>")
    if diplomatic:
        practice = ("In this print edition the text is given as printed; each correction is given in a "
                    "lettered note at the foot of the page (<i>original</i>] read <i>correction</i>).")
    else:
        practice = ("In this print edition the reading text gives the correction; the original reading "
                    "is recorded in a lettered note at the foot of the page (<i>correction</i>] "
                    "<i>original</i>).")
    parts.append(f"<p>{practice} Notes numbered as in the source, the source note (0) first, stand at "
                 "the foot of the page where they are called. The pagination of the printed volume is "
                 "given in the margin; a vertical bar marks the exact place of each page break.</p>")
    parts.append("</div>")
    return "".join(parts)


def edition_front(document: Document, header: Header) -> str:
    """The front page of a whole volume's PDF (the same for every unit of the document)."""
    parts = ["<div class='front'>"]
    if header.series:
        parts.append(f"<p class='series'>{escape(header.series)}</p>")
    parts.append(f"<h1>{escape(header.volume_title or header.main_title or Path(document.path).stem)}</h1>")
    if header.editors or header.credits or header.publisher:
        parts.append("<h2>Credits</h2><ul>")
        parts.extend(credit_items(header))
        parts.append("</ul>")
    parts.append("<h2>Editorial practice</h2>")
    if header.correction:
        parts.append(f"<p><b>Corrections.</b> {header.correction}</p>")
    parts.append("<p>The reading text gives corrections, with the original recorded in lettered notes; "
                 "the pagination of the printed volume is given in the margin.</p></div>")
    return "".join(parts)
