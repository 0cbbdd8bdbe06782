"""The print edition (transforms/pdf.py) on the real memo, the FRUS excerpt and hostile input.

The memo's PDF is built once per session and read back with pypdf: its
words, notes, margin page number, metadata, fonts and page size are what a
reader of the printed page meets.  Page 1 is rendered to a PNG kept in
test-artifacts/ (as is the PDF).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from io import BytesIO
from pathlib import Path

import pypdf  # noqa: E402
import pytest
from conftest import MEMO, SHARED, shared_path  # noqa: E402
from wordorder import first_mismatch, words  # noqa: E402

from edition.diagnostics import EditionUsageError  # noqa: E402
from edition.document import XML_ID, Document, load, parse, tei  # noqa: E402
from edition.transforms.engine import get_writer, missing_behaviours  # noqa: E402
from edition.transforms.pdf import PAGE_SIZES, BuildFolderFetcher, PdfWriter, document_division  # noqa: E402

SEED = SHARED / "seed" / "memo.txt"
POINTS = {"frus": (432.0, 648.0), "a4": (595.28, 841.89), "letter": (612.0, 792.0)}


# -- building ---------------------------------------------------------------------

def write_pdf(document: Document, unit, **options) -> tuple[bytes, dict, list]:
    result = PdfWriter().write_unit(document, unit, options)
    assert len(result.files) == 1, [str(d) for d in result.diagnostics]
    return next(iter(result.files.values())), result.record, result.diagnostics


def reader(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in reader(data).pages]


@pytest.fixture(scope="session")
def memo() -> Document:
    return load(MEMO)


#: Every check of the memo's PDF runs on both engines: the default (``auto``: Typst, for a unit
#: without images in PDF/UA-1) and WeasyPrint (the engine of units with images and of PDF/A).
ENGINES = {"auto": "Typst", "weasyprint": "WeasyPrint"}


@pytest.fixture(scope="session", params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def memo_pdf(memo: Document, engine: str, artifacts: Path) -> bytes:
    """The memo's PDF, as `edition build` makes it (6 × 9 in, PDF/UA-1), kept as an artifact."""
    data, record, diagnostics = write_pdf(memo, memo.element_for_ref("d300"), pdf_engine=engine)
    assert not [d for d in diagnostics if d.severity >= 2], [str(d) for d in diagnostics]
    suffix = "" if engine == "auto" else f"-{engine}"
    (artifacts / f"frus1958-60v19-d300{suffix}.pdf").write_bytes(data)
    return data


def made_by(data: bytes) -> str:
    info = reader(data).metadata
    return f"{info.get('/Creator', '')} {info.get('/Producer', '')}"


@pytest.fixture(scope="session")
def memo_pages(memo_pdf: bytes) -> list[str]:
    return page_texts(memo_pdf)


# -- the writer -------------------------------------------------------------------------

def test_the_pdf_writer_implements_the_whole_vocabulary() -> None:
    assert missing_behaviours(PdfWriter) == []


def test_the_pdf_writer_is_registered_for_print() -> None:
    assert get_writer("pdf") is PdfWriter
    assert get_writer("print") is PdfWriter
    assert PdfWriter.outputs == ("print",)


def test_an_unknown_page_size_is_a_usage_error(memo: Document) -> None:
    with pytest.raises(EditionUsageError, match="a4, letter"):
        PdfWriter().write_unit(memo, memo.element_for_ref("d300"), {"page_size": "folio"})


def test_a_single_document_file_prints_its_document_division(memo: Document) -> None:
    # edition build hands such a file over as its <text>
    assert document_division(memo.root.find(tei("text"))) is memo.element_for_ref("d300")


# -- the memo's PDF --------------------------------------------------------------------

def seed_parts() -> tuple[list[str], list[str]]:
    """The seed's text words (``[Page 594]`` taken out) and its note words (the list at the end)."""
    if not SEED.exists():
        pytest.skip(f"the seed text {SEED.name} is not in ../shared/seed (CI has it)")
    body, notes = [], []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        # the web page lists its notes at the end, numbered by its <ol> ("1."), not by the source
        match = re.match(r"^\s+\d+\.\s+(.*)$", line)
        if match:
            notes.append(match.group(1))
        else:
            body.append(re.sub(r"\[Page \d+\]", " ", line))
    return words(" ".join(body)), words(" ".join(notes))


def separate_calls(page: str) -> str:
    """Part a lettered call from the word it is set close up to ("thata" → "that a").

    The calls are known from the page's own textual notes ("a that] wait …"), so no
    word of the text is cut by guesswork.
    """
    for letter, lemma in re.findall(r"(?m)^([a-z]+) (.+?)\]", page):
        page = re.sub(rf"\b({re.escape(lemma)}){letter}\b", rf"\1 {letter}", page)
    return page


def test_every_seed_word_is_printed_in_order(memo_pages: list[str]) -> None:
    body, _ = seed_parts()
    # The print edition is a reading text: the printed "wait" (a typo, kept in <sic>) is
    # replaced by the correction "that"; the original is recorded in a lettered note
    # (test_the_correction_is_recorded_as_the_front_page_says).
    assert body.count("wait") == 1
    expected = ["that" if word == "wait" else word for word in body]
    # after the front page; running heads and footnotes at the foot of each page come between
    printed = words(" ".join(separate_calls(page) for page in memo_pages[1:]))
    problem = first_mismatch(expected, printed, max_skip=45)
    assert problem is None, problem


def test_each_footnote_is_on_the_page_of_its_call(memo: Document, memo_pages: list[str]) -> None:
    notes = memo.element_for_ref("d300").findall(f".//{tei('note')}")
    assert notes, "the memo has its source note"
    for note in notes:
        marker = note.get("n")
        before = note.xpath("string(preceding::text()[normalize-space()][1])")
        call = re.findall(r"\w+", before)[-1] + marker   # the call is set close up: "Herter0"
        call_pages = [i for i, text in enumerate(memo_pages) if re.search(rf"{call}\b", text)]
        assert len(call_pages) == 1, f"the call {call} is on pages {call_pages}"
        page = memo_pages[call_pages[0]]
        foot = re.search(rf"(?m)^{marker}\.\s", page)
        assert foot, f"note {marker} is not at the foot of page {call_pages[0] + 1}:\n{page}"
        assert first_mismatch(words(" ".join(note.itertext())), words(page[foot.end():]), max_skip=0) is None
    # the source note first, as in the printed volume, with its own marker 0 (the web's list says "1.")
    _, seed_notes = seed_parts()
    page = next(text for text in memo_pages if re.search(r"(?m)^0\.\s+Source:", text))
    first_foot = re.search(r"(?m)^(\d+)\.\s", page.split("Herter0", 1)[1])
    assert first_foot and first_foot.group(1) == "0"
    assert first_mismatch(seed_notes, words(page[page.index("0.  Source") if "0.  Source" in page
                                                 else page.index("0. Source"):]), max_skip=1) is None


def test_the_correction_is_recorded_as_the_front_page_says(memo_pages: list[str]) -> None:
    front = " ".join(memo_pages[0].split())
    # the front page quotes the edition's stated practice (editorialDecl/correction)
    assert "Evident typographical errors are not corrected silently" in front
    assert "the reading text gives the correction; the original reading is recorded" in front
    # reading text, with the call of a lettered note; the note on the same page records the original
    call_page = next(i for i, text in enumerate(memo_pages) if re.search(r"suggest\s+thata\s+the", text))
    assert re.search(r"(?m)^a that\] wait in the original \(typo; corrected by TEI Edition Toolkit project\)\.",
                     memo_pages[call_page])
    assert not re.search(r"suggest\s+wait", " ".join(memo_pages))


def test_the_margin_page_number_is_where_the_break_falls(memo_pdf: bytes, memo_pages: list[str]) -> None:
    # the seed's "[Page 594]" is the web edition's marker; print has a bar in the text, 594 in the margin
    page_index = next(i for i, text in enumerate(memo_pages) if re.search(r"urgent\s+\|\s+Peiping", text))
    assert re.search(r"(?m)^594$", memo_pages[page_index])
    positions: dict[str, float] = {}

    def visit(text: str, cm, tm, font, size) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        for token in ("594", "urgent"):
            if text.strip().startswith(token):
                positions.setdefault(token, x)

    reader(memo_pdf).pages[page_index].extract_text(visitor_text=visit)
    text_left = 0.75 * 72  # the inner margin of the 6 × 9 in page
    assert positions["594"] < text_left, positions


def test_pdf_metadata(memo_pdf: bytes) -> None:
    pdf = reader(memo_pdf)
    info = pdf.metadata
    assert info.title == ("Memorandum From the Director of the Bureau of Intelligence and Research "
                          "(Cumming) to Secretary of State Herter")
    assert info.author == "Hugh S. Cumming, Jr."
    assert info.subject == "Document 300, Foreign Relations of the United States, 1958–1960, China, Volume XIX"
    assert "Sino-Soviet relations" in info["/Keywords"] and "Taiwan Strait" in info["/Keywords"]
    assert pdf.trailer["/Root"]["/Lang"] == "en"


def test_pdf_ua_variant(memo_pdf: bytes) -> None:
    root = reader(memo_pdf).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert re.search(rb"pdfuaid:part(=\"|>)1", xmp), xmp


def test_the_engine_that_set_it(memo_pdf: bytes, engine: str) -> None:
    assert ENGINES[engine] in made_by(memo_pdf)


def test_pdf_a_by_option(memo: Document) -> None:
    data = write_pdf(memo, memo.element_for_ref("d300"), pdf_variant="pdf/a-3b")[0]
    assert "WeasyPrint" in made_by(data)  # Typst's PDF/A would need a document date: WeasyPrint's
    root = reader(data).trailer["/Root"]
    assert re.search(rb"pdfaid:part(=\"|>)3", root["/Metadata"].get_object().get_data())
    assert "/OutputIntents" in root
    with pytest.raises(EditionUsageError, match="pdf/ua-1"):
        PdfWriter().write_unit(memo, memo.element_for_ref("d300"), {"pdf_variant": "pdf/z"})


def test_the_diplomatic_option_prints_the_text_as_printed(memo: Document, engine: str) -> None:
    pages = page_texts(write_pdf(memo, memo.element_for_ref("d300"), diplomatic=True, pdf_engine=engine)[0])
    page = next(text for text in pages if re.search(r"suggest\s+waita\s+the", text))
    assert re.search(r"(?m)^a wait\] read that \(typo; corrected by TEI Edition Toolkit project\)\.", page)
    assert "the text is given as printed" in " ".join(pages[0].split())


def fonts_of(pdf: pypdf.PdfReader) -> dict[str, bool]:
    """Every font used, and whether its program is embedded (FontFile, FontFile2 or FontFile3)."""
    found: dict[str, bool] = {}
    for page in pdf.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            found[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def test_fonts_are_embedded(memo_pdf: bytes) -> None:
    fonts = fonts_of(reader(memo_pdf))
    assert fonts and all(fonts.values()), fonts
    # WeasyPrint names it Liberation-Serif, Typst by its PostScript name LiberationSerif
    assert any("Liberation-Serif" in name or "LiberationSerif" in name for name in fonts), fonts


def test_the_running_heads_and_page_numbers(memo_pages: list[str]) -> None:
    assert len(memo_pages) >= 3
    # page 1 is the front page: no head, no number
    assert "Document 300" not in memo_pages[0]
    for number, text in enumerate(memo_pages[1:], start=2):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if number % 2 == 0:   # left pages: the volume
            assert f"{number} Foreign Relations of the United States, 1958–1960, China, Volume XIX" in lines
        else:                 # right pages: the document
            assert any(re.fullmatch(rf"Document 300 · Memorandum From the Director of the Bureau of… {number}",
                                    line) for line in lines), lines


@pytest.mark.parametrize("size", ["frus", "a4", "letter"])
def test_page_size(memo: Document, memo_pdf: bytes, engine: str, size: str) -> None:
    data = memo_pdf if size == "frus" else write_pdf(memo, memo.element_for_ref("d300"), page_size=size,
                                                     pdf_engine=engine)[0]
    for page in reader(data).pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width, 1), round(height, 1)) == tuple(round(v, 1) for v in POINTS[size])
    assert set(PAGE_SIZES) == set(POINTS)


def test_the_pdf_is_deterministic(memo: Document, memo_pdf: bytes, engine: str) -> None:
    assert write_pdf(memo, memo.element_for_ref("d300"), pdf_engine=engine)[0] == memo_pdf


def test_the_front_page_carries_title_citation_and_credits(memo_pages: list[str]) -> None:
    front = " ".join(memo_pages[0].split())
    assert "300. Memorandum From the Director of the Bureau of Intelligence and Research (Cumming)" in front
    # the Chicago note from transforms/citations.py
    assert ("Hugh S. Cumming Jr., “Memorandum From the Director of the Bureau of Intelligence and Research "
            "(Cumming) to Secretary of State Herter,” September 24, 1959, in Foreign Relations of the United "
            "States, 1958–1960, Volume XIX, China, no. 300") in front
    assert "TEI encoding, editorial correction and annotation: TEI Edition Toolkit project" in front
    assert "Office of the Historian, U.S. Department of State" in front


def test_page_one_image(memo_pdf: bytes, artifacts: Path, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; the page image is not made")
    source = tmp_path / "memo.pdf"
    source.write_bytes(memo_pdf)
    target = artifacts / "frus1958-60v19-d300-page1"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(source),
                    str(target)], check=True, timeout=60)
    image = target.with_suffix(".png")
    data = image.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (480, 720)  # 6 × 9 in at 80 dpi


# -- no network, ever ---------------------------------------------------------------------

@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and stop) any connection attempt during the test."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network use in a test of the print edition")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))
    return attempts


def graphic_document(url: str) -> Document:
    return parse(f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
                 f'<title type="main">A figure</title></titleStmt><publicationStmt><p/></publicationStmt>'
                 f'<sourceDesc><p/></sourceDesc></fileDesc></teiHeader><text><body>'
                 f'<div type="document" xml:id="d1" n="1"><head>1. A figure</head>'
                 f'<p>Before the figure.</p><figure><graphic url="{url}"/><figDesc>A map</figDesc></figure>'
                 f'<p>After the figure.</p></div></body></text></TEI>'.encode(), "fixture-graphic.xml")


@pytest.mark.parametrize("url", ["http://example.com/map.png", "https://example.com/map.png",
                                 "file:///etc/hostname", "../../outside.png", "//example.com/map.png"])
def test_a_resource_outside_the_build_folder_is_refused_and_reported(url: str, no_sockets: list) -> None:
    document = graphic_document(url)
    data, _, diagnostics = write_pdf(document, document.element_for_ref("d1"))
    assert no_sockets == []
    assert data.startswith(b"%PDF-")
    assert "WeasyPrint" in made_by(data)  # a unit with an image: WeasyPrint, whose fetcher guards the folder
    reported = [d for d in diagnostics if d.code == "W0302"]
    assert len(reported) == 1, [str(d) for d in diagnostics]
    assert url in reported[0].message and reported[0].line > 0 and reported[0].xpath.endswith("tei:graphic")
    # the figure is not printed, and says so; its description and the text around it are
    printed = " ".join(page_texts(data)[1:])
    assert first_mismatch(words("Before the figure. A map After the figure."), words(printed), max_skip=3) is None
    assert "[figure not printed]" in printed


def test_the_fetcher_reads_only_inside_its_folder(tmp_path: Path) -> None:
    inside = tmp_path / "build"
    inside.mkdir()
    (inside / "a.png").write_bytes(b"png")
    (tmp_path / "secret.txt").write_text("secret")
    (inside / "link.png").symlink_to(tmp_path / "secret.txt")
    fetcher = BuildFolderFetcher(inside)
    assert fetcher.allows((inside / "a.png").as_uri())
    assert fetcher.allows("data:image/png;base64,iVBORw0KGgo=")
    for url in [(tmp_path / "secret.txt").as_uri(), (inside / "link.png").as_uri(),
                inside.as_uri() + "/../secret.txt", "http://localhost/a.png", "ftp://example.com/a",
                "file://example.com" + str(inside / "a.png")]:
        assert not fetcher.allows(url), url
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


# -- several units: the whole edition's PDF --------------------------------------------------

def test_the_whole_edition_pdf(no_sockets: list) -> None:
    excerpt = load(shared_path("corpus", "frus", "frus1958-60v19-d299-d302-context.xml"))
    writer = PdfWriter()
    records, unit_pages = [], 0
    for unit in excerpt.units():
        result = writer.write_unit(excerpt, unit, {})
        assert list(result.files) == [f"frus1958-60v19-d299-d302-context/{excerpt.ref_of(unit)}.pdf"]
        records.append(result.record)
        unit_pages += result.record["pages"]
    files = writer.finish(records, {})
    assert list(files) == ["frus1958-60v19-d299-d302-context.pdf"]
    pages = page_texts(files["frus1958-60v19-d299-d302-context.pdf"])
    text = " ".join(" ".join(pages).split())
    for number in ("299", "300", "301", "302"):
        assert f"{number}." in text
    # one front page for the volume, documents run on as in print, pages numbered through
    assert len(pages) < unit_pages
    assert writer.finish(records, {"whole_pdf": False}) == {}
    assert writer.finish(records[:1], {}) == {}
    assert no_sockets == []


# -- through `edition build` -------------------------------------------------------------

def test_edition_build_writes_the_memo_pdf(memo: Document, memo_pages: list[str], engine: str,
                                          tmp_path: Path) -> None:
    from edition import build as builder

    out = tmp_path / "edition"
    report = builder.build([MEMO], out=out, formats=["pdf"], jobs=1, options={"pdf_engine": engine})
    assert report.diagnostics == [], [str(d) for d in report.diagnostics]
    pdf = out / "pdf" / "d300.pdf"
    built = page_texts(pdf.read_bytes())
    assert len(built) == len(memo_pages)
    assert words(" ".join(built)) == words(" ".join(memo_pages))


def test_front_matter_pages_define_each_anchor_once() -> None:
    """A volume's list of persons is a page of its own: one section, one anchor (WeasyPrint
    warned "Anchor defined twice" when the page's wrapper repeated the division's id)."""
    from edition.build import document_units

    excerpt = load(shared_path("corpus", "frus", "frus1958-60v19-d299-d302-context.xml"))
    units, is_volume = document_units(excerpt)
    front = [unit for unit in units if unit.get(XML_ID) in ("terms", "persons")]
    assert is_volume and len(front) == 2
    writer = PdfWriter()
    for unit in front:
        result = writer.write_unit(excerpt, unit, {"pdf_engine": "weasyprint"})  # WeasyPrint's warning
        assert not [d for d in result.diagnostics if "defined twice" in d.message], \
            [str(d) for d in result.diagnostics]
        body = result.record["print_html"]
        assert body.count(f'id="{unit.get(XML_ID)}"') == 1
