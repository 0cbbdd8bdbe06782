"""The web edition: :class:`HtmlWriter`, the behaviour vocabulary rendered as HTML5 pages.

The writer is made of one module per concern: :mod:`.markup` (escaping and safe names: nothing from
the source is ever written unescaped), :mod:`.html_behaviours` (one method per behaviour),
:mod:`.html_page` (the page frame and a document page's parts), :mod:`.entries` (the authority
entries mentions point to) and :mod:`.html_site` (the pages made in ``finish``: the edition index, a
table of contents per volume, index pages of persons, places, organisations and terms whose entries
link back to every mention, the search page).  This module is the writer the entry point names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from edition.document import Document, tei
from edition.identity import work_id

from .book_index import anchor_pages, split_pages
from .contract import as_options, as_record
from .engine import Renderer, UnitResult, register_writer
from .entries import INDEXES, authorities, describe
from .html_behaviours import HtmlBehaviours
from .html_page import (
    CSP,
    _breadcrumb,
    _citations,
    _downloads,
    _header_titles,
    _json_script,
    _paragraph_anchors,
    _paragraph_citation,
    _printed_date,
    _printed_pages,
    _search_facets,
    inline_markup,
    page_contents,
    page_title,
    pager,
    render_page,
    unit_date,
)
from .html_page import (
    cite_box as _cite_box,
)
from .html_site import site_pages
from .markup import LANG as _LANG
from .markup import attribute, escape, plain, safe_class, safe_id
from .reader import goto_form, short_volume_title
from .stage import DIVISIONS as _DIVISIONS

__all__ = ["CSP", "INDEXES", "HtmlWriter", "attribute", "authorities", "describe", "escape", "page_title",
           "plain", "render_page", "safe_class", "safe_id", "unit_date"]


@register_writer
class HtmlWriter(HtmlBehaviours):
    """The web edition (HTML5, one page per unit, index pages, local assets only)."""

    name = "html"
    format = "html"
    suffix = ".html"
    outputs = ("web",)
    #: A long back-of-book index is a page per initial (the ebook keeps it whole).
    split_indexes = True

    def write_unit(self, document: Document, unit: etree._Element, options: Mapping[str, Any]) -> UnitResult:
        """One page: ``options`` gives ``basename`` (file name without suffix), ``page``
        (its path in the html folder, without suffix), ``root``
        (prefix back to the html folder), ``prev``/``next`` (href, label), ``page_of``
        (element → relative page), ``docid``, ``first`` (this unit lists the
        file's authorities), ``volume`` (id, title), ``preceding`` (pb elements
        printed before the unit) and ``citation`` (the unit's metadata, when the
        build has it already); a mapping of those keys is read as one (:func:`.contract.as_record`)."""
        planned = as_record(options)
        renderer: Renderer[str] = Renderer(self, document, self.behaviours, planned, unit)
        ctx = renderer.ctx
        # a long page of one file lists its divisions (a volume's pages have the volume's contents)
        contents = () if planned.volume else ctx.decisions.contents(unit)
        ctx.state.update(phrasing=0, link=0, list=None, table=None, notes=[], ids={"main", "top", "notes-title"},
                         note_count=0, mention_count=0, mentions=[], entries={}, choices=0, diagnostics=[],
                         refs=self._refs(document), described=self._described(document),
                         contents={entry.division: entry for entry in contents}, anchors={})
        documents = unit.findall(f".//{tei('div')}[@type='document']") if unit.tag not in _DIVISIONS else []
        # a text holding exactly one titled document: that title is the page's heading
        ctx.state["titled_by_document"] = len(documents) == 1 and documents[0].find(tei("head")) is not None
        before = "".join(renderer.render(pb) for pb in planned.preceding)
        body = renderer.render(unit)
        is_division = unit.tag in _DIVISIONS
        title = page_title(document, unit)
        name = planned.basename or "index"
        page_path = planned.page or name
        root = planned.root
        citations = _citations()
        head_extra: list[str] = []
        citation = planned.citation or citations.metadata(document, unit)
        for meta_name, meta_content in citations.highwire_meta(citation):
            head_extra.append(f'<meta name="{attribute(meta_name)}" content="{attribute(meta_content)}">')
        canonical = citations.canonical_url(citation)
        if canonical and canonical.lower().startswith(("http://", "https://")):
            head_extra.append(f'<link rel="canonical" href="{attribute(canonical)}">')
        head_extra.append(f'<script type="application/ld+json">{_json_script(citations.json_ld(citation))}</script>')
        cite_box = _cite_box(inline_markup(citations.render(citation, "chicago-note", markup="html")),
                                  canonical,
                                  planned.cite_files, root, page_path)
        header_title = ("" if is_division or ctx.state["titled_by_document"]
                        else f'<h1 class="title">{escape(title)}</h1>')
        listed = page_contents(contents, ctx.state["anchors"])
        switch = ""
        if ctx.state["choices"]:
            switch = ('<div class="reading-switch" hidden><span id="switch-label">Text:</span> '
                      '<button type="button" data-reading="reading" aria-pressed="true">Reading text</button> '
                      '<button type="button" data-reading="diplomatic" aria-pressed="false">As printed</button>'
                      '</div>')
        volume = planned.volume
        is_document = unit.get("type") == "document" or not volume
        indexed = " data-pagefind-body" if is_document else ""
        notes = ""
        if ctx.state["notes"]:
            notes = (f'<section class="notes" aria-labelledby="notes-title"{indexed}><h2 id="notes-title">Notes</h2>'
                     f'<ol class="notes-list">{"".join(ctx.state["notes"])}</ol></section>')
        declared = document.member(unit).lang  # a corpus member's own language, else the file's
        lang = declared if _LANG.match(declared or "") else "en"
        article_lang = self._lang(unit)
        pages, page_anchors, continued = _printed_pages(unit, planned.preceding)
        if continued:
            before = (f'<span class="pb pb-continued" title="This document begins on page {attribute(continued)}">'
                      f'[Page {escape(continued)}]</span>{before}')
        chapters = planned.chapters
        date = unit_date(document, unit)
        short = short_volume_title(_header_titles(document), volume[1]) if volume else ""
        persons = sorted({entry[1] for key, entry in ctx.state["entries"].items()
                          if entry[0] == "person" and (entry[2] or not key.startswith("person."))})
        number = unit.get("n") if volume else None
        facets = _search_facets(number, title, date, chapters, persons) if is_document else ""
        body = _paragraph_anchors(body)
        para_cite = _paragraph_citation(citation, citations)
        crumbs = _breadcrumb(root, volume, short, chapters, title, unit.get("n"))
        top_pager, bottom_pager = pager(planned, "top"), pager(planned, "bottom")
        goto = goto_form("page-list.html") if volume else ""
        downloads = _downloads(root, page_path, planned.formats)
        if volume:
            head_extra.append('<script src="pages.js" defer></script>')
        # a long back-of-book index: a page per initial (the first is the unit's own)
        parts = split_pages(body, name, planned.page_of.values()) if self.split_indexes else []
        files: dict[str, bytes] = {}
        for file, initial, part in parts or [(f"{name}.html", "", body)]:
            main = (f'<main id="main" tabindex="-1"{para_cite}>{crumbs}{goto}{switch}{header_title}'
                    f'{"" if files else listed + before}<div class="text"{article_lang}{indexed}>{facets}{part}</div>'
                    f'{notes}{downloads}{cite_box}{bottom_pager}</main>')
            heading = f"{title}: {initial.upper()}" if initial and files else title
            tab_title = f"{heading} — {short}" if short else heading
            files[file] = render_page(title=tab_title, lang=lang, root=root, main=main,
                                      head_extra="".join(head_extra), nav=top_pager, volume=volume).encode("utf-8")
        mentions = ctx.state["mentions"]
        record: dict[str, Any] = {
            "page": f"{page_path}.html", "title": title, "ref": ctx.state["refs"].get(unit, ""),
            "date": date, "date_text": _printed_date(unit), "source": document.path,
            "work": work_id(document, unit), "volume": volume, "chapters": chapters,
            "mentions": mentions, "entries": ctx.state["entries"], "is_document": is_document,
            "number": unit.get("n") if is_document else None, "pages": pages, "page_anchors": page_anchors,
            "short": short,
        }
        if contents:  # [depth, id, title]: the ebook's table of contents lists them too
            record["contents"] = [[entry.depth, ctx.state["anchors"].get(entry.division, ""), entry.title]
                                  for entry in contents]
        if planned.first:
            record["authorities"] = authorities(document, planned.docid)
        if parts:
            record["anchor_pages"] = anchor_pages(parts)
        diagnostics = list(renderer.diagnostics()) + ctx.state["diagnostics"]
        return UnitResult(files=files, record=record, diagnostics=diagnostics)

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

    def finish(self, records: Sequence[dict[str, Any]], options: Mapping[str, Any]) -> dict[str, bytes]:
        return site_pages(records, as_options(options))
