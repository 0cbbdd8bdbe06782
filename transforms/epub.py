"""The ebook: one EPUB 3 per volume (or per single file), made with EbookLib.

Each unit is rendered by the web edition's writer and its text taken from the page (so the
ebook says exactly what the web page says, both readings of a correction included, marked as
in print); the book then gets a table of contents by chapter, the notes as EPUB footnotes
(``epub:type="noteref"`` calls, ``<aside epub:type="footnote">`` bodies), a page list from the
printed page breaks and the header's metadata.  Links into the web edition's index pages are
left as text: they are not in the book.  The archive is written with fixed timestamps, so that a
build is byte-identical to the previous one when nothing changed.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import lxml.html
from lxml import etree

from edition.document import XML_ID, Document, tei

from .contract import as_record
from .engine import UnitResult, register_writer
from .html import HtmlWriter, _header_titles, plain

EPUB_NS = "http://www.idpf.org/2007/ops"
_DROPPED = ("nav", "form", "aside", "section.downloads", "div.reading-switch", "data", "a.para-anchor",
            "script", "button")
_CSS = """body { font-family: serif; line-height: 1.5; }
.pb { font-family: sans-serif; font-size: .8em; color: #555; }
.choice > .diplomatic, .app > .diplomatic, .subst > .diplomatic { font-size: .85em; color: #6b4200; }
.dateline { text-align: right; font-style: italic; }
aside.footnote { font-size: .9em; margin: .5em 0; }
.italic, .title, cite { font-style: italic; }
"""


@register_writer
class EpubWriter(HtmlWriter):
    """EPUB 3 of each volume or single file (``edition build -f epub``)."""

    name = "epub"
    format = "epub"
    suffix = ".epub"
    #: Its pages are the web writer's, linked as such, then made the book's (see _rewrite).
    link_suffix = ".html"
    outputs = ("web",)
    split_indexes = False

    def write_unit(self, document: Document, unit: etree._Element, options: Mapping[str, Any]) -> UnitResult:
        planned = as_record(options)  # the book has no citation files and no links to other formats
        result = super().write_unit(document, unit, dataclasses.replace(
            planned, cite_files=(), options=dataclasses.replace(planned.options, formats=())))
        page = lxml.html.document_fromstring(next(iter(result.files.values())))
        main = page.find(".//main")
        assert main is not None  # the web writer always writes one
        for selector in _DROPPED:
            tag, _, klass = selector.partition(".")
            for element in main.iter(tag):
                if not klass or klass in (element.get("class") or "").split():
                    element.drop_tree()
        record = dict(result.record)
        body = "".join(etree.tostring(child, encoding="unicode", method="html") for child in main)
        record["xhtml"] = body
        record["lang"] = page.get("lang") or "en"
        record["name"] = planned.basename or "index"
        if planned.first:
            record["book"] = _book_metadata(document)
        # what the web edition's index pages need is not the book's
        for key in ("mentions", "entries", "authorities"):
            record.pop(key, None)
        return UnitResult(files={}, record=record, diagnostics=result.diagnostics)

    def finish(self, records: Sequence[dict[str, Any]], options: Mapping[str, Any]) -> dict[str, bytes]:
        books: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            key = record["volume"][0] if record.get("volume") else record["name"]
            books.setdefault(key, []).append(record)
        return {f"{key}.epub": make_epub(key, members) for key, members in books.items()}


def _book_metadata(document: Document) -> dict[str, Any]:
    titles = _header_titles(document)
    header = document.header
    creators: list[tuple[str, str]] = []
    publisher = date = identifier = ""
    if header is not None:
        # (name, MARC relator): the authors, then the editors
        creators = [(plain(a), "aut") for a in header.iterfind(f"{tei('fileDesc')}/{tei('titleStmt')}/{tei('author')}")
                    if plain(a)]
        creators += [(plain(e), "edt") for e in header.iterfind(f"{tei('fileDesc')}/{tei('titleStmt')}/{tei('editor')}")
                     if plain(e)]
        statement = header.find(f"{tei('fileDesc')}/{tei('publicationStmt')}")
        if statement is not None:
            found = statement.find(tei("publisher"))
            publisher = plain(found) if found is not None else ""
            when = statement.find(tei("date"))
            if when is not None:
                date = when.get("when") or plain(when)
            idno = statement.find(tei("idno"))
            identifier = plain(idno) if idno is not None else ""
    title = titles.get("complete") or titles.get("main") or next(iter(titles.values()), "")
    return {"title": title, "creators": creators, "publisher": publisher, "date": date,
            "identifier": identifier or (document.root.get(XML_ID) or ""), "lang": document.lang or "en"}


def _rewrite(body: str, names: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """The page's HTML as the book's: links kept only inside the book, notes as footnotes,
    page breaks as EPUB page breaks; returns the HTML and the page breaks (number, id)."""
    wrapper = lxml.html.fragment_fromstring(body, create_parent="div")
    for link in list(wrapper.iter("a")):
        href = link.get("href") or ""
        target, _, fragment = href.partition("#")
        if "://" in href or href.startswith("mailto:"):
            continue
        if href.startswith("#"):
            continue
        stem = target.rsplit("/", 1)[-1].removesuffix(".html")
        if target.endswith(".html") and "/" not in target and stem in names:
            link.set("href", f"{stem}.xhtml" + (f"#{fragment}" if fragment else ""))
            continue
        link.drop_tag()  # a link into the web edition's index pages: text in the book
    for call in wrapper.find_class("note-call"):
        if call.tag == "a":
            call.set("epub:type", "noteref")
    for notes in wrapper.find_class("notes"):
        for item in notes.iter("li"):
            if "note" in (item.get("class") or "").split():
                item.tag = "aside"
                item.set("epub:type", "footnote")
                item.set("class", "footnote")
        for listing in notes.find_class("notes-list"):
            listing.drop_tag()
    pages: list[tuple[str, str]] = []
    for pb in wrapper.find_class("pb"):
        ident = pb.get("id")
        number = re.sub(r"^\[Page (.*)\]$", r"\1", pb.text_content().strip())
        if ident and number:
            pb.set("epub:type", "pagebreak")
            pb.set("role", "doc-pagebreak")
            pb.set("aria-label", f"page {number}")
            for link in pb.iter("a"):
                link.drop_tag()
            pages.append((number, ident))
    html = "".join(etree.tostring(child, encoding="unicode", method="html") for child in wrapper)
    if wrapper.text:
        html = _escape(wrapper.text) + html
    return html, pages


def make_epub(key: str, members: list[dict[str, Any]]) -> bytes:
    """One EPUB 3 from the records of one volume or file."""
    from ebooklib import epub

    meta: dict[str, Any] = next((m["book"] for m in members if m.get("book")), {}) or {}
    title = meta.get("title") or (members[0]["volume"][1] if members[0].get("volume") else members[0]["title"])
    book = epub.EpubBook()
    book.set_identifier(meta.get("identifier") or f"urn:tei-edition:{key}")
    book.set_title(title)
    book.set_language((meta.get("lang") or "en").split("-")[0] or "en")
    for number, (name, role) in enumerate(meta.get("creators", []), start=1):
        book.add_author(name, uid=f"creator{number}", role=role)
    if meta.get("publisher"):
        book.add_metadata("DC", "publisher", meta["publisher"])
    if meta.get("date"):
        book.add_metadata("DC", "date", str(meta["date"]))
    style = epub.EpubItem(uid="style", file_name="style/edition.css", media_type="text/css", content=_CSS)
    book.add_item(style)
    names = {m["name"] for m in members}
    chapters: list[Any] = []
    all_pages: list[tuple[str, str, str]] = []
    toc: list[Any] = []
    open_sections: dict[tuple[str, ...], list[Any]] = {}
    for record in members:
        html, pages = _rewrite(record["xhtml"], names)
        item = epub.EpubHtml(title=record["title"], file_name=f"{record['name']}.xhtml",
                             lang=(record.get("lang") or "en"))
        heading = "" if "<h1" in html else f"<h1>{_escape(record['title'])}</h1>"
        item.content = (f"<html><head><title>{_escape(record['title'])}</title></head>"
                        f"<body>{heading}{html}</body></html>")
        item.add_item(style)
        book.add_item(item)
        chapters.append(item)
        all_pages.extend((number, f"{record['name']}.xhtml", ident) for number, ident in pages)
        path = tuple(record.get("chapters") or ())
        link = epub.Link(f"{record['name']}.xhtml", record["title"], f"toc-{record['name']}")
        if not path:
            within = _contents_toc(record["name"], record.get("contents") or [])
            toc.append((epub.Section(record["title"], f"{record['name']}.xhtml"), within) if within else link)
            continue
        if path not in open_sections:
            children: list[Any] = []
            open_sections[path] = children
            parent = toc
            for depth in range(1, len(path)):
                parent = open_sections.get(path[:depth], parent)
            parent.append((epub.Section(path[-1], f"{record['name']}.xhtml"), children))
        open_sections[path].append(link)
    book.toc = toc
    book.spine = ["nav", *chapters]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    stamp = _stamp(meta.get("date"))
    buffer = io.BytesIO()
    epub.write_epub(buffer, book, {"epub3_pages": False, "mtime": stamp, "play_order": {"enabled": False}})
    return _fixed_zip(buffer.getvalue(), all_pages, stamp)


def _contents_toc(name: str, entries: Sequence[Sequence[Any]]) -> list[Any]:
    """The page's contents (``[depth, id, title]``, the stage's) as EbookLib's nested table of
    contents: a link per division, a section for one that holds others."""
    from ebooklib import epub

    top: list[dict[str, Any]] = []
    open_at: list[tuple[int, list[dict[str, Any]]]] = [(0, top)]
    for number, (depth, ident, title) in enumerate(entries, start=1):
        while open_at[-1][0] >= depth:
            open_at.pop()
        # a division shown without an id has no place to link to: it links to its page
        entry: dict[str, Any] = {"href": f"{name}.xhtml" + (f"#{ident}" if ident else ""), "title": title,
                                 "uid": f"toc-{name}-{number}", "within": []}
        open_at[-1][1].append(entry)
        open_at.append((depth, entry["within"]))

    def made(entries: list[dict[str, Any]]) -> list[Any]:
        return [(epub.Section(e["title"], e["href"]), made(e["within"])) if e["within"]
                else epub.Link(e["href"], e["title"], e["uid"]) for e in entries]

    return made(top)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _stamp(date: Any) -> datetime.datetime:
    match = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(date or ""))
    if match:
        year, month, day = (int(p) if p else 1 for p in match.groups())
        try:
            return datetime.datetime(max(year, 1980), month, day)
        except ValueError:
            pass
    return datetime.datetime(2000, 1, 1)


def _fixed_zip(data: bytes, pages: list[tuple[str, str, str]], stamp: datetime.datetime) -> bytes:
    """The archive again, with every entry's time fixed and the page list added to the navigation."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    fixed = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.endswith("nav.xhtml") and pages:
                content = _with_page_list(content, pages)
            entry = zipfile.ZipInfo(info.filename, date_time=fixed)
            entry.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()


def _with_page_list(nav: bytes, pages: list[tuple[str, str, str]]) -> bytes:
    tree = etree.fromstring(nav)
    xhtml = "http://www.w3.org/1999/xhtml"
    body = tree.find(f"{{{xhtml}}}body")
    if body is None:
        return nav
    page_nav = etree.SubElement(body, f"{{{xhtml}}}nav", {f"{{{EPUB_NS}}}type": "page-list", "id": "page-list",
                                                           "hidden": "hidden"})
    etree.SubElement(page_nav, f"{{{xhtml}}}h2").text = "Pages"
    listing = etree.SubElement(page_nav, f"{{{xhtml}}}ol")
    for number, file, ident in pages:
        item = etree.SubElement(listing, f"{{{xhtml}}}li")
        etree.SubElement(item, f"{{{xhtml}}}a", {"href": f"{file}#{ident}"}).text = number
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")
