"""The behaviour vocabulary rendered as HTML5: :class:`HtmlBehaviours`, the element half of the web writer.

A Fragment is a string of HTML.  Links whose scheme is not http(s) or mailto
(``javascript:``, ``data:``, …) are neutralised to plain text with a W0302.

HTML's content model is stricter than TEI's (a ``<p>`` cannot hold a
``<ul>``, an ``<a>`` cannot hold an ``<a>``), so the writer tracks two
counters in the render state: ``phrasing`` (inside a paragraph, heading or
inline) turns blocks into ``<span>``\\ s with the same classes, and ``link``
(inside an ``<a>``) turns nested links into spans.  The page therefore stays
valid whatever the nesting of the TEI, without dropping a word.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from lxml import etree

from edition.document import XML_ID, XML_LANG, local_name, tei

from .behaviours import Model
from .engine import Content, Context, Writer
from .entries import _KIND_OF_TARGET, INDEXES, describe
from .indexes import entry_page as _entry_page
from .markup import LANG as _LANG
from .markup import _classes, _rend, attribute, escape, plain, safe_class, safe_id
from .stage import DIVISIONS

_SPACE = re.compile(r"\s+")
#: The index page of an entry, by (kind, label, split): a volume's pages link the same few
#: hundred entries thousands of times.
entry_page = lru_cache(maxsize=8192)(_entry_page)
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")
_WHEN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

_DIVISIONS = DIVISIONS
_POINTERS = ("ref", "corresp", "target", "key")
#: The marks of a reading's branches shown side by side (no script, print): text, shown only
#: then (class alt-mark); Pagefind skips the label, not the space, or it would index "waitthat".
_BRANCH_APART = '<span class="alt-mark"> </span>'
_PRINTED_OPEN = '<span class="alt-mark" data-pagefind-ignore>[printed: </span>'
_PRINTED_CLOSE = '<span class="alt-mark" data-pagefind-ignore>]</span>'
_INLINE_TAGS = {"emph": "em", "add": "ins", "del": "del", "code": "code", "abbr": "abbr",
                "mentioned": "i"}
#: How an element rendered as an item of a list of each kind begins (:meth:`HtmlBehaviours.item`, ``label``).
_ITEM_OPENINGS = {"ul": ("<li ", "<li>"), "ol": ("<li ", "<li>"), "dl": ("<dd ", "<dd>", "<dt ", "<dt>")}
#: An item of a list set inline (a span with role="list"): a list's children are its items to
#: assistive technology, whatever element holds them.
_SPAN_ITEM = ' role="listitem"'
_REND_TAGS = {"sup": "sup", "superscript": "sup", "sub": "sub", "subscript": "sub"}


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



class HtmlBehaviours(Writer[str]):
    """One method per behaviour of the vocabulary; :class:`~edition.transforms.html.HtmlWriter`
    adds the pages."""

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

    def _id(self, ctx: Context, node: etree._Element, anchor: str = "") -> str:
        """` id="…"` from the canonical reference, else the xml:id, else ``anchor`` (the stage's,
        for a division the page's contents link to: the id it gets is kept in ``anchors``)."""
        ref = ctx.state["refs"].get(node)
        value = ref or node.get(XML_ID) or anchor
        if not value:
            return ""
        ident = self._unique(ctx, safe_id(value))
        if anchor:
            ctx.state["anchors"][node] = ident
        return f' id="{attribute(ident)}"'

    @staticmethod
    def _lang(node: etree._Element) -> str:
        lang = node.get(XML_LANG)
        if lang and _LANG.match(lang):
            return f' lang="{lang}"'
        return ""

    def _open(self, ctx: Context, node: etree._Element, tag: str, classes: Iterable[str],
              with_id: bool = True, extra: str = "", anchor: str = "") -> str:
        klass = _classes(classes)
        class_attr = f' class="{klass}"' if klass else ""
        return f"<{tag}{self._id(ctx, node, anchor) if with_id else ''}{class_attr}{self._lang(node)}{extra}>"

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
    def _open_listed(self, ctx: Context, node: etree._Element, tag: str, classes: Iterable[str]) -> str:
        """:meth:`_open`, with the stage's anchor for a division the page's contents list."""
        listed = ctx.state.get("contents")
        entry = listed.get(node) if listed else None
        return self._open(ctx, node, tag, classes, anchor=entry.anchor if entry is not None else "")

    def document(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        tag = "span" if self._phrasing(ctx) else "article"
        return f"{self._open_listed(ctx, node, tag, ('document', *model.classes))}{content()}</{tag}>"

    def block(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        if self._phrasing(ctx):
            opening = self._open_listed(ctx, node, "span", (local_name(node), *model.classes, "block"))
            return f"{opening}{content()}</span>"
        tag = "blockquote" if "quote" in model.classes else "div"
        opening = self._open_listed(ctx, node, tag, (local_name(node), *model.classes, *_rend(node)))
        return f"{opening}{content()}</{tag}>"

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
                elif child is not None and (child.tag in (tei("item"), tei("label"))
                                            or html.startswith(_ITEM_OPENINGS[tag])):
                    items.append(html)  # an item, or what the table renders as one (listBibl's bibl)
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
        return f"{self._open(ctx, node, tag, classes, extra=_SPAN_ITEM if context == 'span' else '')}{inner}</{tag}>"

    def label(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        tag = "dt" if ctx.state["list"] == "dl" else ("li" if ctx.state["list"] in ("ul", "ol") else "span")
        saved = ctx.state["list"]
        ctx.state["list"] = None
        try:
            inner = self._phrase(ctx, content)
        finally:
            ctx.state["list"] = saved
        extra = _SPAN_ITEM if saved == "span" else ""
        return f"{self._open(ctx, node, tag, ('label', *model.classes, *_rend(node)), extra=extra)}{inner}</{tag}>"

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
        pages = ctx.record.page_of
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
            previous = ""  # the branch just written
            for child in node:
                in_reading, in_diplomatic = child in alternate.reading, child in alternate.diplomatic
                if isinstance(child.tag, str) and (in_reading or in_diplomatic):
                    html = content.of(child)
                    # two branches side by side (no script, print) are kept apart by a space that
                    # is text, so that a copy or a screen reader does not read "waitthat"
                    branch = "" if in_reading and in_diplomatic else "reading" if in_reading else "diplomatic"
                    apart = _BRANCH_APART if previous and branch and previous != branch else ""
                    previous = branch
                    if in_reading and in_diplomatic:
                        parts.append(html)
                    elif in_reading:
                        parts.append(f'{apart}<span class="reading">{html}</span>')
                        readings.append(plain(child))
                    else:
                        parts.append(f'{apart}<span class="diplomatic">{_PRINTED_OPEN}{html}{_PRINTED_CLOSE}</span>')
                        diplomatic.append(plain(child))
                # an app's other readings are in its apparatus note, not here
                if child.tail and child.tail.strip():
                    parts.append(self.text(ctx, child.tail))
                    previous = ""
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
            key = f"{ctx.record.docid}.{safe_id(target.get(XML_ID) or '')}"
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
        page = entry_page(kind, state["entries"][key][1], bool(ctx.record.volume))
        href = f"{ctx.record.root}{page}#{attribute(safe_id(key))}"
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
