"""Full-text search of the web edition: Pagefind's static index, made at build time.

Pagefind (the ``pagefind`` package, whose binary ships inside the ``pagefind_bin`` wheel) reads
the built pages and writes a static index of compressed fragments into ``html/pagefind/``; the
search page (``search.html`` with ``assets/search.js``) loads Pagefind's own ``pagefind.js``
from there, so search works on any static server and loads nothing from elsewhere.  Only the
documents are indexed: their text and notes carry ``data-pagefind-body``, their number, title and
date ``data-pagefind-meta``, and chapter, year and the persons identified in them
``data-pagefind-filter``.  Browsers do not let a page opened from ``file://`` fetch the index; the
search page and every page's search box then say that search needs a server.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path

from edition.diagnostics import Diagnostic

#: The search page's extra Content-Security-Policy: Pagefind compiles its WebAssembly.
CSP_SEARCH = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'self'")
FOLDER = "pagefind"
#: The digest of the pages an index was made from (to reuse it when they have not changed).
DIGEST = "edition-pages.sha256"


def search_main() -> str:
    """The search page's main element (the results are filled in by assets/search.js)."""
    return ('<main id="main" tabindex="-1"><h1>Search</h1>'
            '<form class="search-form" role="search" action="search.html" method="get">'
            '<label for="search-query">Words to find in the documents (text and notes)</label> '
            '<input id="search-query" name="q" type="search" autocomplete="off"> '
            '<button type="submit">Search</button></form>'
            '<div class="search-filters" hidden></div>'
            '<p class="search-status" role="status" aria-live="polite">'
            'Search runs in the browser and needs JavaScript; the volume contents, the list of '
            'documents by date and the indexes work without it.</p>'
            '<ol class="search-results"></ol></main>')


def _pages_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.html")):
        if FOLDER not in path.relative_to(folder).parts[:1]:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def index_site(folder: Path, previous: Path | None = None) -> Diagnostic | None:
    """Index the built pages of ``folder`` (an edition's html/) into ``folder/pagefind``.

    Pagefind writes its hash maps in an order of its own each run, so two indexes of the same
    pages differ in bytes; when the pages are those of ``previous`` (the html/ folder of the
    edition being replaced), its index is taken as it is (and no time is spent indexing).
    Returns a warning when Pagefind is not installed or fails: the edition stays whole
    without search, and the search page says that no index was built."""
    digest = _pages_digest(folder)
    if previous is not None:
        made = previous / FOLDER
        stamp = made / DIGEST
        if stamp.is_file() and stamp.read_text(encoding="ascii").strip() == digest:
            shutil.copytree(made, folder / FOLDER, copy_function=_link_or_copy)
            return None
    try:
        from pagefind.index import IndexConfig, PagefindIndex
    except ImportError:
        return Diagnostic.make("W0615", "the pagefind package is not installed: the web edition has no search "
                               "index (pip install 'pagefind[bin]')", path=str(folder))

    async def run() -> None:
        config = IndexConfig(output_path=str(folder / FOLDER), force_language="en", keep_index_url=True)
        async with PagefindIndex(config=config) as index:
            await index.add_directory(str(folder))

    try:
        asyncio.run(run())
    except Exception as error:  # the service is an external binary: any failure leaves search out
        return Diagnostic.make("W0615", f"Pagefind could not index the web edition ({type(error).__name__}: "
                               f"{error}); the pages are built without search", path=str(folder))
    for unused in ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
                   "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js"):
        (folder / FOLDER / unused).unlink(missing_ok=True)
    (folder / FOLDER / DIGEST).write_text(digest + "\n", encoding="ascii")
    return None


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
