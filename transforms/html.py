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
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from edition.document import NAMESPACES, XML_ID, XML_LANG, Document, local_name, tei
from edition.identity import work_id

from .behaviours import DEFAULT, Model
from .engine import Content, Context, Renderer, UnitResult, Writer, register_writer

ASSETS = Path(__file__).with_name("assets")
ASSET_FILES = ("edition.css", "edition.js", "favicon.svg")

#: The Content-Security-Policy of every page: nothing but our own files, no inline script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'")

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

_DIVISIONS = frozenset(tei(n) for n in ("div", "div1", "div2", "div3", "div4", "div5", "div6", "div7"))
_POINTERS = ("ref", "corresp", "target", "key")
_NOTE = tei("note")
_KIND_OF_TARGET = {
    tei("person"): "person", tei("persName"): "person", tei("personGrp"): "person",
    tei("place"): "place", tei("placeName"): "place", tei("geogName"): "place",
    tei("org"): "org", tei("orgName"): "org",
    tei("term"): "term", tei("gloss"): "term", tei("category"): "term",
}
_NAME_CHILD = {"person": tei("persName"), "place": tei("placeName"), "org": tei("orgName")}
_PREFERRED = frozenset(tei(n) for n in ("corr", "reg", "expan"))
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
    """String value without notes, white space normalised (titles, labels, sorting)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in skip:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return _SPACE.sub(" ", "".join(parts)).strip()


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
        parent = node.getparent()
        unit = ctx.unit
        if self._phrasing(ctx) or parent is None:
            return f"{self._open(ctx, node, 'span', ('head', *model.classes))}{self._phrase(ctx, content)}</span>"
        if parent.tag in _DIVISIONS or parent is unit or parent.tag in (tei("body"), tei("front"), tei("back")):
            depth, current = 0, parent
            while current is not None and current is not unit:
                if current.tag in _DIVISIONS:
                    depth += 1
                current = current.getparent()
            if unit is not None and unit.tag in _DIVISIONS:
                level = depth + 1
            elif ctx.state.get("titled_by_document"):
                level = max(depth, 1)  # the one document's head is the page's h1
            else:
                level = max(depth, 1) + 1
            level = min(level, 6)
            return f"{self._open(ctx, node, f'h{level}', ('head', *model.classes))}{self._phrase(ctx, content)}</h{level}>"
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
        label = node.get("n") or str(state["note_count"])
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
        return "<br>"

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
        children = [child for child in node if isinstance(child.tag, str)]
        preferred = next((child for child in children if child.tag in _PREFERRED), children[0] if children else None)
        ctx.state["choices"] += 1
        parts: list[str] = []
        readings: list[str] = []
        diplomatic: list[str] = []

        def place(child: etree._Element | None, html: str) -> str:
            if child is None:
                parts.append(html)
            elif child is preferred:
                parts.append(f'<span class="reading">{html}</span>')
                readings.append(plain(child))
            else:
                parts.append(f'<span class="diplomatic">{html}</span>')
                diplomatic.append(plain(child))
            return ""

        saved = ctx.state["phrasing"]
        ctx.state["phrasing"] = saved + 1
        try:
            self._children_with_tails(ctx, node, content, place)
        finally:
            ctx.state["phrasing"] = saved
        title = f"reading: {' '.join(readings)}; as printed: {' / '.join(diplomatic)}"
        return f'<span class="choice" title="{attribute(title)}">{"".join(parts)}</span>'

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
            return f'<span id="{anchor}" class="{_classes(classes)}"{self._lang(node)}>{self._phrase(ctx, content)}</span>'
        href = f"{ctx.options.get('root', '')}{INDEXES[kind][0]}#{attribute(safe_id(key))}"
        inner = self._inside(ctx, content, phrasing=state["phrasing"] + 1, link=1)
        return f'<a id="{anchor}" class="{_classes(classes)}" href="{href}"{self._lang(node)}>{inner}</a>'

    def date(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        when = _valid_when(node.get("when"))
        if when:
            extra = f' datetime="{when}"'
            return f'{self._open(ctx, node, "time", ("date", *model.classes), extra=extra)}{self._phrase(ctx, content)}</time>'
        return f"{self._open(ctx, node, 'span', ('date', *model.classes))}{self._phrase(ctx, content)}</span>"

    def figure(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        # Images are not copied into the edition, and a remote one would be a
        # request leaving the output folder: a figure shows its description.
        described = plain(node)
        label = "[Figure" + (f": {described}" if described else "") + "]"
        if self._phrasing(ctx) or node.tag == tei("graphic"):
            return f"{self._open(ctx, node, 'span', ('figure', *model.classes))}{escape(label) if not len(node) else self._phrase(ctx, content)}</span>"
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
        notes = ""
        if ctx.state["notes"]:
            notes = ('<section class="notes" aria-labelledby="notes-title"><h2 id="notes-title">Notes</h2>'
                     f'<ol class="notes-list">{"".join(ctx.state["notes"])}</ol></section>')
        pager = self._pager(options, root)
        lang = document.lang if _LANG.match(document.lang or "") else "en"
        article_lang = self._lang(unit)
        main = (f'<main id="main" tabindex="-1">{switch}{header_title}{before}'
                f'<div class="text"{article_lang}>{body}</div>{notes}{cite_box}</main>')
        page = render_page(title=title, lang=lang, root=root, main=main, head_extra="".join(head_extra),
                           nav=pager, volume=options.get("volume"))
        mentions = ctx.state["mentions"]
        record: dict[str, Any] = {
            "page": f"{page_path}.html", "title": title, "ref": ctx.state["refs"].get(unit, ""),
            "date": unit_date(document, unit), "source": document.path, "work": work_id(document, unit),
            "volume": options.get("volume"), "chapters": options.get("chapters", []),
            "mentions": mentions, "entries": ctx.state["entries"],
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
    def _described(document: Document) -> dict[str, list[str]]:
        return document.cache.setdefault("html.described", {})

    @staticmethod
    def _cite_box(chicago: str, canonical: str | None, files: Iterable[str], root: str, name: str) -> str:
        parts = ['<aside class="cite-box" aria-labelledby="cite-title"><h2 id="cite-title">Cite this document</h2>',
                 f'<p class="cite-chicago">{chicago}</p>']
        if canonical:
            parts.append(f'<p class="cite-url">Canonical URL: <code>{escape(canonical)}</code></p>')
        links = [f'<li><a href="{attribute(root)}../cite/{attribute(name)}/{attribute(file)}" download>'
                 f'{escape(file)}</a></li>' for file in files]
        if links:
            parts.append(f'<p>Download the citation:</p><ul class="cite-files">{"".join(links)}</ul>')
        parts.append("</aside>")
        return "".join(parts)

    @staticmethod
    def _pager(options: dict[str, Any], root: str) -> str:
        prev, next_ = options.get("prev"), options.get("next")
        volume = options.get("volume")
        if not (prev or next_ or volume):
            return ""
        links = []
        if prev:
            links.append(f'<a rel="prev" href="{attribute(prev[0])}">← {escape(prev[1])}</a>')
        if volume:
            links.append('<a href="index.html">Contents of the volume</a>')
        if next_:
            links.append(f'<a rel="next" href="{attribute(next_[0])}">{escape(next_[1])} →</a>')
        return f'<nav class="pager" aria-label="Documents">{" ".join(links)}</nav>'

    # -- index pages ------------------------------------------------------------------
    def finish(self, records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        for asset in ASSET_FILES:
            files[f"assets/{asset}"] = (ASSETS / asset).read_bytes()
        title = options.get("title", "Edition")
        singles: list[dict[str, Any]] = []
        volumes: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            if record.get("volume"):
                volumes.setdefault(record["volume"][0], []).append(record)
            else:
                singles.append(record)
        items = [f'<li><a href="{attribute(r["page"])}">{escape(r["title"])}</a>{_date_span(r)}</li>'
                 for r in singles]
        for vid, members in volumes.items():
            vtitle = members[0]["volume"][1]
            items.append(f'<li><a href="{attribute(vid)}/index.html">{escape(vtitle)}</a> '
                         f'<span class="count">({len(members)} documents)</span></li>')
            files[f"{vid}/index.html"] = render_page(
                title=vtitle, lang="en", root="../", volume=None,
                main=f'<main id="main" tabindex="-1"><h1>{escape(vtitle)}</h1>{_toc(members, vid)}</main>',
            ).encode("utf-8")
        main = (f'<main id="main" tabindex="-1"><h1>{escape(title)}</h1><h2>Documents</h2>'
                f'<ul class="documents">{"".join(items)}</ul>{_same_works(records)}</main>')
        files["index.html"] = render_page(title=title, lang="en", root="", main=main).encode("utf-8")
        for kind, page in _index_pages(records).items():
            files[INDEXES[kind][0]] = page.encode("utf-8")
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
                volume: Any = None) -> str:
    """The page frame: head with CSP, stylesheet and script; banner, navigation, main, footer."""
    root_attr = attribute(root)
    site = "".join(f'<li><a href="{root_attr}{file}">{label}</a></li>' for file, label in INDEXES.values())
    page = (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f'<title>{escape(title)}</title>\n'
        f'<link rel="icon" href="{root_attr}assets/favicon.svg" type="image/svg+xml">\n'
        f'<link rel="stylesheet" href="{root_attr}assets/edition.css">\n'
        f'<script src="{root_attr}assets/edition.js" defer></script>\n'
        f'{head_extra}\n</head>\n<body>\n'
        f'<a class="skip-link" href="#main">Skip to the text</a>\n'
        f'<header class="site"><nav aria-label="Edition"><ul><li><a href="{root_attr}index.html">Edition</a></li>'
        f'{site}</ul></nav></header>\n{nav}\n{main}\n'
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


def _date_span(record: dict[str, Any]) -> str:
    date = record.get("date")
    return f' <span class="date">{escape(date)}</span>' if date else ""


def _toc(records: list[dict[str, Any]], vid: str) -> str:
    """Nested lists following the volume's chapters (records carry their chapter path)."""
    out: list[str] = ['<nav class="toc" aria-label="Contents"><ol>']
    open_path: list[str] = []
    for record in records:
        path = [title for title in record.get("chapters", [])]
        common = 0
        while common < min(len(path), len(open_path)) and path[common] == open_path[common]:
            common += 1
        for _ in range(len(open_path) - common):
            out.append("</ol></li>")
        for title in path[common:]:
            out.append(f'<li class="chapter"><span class="chapter-title">{escape(title)}</span><ol>')
        open_path = path
        page = record["page"][len(vid) + 1:] if record["page"].startswith(vid + "/") else record["page"]
        out.append(f'<li><a href="{attribute(page)}">{escape(record["title"])}</a>{_date_span(record)}</li>')
    for _ in open_path:
        out.append("</ol></li>")
    out.append("</ol></nav>")
    return "".join(out)


def _index_pages(records: list[dict[str, Any]]) -> dict[str, str]:
    entries: dict[str, list[str]] = {}
    mentions: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for record in records:
        for key, entry in record.get("authorities", {}).items():
            entries.setdefault(key, entry)
        for key, entry in record.get("entries", {}).items():
            entries.setdefault(key, entry)
        for key, anchor in record.get("mentions", []):
            mentions[key].append((record["page"], anchor, record.get("ref") or record["title"]))
    pages: dict[str, str] = {}
    for kind, (file, title) in INDEXES.items():
        chosen = sorted(((entry[1].casefold(), key, entry) for key, entry in entries.items() if entry[0] == kind))
        rows: list[str] = []
        for _, key, entry in chosen:
            links: list[str] = []
            seen_pages: dict[str, int] = {}
            for page, anchor, label in mentions.get(key, []):
                seen_pages[page] = seen_pages.get(page, 0) + 1
                shown = label if seen_pages[page] == 1 else f"{label} ({seen_pages[page]})"
                links.append(f'<a href="{attribute(page)}#{anchor}">{escape(shown)}</a>')
            mention_html = (f'<span class="mentions">Mentioned in: {", ".join(links)}</span>' if links
                            else '<span class="mentions none">Not mentioned in the documents built.</span>')
            description = f' <span class="identification">{escape(entry[2])}</span>' if entry[2] else ""
            rows.append(f'<li id="{attribute(safe_id(key))}"><span class="entry-label">{escape(entry[1])}</span>'
                        f'{description} {mention_html}</li>')
        body = f'<ul class="entries">{"".join(rows)}</ul>' if rows else "<p>No entries.</p>"
        pages[kind] = render_page(title=title, lang="en", root="",
                                  main=f'<main id="main" tabindex="-1"><h1>{escape(title)}</h1>{body}</main>')
    return pages
