"""WeasyPrint, the print edition's HTML + CSS engine: page formats, the print stylesheet, and
layout that never fetches from outside one build folder.

WeasyPrint renders with a URL fetcher that refuses everything outside a temporary build folder,
so the print edition never touches the network; a refused resource is reported (W0302), not
fetched.  It sets what Typst does not: units with images, and the PDF/A variants.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from edition import resources

__all__ = ["DEFAULT_VARIANT", "PAGE_SIZES", "BuildFolderFetcher", "PageSize", "Rendered", "page_css", "render_pdf",
           "stylesheet"]

ASSETS = resources.assets_dir()


@dataclass(frozen=True)
class PageSize:
    """CSS for one page format: size, margins (top right bottom left) and body type size."""

    size: str
    margin: str
    font_size: str


#: The formats of ``options["page_size"]``; the printed FRUS volumes are 6 × 9 in.
PAGE_SIZES: dict[str, PageSize] = {
    "frus": PageSize("6in 9in", "0.75in 0.6in 0.8in 0.75in", "10.5pt"),
    "a4": PageSize("A4", "22mm 22mm 24mm 28mm", "11pt"),
    "letter": PageSize("letter", "0.85in 0.9in 0.95in 1.1in", "11pt"),
}

DEFAULT_VARIANT = "pdf/ua-1"


# -- no network: the fetcher --------------------------------------------------------------

def _fetcher_base() -> type:
    """WeasyPrint ≥ 66 fetches through URLFetcher objects; older ones through functions."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # pragma: no cover - only with an old WeasyPrint
        return object
    return URLFetcher


_FetcherBase: Any = _fetcher_base()


class ResourceRefused(ValueError):
    """A resource outside the build folder: the print edition does not fetch it."""


class BuildFolderFetcher(_FetcherBase):
    """Fetches ``file:`` URLs inside one folder and ``data:`` URLs; refuses everything else.

    Refused and missing URLs are kept in :attr:`refused` and :attr:`missing`
    so that the writer can report them at the TEI element that asked for them.
    """

    def __init__(self, root: Path) -> None:
        if _FetcherBase is not object:
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []
        self.missing: list[str] = []

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return True
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        path = Path(unquote(parts.path)).resolve()
        return path.is_relative_to(self.root)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not self.allows(url):
            self.refused.append(url)
            raise ResourceRefused(f"{url} is outside the build folder; the print edition never "
                                  "fetches from the network")
        try:
            return super().fetch(url, headers)
        except Exception:
            self.missing.append(url)
            raise

    def __call__(self, url: str) -> Any:
        return self.fetch(url)


@dataclass
class Rendered:
    """A PDF and what happened while making it."""

    pdf: bytes
    pages: int
    seconds: float
    refused: list[str]
    missing: list[str]
    warnings: list[str]
    #: characters no font has, and what was printed instead (:mod:`.pdf_glyphs`): stand-in, count
    stand_ins: dict[str, tuple[str, int]] = field(default_factory=dict)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_log() -> Iterator[_Collect]:
    """WeasyPrint's warnings, collected instead of printed."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def render_pdf(page_html: str, build_folder: Path, variant: str | None = DEFAULT_VARIANT) -> Rendered:
    """Lay out print HTML and write the PDF, fetching only from ``build_folder``."""
    from weasyprint import HTML
    started = time.perf_counter()
    fetcher = BuildFolderFetcher(build_folder)
    with _weasyprint_log() as log:
        document = HTML(string=page_html, base_url=build_folder.resolve().as_uri() + "/",
                        url_fetcher=fetcher).render()
        pdf = document.write_pdf(pdf_variant=variant)
    return Rendered(pdf=pdf, pages=len(document.pages), seconds=time.perf_counter() - started,
                    refused=fetcher.refused, missing=fetcher.missing, warnings=log.messages)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The print stylesheet (transforms/assets/print.css)."""
    return (ASSETS / "print.css").read_text(encoding="utf-8")


def page_css(page_size: str) -> str:
    size = PAGE_SIZES[page_size]
    return (f"@page {{ size: {size.size}; margin: {size.margin}; }}\n"
            f"html {{ font-size: {size.font_size}; }}\n")
