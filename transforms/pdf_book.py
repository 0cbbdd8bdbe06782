"""The print edition's HTML set by Typst: the whole volume as one book, and each document's PDF.

WeasyPrint lays a 400-document FRUS volume out as one book in about two
minutes and 1 GB (it lays out in Python); Typst, a compiled typesetter with
Python bindings (PyPI ``typst``), sets the same book in a fraction of that.
The book is made from the very HTML :class:`~edition.transforms.pdf.PdfWriter`
renders for each unit through the behaviour table (the ``print_html`` of its
records), so the two engines take the same decisions: this module only maps
that small HTML vocabulary (sections, headings, paragraphs, lists, notes,
page breaks, emphasis, tables, links) to Typst markup; :mod:`edition.transforms.pdf_typst`
compiles it, never in a build's own processes.

What the book has, as the documents' PDFs do: 6 × 9 in pages (or A4, letter),
running heads (the volume on left pages, the document on right pages), notes
at the foot of their page with the source's own marks (``0``, ``1``, ``a``),
the printed volume's page numbers in the margin with a bar at the exact
place, a table of contents with page numbers, a PDF bookmark per chapter and
per document, embedded fonts, the document information (title, authors,
keywords) and PDF/UA-1 tagging (Typst ≥ 0.14 writes tagged PDF and checks
PDF/UA-1 itself).  Output is deterministic: no creation date is written.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from .pdf_glyphs import set_printable
from .pdf_typst import available, compile_apart, compile_source, count_pages, supports

__all__ = ["available", "book_source", "compile_source", "count_pages", "supports", "typeset", "unit_source",
           "TypstBook"]

#: Page geometry per ``page_size`` option: (width, height, margins top right bottom left, type size).
_PAGES = {
    "frus": ("6in", "9in", ("0.75in", "0.6in", "0.8in", "0.75in"), "10.5pt"),
    "a4": ("210mm", "297mm", ("22mm", "22mm", "24mm", "28mm"), "11pt"),
    "letter": ("8.5in", "11in", ("0.85in", "0.9in", "0.95in", "1.1in"), "11pt"),
}
# Every character Typst's markup gives a meaning to (and the shorthands' "." and "-"): escaped.
_ESCAPES = str.maketrans({c: "\\" + c for c in "\\#$*_`<>@[]~/\"'=+-.:()"})
_SPACE = re.compile(r"\s+")


def _text(value: str) -> str:
    if "\n" in value or "\t" in value or "\r" in value:
        value = _SPACE.sub(" ", value)
    return value.translate(_ESCAPES)


def _string(value: str) -> str:
    """A Typst string literal."""
    return '"' + _SPACE.sub(" ", value).replace("\\", "\\\\").replace('"', '\\"') + '"'


_PREAMBLE = r"""
#let margin-numbers = MARGIN-MODE
#let pbn(n) = if margin-numbers == "inline" {
  context {
    let x = here().position().x
    box(place(dx: MARGIN-LEFT - x - 0.5in, dy: 0.1em, text(size: 7pt, fill: luma(80), n)))
  }
} else [#metadata(n) <pb>]
#let nofn(b) = {
  if b.has("children") { b.children.filter(c => c.func() != footnote).join() }
  else if b.func() == footnote { [] } else { b }
}
#let running = state("running", "")
#set page(
  width: WIDTH, height: HEIGHT, margin: (top: MT, right: MR, bottom: MB, left: ML),
  numbering: "1",
  header: context {
    let number = here().page()
    set text(size: 8pt, style: "italic")
    if number == 1 {
      // the front page carries no running head and no number, as in a printed volume
    } else if calc.even(number) {
      [#counter(page).display() #h(1fr) VOLUME]
    } else {
      // the first document that starts on this page, else the one running on (CSS's string(doc, first));
      // a state, not a query of every earlier document: that made the layout 50% slower and 1.4 GB
      let next = query(selector(<running>).after(here()))
      let shown = if next.len() > 0 and next.first().location().page() == number { next.first().value } else {
        running.get()
      }
      [#shown #h(1fr) #counter(page).display()]
    }
  },
  footer: none,
  // a document's PDF: the printed volume's page numbers drawn over the page, beside the line of their
  // break, so that they follow the page's text rather than interrupt it (the book draws them inline:
  // a query of every break on each of 800 pages would double its layout time)
  foreground: if margin-numbers == "page" { context {
    let number = here().page()
    for found in query(<pb>).filter(m => m.location().page() == number) {
      let at = found.location().position()
      // an artifact, as running heads are: drawn over the page, it has no place in the tag tree (tagged,
      // it stood inside whatever list ran over the page, which PDF/UA-1 refuses)
      pdf.artifact(place(top + left, dx: MARGIN-LEFT - 0.5in, dy: at.y + 0.1em,
        text(size: 7pt, fill: luma(80), found.value)))
    }
  } },
)
// no hyphenation, as the documents' CSS (hyphens: manual): a word is never cut at a line's end
#set text(font: ("Liberation Serif", "DejaVu Serif"), size: SIZE, lang: LANG, hyphenate: false)
#set par(justify: true, leading: 0.55em, spacing: 0.75em)
#set footnote.entry(separator: line(length: 30%, stroke: 0.5pt), gap: 0.4em)
#show footnote.entry: set text(size: 8.5pt)
// the note's mark in the note is set on the line, before its text, as the documents' PDFs have it
#show footnote.entry: it => {
  let mark = numbering(it.note.numbering, ..counter(footnote).at(it.note.location()))
  // a source note "0. ", a lettered textual note (its mark set in italics) "a "
  let after = if type(mark) == str { ". " } else { " " }
  [#link(it.note.location(), mark)#after#it.note.body]
}
#show heading: it => {
  set par(justify: false)
  let size = if it.level == 1 { 1.35em } else { 1.1em }
  // a heading with a note is not sticky: see _keep_noted_headings
  block(above: 1.4em, below: 0.9em, sticky: it.supplement == [], text(size: size, weight: "bold",
    [#it.body#it.supplement]))
}
#show outline.entry: it => link(it.element.location(),
  it.indented(it.prefix(), [#nofn(it.element.body) #box(width: 1fr, it.fill) #it.page()]))
"""


def _preamble(info: dict[str, Any], page_size: str, margin_numbers: str = "inline") -> str:
    width, height, (top, right, bottom, left), size = _PAGES.get(page_size, _PAGES["frus"])
    authors = ", ".join(_string(a) for a in info["authors"])
    keywords = ", ".join(_string(k) for k in info["keywords"])
    description = f"description: {_string(info['subject'])}, " if info.get("subject") else ""
    document = (f"#set document(title: {_string(info['title'])}, author: ({authors}{',' if authors else ''}), "
                f"{description}keywords: ({keywords}{',' if keywords else ''}), date: none)\n")
    replaced = (_PREAMBLE.replace("MARGIN-MODE", _string(margin_numbers))
                .replace("MARGIN-LEFT", left).replace("WIDTH", width).replace("HEIGHT", height)
                .replace("MT", top).replace("MR", right).replace("MB", bottom).replace("ML", left)
                .replace("SIZE", size).replace("LANG", _string(info.get("lang") or "en"))
                .replace("VOLUME", "#" + _string(info.get("volume") or info["title"])))
    return document + replaced


#: A heading's note goes with it to the next page only inside an unbreakable block (Typst 0.15
#: leaves the note of a sticky heading that moves on the page before); the block takes the
#: next block too when it is short (a dateline), so that the heading does not end a page.
_KEEP_WITH_HEADING = 600


def _keep_noted_headings(parts: list[str]) -> list[str]:
    kept: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        index += 1
        if not (part.startswith("#heading(") and "supplement: [#footnote" in part):
            kept.append(part)
            continue
        group = [part]
        while index < len(parts) and parts[index].startswith("#pbn["):  # a page number between them
            group.append(parts[index])
            index += 1
        if index < len(parts) and len(parts[index]) <= _KEEP_WITH_HEADING and not parts[index].startswith("#heading("):
            group.append(parts[index])
            index += 1
        kept.append("#block(breakable: false, width: 100%)[" + "\n\n".join(group) + "]")
    return kept


_ITEMS = ("#list.item[", "#enum.item[")


def _page_numbers_into_items(parts: list[str]) -> list[str]:
    """A printed page's number between two items of a list goes into the next item: between
    them it would end the list in two (the book draws it inline, a paragraph of its own)."""
    merged: list[str] = []
    for part in parts:
        if merged and merged[-1].startswith("#pbn[") and part.startswith(_ITEMS) and len(merged) > 1 \
                and merged[-2].startswith(_ITEMS):
            number = merged.pop()
            opening = part.index("[") + 1
            part = part[:opening] + number + part[opening:]
        merged.append(part)
    return merged


class _Converter:
    """The print HTML of one unit → Typst markup."""

    def __init__(self, base_level: int) -> None:
        self.base_level = base_level

    def convert(self, fragment: str) -> str:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
        return self.blocks(root)

    # -- blocks --------------------------------------------------------------------
    def blocks(self, element: etree._Element) -> str:
        """Children of a block container: runs of inline content become paragraphs."""
        parts: list[str] = []
        run: list[str] = []

        def flush() -> None:
            text = "".join(run).strip()
            if text:
                parts.append(text)
            run.clear()

        if element.text:
            run.append(_text(element.text))
        for child in element:
            if not isinstance(child.tag, str):
                if child.tail:
                    run.append(_text(child.tail))
                continue
            if self.is_block(child):
                flush()
                block = self.block(child)
                if block:
                    parts.append(block)
            else:
                run.append(self.inline(child))
            if child.tail:
                run.append(_text(child.tail))
        flush()
        return "\n\n".join(_keep_noted_headings(_page_numbers_into_items(parts)))

    @staticmethod
    def classes(element: etree._Element) -> set[str]:
        return set((element.get("class") or "").split())

    def is_block(self, element: etree._Element) -> bool:
        tag = element.tag
        if tag in ("p", "div", "section", "ul", "ol", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6"):
            return True
        return tag == "span" and bool(self.classes(element) & {"block", "p"})

    def block(self, element: etree._Element) -> str:
        tag, classes = element.tag, self.classes(element)
        if tag == "section":
            return self.section(element)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return self.heading(element)
        if "pb-block" in classes:
            number = element.get("data-n") or ""
            return f"#pbn[{_text(number)}]" if number else ""
        if tag == "table":
            return self.table(element)
        if "list-head" in classes:
            return f"#block(above: 0.9em, below: 0.5em, sticky: true, strong[{self.inline_children(element)}])"
        if "item" in classes or tag == "li":
            return self.item(element)
        inner = self.blocks(element)
        if not inner.strip():
            return ""
        if "center" in classes:
            return f"#align(center)[{inner}]"
        if "dateline" in classes:
            return f"#align(right, emph[{inner}])"
        if classes & {"right", "closer", "signed"}:
            return f"#align(right)[{inner}]"
        if "quote" in classes:
            return f"#pad(x: 1.5em)[#text(size: 0.95em)[{inner}]]"
        if "sectiontitleital" in classes:
            return f"#block(sticky: true, emph[{inner}])"
        return inner  # a list, a division, a figure, any other block: its blocks

    def item(self, element: etree._Element) -> str:
        """A list's item: bulleted or numbered as the documents' CSS has it (Typst groups adjacent
        items into one tagged list); the items of a FRUS subject or participants list stand plain."""
        parent = element.getparent()
        kinds = self.classes(parent) if parent is not None else set()
        body = self.blocks(element)
        if kinds & {"subject", "participants"} or not (kinds & {"list"} or element.tag == "li"):
            return f"#pad(left: 1.2em)[{body}]"
        if "ordered" in kinds or (parent is not None and parent.tag == "ol"):
            return f"#enum.item[{body}]"
        return f"#list.item[{body}]"

    def section(self, element: etree._Element) -> str:
        running = element.get("data-running") or ""
        body = self.blocks(element)
        value = _string(running)
        return f"#metadata({value}) <running>#running.update({value})\n\n{body}"

    def heading(self, element: etree._Element) -> str:
        level = int(element.tag[1])
        notes = "".join(self.inline(child) for child in element if isinstance(child.tag, str)
                        and self.classes(child) & {"fn", "tn"})
        title = self.inline_children(element, skip_notes=True).strip()
        if level == 2 and self.base_level:  # the unit's own heading: outlined, bookmarked
            supplement = f"[{notes}]" if notes else "[]"
            return f"#heading(level: {self.base_level}, supplement: {supplement})[{title}]"
        more = f"{notes}" if notes else ""
        if level > 2:  # a section's heading: bold italic, as the documents' CSS sets h3-h6
            title = f"#emph[{title}]"
        return f"#block(above: 1.1em, below: 0.6em, sticky: true, strong[{title}{more}])"

    def table(self, element: etree._Element) -> str:
        rows = [row for row in element.iter("tr")]
        columns = max((sum(int(c.get("colspan") or 1) for c in row if c.tag in ("td", "th")) for row in rows),
                      default=1)
        cells = []
        for row in rows:
            for cell in row:
                if cell.tag not in ("td", "th"):
                    continue
                span, down = int(cell.get("colspan") or 1), int(cell.get("rowspan") or 1)
                body = self.inline_children(cell).strip()
                if cell.tag == "th":
                    body = f"#strong[{body}]"
                cells.append(f"table.cell(colspan: {span}, rowspan: {down})[{body}]" if span > 1 or down > 1
                             else f"[{body}]")
        if not cells:
            return ""
        return f"#table(columns: {columns}, stroke: 0.4pt, {', '.join(cells)})"

    # -- inline ---------------------------------------------------------------------
    def inline_children(self, element: etree._Element, skip_notes: bool = False) -> str:
        parts = [_text(element.text)] if element.text else []
        for child in element:
            if isinstance(child.tag, str) and not (skip_notes and self.classes(child) & {"fn", "tn"}):
                parts.append(self.inline(child))
            if child.tail:
                parts.append(_text(child.tail))
        return "".join(parts)

    def inline(self, element: etree._Element) -> str:
        tag, classes = element.tag, self.classes(element)
        if classes & {"fn", "tn"}:
            mark = _string(element.get("data-n") or "*")
            body = self.inline_children(element).strip()
            if "tn" in classes:  # the edition's own lettered notes: the mark in italics
                return f"#footnote(numbering: _ => emph({mark}))[{body}]"
            return f"#footnote(numbering: _ => {mark})[{body}]"
        if "pb" in classes:
            number = element.get("data-n") or ""
            # a thin space after the bar, as the documents' CSS sets it
            return "#box[#text(size: 0.8em)[|]]\u2009" + (f"#pbn[{_text(number)}]" if number else "")
        if tag == "br":
            return "#linebreak()"
        if tag == "img":
            return f"\\[{_text(element.get('alt') or 'figure')}\\]"
        inner = self.inline_children(element)
        if self.is_block(element):  # a block inside phrasing: its own line
            return f"#linebreak(){inner}"
        if tag == "a" and re.match(r"(?i)https?://", element.get("href") or ""):
            return f"#link({_string(element.get('href') or '')})[{inner}]"
        if classes & {"italic", "gap"} or tag in ("i", "em"):
            inner = f"#emph[{inner}]"
        if classes & {"bold"} or tag in ("b", "strong"):
            inner = f"#strong[{inner}]"
        if "smallcaps" in classes:
            # as the documents' CSS: the serif has no small capitals of its own for Typst to use
            inner = f"#text(size: 0.85em, upper[{inner}])"
        if "superscript" in classes or tag == "sup":
            inner = f"#super[{inner}]"
        if "subscript" in classes or tag == "sub":
            inner = f"#sub[{inner}]"
        if "underline" in classes:
            inner = f"#underline[{inner}]"
        if "strikethrough" in classes:
            inner = f"#strike[{inner}]"
        if tag == "code":
            inner = f"#text(font: \"DejaVu Sans Mono\", size: 0.85em)[{inner}]"
        return inner


def _front(front_html: str) -> str:
    """The volume's front page (title, credits, editorial practice)."""
    root = lxml_html.fragment_fromstring(front_html, create_parent="div")
    parts: list[str] = []
    converter = _Converter(0)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "h1":
            parts.append(f"#align(center, text(size: 1.6em, weight: \"bold\")[{converter.inline_children(element)}])")
        elif element.tag == "h2":
            parts.append(f"#block(above: 1.2em, strong[{converter.inline_children(element)}])")
        elif element.tag == "p":
            parts.append(converter.inline_children(element))
        elif element.tag == "li":
            parts.append(f"- {converter.inline_children(element)}")
    # the front page is set ragged and unhyphenated: its title and citation read whole
    return "#[\n#set text(hyphenate: false)\n#set par(justify: false)\n" + "\n\n".join(parts) + "\n]"


def book_source(units: list[dict[str, Any]], info: dict[str, Any], front: str, page_size: str) -> str:
    """The Typst source of the whole book: front page, contents, chapters and documents."""
    out = [_preamble(info, page_size), _front(front), "#pagebreak(weak: true)",
           "#heading(level: 1, outlined: false, supplement: [])[Contents]", "#outline(title: none, depth: 3)",
           "#pagebreak(weak: true)"]
    current: list[str] = []
    for record in units:
        chapters = list(record.get("print_chapters") or [])
        common = 0
        while common < min(len(chapters), len(current)) and chapters[common] == current[common]:
            common += 1
        for depth in range(common, len(chapters)):
            out.append(f"#heading(level: {depth + 1}, supplement: [])[{_text(chapters[depth])}]")
        current = chapters
        out.append(_Converter(len(chapters) + 1).convert(record["print_html"]))
    return "\n\n".join(out) + "\n"


def unit_source(body: str, front: str, info: dict[str, Any], page_size: str) -> str:
    """The Typst source of one unit's PDF: its front page, then the document."""
    return "\n\n".join([_preamble(info, page_size, "page"), _front(front), "#pagebreak(weak: true)",
                         _Converter(1).convert(body)]) + "\n"


@dataclass
class TypstBook:
    pdf: bytes
    pages: int
    seconds: float


def typeset(units: list[dict[str, Any]], info: dict[str, Any], front: str, page_size: str,
            variant: str | None) -> TypstBook:
    """Set the book with Typst (nothing is read but the source; no network)."""
    started = time.perf_counter()
    # a character no font has: the stand-in its unit's PDF reported (W0610)
    pdf, _ = set_printable(book_source(units, info, front, page_size), lambda text: compile_apart(text, variant))
    return TypstBook(pdf=pdf, pages=count_pages(pdf), seconds=time.perf_counter() - started)
