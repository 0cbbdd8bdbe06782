"""The reader's way through the web edition: contents, dates, printed pages, the page frame's parts.

:class:`~edition.transforms.html.HtmlWriter` renders the text; this module makes what a
reader needs to find it (after history.state.gov and TEI Publisher): the edition's home page,
a volume's table of contents with chapters as headings and printed page ranges, the documents
grouped by month, the list of printed pages with a "go to page" field, the breadcrumb and the
search box every page carries.  Everything here works on the records the writer returns per
unit (JSON-able dictionaries), so that index pages are redone without parsing again.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from typing import Any

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
_SERIES_SHORT = {"Foreign Relations of the United States": "FRUS"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "section"


def iso_parts(value: str | None) -> tuple[int, int, int] | None:
    """(year, month, day) of an ISO date (month or day 0 when not given); None if not one."""
    match = _ISO.match(value or "")
    if not match:
        return None
    year, month, day = (int(part) if part else 0 for part in match.groups())
    if not 1 <= month <= 12:
        month, day = 0, 0
    return year, month, day


def human_date(value: str | None) -> str:
    """An ISO date as the print gives it: "September 24, 1959", "August 1958", "1960"."""
    parts = iso_parts(value)
    if parts is None:
        return value or ""
    year, month, day = parts
    if not month:
        return str(year)
    if not day:
        return f"{MONTHS[month - 1]} {year}"
    try:
        datetime.date(year, month, day)
    except ValueError:
        return f"{MONTHS[month - 1]} {year}"
    return f"{MONTHS[month - 1]} {day}, {year}"


def shown_date(record: dict[str, Any]) -> str:
    """The date shown for a record: the dateline's own words when short, else the ISO date in words."""
    printed = record.get("date_text") or ""
    if printed and len(printed) <= 40 and any(ch.isdigit() for ch in printed):
        return printed
    return human_date(record.get("date"))


def date_html(record: dict[str, Any]) -> str:
    shown = shown_date(record)
    if not shown:
        return ""
    parts = iso_parts(record.get("date"))
    if parts and parts[1] and parts[2]:
        stamp = f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"
        return f' <time class="date" datetime="{stamp}">{_escape(shown)}</time>'
    return f' <span class="date">{_escape(shown)}</span>'


def short_volume_title(titles: dict[str, str], fallback: str) -> str:
    """"FRUS 1958–1960, Volume XIX" from a header's series, sub-series and volume number titles."""
    series = titles.get("series", "")
    parts = [_SERIES_SHORT.get(series, series)] if series else []
    if titles.get("sub-series"):
        parts[-1:] = [f"{parts[-1]} {titles['sub-series']}".strip()] if parts else [titles["sub-series"]]
    if titles.get("volume-number"):
        parts.append(titles["volume-number"])
    return ", ".join(part for part in parts if part) or fallback


def page_range(record: dict[str, Any]) -> str:
    pages = record.get("pages") or []
    if not pages:
        return ""
    first, last = pages[0], pages[-1]
    return f"p. {first}" if first == last else f"pp. {first}–{last}"


def anchor_page(record: dict[str, Any], anchor: str) -> str:
    """The page (in the html folder) that shows ``anchor`` of a unit's record: its own, or one
    of those a long back-of-book index is split into (``anchor_pages``, see book_index)."""
    page: str = record["page"]
    moved = (record.get("anchor_pages") or {}).get(anchor)
    if not moved:
        return page
    folder, _, _ = page.rpartition("/")
    return f"{folder}/{moved}" if folder else moved


def _relative(record: dict[str, Any], folder: str) -> str:
    page = record["page"]
    return page[len(folder) + 1:] if folder and page.startswith(folder + "/") else page


# -- frame parts ------------------------------------------------------------------------

def search_box(root: str) -> str:
    """The search box of every page: a plain form to the search page (which needs HTTP; see edition.js)."""
    return (f'<form class="search-box" role="search" action="{_attribute(root)}search.html" method="get">'
            '<label for="site-search">Search the documents</label> '
            '<input id="site-search" name="q" type="search" autocomplete="off"> '
            '<button type="submit">Search</button>'
            '<span class="search-offline" hidden>Search needs the edition served over HTTP '
            '(for example <code>python3 -m http.server</code> in its folder).</span></form>')


def goto_form(page_list: str, field_id: str = "goto-page") -> str:
    """The "go to page" field of a volume's pages: edition.js jumps with the volume's pages.js,
    and without JavaScript the form opens the list of printed pages."""
    return (f'<form class="goto" action="{_attribute(page_list)}" method="get">'
            f'<label for="{field_id}">Go to printed page</label> '
            f'<input id="{field_id}" name="page" size="6" inputmode="text" autocomplete="off"> '
            '<button type="submit">Go</button> <span class="goto-message" role="status"></span></form>')


def breadcrumb(items: Iterable[tuple[str | None, str]]) -> str:
    """A breadcrumb trail: (href or None for the current page, label)."""
    parts: list[str] = []
    for href, label in items:
        if href is None:
            parts.append(f'<li><span aria-current="page">{_escape(label)}</span></li>')
        else:
            parts.append(f'<li><a href="{_attribute(href)}">{_escape(label)}</a></li>')
    return f'<nav class="breadcrumb" aria-label="Breadcrumb"><ol>{"".join(parts)}</ol></nav>'


def chapter_anchor(title: str) -> str:
    return f"ch-{_slug(title)[:60]}"


# -- a volume's pages ------------------------------------------------------------------

def volume_pages(folder: str, title: str, members: list[dict[str, Any]], downloads: str = "") -> dict[str, str]:
    """index.html (contents), by-date.html (documents by month), page-list.html (printed pages)
    and pages.js (page → document, for the "go to page" field) of one volume's folder."""
    documents = [r for r in members if r.get("is_document")]
    printed = [page for r in members for page in (r.get("pages") or [])[:1]]
    months = _months(documents)
    month_nav = "".join(
        f'<li><span class="year">{year}</span> <ul class="months">' + "".join(
            f'<li><a href="by-date.html#m{year}-{month:02d}">{MONTHS[month - 1][:3]}'
            f' <span class="count">({len(records)})</span></a></li>' for month, records in by_month.items())
        + "</ul></li>" for year, by_month in months.items())
    counts = f"{len(documents):,} documents"
    if len(members) > len(documents):
        counts += f", {len(members) - len(documents)} sections of front and back matter"
    if printed:
        counts += f"; printed pages {_escape(printed[0])}–{_escape((members[-1].get('pages') or printed)[-1])}"
    main = (f'<main id="main" tabindex="-1"><h1>{_escape(title)}</h1><p class="counts">{counts}</p>'
            f'{goto_form("page-list.html")}{downloads}'
            + (f'<nav class="by-month" aria-label="Documents by month"><h2>Documents by month</h2>'
               f'<ul class="years">{month_nav}</ul></nav>' if month_nav else "")
            + f'<h2 id="contents">Contents</h2>{_toc(members, folder)}</main>')
    pages = {"index.html": main}
    rows = []
    for year, by_month in months.items():
        rows.append(f'<h2 id="y{year}">{year}</h2>')
        for month, records in by_month.items():
            rows.append(f'<h3 id="m{year}-{month:02d}">{MONTHS[month - 1]} {year} '
                        f'<span class="count">({len(records)} documents)</span></h3><ul class="documents">')
            rows.extend(_item(record, folder) for record in records)
            rows.append("</ul>")
    undated = [r for r in documents if not (iso_parts(r.get("date")) or (0, 0, 0))[1]]
    if undated:
        rows.append('<h2 id="undated">Documents without a date</h2><ul class="documents">')
        rows.extend(_item(record, folder) for record in undated)
        rows.append("</ul>")
    pages["by-date.html"] = (f'<main id="main" tabindex="-1"><h1>Documents by date</h1>'
                             f'<p><a href="index.html">Contents of the volume</a></p>{"".join(rows)}</main>')
    anchors = _page_anchors(members, folder)
    listing = "".join(f'<li><a href="{_attribute(href)}">{_escape(number)}</a></li>' for number, href in anchors)
    pages["page-list.html"] = (f'<main id="main" tabindex="-1"><h1>Printed pages</h1>{goto_form("page-list.html")}'
                               f'<p>Every printed page of the volume, linked to where it begins.</p>'
                               f'<ul class="page-list">{listing}</ul></main>')
    mapping = json.dumps(dict(anchors), ensure_ascii=True, sort_keys=False, separators=(",", ":"))
    pages["pages.js"] = ("/* Printed page → the page of the edition where it begins (the go-to-page field). */\n"
                         f"window.editionPages = {mapping};\n")
    return pages


def _page_anchors(members: list[dict[str, Any]], folder: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for record in members:
        for number, anchor in record.get("page_anchors") or []:
            page = _relative({"page": anchor_page(record, anchor)}, folder)
            seen.setdefault(str(number), f"{page}#{anchor}")
    return list(seen.items())


def _months(documents: list[dict[str, Any]]) -> dict[int, dict[int, list[dict[str, Any]]]]:
    found: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for record in documents:
        parts = iso_parts(record.get("date"))
        if parts and parts[1]:
            found.setdefault(parts[0], {}).setdefault(parts[1], []).append(record)
    ordered: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for year in sorted(found):
        ordered[year] = {}
        for month in sorted(found[year]):
            ordered[year][month] = sorted(found[year][month], key=lambda r: (r.get("date") or ""))
    return ordered


def _item(record: dict[str, Any], folder: str) -> str:
    pages = page_range(record)
    pages_html = f' <span class="pages">{_escape(pages)}</span>' if pages else ""
    return (f'<li><a href="{_attribute(_relative(record, folder))}">{_escape(record["title"])}</a>'
            f'{date_html(record)}{pages_html}</li>')


def _toc(records: list[dict[str, Any]], folder: str) -> str:
    """The contents: chapters as headings (h3, h4 …), each with its documents, dates and pages."""
    out: list[str] = ['<nav class="toc" aria-label="Contents">']
    open_path: list[str] = []
    in_list = False
    for record in records:
        path = list(record.get("chapters", []))
        if path != open_path:
            if in_list:
                out.append("</ul>")
                in_list = False
            common = 0
            while common < min(len(path), len(open_path)) and path[common] == open_path[common]:
                common += 1
            for depth, chapter in enumerate(path[common:], start=common):
                level = min(depth + 3, 6)
                out.append(f'<h{level} class="chapter" id="{chapter_anchor(chapter)}">{_escape(chapter)}</h{level}>')
            open_path = path
        if not in_list:
            out.append('<ul class="documents">')
            in_list = True
        out.append(_item(record, folder))
    if in_list:
        out.append("</ul>")
    out.append("</nav>")
    return "".join(out)


def home_title(given: Any, volumes: dict[str, list[dict[str, Any]]],
               singles: list[dict[str, Any]]) -> str:
    """The home page's title: the one ``given`` (the build's ``title``), else the one volume's or
    document's, else "Edition"."""
    if given:
        return str(given)
    if len(volumes) == 1 and not singles:
        members = next(iter(volumes.values()))
        return str(members[0]["volume"][1])
    if len(singles) == 1 and not volumes:
        return str(singles[0]["title"])
    return "Edition"


def home_items(volumes: dict[str, list[dict[str, Any]]], singles: list[dict[str, Any]]) -> str:
    items = [f'<li><a href="{_attribute(r["page"])}">{_escape(r["title"])}</a>{date_html(r)}</li>' for r in singles]
    for vid, members in volumes.items():
        documents = sum(1 for r in members if r.get("is_document"))
        items.append(f'<li><a href="{_attribute(vid)}/index.html">{_escape(members[0]["volume"][1])}</a> '
                     f'<span class="count">({documents:,} documents; '
                     f'<a href="{_attribute(vid)}/by-date.html">by date</a>)</span></li>')
    return f'<ul class="documents">{"".join(items)}</ul>'
