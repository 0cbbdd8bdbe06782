"""The print edition's HTML: the behaviour table's whole vocabulary for the ``print`` output.

:class:`PrintMarkup` renders a unit as HTML meant only for the page (models with
``output="print"`` win over the rest of the table), which both engines set:

- notes float to the foot of the page where they are called (CSS ``float: footnote``; Typst's
  ``footnote``), marked as in the source (the FRUS source note ``0`` first, then the source's own
  numbers); the edition's own textual notes are lettered, so the source's numbering is never
  disturbed (labels and letters are the transform stage's, :mod:`edition.transforms.stage`, as in
  every output);
- a break to a printed page (``pb``) is a bar at the exact place and the original page number
  (``594``) in the margin;
- a ``choice`` gives the stage's reading text (the correction, the expansion) and records the
  original of a correction or regularisation in a lettered note, as the front page states; an
  ``app``'s other readings are a footnote;
- a document's section carries its running head (``Document 300 · short title``) and the volume.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from edition.document import XML_ID, XML_LANG, local_name, tei

from .behaviours import Model
from .engine import Content, Context, Writer, normalize_space
from .pdf_header import NUMBER_PREFIX as _NUMBER_PREFIX
from .pdf_header import Header
from .pdf_header import attrs as _attrs
from .pdf_header import escape as _e
from .pdf_limits import data_url_bytes, image_problem
from .stage import plain_text

__all__ = ["PrintMarkup"]

_REND_CLASSES = {
    "italic": "italic", "italics": "italic", "i": "italic", "bold": "bold", "b": "bold",
    "strong": "bold", "smallcaps": "smallcaps", "small-caps": "smallcaps", "sc": "smallcaps",
    "sup": "superscript", "superscript": "superscript", "sub": "subscript", "subscript": "subscript",
    "underline": "underline", "u": "underline", "strikethrough": "strikethrough",
}
_CALL = ('<span class="fn', '<span class="tn')


class PrintMarkup(Writer[str]):
    """TEI → print HTML through the behaviour table (the vocabulary of :class:`~edition.transforms.pdf.PdfWriter`)."""

    # -- assembly ----------------------------------------------------------------------------
    def text(self, ctx: Context, value: str) -> str:
        return _e(normalize_space(value))

    def join(self, ctx: Context, fragments: list[str]) -> str:
        # a note's call is set close up to the word before it, as in print, whatever the TEI's layout
        for index in range(1, len(fragments)):
            if fragments[index].startswith(_CALL) and fragments[index - 1].endswith(" "):
                fragments[index - 1] = fragments[index - 1].rstrip(" ")
        return "".join(fragments)

    def _start(self, ctx: Context, header: Header, build: Path) -> None:
        elements = [e for e in (ctx.unit.iter() if ctx.unit is not None else ()) if isinstance(e.tag, str)]
        ids = {e.get(XML_ID) for e in elements if e.get(XML_ID)}
        notes = {e.get(XML_ID) for e in elements if e.get(XML_ID) and e.tag == tei("note")}
        ctx.state.update(phrasing=0, in_note=False, resources=[], over_limit=[],
                         header=header, ids=ids, notes=notes, base=build.resolve().as_uri() + "/")

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _classes(node: etree._Element, model: Model, *extra: str) -> str:
        classes = list(extra) + list(model.classes)
        for token in (node.get("rend") or "").split():
            classes.append(_REND_CLASSES.get(token.lower(), re.sub(r"[^\w-]", "", token.lower())))
        return " ".join(dict.fromkeys(c for c in classes if c))

    @staticmethod
    def _phrasing(ctx: Context, content: Callable[[], str]) -> str:
        """Render content that HTML allows only phrasing inside (p, heading, span, note)."""
        ctx.state["phrasing"] += 1
        try:
            return content()
        finally:
            ctx.state["phrasing"] -= 1

    @staticmethod
    def _id(node: etree._Element) -> str | None:
        return node.get(XML_ID)

    def _block(self, ctx: Context, node: etree._Element, tag: str, classes: str, inner: Callable[[], str],
               **attributes: str | None) -> str:
        """A block: its own tag where HTML allows it, a span shown as a block inside phrasing."""
        lang = node.get(XML_LANG)
        if ctx.state["phrasing"]:
            shown_as_block = " ".join(filter(None, (classes, "block")))
            return f"<span{_attrs(class_=shown_as_block, id=self._id(node), lang=lang, **attributes)}>{inner()}</span>"
        return f"<{tag}{_attrs(class_=classes, id=self._id(node), lang=lang, **attributes)}>{inner()}</{tag}>"

    def _section_attrs(self, ctx: Context, unit: etree._Element, anchor: bool = True) -> str:
        header: Header = ctx.state["header"]
        number = unit.get("n") or ""
        title = _NUMBER_PREFIX.sub("", plain_text(unit.find(tei("head")))) or header.main_title
        if len(title) > 48:
            title = title[:47].rsplit(" ", 1)[0] + "…"
        running = " · ".join(p for p in (f"Document {number}" if number else "", title) if p)
        return _attrs(class_="document", id=self._id(unit) if anchor else None, lang=unit.get(XML_LANG),
                      data_running=running, data_volume=header.volume_title or " ")

    # -- the vocabulary ------------------------------------------------------------------------
    def document(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        return f"<section{self._section_attrs(ctx, node)}>{content()}</section>"

    def block(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        return self._block(ctx, node, "div", self._classes(node, model), content)

    def heading(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        parent = node.getparent()
        parent_name = local_name(parent) if parent is not None else ""
        inner = lambda: self._phrasing(ctx, content)  # noqa: E731
        if parent_name in ("list", "listBibl"):
            return self._block(ctx, node, "div", self._classes(node, model, "list-head"), inner)
        level = ctx.decisions.heading_level(node)
        if level is None:  # a caption (of a figure, table, line group…)
            return self._block(ctx, node, "div", self._classes(node, model, "caption"), inner)
        tag = f"h{min(level + 1, 6)}"
        if ctx.state["phrasing"]:
            return self._block(ctx, node, tag, self._classes(node, model, "heading"), inner)
        return f"<{tag}{_attrs(class_=self._classes(node, model) or None, id=self._id(node))}>{inner()}</{tag}>"

    def paragraph(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        ref = ctx.document.ref_of(node)
        anchor = self._id(node) or (ref if ref and ctx.document.element_for_ref(ref) is node else None)
        inner = self._phrasing(ctx, content)
        classes = self._classes(node, model)
        lang = node.get(XML_LANG)
        if ctx.state["phrasing"]:
            return f"<span{_attrs(class_=' '.join(filter(None, ('p', classes))), id=anchor, lang=lang)}>{inner}</span>"
        return f"<p{_attrs(class_=classes or None, id=anchor, lang=lang)}>{inner}</p>"

    def inline(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        classes = self._classes(node, model)
        return f"<span{_attrs(class_=classes or None, id=self._id(node), lang=node.get(XML_LANG))}>" \
               f"{self._phrasing(ctx, content)}</span>"

    def list(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        kind = (node.get("type") or "").lower()
        rend = (node.get("rend") or "").lower()
        extra = ["list"]
        if kind in ("ordered", "numbered") or rend in ("numbered", "ordered"):
            extra.append("ordered")
        if kind:
            extra.append(re.sub(r"[^\w-]", "", kind))
        return self._block(ctx, node, "div", self._classes(node, model, *extra), content)

    def item(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        return self._block(ctx, node, "div", self._classes(node, model, "item"), content)

    def label(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        return f"<span{_attrs(class_=self._classes(node, model, 'label'), id=self._id(node))}>" \
               f"{self._phrasing(ctx, content)}</span> "

    def table(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        if ctx.state["phrasing"]:
            return self._block(ctx, node, "span", self._classes(node, model, "table"), content)
        return f"<table{_attrs(class_=self._classes(node, model) or None, id=self._id(node))}>" \
               f"<tbody>{content()}</tbody></table>"

    def row(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        if ctx.state["phrasing"]:
            return f"<span class='row'>{content()}</span>"
        return f"<tr{_attrs(class_=self._classes(node, model) or None)}>{content()}</tr>"

    def cell(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        if ctx.state["phrasing"]:
            return f"<span class='cell'>{content()}</span>"
        parent = node.getparent()
        tag = "th" if node.get("role") == "label" or (parent is not None and parent.get("role") == "label") else "td"
        cols, rows = node.get("cols") or "", node.get("rows") or ""
        spans = _attrs(colspan=cols if cols.isdigit() else None, rowspan=rows if rows.isdigit() else None)
        return f"<{tag}{_attrs(class_=self._classes(node, model) or None)}{spans}>{content()}</{tag}>"

    def note(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        if ctx.state["in_note"]:
            # a note inside a note cannot float again: it stays in its note, in brackets
            return f"<span class='inline-note'> [{self._phrasing(ctx, content)}]</span>"
        label = ctx.decisions.note(node)
        marker, source = label.label, label.source
        ctx.state["in_note"] = True
        try:
            inner = self._phrasing(ctx, content)
        finally:
            ctx.state["in_note"] = False
        classes = "fn source" if source else "fn"
        return f"<span{_attrs(class_=classes, id=self._id(node), data_n=marker)}>{inner.strip()}</span>"

    def page_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        number = node.get("n") or ""
        margin = f"<span class='pb-n'>{_e(number)}</span>" if number else ""
        if ctx.state["phrasing"]:
            return f"<span{_attrs(class_='pb', id=self._id(node), data_n=number)}>{margin}</span>"
        # between blocks: no bar, only the number beside the first line that follows
        return f"<div{_attrs(class_='pb-block', id=self._id(node), data_n=number)}>{margin}</div>"

    def line_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        return "" if ctx.decisions.is_joined(node) else "<br>"

    def link(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        targets = (node.get("target") or "").split()
        target = targets[0] if targets else ""
        inner = self._phrasing(ctx, content) if len(node) or (node.text or "").strip() else _e(target)
        # an anchor in a footnote does not survive the float to the foot of the page: a link to a note
        # (or to anything outside this unit) is its text only
        if target.startswith("#") and target[1:] in ctx.state["ids"] and target[1:] not in ctx.state["notes"]:
            return f"<a{_attrs(href=target)}>{inner}</a>"
        if re.match(r"(?i)https?://", target):
            # a link annotation in the PDF; a link is never fetched
            return f"<a{_attrs(href=target)}>{inner}</a>"
        return f"<span class='link'>{inner}</span>"

    def alternate(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        alternate = ctx.decisions.alternate(node)
        diplomatic = bool(ctx.option("diplomatic"))
        shown = alternate.shown(diplomatic)
        rendered = content.of(shown) if shown else content()
        if alternate.note is not None:
            rendered += content.of(alternate.note)  # the apparatus: a footnote like any other
        if alternate.letter and not ctx.state["in_note"]:
            # the other reading of a correction or regularisation: a lettered note, as the front page says
            rendered += self._textual_note(ctx, alternate.reading[0], alternate.diplomatic[0], alternate.letter,
                                           diplomatic)
        return rendered

    def _textual_note(self, ctx: Context, reading: etree._Element, original: etree._Element, letter: str,
                      diplomatic: bool = False) -> str:
        """The edition's record of a correction: ``reading] original`` in a lettered note."""
        kind = reading.get("type") or original.get("type") or ""
        resp = (reading.get("resp") or "").split()
        names = dict(ctx.state["header"].resp_names)
        who = ", ".join(names.get(r.lstrip("#"), "") for r in resp if names.get(r.lstrip("#")))
        detail = "; ".join(p for p in (kind.replace("-", " "), f"corrected by {who}" if who else "") if p)
        words = "in the original" if local_name(original) == "sic" else "in the original spelling"
        lemma = _e(plain_text(reading)) or "<i>om.</i>"
        variant = _e(plain_text(original)) or "<i>om.</i>"
        if diplomatic:
            return (f"<span{_attrs(class_='tn', data_n=letter)}><span class='original'>{variant}</span>] "
                    f"read <span class='lemma'>{lemma}</span>{f' ({_e(detail)})' if detail else ''}.</span>")
        return (f"<span{_attrs(class_='tn', data_n=letter)}><span class='lemma'>{lemma}</span>] "
                f"<span class='original'>{variant}</span> {words}"
                f"{f' ({_e(detail)})' if detail else ''}.</span>")

    def quote(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        # the quotation marks are the source's own text (editorialDecl/quotation): none are added
        return f"<span{_attrs(class_=self._classes(node, model, 'quote'), id=self._id(node))}>" \
               f"{self._phrasing(ctx, content)}</span>"

    def entity(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        kind = model.params.get("kind", "name")
        return f"<span{_attrs(class_=self._classes(node, model, 'entity', kind), id=self._id(node))}>" \
               f"{self._phrasing(ctx, content)}</span>"

    def date(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        when = node.get("when") or node.get("from") or node.get("notBefore") or None
        return f"<time{_attrs(class_=self._classes(node, model) or None, datetime=when, id=self._id(node))}>" \
               f"{self._phrasing(ctx, content)}</time>"

    def figure(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        if local_name(node) == "graphic" or node.get("url"):
            url = node.get("url") or ""
            description = plain_text(node.find(tei("desc"))) or plain_text(
                node.getparent().find(tei("figDesc")) if node.getparent() is not None else None)
            if not url:
                return ""
            if url[:5].lower() == "data:":  # an image inside the TEI: checked here, never copied
                problem = image_problem(data_url_bytes(url), "svg" in url[:40].lower())
                if problem:
                    ctx.state["over_limit"].append((url[:60] + ("…" if len(url) > 60 else ""), node, problem))
                    return f"<span{_attrs(class_='figure-missing', id=self._id(node))}>[figure not printed]</span>"
            ctx.state["resources"].append((url, node))
            # the alternative text shows when the image cannot be read (and is reported)
            return f"<img{_attrs(src=url, alt='[figure not printed]', title=description or None, id=self._id(node))}>"
        return self._block(ctx, node, "div", self._classes(node, model, "figure"), content)

    def gap(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        said = plain_text(node.find(tei("desc"))) or node.get("reason") or ""
        shown = f"[{_e(said)}]" if said else "[…]"
        return f"<span{_attrs(class_='gap', id=self._id(node))}>{shown}</span>"

    def metadata(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        # the print edition's place for the header is the front page, which write_unit builds
        # from the whole header; a header met again inside the text adds nothing
        return ""

    def fallback(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> str:
        # rendered, marked, and reported by the engine (W0301)
        return f"<span{_attrs(class_='fallback', data_tei=local_name(node))}>{self._phrasing(ctx, content)}</span>"
