"""The series index: the volumes of a build by sub-series and volume number.

``edition build volumes/`` over the files of a series (the FRUS repository's layout: one file
a volume) makes ``html/series.html``: the volumes grouped by sub-series ("1958–1960"), in
volume order (Volume XIX before Volume XX, Part 1 before Part 2), each with its title, the
years it covers and its year of publication, linked to its table of contents.  Each volume's
pages stay in their own folder, so a document keeps its volume-relative reference
(``frus1958-60v19/d300``).  The header's classification schemes (the FRUS date and head
taxonomies, which the repository's volumes include from ``shared/``) are listed with each
volume.

The facts come from the header at plan time (:func:`volume_entry`, kept with the build plan
so that an incremental build has them without parsing), the page from :func:`series_pages`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .document import NAMESPACES, XML_ID, Document

SERIES_PAGE = "series.html"

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_NUMBER = re.compile(r"\b(?:Volume|Vol\.?)\s+([IVXLCDM]+|\d+)\b(?:.*?\bPart\s+(\d+|[IVXLCDM]+)\b)?", re.I)
_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")


def _text(document: Document, path: str) -> str:
    found = document.xpath(path)
    return " ".join("".join(found[0].itertext()).split()) if found else ""


def volume_entry(document: Document) -> dict[str, Any]:
    """What the series index says of one volume, read from its header (JSON-ready)."""
    titles = "tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title"
    entry: dict[str, Any] = {
        "id": _text(document, "tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno[@type='frus']")
        or document.root.get(XML_ID) or "",
        "series": _text(document, f"{titles}[@type='series']"),
        "subseries": _text(document, f"{titles}[@type='sub-series']"),
        "number": _text(document, f"{titles}[@type='volume-number']"),
        "title": _text(document, f"{titles}[@type='volume']") or _text(document, f"{titles}[@type='main']")
        or _text(document, titles),
        "complete": _text(document, f"{titles}[@type='complete']"),
        "published": _text(document, "tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:date"),
        "documents": len(document.xpath("tei:text//tei:div[@type='document']")),
        "taxonomies": [],
    }
    for taxonomy in document.xpath("tei:teiHeader/tei:encodingDesc/tei:classDecl/tei:taxonomy"):
        categories = [[category.get(XML_ID) or "",
                       " ".join("".join(category.xpath("tei:catDesc//text()", namespaces=NAMESPACES)).split())]
                      for category in taxonomy.iter("{http://www.tei-c.org/ns/1.0}category")]
        entry["taxonomies"].append({"id": taxonomy.get(XML_ID) or "", "categories": categories})
    return entry


def roman(numeral: str) -> int:
    """The value of a Roman numeral (``XIX`` → 19); 0 when it is not one."""
    values = [_ROMAN.get(letter, 0) for letter in numeral.upper()]
    if not values or 0 in values:
        return 0
    pairs = zip(values, [*values[1:], 0], strict=True)
    return sum(-value if following > value else value for value, following in pairs)


def volume_order(number: str) -> tuple[int, int]:
    """Sort key of a volume number: ``Volume XIX`` → (19, 0), ``Volume X, Part 2`` → (10, 2)."""
    match = _NUMBER.search(number)
    if not match:
        return (0, 0)

    def value(text: str | None) -> int:
        return 0 if not text else int(text) if text.isdigit() else roman(text)

    return (value(match.group(1)), value(match.group(2)))


def _subseries_order(label: str) -> tuple[int, str]:
    year = _YEAR.search(label)
    return (int(year.group(1)) if year else 10_000, label)


def series_pages(volumes: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, bytes]:
    """The series page from (volume folder, :func:`volume_entry`) pairs."""
    from edition.transforms.html import attribute, escape, render_page

    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for folder, entry in volumes:
        groups.setdefault(entry.get("subseries") or "", []).append((folder, entry))
    if not groups:
        return {}
    series = next((entry["series"] for members in groups.values() for _, entry in members
                   if entry.get("series")), "") or "Volumes"
    parts = [f'<main id="main" tabindex="-1"><h1>{escape(series)}</h1>',
             f'<p class="series-summary">{sum(len(m) for m in groups.values())} volumes. Each document keeps its '
             'reference within its volume (volume/document, as in <code>frus1958-60v19/d300</code>): '
             'each volume keeps its own folder.</p>']
    for label in sorted(groups, key=_subseries_order):
        members = sorted(groups[label], key=lambda item: (volume_order(item[1].get("number", "")), item[0]))
        heading = label or "Other volumes"
        anchor = "series-" + re.sub(r"[^A-Za-z0-9]+", "-", heading).strip("-").lower()
        parts.append(f'<section aria-labelledby="{attribute(anchor)}"><h2 id="{attribute(anchor)}">'
                     f'{escape(heading)}</h2><ol class="series-volumes">')
        for folder, entry in members:
            count = entry.get("documents", 0)
            number = entry.get("number") or ""
            title = entry.get("title") or folder
            name = f"{number}: {title}" if number else title
            facts = [fact for fact in (label and f"covers {label}",
                                       entry.get("published") and f"published {entry['published']}",
                                       f"{count} document{'s' if count != 1 else ''}",
                                       f"references {folder}/d…") if fact]
            schemes = "".join(
                f'<li><span class="taxonomy">{escape(taxonomy["id"] or "(no id)")}</span>: '
                f'{len(taxonomy["categories"])} categories<ul>'
                + "".join(f'<li><code>{escape(ident)}</code> {escape(text)}</li>'
                          for ident, text in taxonomy["categories"])
                + "</ul></li>" for taxonomy in entry.get("taxonomies", ()))
            details = (f'<details class="series-taxonomies"><summary>Classification schemes of the header '
                       f'({len(entry["taxonomies"])})</summary><ul>{schemes}</ul></details>'
                       if entry.get("taxonomies") else "")
            parts.append(f'<li><a href="{attribute(folder)}/index.html"><cite>{escape(name)}</cite></a> '
                         f'<span class="series-facts">({escape("; ".join(facts))})</span>{details}</li>')
        parts.append("</ol></section>")
    parts.append("</main>")
    page = render_page(title=f"{series}: the volumes", lang="en", root="", main="".join(parts))
    return {SERIES_PAGE: page.encode("utf-8")}
