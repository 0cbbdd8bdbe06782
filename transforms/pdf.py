"""The print edition: TEI → print HTML → PDF, by Typst or WeasyPrint.

:class:`PdfWriter` writes one PDF per unit and one for the whole edition (the book of a volume)
from the print HTML of :class:`~edition.transforms.pdf_markup.PrintMarkup`: a front page (title,
the full citation, credits, the editorial practice: :mod:`edition.transforms.pdf_header`), then the
document with its notes at the foot of their page, the printed volume's pages in the margin,
running heads (the volume title on left pages, ``Document 300 · short title`` on right pages) and
page numbers.  Two engines set it, with the same decisions:

- Typst (:mod:`edition.transforms.pdf_book`, :mod:`edition.transforms.pdf_typst`), a compiled
  typesetter, by default (``pdf_engine="auto"``) for every unit and book it can set as well: no
  image, and a plain or PDF/UA-1 PDF;
- WeasyPrint (:mod:`edition.transforms.pdf_weasyprint`: CSS paged media, a URL fetcher that never
  leaves the build folder) for the rest (images, the PDF/A variants) or when asked.

Options (``options`` of :meth:`PdfWriter.write_unit` and :meth:`PdfWriter.finish`):

``page_size``
    ``"frus"`` (6 × 9 in, the printed FRUS volumes; default), ``"a4"``, ``"letter"``.
``pdf_variant``
    a WeasyPrint variant (default ``"pdf/ua-1"``: tagged, accessible), or ``"none"``.
``pdf_engine``
    ``"auto"`` (default), ``"typst"`` or ``"weasyprint"`` (see :meth:`PdfWriter.engine`).
``whole_pdf``
    the PDF of the whole edition in :meth:`PdfWriter.finish`: ``None``/``"auto"``
    (default: when there are several units, up to :data:`WHOLE_PDF_AUTO_LIMIT`),
    ``True`` (always when there are several), ``False`` (never).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from edition import processes
from edition.diagnostics import Diagnostic, EditionError, EditionOutputError, EditionUsageError
from edition.document import XML_ID, XML_LANG, Document, tei
from edition.paths import safe_name

from .contract import as_options, as_record
from .engine import Context, Renderer, UnitResult, register_writer
from .pdf_glyphs import describe, set_printable
from .pdf_header import NUMBER_PREFIX as _NUMBER_PREFIX
from .pdf_header import Header, document_division, edition_front, front_page
from .pdf_header import attrs as _attrs
from .pdf_header import escape as _e
from .pdf_limits import MAX_IMAGE_BYTES, PRINT_TIME_BUDGET, PrintTimeout, image_problem, time_budget
from .pdf_markup import PrintMarkup
from .pdf_typst import TypstError, available, compile_source, count_pages, stop_server, supports
from .pdf_weasyprint import DEFAULT_VARIANT, PAGE_SIZES, BuildFolderFetcher, Rendered, page_css, render_pdf, stylesheet
from .stage import plain_text

__all__ = ["PAGE_SIZES", "PdfWriter", "WHOLE_PDF_AUTO_LIMIT", "BuildFolderFetcher", "document_division", "render_pdf"]

#: The values of ``options["pdf_engine"]`` (see :meth:`PdfWriter.engine`).
BOOK_ENGINES = ("auto", "typst", "weasyprint")

#: Above this many units the whole-edition PDF is opt-in (``whole_pdf=True``):
#: the 404 documents of a FRUS volume take minutes to lay out as one book.
WHOLE_PDF_AUTO_LIMIT = 60


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


@register_writer
class PdfWriter(PrintMarkup):
    """TEI → PDF through print HTML, set by Typst or WeasyPrint; one PDF per unit, one for the edition."""

    name = "pdf"
    format = "pdf"
    suffix = ".pdf"
    outputs = ("print",)

    # -- options ---------------------------------------------------------------------
    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        """Raise the usage error of a bad option before the build starts (E0901, exit 2)."""
        cls.page_size(options)
        cls.engine(options, cls.variant(options))
        if str(options.get("pdf_engine") or "").lower() == "typst":
            if not available():
                raise EditionUsageError.at("E0901", "pdf_engine 'typst' needs the typst package (pip install typst)")
            if not supports(cls.variant(options)):
                raise EditionUsageError.at("E0901", f"pdf_engine 'typst' writes PDF/UA-1 or a plain PDF, not "
                                           f"{options.get('pdf_variant')!r}; use pdf_engine 'auto' or 'weasyprint'")
        budget = options.get("pdf_time_budget", PRINT_TIME_BUDGET)
        if not isinstance(budget, (int, float)) or budget <= 0:
            raise EditionUsageError.at("E0901", f"pdf_time_budget must be a positive number of seconds, "
                                       f"not {budget!r}")

    @staticmethod
    def page_size(options: Mapping[str, Any]) -> str:
        value = str(options.get("page_size") or "frus").lower()
        if value not in PAGE_SIZES:
            raise EditionUsageError.at("E0901", f"unknown page size {value!r}; choose one of "
                                       f"{', '.join(PAGE_SIZES)}")
        return value

    @staticmethod
    def variant(options: Mapping[str, Any]) -> str | None:
        value = options.get("pdf_variant", DEFAULT_VARIANT)
        if value in (None, "", "none", False):
            return None
        from weasyprint.pdf import VARIANTS
        if value not in VARIANTS:
            raise EditionUsageError.at("E0901", f"unknown PDF variant {value!r}; choose 'none' or one of "
                                       f"{', '.join(sorted(VARIANTS))}")
        return str(value)

    @staticmethod
    def engine(options: Mapping[str, Any], variant: str | None = DEFAULT_VARIANT, images: bool = False) -> str:
        """The engine of a unit's PDF (``options["pdf_engine"]``): ``"typst"`` or ``"weasyprint"``.

        ``"auto"`` (default) is Typst (:mod:`edition.transforms.pdf_typst`: a FRUS document in
        0.05 s, where WeasyPrint takes 0.3-0.7 s) when it is installed and sets the unit as well:
        no image (WeasyPrint's fetcher reads it from the build folder and reports what it cannot)
        and a variant Typst writes (PDF/UA-1 or none; PDF/A needs a document date, which a
        deterministic build does not write). ``"typst"`` is Typst for every unit without an image."""
        value = str(options.get("pdf_engine") or "auto").lower()
        if value not in BOOK_ENGINES:
            raise EditionUsageError.at("E0901", f"unknown PDF engine {value!r}; choose one of "
                                       f"{', '.join(BOOK_ENGINES)}")
        if value == "weasyprint" or images:
            return "weasyprint"
        if value == "typst" or (available() and supports(variant)):
            return "typst"
        return "weasyprint"

    @classmethod
    def book_engine(cls, options: Mapping[str, Any], units: list[dict[str, Any]] | None = None,
                    variant: str | None = DEFAULT_VARIANT) -> str:
        """The engine of the whole edition's PDF: as :meth:`engine` (:mod:`edition.transforms.pdf_book`:
        a 400-document volume in a fraction of WeasyPrint's time and memory), except that
        ``"typst"`` sets a book with images too, each image as its alternative text."""
        if str(options.get("pdf_engine") or "").lower() == "typst":
            return "typst"
        return cls.engine(options, variant, any("<img" in r.get("print_html", "") for r in units or ()))

    # -- whole outputs -----------------------------------------------------------------
    def write_unit(self, document: Document, unit: etree._Element, options: Mapping[str, Any]) -> UnitResult:
        """The PDF of one unit: a front page, then the document with its notes."""
        planned = as_record(options)
        settings = planned.options.settings
        variant = self.variant(settings)
        budget = float(settings.get("pdf_time_budget", PRINT_TIME_BUDGET))
        with processes.temporary_folder() as folder:
            build = Path(folder)
            prepared = self.prepare(document, unit, planned, build)
            diagnostics = list(prepared.diagnostics)
            for url, node, reason in prepared.ctx.state["over_limit"]:
                diagnostics.append(document.diagnostic(node, "W0608", f"{url!r} is not printed: {reason}"))
            if settings.get("unit_pdfs") is False:  # only the whole edition's PDF (the book) is wanted
                return UnitResult(record={"source": document.path, "ref": prepared.info["ref"],
                                          "title": prepared.info["title"], **prepared.edition_record(),
                                          "print_chapters": list(planned.chapters)},
                                  diagnostics=diagnostics)
            # the time budget holds for both engines: it interrupts WeasyPrint's layout, and the wait
            # for Typst's server (whose native layout no signal reaches: the server is replaced)
            engine = "Typst" if self.engine(settings, variant, bool(prepared.ctx.state["resources"])) == "typst" \
                else "WeasyPrint"
            try:
                with time_budget(budget):
                    if engine == "Typst":
                        try:
                            rendered = self._typeset(prepared, settings, variant)
                        except TypstError:
                            if str(settings.get("pdf_engine") or "").lower() == "typst":
                                raise
                            # refused by one of Typst's own checks (PDF/UA-1's among them): WeasyPrint sets it
                            engine = "WeasyPrint"
                            rendered = render_pdf(prepared.page, build, variant)
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
            diagnostics.extend(document.diagnostic(unit, "W0610", describe(char, stand_in, count))
                               for char, (stand_in, count) in rendered.stand_ins.items())
            reported = rendered.refused + rendered.missing
            for message in dict.fromkeys(rendered.warnings):
                if not any(url in message for url in reported):
                    diagnostics.append(document.diagnostic(unit, "W0302", f"print edition: WeasyPrint says: {message}"))
        info = prepared.info
        path = f"{planned.basename}.pdf" if planned.basename else self._unit_path(document, unit)
        record = {
            "path": path, "source": document.path, "ref": info["ref"], "title": info["title"],
            "pages": rendered.pages, "bytes": len(rendered.pdf),
            "print_chapters": list(planned.chapters),  # the book's chapter headings and bookmarks
            **prepared.edition_record(),
        }
        return UnitResult(files={path: rendered.pdf}, record=record, diagnostics=diagnostics)

    def _typeset(self, prepared: Prepared, options: Mapping[str, Any], variant: str | None) -> Rendered:
        from .pdf_book import unit_source

        started = time.perf_counter()
        info = {**prepared.info, "volume": prepared.edition["title"]}
        source = unit_source(prepared.body, prepared.front, info, self.page_size(options))
        pdf, stand_ins = set_printable(source, lambda text: compile_source(text, variant))
        return Rendered(pdf=pdf, pages=count_pages(pdf), seconds=time.perf_counter() - started, refused=[],
                        missing=[], warnings=[], stand_ins=stand_ins)

    def prepare(self, document: Document, unit: etree._Element, options: Mapping[str, Any],
                build: Path) -> Prepared:
        """The print HTML of one unit (front page and document), ready for WeasyPrint.

        Local images the unit points to are copied into ``build``, the only
        folder the renderer may read.
        """
        planned = as_record(options)
        page_size = self.page_size(planned.options.settings)
        member = document.member(unit)
        header = Header.read(member)  # a corpus member's front page: its own header
        book = header if member is document else Header.read(document)  # the whole edition: the corpus's
        renderer: Renderer[str] = Renderer(self, document, self.behaviours, options=planned, unit=unit)
        ctx = renderer.ctx
        self._start(ctx, header, build)
        # page breaks printed between the previous document and this one (a volume's units)
        preceding = "".join(renderer.render(pb) for pb in planned.preceding)
        body = renderer.render(unit)
        division = document_division(unit)
        if renderer.model(division).behaviour != "document":
            # no section of its own (a text without document divisions, a volume's front or back
            # matter): one around the whole unit, without the id the division's own block carries
            body = f"<section{self._section_attrs(ctx, division, anchor=not division.get(XML_ID))}>{body}</section>"
        if preceding:
            body = body.replace(">", f">{preceding}", 1)  # inside the section, before its heading
        info = self._unit_info(document, unit, header)
        front = front_page(document, unit, header, info, diplomatic=bool(ctx.option("diplomatic")))
        self._copy_local_resources(ctx, build)
        page = self._page(info, front + body, page_size, lang=info["lang"])
        whole = info if book is header else self._unit_info(document, unit, book)
        edition = {"title": book.volume_title or whole["title"], "lang": whole["lang"],
                   "authors": whole["edition_authors"], "keywords": whole["edition_keywords"],
                   "front": edition_front(document, book)}
        return Prepared(page=page, body=body, info=info, ctx=ctx, edition=edition,
                        diagnostics=list(renderer.diagnostics()), front=front)

    def finish(self, records: list[dict[str, Any]], options: Mapping[str, Any]) -> dict[str, bytes]:
        """The whole edition's PDF when it has several units (see ``whole_pdf``)."""
        stop_server()  # the documents are set: a build run here (jobs=1) does not keep its Typst server
        settings = as_options(options).settings
        units = [record for record in records if "print_html" in record]
        wanted = settings.get("whole_pdf", "auto")
        if len(units) < 2 or wanted is False or (wanted in (None, "auto") and len(units) > WHOLE_PDF_AUTO_LIMIT):
            return {}
        try:
            name, rendered = self.whole(units, settings)
        except EditionError:
            raise
        except Exception as error:  # neither engine has an exception root of its own
            engine = "Typst" if self.book_engine(settings, units, self.variant(settings)) == "typst" else "WeasyPrint"
            raise EditionOutputError.at("E0603", f"{engine} could not render the whole edition's PDF "
                                        f"({type(error).__name__}: {error}); build with whole_pdf=False "
                                        "to make only the PDFs of the documents") from None
        return {name: rendered.pdf}

    def whole(self, units: list[dict[str, Any]], options: Mapping[str, Any]) -> tuple[str, Rendered]:
        """The whole edition's PDF: one front page, then every unit, pages numbered through
        (``options``: the writer options, :attr:`.contract.BuildOptions.settings`)."""
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
