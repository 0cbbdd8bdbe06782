"""The web edition's pages that depend on every unit: home, volume contents, index pages, search.

:func:`site_pages` is :meth:`HtmlWriter.finish <edition.transforms.html.HtmlWriter.finish>`: the
assets, a table of contents per volume, the edition's index, the index pages of persons, places,
organisations and terms (:mod:`edition.transforms.indexes`) and the search page.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edition import resources

from .contract import BuildOptions
from .html_page import render_page
from .indexes import OVERVIEW, index_pages, overview_page
from .markup import attribute, escape
from .reader import breadcrumb, home_items, home_title, volume_pages

ASSETS = resources.assets_dir()
ASSET_FILES = ("edition.css", "edition.js", "search.js", "favicon.svg")


def site_pages(records: Sequence[dict[str, Any]], options: BuildOptions) -> dict[str, bytes]:
    """file (relative to the html folder) → bytes of every page and asset that is not a unit's page."""
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
    title = home_title(options.get("title"), volumes, singles)
    formats = options.formats
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
