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

import hashlib
import os
import shutil
from pathlib import Path

from edition.diagnostics import Diagnostic
from edition.paths import output_path

from .pagefind_index import canonical, index_files, natural_key

#: The search page's extra Content-Security-Policy: Pagefind compiles its WebAssembly.
CSP_SEARCH = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'self'")
FOLDER = "pagefind"
#: The digest of the pages an index was made from (to reuse it when they have not changed).
DIGEST = "edition-pages.sha256"
#: Pagefind's own search interfaces: search.html has its own (assets/search.js).
_UNUSED = frozenset({"pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
                     "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js"})


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


def _pages(folder: Path) -> tuple[str, list[tuple[str, bytes]]]:
    """The digest of the built pages, and every page's (path, bytes), in the order of their paths."""
    digest = hashlib.sha256()
    every: list[tuple[str, bytes]] = []
    for path in sorted(folder.rglob("*.html")):
        name = path.relative_to(folder).as_posix()
        if FOLDER not in path.relative_to(folder).parts[:1]:
            content = path.read_bytes()
            digest.update(name.encode())
            digest.update(content)
            every.append((name, content))
    return digest.hexdigest(), every


def _to_index(every: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    """The documents' (URL, HTML) in the natural order of their paths: what Pagefind is given.
    Decoded only when an index is made (an index taken over needs only the digest)."""
    decoded = [(name, content.decode("utf-8")) for name, content in every]
    documents = [page for page in decoded if "data-pagefind-body" in page[1]]
    # without a marked document Pagefind indexes every page's body (as it would a folder)
    return [("/" + name, content) for name, content in
            sorted(documents or decoded, key=lambda page: natural_key(page[0]))]


def index_site(folder: Path, previous: Path | None = None) -> Diagnostic | None:
    """Index the built pages of ``folder`` (an edition's html/) into ``folder/pagefind``.

    The pages go to Pagefind in a fixed order and what it writes in hash-map order is sorted
    (:mod:`edition.transforms.pagefind_index`), so the same pages give the same bytes; when the
    pages are those of ``previous`` (the html/ folder of the edition being replaced), its index
    is taken as it is (and no time is spent indexing).
    Returns a warning when Pagefind is not installed or fails: the edition stays whole
    without search, and the search page says that no index was built."""
    digest, pages = _pages(folder)
    own = folder / FOLDER
    if (own / DIGEST).is_file() and (own / DIGEST).read_text(encoding="ascii").strip() == digest:
        return None  # the index of a spare edition being patched (edition.swap), made of these pages
    shutil.rmtree(own, ignore_errors=True)
    if previous is not None:
        made = previous / FOLDER
        stamp = made / DIGEST
        if stamp.is_file() and stamp.read_text(encoding="ascii").strip() == digest:
            shutil.copytree(made, folder / FOLDER, copy_function=_link_or_copy)
            return None
    try:
        from pagefind.service import get_executable
    except ImportError:
        executable = None
    else:
        executable = get_executable()
    if executable is None:
        return Diagnostic.make("W0615", "the pagefind package is not installed: the web edition has no search "
                               "index (pip install 'pagefind[bin]')", path=str(folder))
    try:
        files = canonical(index_files(executable, _to_index(pages)))
    except Exception as error:  # the service is an external binary: any failure leaves search out
        return Diagnostic.make("W0615", f"Pagefind could not index the web edition ({type(error).__name__}: "
                               f"{error}); the pages are built without search", path=str(folder))
    for name, data in sorted(files.items()):
        if name not in _UNUSED:
            target = output_path(own, name)  # names the binary gave: kept inside the folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    (own / DIGEST).write_text(digest + "\n", encoding="ascii")
    return None


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
