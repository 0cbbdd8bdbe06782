"""The web edition: :class:`HtmlWriter`, the behaviour vocabulary rendered as HTML5.

A Fragment is a string of HTML.  Every piece of TEI text goes through
:func:`escape`, every attribute value through :func:`attribute`, every id and
class through :func:`safe_id` / :func:`safe_class`: nothing from the source is
ever written unescaped, and links whose scheme is not http(s) or mailto
(``javascript:``, ``data:``, …) are neutralised to plain text with a W0302.

HTML's content model is stricter than TEI's (a ``<p>`` cannot hold a
``<ul>``, an ``<a>`` cannot hold an ``<a>``), so the writer tracks two
counters in the render state: ``phrasing`` (inside a paragraph, heading or
inline) turns blocks into ``<span>``\\ s with the same classes, and ``link``
(inside an ``<a>``) turns nested links into spans.  The page therefore stays
valid whatever the nesting of the TEI, without dropping a word.

Pages: one per unit (``write_unit``), and in ``finish`` the edition index, a
table of contents per volume, and index pages of persons, places,
organisations and terms whose entries link back to every mention.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from edition import resources
from edition.document import NAMESPACES, XML_ID, XML_LANG, Document, local_name, tei
from edition.identity import work_id

from .behaviours import DEFAULT, Model
from .engine import Content, Context, Renderer, UnitResult, Writer, register_writer
from .indexes import OVERVIEW, entry_page, index_pages, overview_page
from .reader import (
    breadcrumb,
    chapter_anchor,
    goto_form,
    home_items,
    home_title,
    search_box,
    short_volume_title,
    volume_pages,
)
from .stage import DIVISIONS, plain_text

ASSETS = resources.assets_dir()
ASSET_FILES = ("edition.css", "edition.js", "search.js", "favicon.svg")

#: The Content-Security-Policy of every page: nothing but our own files, no inline script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'")

#: Index pages of the authority entries: kind → (file, title).
INDEXES: dict[str, tuple[str, str]] = {
    "person": ("persons.html", "Persons"),
    "place": ("places.html", "Places"),
    "org": ("organisations.html", "Organisations"),
    "term": ("terms.html", "Terms and abbreviations"),
}

_SPACE = re.compile(r"\s+")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
_CLASS_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
# Characters HTML forbids even when XML allows them (C1 controls, noncharacters).
_FORBIDDEN = re.compile("[\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")
_WHEN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

_DIVISIONS = DIVISIONS
_POINTERS = ("ref", "corresp", "target", "key")
_NOTE = tei("note")
_KIND_OF_TARGET = {
    tei("person"): "person", tei("persName"): "person", tei("personGrp"): "person",
    tei("place"): "place", tei("placeName"): "place", tei("geogName"): "place",
    tei("org"): "org", tei("orgName"): "org",
    tei("term"): "term", tei("gloss"): "term", tei("category"): "term",
}
_NAME_CHILD = {"person": tei("persName"), "place": tei("placeName"), "org": tei("orgName")}
_INLINE_TAGS = {"emph": "em", "add": "ins", "del": "del", "code": "code", "abbr": "abbr",
                "mentioned": "i"}
_REND_TAGS = {"sup": "sup", "superscript": "sup", "sub": "sub", "subscript": "sub"}
_AUTHORITIES = etree.XPath(
    # one pass over the tree: nested // steps would make lxml sort and merge node sets
    "//*[@xml:id][self::tei:person or self::tei:personGrp or self::tei:place or self::tei:org"
    " or self::tei:term or ((self::tei:persName or self::tei:placeName or self::tei:orgName)"
    " and ancestor::tei:list and ancestor::tei:text)]",
    namespaces=NAMESPACES)


# -- escaping ----------------------------------------------------------------

def escape(text: str) -> str:
    """Text content: & < > escaped."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def attribute(text: str) -> str:
    """An attribute value for double quotes."""
    return escape(text).replace('"', "&quot;")


def safe_id(value: str) -> str:
    """An id (and URL fragment) from any string: no spaces, no markup, never empty."""
    cleaned = _ID_UNSAFE.sub("_", value.strip())
    return cleaned or "_"


@lru_cache(maxsize=4096)
def safe_class(value: str) -> str:
    # a page asks for the same few dozen class names thousands of times
    return _CLASS_UNSAFE.sub("", value)


def plain(element: etree._Element, skip: frozenset[str] = frozenset({_NOTE})) -> str:
    """Text of an element by the transform stage's rules (titles, labels, sorting): notes left
    out unless ``skip`` is empty."""
    return plain_text(element, notes=_NOTE not in skip)


def _classes(*groups: Iterable[str]) -> str:
    seen: list[str] = []
    for group in groups:
        for token in group:
            token = safe_class(token)
            if token and token not in seen:
                seen.append(token)
    return " ".join(seen)


def _rend(node: etree._Element) -> list[str]:
    rend = node.get("rend")
    return rend.split() if rend else []


def _valid_when(value: str | None) -> str | None:
    """@when as an HTML datetime when it is a real date (YYYY, YYYY-MM, YYYY-MM-DD)."""
    if not value:
        return None
    match = _WHEN.match(value.strip())
    if not match:
        return None
    year, month, day = match.groups()
    try:
        if day:
            datetime.date(int(year), int(month), int(day))
        elif month and not 1 <= int(month) <= 12:
            return None
    except ValueError:
        return None
    if int(year) == 0:
        return None
    return value.strip()


@contextmanager
def _flow_content(state: dict[str, Any]) -> Iterator[None]:
    """Render children as flow content (block level), whatever phrasing context surrounds them."""
    saved = state["phrasing"]
    state["phrasing"] = 0
    try:
        yield
    finally:
        state["phrasing"] = saved


def _citations() -> Any:
    from . import citations  # imported on first use: validation does not need it
    return citations


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


# -- the writer ------------------------------------------------------------------

@register_writer
class HtmlWriter(Writer[str]):
    """The web edition (HTML5, one page per unit, index pages, local assets only)."""

    name = "html"
    format = "html"
    suffix = ".html"
    outputs = ("web",)

    # -- text and assembly ------------------------------------------------------
    def text(self, ctx: Context, value: str) -> str:
        if "\n" in value or "  " in value or "\t" in value or "\r" in value:
            value = _SPACE.sub(" ", value)
        return escape(value)

    def join(self, ctx: Context, fragments: list[str]) -> str:
        return "".join(fragments)

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def _phrasing(ctx: Context) -> bool:
        return ctx.state["phrasing"] > 0

    @staticmethod
    def _inside(ctx: Context, content: Content, phrasing: int | None = None, link: int | None = None) -> str:
        """Render the content with the phrasing / link counters set, then restore them."""
        state = ctx.state
        saved = state["phrasing"], state["link"]
        if phrasing is not None:
            state["phrasing"] = phrasing
        if link is not None:
            state["link"] = link
        try:
            return content()
        finally:
            state["phrasing"], state["link"] = saved

    def _phrase(self, ctx: Context, content: Content) -> str:
        return self._inside(ctx, content, phrasing=ctx.state["phrasing"] + 1)

    @staticmethod
    def _unique(ctx: Context, wanted: str) -> str:
        ids: set[str] = ctx.state["ids"]
        candidate, number = wanted, 1
        while candidate in ids:
            number += 1
            candidate = f"{wanted}-{number}"
        ids.add(candidate)
        return candidate

    def _id(self, ctx: Context, node: etree._Element) -> str:
        """` id="…"` from the canonical reference, else the xml:id; '' when neither."""
        ref = ctx.state["refs"].get(node)
        value = ref or node.get(XML_ID)
        if not value:
            return ""
        return f' id="{attribute(self._unique(ctx, safe_id(value)))}"'

    @staticmethod
    def _lang(node: etree._Element) -> str:
        lang = node.get(XML_LANG)
        if lang and _LANG.match(lang):
            return f' lang="{lang}"'
        return ""

    def _open(self, ctx: Context, node: etree._Element, tag: str, classes: Iterable[str],
              with_id: bool = True, extra: str = "") -> str:
        klass = _classes(classes)
        class_attr = f' class="{klass}"' if klass else ""
        return f"<{tag}{self._id(ctx, node) if with_id else ''}{class_attr}{self._lang(node)}{extra}>"

    def _children_with_tails(self, ctx: Context, node: etree._Element, content: Content,
                             each: Any) -> list[str]:
        """Render children one by one (``each(child, html) -> html``), keeping text and tails."""
        parts: list[str] = []
        if node.text and node.text.strip():
            parts.append(each(None, self.text(ctx, node.text)))
        for child in node:
            if isinstance(child.tag, str):
                parts.append(each(child, content.of(child)))
            if child.tail and child.tail.strip():
                parts.append(each(None, self.text(ctx, child.tail)))
        return parts

    # -- the vocabulary ------------------------------------------------------------
    def document(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        tag = "span" if self._phrasing(ctx) else "article"
        return f"{self._open(ctx, node, tag, ('document', *model.classes))}{content()}</{tag}>"

    def block(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        if self._phrasing(ctx):
            return f"{self._open(ctx, node, 'span', (local_name(node), *model.classes, 'block'))}{content()}</span>"
        tag = "blockquote" if "quote" in model.classes else "div"
        return f"{self._open(ctx, node, tag, (local_name(node), *model.classes, *_rend(node)))}{content()}</{tag}>"

    def heading(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        unit = ctx.unit
        if self._phrasing(ctx):
            return f"{self._open(ctx, node, 'span', ('head', *model.classes))}{self._phrase(ctx, content)}</span>"
        level = ctx.decisions.heading_level(node)
        if level is not None:
            # the page's h1 is the unit's own title (a division, or the one document of a text), else
            # the header's title, and the text's headings start at h2
            if not (unit is not None and unit.tag in _DIVISIONS or ctx.state.get("titled_by_document")):
                level += 1
            tag = f"h{min(level, 6)}"
            return f"{self._open(ctx, node, tag, ('head', *model.classes))}{self._phrase(ctx, content)}</{tag}>"
        return f"{self._open(ctx, node, 'p', ('head', *model.classes))}{self._phrase(ctx, content)}</p>"

    def paragraph(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        tag = "span" if self._phrasing(ctx) else "p"
        classes = ("p", "block", *model.classes, *_rend(node)) if tag == "span" else (*model.classes, *_rend(node))
        return f"{self._open(ctx, node, tag, classes)}{self._phrase(ctx, content)}</{tag}>"

    def inline(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        local = local_name(node)
        rend = _rend(node)
        tag = _INLINE_TAGS.get(local, "span")
        if tag == "span":
            for token in rend:
                if token in _REND_TAGS:
                    tag = _REND_TAGS[token]
                    break
        if tag in ("ins", "del") and self._phrasing(ctx) is False:
            tag = "span"  # ins/del in flow would be transparent to blocks; a span is simpler
        return f"{self._open(ctx, node, tag, (local, *model.classes, *rend))}{self._phrase(ctx, content)}</{tag}>"

    def list(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        rend, kind = _rend(node), node.get("type") or ""
        has_labels = node.find(tei("label")) is not None
        classes = ("list", *model.classes, *(f"list-{safe_class(kind)}" for _ in [0] if kind), *rend)
        state = ctx.state
        if self._phrasing(ctx):
            saved = state["list"]
            state["list"] = "span"
            try:
                body = "".join(self._children_with_tails(ctx, node, content, lambda child, html: html))
            finally:
                state["list"] = saved
            opening = self._open(ctx, node, "span", (*classes, "block"), extra=' role="list"')
            return f"{opening}{body}</span>"
        if has_labels:
            tag = "dl"
        elif any(r in ("numbered", "ordered", "arabic") for r in rend) or kind in ("ordered", "numbered"):
            tag = "ol"
        else:
            tag = "ul"
        heads: list[str] = []
        items: list[str] = []
        saved = state["list"]
        state["list"] = tag
        try:
            def place(child: etree._Element | None, html: str) -> str:
                if child is not None and child.tag == tei("head"):
                    heads.append(html)
                elif child is not None and child.tag in (tei("item"), tei("label")):
                    items.append(html)
                elif tag == "dl":
                    items.append(f'<dd class="list-extra">{html}</dd>')
                else:
                    items.append(f'<li class="list-extra">{html}</li>')
                return ""

            with _flow_content(state):
                self._children_with_tails(ctx, node, content, place)
        finally:
            state["list"] = saved
        if tag == "dl" and not items:
            tag = "ul"
        listing = f"<{tag}>{''.join(items)}</{tag}>" if items else ""
        return f"{self._open(ctx, node, 'div', classes)}{''.join(heads)}{listing}</div>"

    def item(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        context = ctx.state["list"]
        if context in ("ul", "ol"):
            tag = "li"
        elif context == "dl":
            tag = "dd"
        else:
            tag = "span" if self._phrasing(ctx) else "div"
        saved = ctx.state["list"]
        ctx.state["list"] = None
        try:
            inner = content() if tag != "span" else self._phrase(ctx, content)
        finally:
            ctx.state["list"] = saved
        classes = ("item", *model.classes, *_rend(node)) + (("block",) if tag == "span" else ())
        return f"{self._open(ctx, node, tag, classes)}{inner}</{tag}>"

    def label(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        tag = "dt" if ctx.state["list"] == "dl" else ("li" if ctx.state["list"] in ("ul", "ol") else "span")
        saved = ctx.state["list"]
        ctx.state["list"] = None
        try:
            inner = self._phrase(ctx, content)
        finally:
            ctx.state["list"] = saved
        return f"{self._open(ctx, node, tag, ('label', *model.classes, *_rend(node)))}{inner}</{tag}>"

    def table(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        state = ctx.state
        if self._phrasing(ctx):
            saved = state["table"]
            state["table"] = "span"
            try:
                inner = content()
            finally:
                state["table"] = saved
            return f"{self._open(ctx, node, 'span', ('table', 'block', *model.classes))}{inner}</span>"
        captions: list[str] = []
        rows: list[str] = []
        saved = state["table"]
        state["table"] = "table"
        try:
            def place(child: etree._Element | None, html: str) -> str:
                if child is not None and child.tag == tei("head"):
                    captions.append(html)
                elif child is not None and child.tag == tei("row"):
                    rows.append(html)
                else:
                    rows.append(f'<tr class="table-extra"><td>{html}</td></tr>')
                return ""
            with _flow_content(state):
                self._children_with_tails(ctx, node, content, place)
        finally:
            state["table"] = saved
        caption = f"<caption>{''.join(captions)}</caption>" if captions else ""
        body = f"<tbody>{''.join(rows)}</tbody>" if rows else ""
        return f"{self._open(ctx, node, 'table', ('table', *model.classes, *_rend(node)))}{caption}{body}</table>"

    def row(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        state = ctx.state
        if state["table"] != "table":
            return f"{self._open(ctx, node, 'span', ('row', 'block'))}{content()}</span>"
        cells: list[str] = []
        saved = state["table"]
        state["table"] = "row"
        try:
            def place(child: etree._Element | None, html: str) -> str:
                cells.append(html if child is not None and child.tag == tei("cell") else f"<td>{html}</td>")
                return ""
            self._children_with_tails(ctx, node, content, place)
        finally:
            state["table"] = saved
        return f"{self._open(ctx, node, 'tr', ('row', *model.classes))}{''.join(cells)}</tr>"

    def cell(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        state = ctx.state
        if state["table"] != "row":
            return f"{self._open(ctx, node, 'span', ('cell',))}{self._phrase(ctx, content)}</span>"
        tag = "th" if node.get("role") == "label" else "td"
        extra = ""
        for attr_name, html_name in (("cols", "colspan"), ("rows", "rowspan")):
            value = node.get(attr_name)
            if value and value.isdigit() and 1 < int(value) < 1000:
                extra += f' {html_name}="{value}"'
        saved = state["table"]
        state["table"] = None
        try:
            inner = self._inside(ctx, content, phrasing=0)
        finally:
            state["table"] = saved
        return f"{self._open(ctx, node, tag, ('cell', *model.classes, *_rend(node)), extra=extra)}{inner}</{tag}>"

    def note(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        state = ctx.state
        state["note_count"] += 1
        xml_id = node.get(XML_ID)
        note_id = self._unique(ctx, safe_id(xml_id) if xml_id else f"note-{state['note_count']}")
        call_id = self._unique(ctx, f"call-{note_id}")
        label = ctx.decisions.note(node).label
        kind = node.get("type") or ""
        slot = len(state["notes"])
        state["notes"].append("")  # keeps document order when notes nest
        saved_list, saved_table = state["list"], state["table"]
        state["list"] = state["table"] = None
        try:
            body = self._inside(ctx, content, phrasing=0, link=0)
        finally:
            state["list"], state["table"] = saved_list, saved_table
        classes = _classes(("note", *(("note-" + kind,) if kind else ()), *model.classes))
        state["notes"][slot] = (
            f'<li id="{attribute(note_id)}" class="{classes}"{self._lang(node)}>'
            f'<a class="note-label" href="#{attribute(call_id)}" role="doc-backlink" '
            f'aria-label="Back to note call {attribute(label)}">{escape(label)}</a> '
            f'<div class="note-body">{body}</div></li>')
        label_html = escape(label)
        if state["link"]:
            return f'<sup class="note-call" id="{attribute(call_id)}">{label_html}</sup>'
        return (f'<a class="note-call" id="{attribute(call_id)}" href="#{attribute(note_id)}" '
                f'role="doc-noteref" aria-label="Note {attribute(label)}"><sup>{label_html}</sup></a>')

    def page_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        number = node.get("n")
        anchor = self._unique(ctx, safe_id(node.get(XML_ID) or (f"pg_{number}" if number else "pg")))
        label = f"[Page {number}]" if number else "[Page break]"
        facs = node.get("facs")
        extra = f' data-facs="{attribute(facs)}"' if facs else ""
        inner = escape(label) if ctx.state["link"] else f'<a href="#{attribute(anchor)}">{escape(label)}</a>'
        return f'<span class="pb" id="{attribute(anchor)}"{extra}>{inner}</span>'

    def line_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        return "" if ctx.decisions.is_joined(node) else "<br>"

    def reading_only(self, ctx: Context, value: str, reading: str) -> str:
        # both readings are on the page; the reading switch shows one (as for choice)
        ctx.state["choices"] += 1
        return f'<span class="{reading}">{self.text(ctx, value)}</span>'

    def _href(self, ctx: Context, node: etree._Element, target: str) -> str | None:
        """A safe href for a TEI pointer, or None (unresolvable or unsafe)."""
        target = target.strip().split()[0] if target.strip() else ""
        if not target:
            return None
        if target.startswith("#"):
            element = ctx.document.ids.get(target[1:])
            if element is None:
                return None
            page, holder = self._page_of(ctx, element)
            if page is None:
                return None
            if holder is element:
                return page or "#"
            return f"{page}#{safe_id(target[1:])}"
        lowered = target.lower()
        if lowered.startswith(_SAFE_SCHEMES) and not any(c in target for c in "\"<>\\`"):
            return target
        if not _SCHEME.match(target):
            return None  # a relative address into another edition: shown as text, not a broken link
        ctx.state["diagnostics"].append(ctx.document.diagnostic(
            node, "W0302", f"link target {target[:60]!r} is not a local #id or an http(s)/mailto URL; "
            "rendered as text without a link. Point it to an xml:id or a web address"))
        return None

    @staticmethod
    def _page_of(ctx: Context, element: etree._Element) -> tuple[str | None, etree._Element | None]:
        """The page (relative to the current one) that renders ``element``, and the unit holding it."""
        pages: dict[etree._Element, str] = ctx.options.get("page_of", {})
        current: etree._Element | None = element
        while current is not None:
            if current is ctx.unit:
                return "", current
            page = pages.get(current)
            if page is not None:
                return page, current
            current = current.getparent()
        return None, None

    def link(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        target = node.get("target") or node.get("url") or ""
        is_ptr = node.tag == tei("ptr")
        inner = escape(target) if is_ptr else None
        if ctx.state["link"]:
            return f'<span class="ref">{inner if inner is not None else self._phrase(ctx, content)}</span>'
        href = self._href(ctx, node, target) if target else None
        if href is None:
            body = inner if inner is not None else self._phrase(ctx, content)
            return f"{self._open(ctx, node, 'span', ('ref', 'unresolved' if target else 'plain'))}{body}</span>"
        external = not href.startswith("#") and "://" in href
        body = inner if inner is not None else self._inside(ctx, content, phrasing=ctx.state["phrasing"] + 1,
                                                            link=1)
        rel = ' rel="external noopener noreferrer"' if external else ""
        extra = f' href="{attribute(href)}"{rel}'
        return f'{self._open(ctx, node, "a", ("ref",), extra=extra)}{body}</a>'

    def alternate(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        # the stage says which branches each reading shows; the page holds both, the switch shows one
        alternate = ctx.decisions.alternate(node)
        parts: list[str] = []
        readings: list[str] = []
        diplomatic: list[str] = []
        saved = ctx.state["phrasing"]
        ctx.state["phrasing"] = saved + 1
        try:
            if node.text and node.text.strip():
                parts.append(self.text(ctx, node.text))
            for child in node:
                in_reading, in_diplomatic = child in alternate.reading, child in alternate.diplomatic
                if isinstance(child.tag, str) and (in_reading or in_diplomatic):
                    html = content.of(child)
                    if in_reading and in_diplomatic:
                        parts.append(html)
                    elif in_reading:
                        parts.append(f'<span class="reading">{html}</span>')
                        readings.append(plain(child))
                    else:
                        parts.append(f'<span class="diplomatic">{html}</span>')
                        diplomatic.append(plain(child))
                # an app's other readings are in its apparatus note, not here
                if child.tail and child.tail.strip():
                    parts.append(self.text(ctx, child.tail))
            if alternate.note is not None:
                parts.append(content.of(alternate.note))
        finally:
            ctx.state["phrasing"] = saved
        if not (readings or diplomatic):
            return f'<span class="{safe_class(alternate.kind)}">{"".join(parts)}</span>'
        ctx.state["choices"] += 1
        readings = [plain(child) for child in alternate.reading]
        diplomatic = [plain(child) for child in alternate.diplomatic]
        title = f"reading: {' '.join(readings)}; as printed: {' '.join(diplomatic)}"
        return f'<span class="{safe_class(alternate.kind)}" title="{attribute(title)}">{"".join(parts)}</span>'

    def quote(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        return f"{self._open(ctx, node, 'q', (local_name(node), *model.classes))}{self._phrase(ctx, content)}</q>"

    def _mention(self, ctx: Context, node: etree._Element, kind: str) -> tuple[str, str] | None:
        """(entry key, kind) of an entity mention, recording the entry; None when not indexed."""
        state = ctx.state
        # an entry of a front-matter list (<persName xml:id>, <term xml:id>) is its own target
        target = node if node.get(XML_ID) and node.tag in _KIND_OF_TARGET else None
        for name in _POINTERS if target is None else ():
            value = node.get(name)
            if value:
                token = value.split()[0]
                if token.startswith("#"):
                    target = ctx.document.ids.get(token[1:])
                    if target is not None:
                        break
        if target is not None:
            kind = _KIND_OF_TARGET.get(target.tag, kind)
            if kind not in INDEXES:
                return None
            key = f"{ctx.options.get('docid', 'doc')}.{safe_id(target.get(XML_ID) or '')}"
            if key not in state["entries"]:
                described = state["described"]
                if key not in described:
                    described[key] = describe(target, kind)
                state["entries"][key] = described[key]
            return key, kind
        if kind not in INDEXES:
            return None
        label = plain(node)
        if not label:
            return None
        key = f"{kind}.{safe_id(label.casefold())}"
        if key not in state["entries"]:
            state["entries"][key] = [kind, label, ""]
        return key, kind

    def entity(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        kind = model.params.get("kind", "name")
        found = self._mention(ctx, node, kind)
        classes = ("entity", local_name(node), *model.classes)
        if found is None:
            return f"{self._open(ctx, node, 'span', classes)}{self._phrase(ctx, content)}</span>"
        key, kind = found
        state = ctx.state
        state["mention_count"] += 1
        anchor = self._unique(ctx, f"m{state['mention_count']}")
        state["mentions"].append([key, anchor])
        classes = (*classes, kind)
        if state["link"]:
            phrase = self._phrase(ctx, content)
            return f'<span id="{anchor}" class="{_classes(classes)}"{self._lang(node)}>{phrase}</span>'
        # a volume's indexes are split by initial: the link goes straight to the entry's page
        page = entry_page(kind, state["entries"][key][1], bool(ctx.options.get("volume")))
        href = f"{ctx.options.get('root', '')}{page}#{attribute(safe_id(key))}"
        inner = self._inside(ctx, content, phrasing=state["phrasing"] + 1, link=1)
        return f'<a id="{anchor}" class="{_classes(classes)}" href="{href}"{self._lang(node)}>{inner}</a>'

    def date(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        when = _valid_when(node.get("when"))
        if when:
            extra = f' datetime="{when}"'
            opening = self._open(ctx, node, "time", ("date", *model.classes), extra=extra)
            return f"{opening}{self._phrase(ctx, content)}</time>"
        return f"{self._open(ctx, node, 'span', ('date', *model.classes))}{self._phrase(ctx, content)}</span>"

    def figure(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        # Images are not copied into the edition, and a remote one would be a
        # request leaving the output folder: a figure shows its description.
        described = plain(node)
        label = "[Figure" + (f": {described}" if described else "") + "]"
        if self._phrasing(ctx) or node.tag == tei("graphic"):
            shown = escape(label) if not len(node) else self._phrase(ctx, content)
            return f"{self._open(ctx, node, 'span', ('figure', *model.classes))}{shown}</span>"
        return f"{self._open(ctx, node, 'figure', ('figure', *model.classes))}{content() or escape(label)}</figure>"

    def gap(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        reason = node.get("reason")
        extent = node.get("extent") or node.get("quantity")
        words = " ".join(part for part in (extent and f"{extent} {node.get('unit') or ''}".strip(), reason) if part)
        label = f"[gap: {words}]" if words else "[gap]"
        return f'<span class="gap">{escape(label)}{content()}</span>'

    def metadata(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        # The page's <head> carries the header as meta tags; rendered in the
        # body (when a unit holds one) it is a collapsed "about" section.
        if self._phrasing(ctx):
            return f'<span class="metadata">{content()}</span>'
        return f'<details class="metadata"><summary>About this file</summary>{content()}</details>'

    def fallback(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        local = local_name(node) or "unknown"
        if self._phrasing(ctx):
            return f'<span class="tei-unknown {safe_class("tei-" + local)}">{self._phrase(ctx, content)}</span>'
        return f'<div class="tei-unknown {safe_class("tei-" + local)}">{content()}</div>'

    # -- whole pages ----------------------------------------------------------------
    def write_unit(self, document: Document, unit: etree._Element, options: dict[str, Any]) -> UnitResult:
        """One page: ``options`` gives ``basename`` (file name without suffix), ``page``
        (its path in the html folder, without suffix), ``root``
        (prefix back to the html folder), ``prev``/``next`` (href, label), ``page_of``
        (element → relative page), ``docid``, ``first`` (this unit lists the
        file's authorities), ``volume`` (id, title), ``preceding`` (pb elements
        printed before the unit) and ``citation`` (the unit's metadata, when the
        build has it already)."""
        renderer: Renderer[str] = Renderer(self, document, DEFAULT, options, unit)
        ctx = renderer.ctx
        ctx.state.update(phrasing=0, link=0, list=None, table=None, notes=[], ids={"main", "top", "notes-title"},
                         note_count=0, mention_count=0, mentions=[], entries={}, choices=0, diagnostics=[],
                         refs=self._refs(document), described=self._described(document))
        documents = unit.findall(f".//{tei('div')}[@type='document']") if unit.tag not in _DIVISIONS else []
        # a text holding exactly one titled document: that title is the page's heading
        ctx.state["titled_by_document"] = len(documents) == 1 and documents[0].find(tei("head")) is not None
        before = "".join(renderer.render(pb) for pb in options.get("preceding", ()))
        body = renderer.render(unit)
        is_division = unit.tag in _DIVISIONS
        title = page_title(document, unit)
        name = options.get("basename", "index")
        page_path = options.get("page", name)
        root = options.get("root", "")
        citations = _citations()
        head_extra: list[str] = []
        citation = options.get("citation") or citations.metadata(document, unit)
        for meta_name, meta_content in citations.highwire_meta(citation):
            head_extra.append(f'<meta name="{attribute(meta_name)}" content="{attribute(meta_content)}">')
        canonical = citations.canonical_url(citation)
        if canonical and canonical.lower().startswith(("http://", "https://")):
            head_extra.append(f'<link rel="canonical" href="{attribute(canonical)}">')
        head_extra.append(f'<script type="application/ld+json">{_json_script(citations.json_ld(citation))}</script>')
        cite_box = self._cite_box(inline_markup(citations.render(citation, "chicago-note", markup="html")),
                                  canonical,
                                  options.get("cite_files", ()), root, page_path)
        header_title = ("" if is_division or ctx.state["titled_by_document"]
                        else f'<h1 class="title">{escape(title)}</h1>')
        switch = ""
        if ctx.state["choices"]:
            switch = ('<div class="reading-switch" hidden><span id="switch-label">Text:</span> '
                      '<button type="button" data-reading="reading" aria-pressed="true">Reading text</button> '
                      '<button type="button" data-reading="diplomatic" aria-pressed="false">As printed</button>'
                      '</div>')
        volume = options.get("volume")
        is_document = unit.get("type") == "document" or not volume
        indexed = " data-pagefind-body" if is_document else ""
        notes = ""
        if ctx.state["notes"]:
            notes = (f'<section class="notes" aria-labelledby="notes-title"{indexed}><h2 id="notes-title">Notes</h2>'
                     f'<ol class="notes-list">{"".join(ctx.state["notes"])}</ol></section>')
        lang = document.lang if _LANG.match(document.lang or "") else "en"
        article_lang = self._lang(unit)
        pages, page_anchors, continued = _printed_pages(unit, options.get("preceding", ()))
        if continued:
            before = (f'<span class="pb pb-continued" title="This document begins on page {attribute(continued)}">'
                      f'[Page {escape(continued)}]</span>{before}')
        chapters = options.get("chapters", [])
        date = unit_date(document, unit)
        short = short_volume_title(_header_titles(document), volume[1]) if volume else ""
        persons = sorted({entry[1] for key, entry in ctx.state["entries"].items()
                          if entry[0] == "person" and (entry[2] or not key.startswith("person."))})
        number = unit.get("n") if volume else None
        facets = _search_facets(number, title, date, chapters, persons) if is_document else ""
        body = _paragraph_anchors(body)
        para_cite = _paragraph_citation(citation, citations)
        crumbs = _breadcrumb(root, volume, short, chapters, title, unit.get("n"))
        top_pager, bottom_pager = self._pager(options, "top"), self._pager(options, "bottom")
        goto = goto_form("page-list.html") if volume else ""
        downloads = _downloads(root, page_path, options.get("formats", ()))
        main = (f'<main id="main" tabindex="-1"{para_cite}>{crumbs}{goto}{switch}{header_title}{before}'
                f'<div class="text"{article_lang}{indexed}>{facets}{body}</div>{notes}{downloads}{cite_box}'
                f'{bottom_pager}</main>')
        tab_title = f"{title} — {short}" if short else title
        if volume:
            head_extra.append('<script src="pages.js" defer></script>')
        page = render_page(title=tab_title, lang=lang, root=root, main=main, head_extra="".join(head_extra),
                           nav=top_pager, volume=volume)
        mentions = ctx.state["mentions"]
        record: dict[str, Any] = {
            "page": f"{page_path}.html", "title": title, "ref": ctx.state["refs"].get(unit, ""),
            "date": date, "date_text": _printed_date(unit), "source": document.path,
            "work": work_id(document, unit), "volume": volume, "chapters": chapters,
            "mentions": mentions, "entries": ctx.state["entries"], "is_document": is_document,
            "number": unit.get("n") if is_document else None, "pages": pages, "page_anchors": page_anchors,
            "short": short,
        }
        if options.get("first"):
            record["authorities"] = authorities(document, options.get("docid", "doc"))
        diagnostics = list(renderer.diagnostics()) + ctx.state["diagnostics"]
        return UnitResult(files={f"{name}.html": page.encode("utf-8")}, record=record, diagnostics=diagnostics)

    @staticmethod
    def _refs(document: Document) -> dict[etree._Element, str]:
        """Element → canonical reference, computed once per document (a volume has thousands)."""
        refs = document.cache.get("html.refs")
        if refs is None:
            refs = document.cache["html.refs"] = {cite.element: cite.ref for cite in document.citer.units}
        return refs

    @staticmethod
    def _described(document: Document) -> dict[str, Any]:  # "list" here would be the method
        return document.cache.setdefault("html.described", {})

    @staticmethod
    def _cite_box(chicago: str, canonical: str | None, files: Iterable[str], root: str, name: str) -> str:
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

    @staticmethod
    def _pager(options: dict[str, Any], where: str) -> str:
        """Previous / contents / next; the top one carries rel="prev"/"next" (one of each per page)."""
        prev, next_ = options.get("prev"), options.get("next")
        volume = options.get("volume")
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

    # -- index pages ------------------------------------------------------------------
    def finish(self, records: Sequence[dict[str, Any]], options: dict[str, Any]) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        for asset in ASSET_FILES:
            files[f"assets/{asset}"] = (ASSETS / asset).read_bytes()
        singles: list[dict[str, Any]] = []
        volumes: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            if record.get("volume"):
                volumes.setdefault(record["volume"][0], []).append(record)
            else:
                singles.append(record)
        title = home_title(options, volumes, singles)
        formats = options.get("formats", ())
        for vid, members in volumes.items():
            vtitle = members[0]["volume"][1]
            short = members[0].get("short") or vtitle
            downloads = ""
            if "epub" in formats:
                downloads = ('<p class="downloads-volume">Download the volume: '
                             f'<a href="../../epub/{attribute(vid)}.epub" download>EPUB</a></p>')
            for file, content in volume_pages(vid, vtitle, members, downloads).items():
                if file.endswith(".js"):
                    files[f"{vid}/{file}"] = content.encode("utf-8")
                    continue
                heading = {"index.html": vtitle, "by-date.html": f"Documents by date — {short}",
                           "page-list.html": f"Printed pages — {short}"}[file]
                crumbs: list[tuple[str | None, str]] = [("../index.html", "Home")]
                crumbs += [("index.html", short), (None, heading.split(" — ")[0])] if file != "index.html" else \
                    [(None, short)]
                extra = '<script src="pages.js" defer></script>'
                files[f"{vid}/{file}"] = render_page(
                    title=heading, lang="en", root="../", head_extra=extra,
                    main=content.replace('<main id="main" tabindex="-1">',
                                         f'<main id="main" tabindex="-1">{breadcrumb(crumbs)}', 1),
                ).encode("utf-8")
        main = (f'<main id="main" tabindex="-1"><h1>{escape(title)}</h1><h2>Documents</h2>'
                f'{home_items(volumes, singles)}{_same_works(list(records))}</main>')
        files["index.html"] = render_page(title=title, lang="en", root="", main=main).encode("utf-8")
        pages, overview = index_pages(list(records))
        for file, (heading, content) in pages.items():
            files[file] = render_page(title=f"{heading} — {title}", lang="en", root="", main=content).encode("utf-8")
        files[OVERVIEW] = render_page(title=f"Indexes — {title}", lang="en", root="",
                                      main=overview_page(overview)).encode("utf-8")
        from .search import CSP_SEARCH, search_main

        files["search.html"] = render_page(title=f"Search — {title}", lang="en", root="", main=search_main(),
                                           head_extra='<script src="assets/search.js" defer></script>',
                                           csp=CSP_SEARCH, search=False).encode("utf-8")
        return files


def _same_works(records: list[dict[str, Any]]) -> str:
    """The index's list of documents held by several sources (our edition and a volume's copy:
    one FRUS work identifier, see edition/identity.py), each linked to every copy."""
    works: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.get("work"):
            works.setdefault(record["work"], []).append(record)
    items = []
    for work, copies in works.items():
        if len(copies) < 2:
            continue
        links = "; ".join(f'<a href="{attribute(r["page"])}">{escape(Path(r["source"]).name)}</a>' for r in copies)
        items.append(f'<li><cite>{escape(copies[0]["title"])}</cite> <span class="work">({escape(work)})</span>: '
                     f'{links}</li>')
    if not items:
        return ""
    return ('<h2 id="same-document">The same document in several sources</h2>'
            f'<ul class="same-work">{"".join(items)}</ul>')


# -- page parts ------------------------------------------------------------------------

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
    """A unit's title: its head (notes left out), else the header's title, else the file name."""
    head = unit.find(tei("head"))
    if head is not None and unit.tag in _DIVISIONS:
        text = plain(head)
        if text:
            return text
    header = document.header
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
    """The unit's date for the index: its dateline's date, else the header's date of creation."""
    for dateline in unit.iter(tei("dateline"), tei("docDate")):
        for date in dateline.iter(tei("date"), tei("docDate")):
            value = date.get("when") or date.get("notBefore") or date.get("from")
            if value:
                return value
    found = _DATE_IN_HEADER(document.header) if document.header is not None else []
    return str(found[0]) if found else ""


def describe(target: etree._Element, kind: str) -> list[str]:
    """[kind, label, identification] of an authority entry (standOff entry or front-matter list item)."""
    child_tag = _NAME_CHILD.get(kind)
    if target.tag in (tei("person"), tei("place"), tei("org"), tei("personGrp")):
        names = target.findall(child_tag) if child_tag else []
        name = next((n for n in names if n.get("type") == "main"), names[0] if names else None)
        label = plain(name) if name is not None else target.get(XML_ID, "")
        notes = [plain(n) for n in target.findall(tei("note"))]
        occupations = [plain(o) for o in target.findall(tei("occupation"))]
        full = next((plain(n) for n in names if n.get("type") in ("full", "official")), "")
        description = "; ".join(part for part in ([full] if full else []) + notes + occupations if part)
        return [kind, label, description]
    label = plain(target, frozenset())
    parent = target.getparent()
    description = ""
    if parent is not None and parent.tag == tei("label"):
        sibling = parent.getnext()
        if sibling is not None and sibling.tag == tei("item"):
            description = plain(sibling)
    else:
        item = next((a for a in target.iterancestors(tei("item"))), None)
        if item is not None:
            text = plain(item)
            description = text[len(label):].lstrip(" ,;:") if text.startswith(label) else text
        elif target.tag == tei("term"):
            gloss = target.getnext()
            if gloss is not None and gloss.tag == tei("gloss"):
                description = plain(gloss)
    return [kind, label, description]


def authorities(document: Document, docid: str) -> dict[str, list[str]]:
    """Every authority entry of a file (standOff lists, front-matter lists of persons and terms)."""
    found: dict[str, list[str]] = {}
    header = document.header
    for target in _AUTHORITIES(document.root):
        if header is not None and target.tag == tei("term") and _inside(target, header):
            continue  # keywords and taxonomy terms of the header are not an abbreviations list
        kind = _KIND_OF_TARGET.get(target.tag)
        if kind is None:
            continue
        found[f"{docid}.{safe_id(target.get(XML_ID) or '')}"] = describe(target, kind)
    return found


def _inside(node: etree._Element, ancestor: etree._Element) -> bool:
    return any(a is ancestor for a in node.iterancestors())


# -- a document page's frame (reader's parts: pages, breadcrumb, downloads, search facets) ----------

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
        previous = _citations()._last_break_before(unit)
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


def _search_facets(number: str | None, title: str, date: str, chapters: list[str], persons: list[str]) -> str:
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


def _breadcrumb(root: str, volume: Any, short: str, chapters: list[str], title: str, number: str | None) -> str:
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
