"""The print edition: TEI → print HTML → PDF (CSS paged media, WeasyPrint).

:class:`PdfWriter` implements the whole behaviour vocabulary for the
``print`` output (models with ``output="print"`` win over the rest of the
table).  It writes HTML meant only for the page:

- notes float to the foot of the page where they are called (CSS
  ``float: footnote``), marked as in the source (the FRUS source note ``0``
  first, then the source's own numbers); the edition's own textual notes are
  lettered, so the source's numbering is never disturbed (labels and letters are
  the transform stage's, :mod:`edition.transforms.stage`, as in every output);
- a break to a printed page (``pb``) is a bar at the exact place and the
  original page number (``594``) in the margin;
- a ``choice`` gives the stage's reading text (the correction, the expansion) and
  records the original of a correction or regularisation in a lettered note, as
  the front page states; an ``app``'s other readings are a footnote;
- running heads come from ``string-set`` (the volume title on left pages,
  ``Document 300 · short title`` on right pages), page numbers from
  ``counter(page)``;
- a front page carries the title, the full citation (Chicago note, from
  :mod:`edition.transforms.citations`), the credits and the editorial practice.

WeasyPrint renders it with a URL fetcher that refuses everything outside a
temporary build folder, so the print edition never touches the network; a
refused resource is reported (W0302), not fetched.  Options (``options`` of
:meth:`PdfWriter.write_unit` and :meth:`PdfWriter.finish`):

``page_size``
    ``"frus"`` (6 × 9 in, the printed FRUS volumes; default), ``"a4"``, ``"letter"``.
``pdf_variant``
    a WeasyPrint variant (default ``"pdf/ua-1"``: tagged, accessible), or ``"none"``.
``whole_pdf``
    the PDF of the whole edition in :meth:`PdfWriter.finish`: ``None``/``"auto"``
    (default: when there are several units, up to :data:`WHOLE_PDF_AUTO_LIMIT`),
    ``True`` (always when there are several), ``False`` (never).
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit

from lxml import etree

from edition import processes, resources
from edition.diagnostics import Diagnostic, EditionError, EditionOutputError, EditionUsageError
from edition.document import TEI_NS, XML_ID, XML_LANG, Document, local_name, tei
from edition.paths import safe_name

from .behaviours import Model
from .engine import Content, Context, Renderer, UnitResult, Writer, normalize_space, register_writer
from .stage import DIVISIONS, plain_text

__all__ = ["PAGE_SIZES", "PdfWriter", "WHOLE_PDF_AUTO_LIMIT", "BuildFolderFetcher", "render_pdf"]

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

#: The engines of the whole edition's PDF (``options["pdf_engine"]``, see :meth:`PdfWriter.book_engine`).
BOOK_ENGINES = ("auto", "typst", "weasyprint")

#: Above this many units the whole-edition PDF is opt-in (``whole_pdf=True``):
#: the 404 documents of a FRUS volume take minutes to lay out as one book.
WHOLE_PDF_AUTO_LIMIT = 60

_REND_CLASSES = {
    "italic": "italic", "italics": "italic", "i": "italic", "bold": "bold", "b": "bold",
    "strong": "bold", "smallcaps": "smallcaps", "small-caps": "smallcaps", "sc": "smallcaps",
    "sup": "superscript", "superscript": "superscript", "sub": "subscript", "subscript": "subscript",
    "underline": "underline", "u": "underline", "strikethrough": "strikethrough",
}
_CALL = ('<span class="fn', '<span class="tn')
_NUMBER_PREFIX = re.compile(r"^\s*\d+[A-Za-z]?\.\s+")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _attrs(**values: str | None) -> str:
    """HTML attributes, escaped, in a fixed order (the output is deterministic)."""
    parts = []
    for name, value in values.items():
        if value:
            parts.append(f' {name.rstrip("_").replace("_", "-")}="{_e(value)}"')
    return "".join(parts)


def document_division(unit: etree._Element) -> etree._Element:
    """The division a unit prints as one document: the unit itself, or the one it holds.

    ``edition build`` hands a single-document file over as its ``<text>``;
    its title, number and running head are those of its one document division.
    """
    if unit.tag in DIVISIONS and unit.get("type") == "document":
        return unit
    found = unit.xpath(".//tei:*[@type='document'][self::tei:div or self::tei:div1 or self::tei:div2]",
                       namespaces={"tei": TEI_NS})
    return found[0] if len(found) == 1 else unit


def _prose(element: etree._Element | None) -> str:
    """Header prose (editorialDecl, licence) as HTML: <gi>, <att>, <mentioned> and titles marked."""
    if element is None:
        return ""
    parts: list[str] = [_e(normalize_space(element.text or ""))]
    for child in element:
        if isinstance(child.tag, str):
            name = local_name(child)
            inner = _prose(child)
            if name == "gi":
                parts.append(f"<code>&lt;{inner}&gt;</code>")
            elif name == "att":
                parts.append(f"<code>@{inner}</code>")
            elif name == "val":
                parts.append(f"<code>“{inner}”</code>")
            elif name in ("mentioned", "title", "emph", "term", "foreign") or (
                    name == "hi" and "italic" in (child.get("rend") or "")):
                parts.append(f"<i>{inner}</i>")
            elif name == "p":
                parts.append(f"<p>{inner}</p>")
            else:
                parts.append(inner)
        parts.append(_e(normalize_space(child.tail or "")))
    return "".join(parts).strip()


# -- what the header says -------------------------------------------------------------

@dataclass
class Header:
    """The facts of a teiHeader the print edition shows (front page, running heads, PDF info)."""

    series: str = ""
    volume_title: str = ""
    main_title: str = ""
    authors: tuple[str, ...] = ()
    editors: tuple[tuple[str, str], ...] = ()
    credits: tuple[tuple[str, str], ...] = ()
    publisher: str = ""
    pub_date: str = ""
    licence: str = ""
    correction: str = ""
    correction_method: str = ""
    keywords: tuple[str, ...] = ()
    resp_names: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, document: Document) -> Header:
        header = document.header
        if header is None:
            return cls()

        def first(expression: str) -> etree._Element | None:
            found = document.xpath(expression, header)
            return found[0] if found else None

        def text(expression: str) -> str:
            return plain_text(first(expression))

        volume = (text("tei:fileDesc/tei:titleStmt/tei:title[@type='complete']")
                  or text("tei:fileDesc/tei:sourceDesc//tei:monogr/tei:title[@type='main']")
                  or text("tei:fileDesc/tei:sourceDesc//tei:monogr/tei:title[1]"))
        main = (text("tei:fileDesc/tei:titleStmt/tei:title[@type='main']")
                or text("tei:fileDesc/tei:titleStmt/tei:title[not(@type)][1]"))
        authors = tuple(plain_text(a) for a in document.xpath("tei:fileDesc/tei:titleStmt/tei:author", header))
        editors: list[tuple[str, str]] = []
        seen: set[str] = set()
        for editor in document.xpath("tei:fileDesc/tei:titleStmt/tei:editor | "
                                     "tei:fileDesc/tei:sourceDesc//tei:monogr/tei:editor", header):
            name = plain_text(editor)
            if name and name not in seen:
                seen.add(name)
                role = editor.get("role") or ""
                editors.append(({"primary": "Editor", "general": "General Editor"}.get(role, "Editor"), name))
        credits: list[tuple[str, str]] = []
        resp_names: list[tuple[str, str]] = []
        for stmt in document.xpath("tei:fileDesc/tei:titleStmt/tei:respStmt", header):
            resp = "; ".join(plain_text(r) for r in document.xpath("tei:resp", stmt))
            names = ", ".join(plain_text(n) for n in document.xpath(
                "tei:name | tei:persName | tei:orgName", stmt))
            if resp or names:
                credits.append((resp, names))
            if stmt.get(XML_ID) and names:
                resp_names.append((stmt.get(XML_ID), names))
        correction = first("tei:encodingDesc/tei:editorialDecl/tei:correction")
        keywords = tuple(k for k in (plain_text(t) for t in document.xpath(
            "tei:profileDesc/tei:textClass/tei:keywords/tei:term", header)) if k)
        return cls(
            series=text("tei:fileDesc/tei:titleStmt/tei:title[@type='series']")
            or text("tei:fileDesc/tei:sourceDesc//tei:series/tei:title"),
            volume_title=volume, main_title=main, authors=tuple(a for a in authors if a),
            editors=tuple(editors), credits=tuple(credits),
            publisher=text("tei:fileDesc/tei:publicationStmt/tei:publisher"),
            pub_date=text("tei:fileDesc/tei:publicationStmt/tei:date"),
            licence=_prose(first("tei:fileDesc/tei:publicationStmt/tei:availability/tei:licence"))
            or _prose(first("tei:fileDesc/tei:publicationStmt/tei:availability/tei:p")),
            correction="".join(_prose(p) for p in document.xpath("tei:p", correction))
            if correction is not None else "",
            correction_method=correction.get("method", "") if correction is not None else "",
            keywords=keywords, resp_names=tuple(resp_names))


# -- bounds: time per document, images ------------------------------------------------------

#: Seconds one unit's PDF may take (``options["pdf_time_budget"]``); a FRUS document takes 0.3-2 s.
PRINT_TIME_BUDGET = 60.0
#: Image limits: an image over one is left out of the PDF with W0608.
MAX_IMAGE_BYTES = 64 * 2**20
MAX_IMAGE_PIXELS = 50_000_000
MAX_SVG_ELEMENTS = 20_000
MAX_SVG_DEPTH = 64
#: Elements an SVG draws once every ``<use>`` is expanded (the 1.8 KB "billion laughs" of SVG).
MAX_SVG_DRAWN = 100_000


class PrintTimeout(BaseException):
    """A unit's PDF went over its time budget.

    A BaseException, as KeyboardInterrupt is: raised by a timer signal anywhere inside the
    renderer, it must not be swallowed by a library's ``except Exception`` (a WeasyPrint layout
    then finished past its budget)."""


def _timeout(number: int, frame: Any) -> None:
    raise PrintTimeout()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`PrintTimeout` in the block after ``seconds`` (a timer signal; only in the
    main thread, where a build's workers and the command run; elsewhere unbounded).
    WeasyPrint lays out in Python, so the signal interrupts it between two steps."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def _data_url_bytes(url: str) -> bytes:
    head, _, payload = url.partition(",")
    try:
        if head.lower().endswith(";base64"):
            return base64.b64decode(payload[:MAX_IMAGE_BYTES * 2], validate=False)
        return unquote_to_bytes(payload[:MAX_IMAGE_BYTES])
    except ValueError:
        return b""


def image_problem(data: bytes, svg: bool = False) -> str:
    """Why an image must not be printed ("" if it may): too large a file, too many pixels,
    or an SVG with too many elements, too deep, or drawing too many through ``<use>``."""
    if len(data) > MAX_IMAGE_BYTES:
        return f"the file is over {MAX_IMAGE_BYTES:,} bytes"
    if svg or data.lstrip()[:5] in (b"<?xml", b"<svg ") or b"<svg" in data[:512]:
        return _svg_problem(data)
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # not an image Pillow reads: WeasyPrint reports it
        return ""
    if width * height > MAX_IMAGE_PIXELS:
        return f"{width} x {height} pixels, over the limit of {MAX_IMAGE_PIXELS:,}"
    return ""


def _svg_problem(data: bytes) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return ""  # not an SVG WeasyPrint could draw either: it reports it
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    if len(elements) > MAX_SVG_ELEMENTS:
        return f"an SVG of {len(elements):,} elements, over the limit of {MAX_SVG_ELEMENTS:,}"
    depth: dict[etree._Element, int] = {root: 1}
    for element in elements[1:]:
        depth[element] = depth[element.getparent()] + 1
        if depth[element] > MAX_SVG_DEPTH:
            return f"an SVG nested deeper than {MAX_SVG_DEPTH} elements"
    by_id = {e.get("id"): e for e in elements if e.get("id")}
    drawn: dict[etree._Element, int] = {}
    active: set[etree._Element] = set()
    xlink = "{http://www.w3.org/1999/xlink}href"

    def count(element: etree._Element) -> int:  # elements drawn, with every <use> expanded
        if element in drawn:
            return drawn[element]
        if element in active:
            return MAX_SVG_DRAWN + 1  # a <use> loop
        active.add(element)
        total = 1
        if etree.QName(element).localname == "use":
            href = element.get("href") or element.get(xlink) or ""
            target = by_id.get(href[1:]) if href.startswith("#") else None
            if target is not None:
                total += count(target)
        for child in element:
            if isinstance(child.tag, str):
                total += count(child)
            if total > MAX_SVG_DRAWN:
                break
        active.discard(element)
        drawn[element] = min(total, MAX_SVG_DRAWN + 1)
        return drawn[element]

    if count(root) > MAX_SVG_DRAWN:
        return f"an SVG that draws over {MAX_SVG_DRAWN:,} elements once its <use> elements are expanded"
    return ""


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


@dataclass
class Prepared:
    """One unit's print HTML, before layout."""

    page: str                    # the whole HTML page: front page and document
    body: str                    # the document alone, for the whole edition's PDF
    info: dict[str, Any]         # title, authors, subject, keywords, lang of the PDF
    ctx: Context
    edition: dict[str, Any]      # what the whole edition's PDF takes from this unit's file
    diagnostics: list[Diagnostic]
    front: str = ""              # the unit's front page (title, citation, credits, editorial practice)

    def edition_record(self) -> dict[str, Any]:
        return {"print_html": self.body, "print_edition": self.edition}


# -- the writer -------------------------------------------------------------------------------


def _credit_items(header: Header, editor_suffix: str = "") -> list[str]:
    """List items for the editors, the header's respStmts and the publisher of a front page."""
    items = [f"<li>{_e(role)}{editor_suffix}: {_e(name)}</li>" for role, name in header.editors]
    items += [f"<li>{_e(resp[:1].upper() + resp[1:])}: {_e(names)}</li>" for resp, names in header.credits]
    if header.publisher:
        published = ", ".join(p for p in (header.publisher, header.pub_date) if p)
        items.append(f"<li>Published by {_e(published)}</li>")
    return items


@register_writer
class PdfWriter(Writer[str]):
    """TEI → PDF through print HTML and WeasyPrint; one PDF per unit, one for the edition."""

    name = "pdf"
    format = "pdf"
    suffix = ".pdf"
    outputs = ("print",)

    # -- options ---------------------------------------------------------------------
    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        """Raise the usage error of a bad option before the build starts (E0901, exit 2)."""
        cls.page_size(options)
        cls.variant(options)
        if cls.book_engine(options) == "typst":
            from .pdf_book import available

            if not available():
                raise EditionUsageError.at("E0901", "pdf_engine 'typst' needs the typst package (pip install typst)")
        budget = options.get("pdf_time_budget", PRINT_TIME_BUDGET)
        if not isinstance(budget, (int, float)) or budget <= 0:
            raise EditionUsageError.at("E0901", f"pdf_time_budget must be a positive number of seconds, "
                                       f"not {budget!r}")

    @staticmethod
    def page_size(options: dict[str, Any]) -> str:
        value = str(options.get("page_size") or "frus").lower()
        if value not in PAGE_SIZES:
            raise EditionUsageError.at("E0901", f"unknown page size {value!r}; choose one of "
                                       f"{', '.join(PAGE_SIZES)}")
        return value

    @staticmethod
    def variant(options: dict[str, Any]) -> str | None:
        value = options.get("pdf_variant", DEFAULT_VARIANT)
        if value in (None, "", "none", False):
            return None
        from weasyprint.pdf import VARIANTS
        if value not in VARIANTS:
            raise EditionUsageError.at("E0901", f"unknown PDF variant {value!r}; choose 'none' or one of "
                                       f"{', '.join(sorted(VARIANTS))}")
        return str(value)

    @staticmethod
    def book_engine(options: dict[str, Any], units: list[dict[str, Any]] | None = None,
                    variant: str | None = DEFAULT_VARIANT) -> str:
        """The engine of the whole edition's PDF (``options["pdf_engine"]``): ``"typst"`` or
        ``"weasyprint"``. ``"auto"`` (default) is Typst (:mod:`edition.transforms.pdf_book`: a
        400-document volume in a fraction of WeasyPrint's time and memory) when it is installed and
        can do what the book needs (no images, a PDF variant it writes), else WeasyPrint."""
        value = str(options.get("pdf_engine") or "auto").lower()
        if value not in BOOK_ENGINES:
            raise EditionUsageError.at("E0901", f"unknown PDF engine {value!r}; choose one of "
                                       f"{', '.join(BOOK_ENGINES)}")
        if value != "auto":
            return value
        from .pdf_book import available, supports

        if available() and supports(variant) and not any("<img" in r.get("print_html", "") for r in units or ()):
            return "typst"
        return "weasyprint"

    # -- whole outputs -----------------------------------------------------------------
    def write_unit(self, document: Document, unit: etree._Element, options: dict[str, Any]) -> UnitResult:
        """The PDF of one unit: a front page, then the document with its notes."""
        variant = self.variant(options)
        budget = float(options.get("pdf_time_budget", PRINT_TIME_BUDGET))
        with processes.temporary_folder() as folder:
            build = Path(folder)
            prepared = self.prepare(document, unit, options, build)
            diagnostics = list(prepared.diagnostics)
            for url, node, reason in prepared.ctx.state["over_limit"]:
                diagnostics.append(document.diagnostic(node, "W0608", f"{url!r} is not printed: {reason}"))
            if options.get("unit_pdfs") is False:  # only the whole edition's PDF (the book) is wanted
                return UnitResult(record={"source": document.path, "ref": prepared.info["ref"],
                                          "title": prepared.info["title"], **prepared.edition_record(),
                                          "print_chapters": list(options.get("chapters") or ())},
                                  diagnostics=diagnostics)
            # with pdf_engine="typst", a unit without images goes through Typst (transforms/pdf_book.py:
            # ten times WeasyPrint's speed); the time budget holds for both (Typst's native layout is
            # not interrupted, but its result is dropped as soon as it returns past the budget)
            engine = "Typst" if not prepared.ctx.state["resources"] and str(
                options.get("pdf_engine") or "").lower() == "typst" else "WeasyPrint"
            try:
                with time_budget(budget):
                    if engine == "Typst":
                        rendered = self._typeset(prepared, options, variant)
                    else:
                        rendered = render_pdf(prepared.page, build, variant)
            except PrintTimeout:
                diagnostics.append(document.diagnostic(unit, "W0608", f"the PDF of this unit took more than "
                                   f"{budget:g} s and was abandoned; the other outputs and documents are built"))
                return UnitResult(diagnostics=diagnostics)
            except Exception as error:  # neither engine has an exception root of its own
                diagnostics.append(document.diagnostic(unit, "E0603", f"{engine} could not render the "
                                   f"PDF ({type(error).__name__}: {error}); the other outputs are unaffected"))
                return UnitResult(diagnostics=diagnostics)
            diagnostics.extend(self._resource_diagnostics(prepared.ctx, rendered))
            reported = rendered.refused + rendered.missing
            for message in dict.fromkeys(rendered.warnings):
                if not any(url in message for url in reported):
                    diagnostics.append(document.diagnostic(unit, "W0302", f"print edition: WeasyPrint says: {message}"))
        info = prepared.info
        path = f"{options['basename']}.pdf" if options.get("basename") else self._unit_path(document, unit)
        record = {
            "path": path, "source": document.path, "ref": info["ref"], "title": info["title"],
            "pages": rendered.pages, "bytes": len(rendered.pdf),
            "print_chapters": list(options.get("chapters") or ()),  # the book's chapter headings and bookmarks
            **prepared.edition_record(),
        }
        return UnitResult(files={path: rendered.pdf}, record=record, diagnostics=diagnostics)

    def _typeset(self, prepared: Prepared, options: dict[str, Any], variant: str | None) -> Rendered:
        from .pdf_book import compile_source, count_pages, unit_source

        started = time.perf_counter()
        info = {**prepared.info, "volume": prepared.edition["title"]}
        pdf = compile_source(unit_source(prepared.body, prepared.front, info, self.page_size(options)), variant)
        return Rendered(pdf=pdf, pages=count_pages(pdf), seconds=time.perf_counter() - started, refused=[],
                        missing=[], warnings=[])

    def prepare(self, document: Document, unit: etree._Element, options: dict[str, Any],
                build: Path) -> Prepared:
        """The print HTML of one unit (front page and document), ready for WeasyPrint.

        Local images the unit points to are copied into ``build``, the only
        folder the renderer may read.
        """
        page_size = self.page_size(options)
        header = Header.read(document)
        renderer: Renderer[str] = Renderer(self, document, options=options, unit=unit)
        ctx = renderer.ctx
        self._start(ctx, header, build)
        # page breaks printed between the previous document and this one (a volume's units)
        preceding = "".join(renderer.render(pb) for pb in options.get("preceding") or ())
        body = renderer.render(unit)
        division = document_division(unit)
        if renderer.model(division).behaviour != "document":
            # no section of its own (a text without document divisions, a volume's front or back
            # matter): one around the whole unit, without the id the division's own block carries
            body = f"<section{self._section_attrs(ctx, division, anchor=not division.get(XML_ID))}>{body}</section>"
        if preceding:
            body = body.replace(">", f">{preceding}", 1)  # inside the section, before its heading
        info = self._unit_info(document, unit, header)
        front = self._front_page(ctx, unit, header, info)
        self._copy_local_resources(ctx, build)
        page = self._page(info, front + body, page_size, lang=info["lang"])
        edition = {"title": header.volume_title or info["title"], "lang": info["lang"],
                   "authors": info["edition_authors"], "keywords": info["edition_keywords"],
                   "front": self._edition_front(document, header)}
        return Prepared(page=page, body=body, info=info, ctx=ctx, edition=edition,
                        diagnostics=list(renderer.diagnostics()), front=front)

    def finish(self, records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, bytes]:
        """The whole edition's PDF when it has several units (see ``whole_pdf``)."""
        units = [record for record in records if "print_html" in record]
        wanted = options.get("whole_pdf", "auto")
        if len(units) < 2 or wanted is False or (wanted in (None, "auto") and len(units) > WHOLE_PDF_AUTO_LIMIT):
            return {}
        try:
            name, rendered = self.whole(units, options)
        except EditionError:
            raise
        except Exception as error:  # WeasyPrint has no exception root of its own
            raise EditionOutputError.at("E0603", f"WeasyPrint could not render the whole edition's PDF "
                                        f"({type(error).__name__}: {error}); build with whole_pdf=False "
                                        "to make only the PDFs of the documents") from None
        return {name: rendered.pdf}

    def whole(self, units: list[dict[str, Any]], options: dict[str, Any]) -> tuple[str, Rendered]:
        """The whole edition's PDF: one front page, then every unit, pages numbered through."""
        page_size, variant = self.page_size(options), self.variant(options)
        sources = list(dict.fromkeys(record["source"] for record in units))
        edition = units[0]["print_edition"]
        if len(sources) == 1:
            name = f"{safe_name(Path(sources[0]).stem)}.pdf"
            front, title = edition["front"], edition["title"]
        else:
            name = "edition.pdf"
            title = "The edition"
            front = ("<div class='front'><h1>The edition</h1><h2>Contents</h2><ul>"
                     + "".join(f"<li>{_e(r['title'])}</li>" for r in units) + "</ul></div>")
        keywords = list(dict.fromkeys(k for r in units for k in r["print_edition"]["keywords"]))
        authors = list(dict.fromkeys(a for r in units for a in r["print_edition"]["authors"]))
        info = {"title": title, "authors": authors, "keywords": keywords, "lang": edition["lang"],
                "subject": f"{title}: {len(units)} documents"}
        if self.book_engine(options, units, variant) == "typst":
            from .pdf_book import typeset

            book = typeset(units, info, front, page_size, variant)
            return name, Rendered(pdf=book.pdf, pages=book.pages, seconds=book.seconds, refused=[], missing=[],
                                  warnings=[])
        page = self._page(info, front + "".join(record["print_html"] for record in units), page_size,
                          lang=edition["lang"])
        with processes.temporary_folder() as folder:
            rendered = render_pdf(page, Path(folder), variant)
        return name, rendered

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

    @staticmethod
    def _unit_path(document: Document, unit: etree._Element) -> str:
        stem = safe_name(Path(document.path).stem)
        if len(document.units()) <= 1:
            return f"{stem}.pdf"
        return f"{stem}/{safe_name(document.ref_of(unit) or unit.get(XML_ID) or 'unit')}.pdf"

    def _unit_info(self, document: Document, unit: etree._Element, header: Header) -> dict[str, Any]:
        unit = document_division(unit)
        head = unit.find(tei("head"))
        heading = plain_text(head)
        title = _NUMBER_PREFIX.sub("", heading) or header.main_title or Path(document.path).stem
        number = unit.get("n") or ""
        ref = document.ref_of(unit)
        lang = next((e.get(XML_LANG) for e in (unit, *unit.iterancestors()) if e.get(XML_LANG)), document.lang)
        authors = list(header.authors) or [name for _, name in header.editors] or (
            [header.publisher] if header.publisher else [])
        part = f"Document {number}" if number else (ref or "")
        subject = ", ".join(p for p in (part, header.volume_title) if p) or title
        keywords = list(header.keywords) or [k for k in (header.series, header.volume_title, part) if k]
        edition_authors = [name for _, name in header.editors] or list(header.authors)
        return {"title": title, "heading": heading or title, "number": number, "ref": ref, "lang": lang,
                "authors": authors, "subject": subject, "keywords": keywords,
                "edition_authors": edition_authors,
                "edition_keywords": list(header.keywords) or [k for k in (header.series, header.volume_title) if k]}

    def _page(self, info: dict[str, Any], body: str, page_size: str, lang: str) -> str:
        metas = [f'<meta name="author"{_attrs(content=author)}>' for author in info["authors"]]
        if info.get("subject"):
            metas.append(f'<meta name="description"{_attrs(content=info["subject"])}>')
        if info["keywords"]:
            metas.append(f'<meta name="keywords"{_attrs(content=", ".join(info["keywords"]))}>')
        metas.append('<meta name="generator" content="TEI Edition Toolkit (print edition, WeasyPrint)">')
        return (f'<!DOCTYPE html>\n<html{_attrs(lang=lang)}><head><meta charset="utf-8">'
                f"<title>{_e(info['title'])}</title>{''.join(metas)}"
                f"<style>{page_css(page_size)}{stylesheet()}</style></head>"
                f"<body>{body}</body></html>")

    # -- the front page ----------------------------------------------------------------------
    def _citation(self, document: Document, unit: etree._Element | None) -> str:
        """The full citation (Chicago note) as HTML, from edition.transforms.citations when it can."""
        try:
            from . import citations
            citation = citations.metadata(document, unit)
            return citations.render(citation, "chicago-note", markup="html")
        except Exception:  # the front page still shows what the header says
            return ""

    def _front_page(self, ctx: Context, unit: etree._Element, header: Header, info: dict[str, Any]) -> str:
        document = ctx.document
        parts = ["<div class='front'>"]
        if header.series:
            parts.append(f"<p class='series'>{_e(header.series)}</p>")
        if header.volume_title:
            parts.append(f"<p class='volume'>{_e(header.volume_title)}</p>")
        parts.append(f"<h1>{_e(info['heading'])}</h1>")
        dateline = document_division(unit).find(tei("dateline"))
        if dateline is not None:
            parts.append(f"<p>{_e(plain_text(dateline))}</p>")
        parts.append("<h2>Citation</h2>")
        citation = self._citation(document, unit)
        if not citation:
            bits = [", ".join(info["authors"]), f"“{info['title']},”" if info["title"] else "",
                    f"in <i>{_e(header.volume_title)}</i>" if header.volume_title else "",
                    info["subject"].split(",")[0] if info["number"] else ""]
            citation = _e(" ".join(b for b in bits[:2] if b)) + " " + ", ".join(b for b in bits[2:] if b) + "."
        parts.append(f"<p class='citation'>{citation}</p>")
        parts.append("<h2>Credits</h2><ul>")
        parts.extend(f"<li>Author: {_e(author)}</li>" for author in header.authors)
        parts.extend(_credit_items(header, " of the printed volume"))
        parts.append("</ul>")
        if header.licence:
            parts.append(f"<p>{header.licence}</p>")
        parts.append("<h2>Editorial practice</h2>")
        if header.correction:
            parts.append(f"<p><b>Corrections.</b> {header.correction}</p>")
        if ctx.option("diplomatic"):
            practice = ("In this print edition the text is given as printed; each correction is given in a "
                        "lettered note at the foot of the page (<i>original</i>] read <i>correction</i>).")
        else:
            practice = ("In this print edition the reading text gives the correction; the original reading "
                        "is recorded in a lettered note at the foot of the page (<i>correction</i>] "
                        "<i>original</i>).")
        parts.append(f"<p>{practice} Notes numbered as in the source, the source note (0) first, stand at "
                     "the foot of the page where they are called. The pagination of the printed volume is "
                     "given in the margin; a vertical bar marks the exact place of each page break.</p>")
        parts.append("</div>")
        return "".join(parts)

    def _edition_front(self, document: Document, header: Header) -> str:
        """The front page of a whole volume's PDF (the same for every unit of the document)."""
        parts = ["<div class='front'>"]
        if header.series:
            parts.append(f"<p class='series'>{_e(header.series)}</p>")
        parts.append(f"<h1>{_e(header.volume_title or header.main_title or Path(document.path).stem)}</h1>")
        if header.editors or header.credits or header.publisher:
            parts.append("<h2>Credits</h2><ul>")
            parts.extend(_credit_items(header))
            parts.append("</ul>")
        parts.append("<h2>Editorial practice</h2>")
        if header.correction:
            parts.append(f"<p><b>Corrections.</b> {header.correction}</p>")
        parts.append("<p>The reading text gives corrections, with the original recorded in lettered notes; "
                     "the pagination of the printed volume is given in the margin.</p></div>")
        return "".join(parts)

    # -- resources ---------------------------------------------------------------------------
    @staticmethod
    def _copy_local_resources(ctx: Context, build: Path) -> None:
        """Images beside the TEI file (relative URLs inside its folder) go into the build folder,
        unless they are over a limit (:func:`image_problem`): those go into
        ``ctx.state["over_limit"]``, and their place in the PDF shows the alternative text."""
        source_folder = Path(ctx.document.path).resolve().parent
        over = ctx.state["over_limit"]
        for url, node in ctx.state["resources"]:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
                continue
            source = (source_folder / unquote(parts.path)).resolve()
            target = (build / unquote(parts.path)).resolve()
            if source.is_relative_to(source_folder) and source.is_file() and target.is_relative_to(build.resolve()):
                try:
                    with source.open("rb") as handle:
                        problem = image_problem(handle.read(MAX_IMAGE_BYTES + 1), source.suffix.lower() == ".svg")
                except OSError:
                    continue
                if problem:
                    over.append((url, node, problem))
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)

    @staticmethod
    def _resource_diagnostics(ctx: Context, rendered: Rendered) -> Iterator[Diagnostic]:
        base = ctx.state["base"]
        over = {url for url, _, _ in ctx.state["over_limit"]}
        for url, node in ctx.state["resources"]:
            if url in over:
                continue  # W0608 says why
            absolute = urljoin(base, url)
            if absolute in rendered.refused:
                yield ctx.document.diagnostic(node, "W0302", f"the print edition does not fetch {url!r}: it is "
                                              "outside the build folder (no network, ever); put the file beside "
                                              "the TEI file and point to it with a relative URL")
            elif absolute in rendered.missing:
                yield ctx.document.diagnostic(node, "W0302", f"{url!r} could not be read for the print edition; "
                                              "check that the file exists beside the TEI file")

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
                problem = image_problem(_data_url_bytes(url), "svg" in url[:40].lower())
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
