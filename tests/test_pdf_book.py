"""The whole volume's book set by Typst (transforms/pdf_book.py), read back with pypdf.

The FRUS excerpt (four documents with their front and back matter) is built as the
volume is, and its book checked for what the print edition promises: 6 × 9 in pages,
running heads, notes on the page of their call, the printed volume's page numbers,
a table of contents with page numbers, bookmarks, embedded fonts, metadata and
PDF/UA-1 tagging; hostile text is set as text, never run as Typst code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from edition.build import build
from edition.diagnostics import EditionUsageError
from edition.transforms import pdf_book
from edition.transforms.pdf import PdfWriter


@pytest.fixture(scope="module")
def book(frus_excerpt: Path, tmp_path_factory: pytest.TempPathFactory) -> PdfReader:
    out = tmp_path_factory.mktemp("book") / "edition"
    report = build([frus_excerpt], out=out, formats=["pdf"], options={"whole_pdf": True, "unit_pdfs": False},
                   jobs=2, incremental=False)
    assert report.exit_code == 0, report.diagnostics
    files = sorted(p.relative_to(out / "pdf").as_posix() for p in (out / "pdf").rglob("*.pdf"))
    assert files == [f"{frus_excerpt.stem}.pdf"]  # --no-unit-pdfs: the book alone
    return PdfReader(out / "pdf" / files[0])


def _text(page) -> str:
    return re.sub(r"\s+", " ", page.extract_text())


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    found: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


def test_pages_are_six_by_nine_inches_and_typst_set_them(book: PdfReader) -> None:
    assert {(float(p.mediabox.width), float(p.mediabox.height)) for p in book.pages} == {(432.0, 648.0)}
    assert len(book.pages) >= 10
    assert book.metadata["/Creator"].startswith("Typst")


def test_a_bookmark_per_document_at_its_page_and_a_contents_with_page_numbers(book: PdfReader) -> None:
    outline = _outline(book)
    titles = [title for _, title, _ in outline]
    for number in ("299", "300", "301", "302"):
        assert any(title.startswith(f"{number}. ") for title in titles), titles
    # a bookmark's page is the page its heading is set on; the note inside a heading is not in it
    for _, title, page in outline:
        assert "Source:" not in title
        assert title[:25] in _text(book.pages[page - 1])
    contents = _text(book.pages[1])
    assert "Contents" in contents
    for _, title, page in outline:
        assert re.search(re.escape(title[:20]) + r".*?\. " + str(page), contents), title


def test_running_heads_name_the_volume_left_and_the_document_right(book: PdfReader) -> None:
    outline = {title.split(".")[0]: page for _, title, page in _outline(book)}
    right = outline["300"] if outline["300"] % 2 else outline["300"] + 1
    head = book.pages[right - 1].extract_text().splitlines()[0]
    assert head.startswith("Document 30") and head.endswith(str(right))
    even = next(n for n in range(4, len(book.pages)) if n % 2 == 0)
    left = book.pages[even - 1].extract_text().splitlines()[0]
    assert left == f"{even} Foreign Relations of the United States, 1958–1960, China, Volume XIX"


def test_notes_stand_on_the_page_of_their_call(book: PdfReader) -> None:
    # d300's source note (0) and its numbered notes: the note's text on the same page as the heading
    outline = {title.split(".")[0]: page for _, title, page in _outline(book)}
    page = _text(book.pages[outline["300"] - 1])
    assert "Memorandum From the Director of the Bureau of Intelligence" in page
    assert "Source: Department of State" in page
    text = " ".join(_text(p) for p in book.pages)
    assert text.count("Source: Department of State") >= 4  # every document's source note, once each


def test_the_printed_volumes_page_numbers_are_in_the_margin(book: PdfReader) -> None:
    numbers = set()
    for page in book.pages:
        numbers.update(re.findall(r"(?m)^(59\d|60\d)$", page.extract_text()))
    assert {"591", "595", "599"} <= numbers


def test_fonts_embedded_metadata_and_pdf_ua_1(book: PdfReader) -> None:
    root = book.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert book.metadata["/Title"] == "Foreign Relations of the United States, 1958–1960, China, Volume XIX"
    assert "Harriet Dashiell Schwar" in book.metadata["/Author"]
    assert "/CreationDate" not in book.metadata  # deterministic bytes
    for page in book.pages[:4]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font
                          else font)["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


HOSTILE = ('<section class="document" id="d1" data-running="Document 1 · #set page(width: 1in)">'
           '<h2>1. A #strong[title] with $math$ and \\ and "quotes"<span class="fn source" data-n="0">'
           'Source: [note] #panic("x") </span></h2>'
           '<p>#read("/etc/passwd") ]] [[ <b>x</b> @ref &lt;label&gt; * _ ` ~ -- ... = + / 1. x: '
           '<span class="italic">#emph</span>)(</p></section>')


def test_hostile_text_is_set_as_text_never_run() -> None:
    units = [{"print_html": HOSTILE, "print_chapters": ["Chapter #1 [x]"], "source": "x.xml", "title": "t"}]
    info = {"title": 'Vol "#1"', "authors": ["A \\ B"], "keywords": [], "lang": "en"}
    made = pdf_book.typeset(units, info, "<div class='front'><h1>Vol #1</h1></div>", "frus", "pdf/ua-1")
    reader = PdfReader(BytesIO(made.pdf))
    text = " ".join(_text(page) for page in reader.pages)
    for literal in ("#set page(width: 1in)", "#strong[title]", "$math$", '#read("/etc/passwd")', "]] [[",
                    "@ref <label>", "Source: [note] #panic(\"x\")", "#emph"):
        assert literal in text, literal
    assert [title for _, title, _ in _outline(reader)][-2:] == ["Chapter #1 [x]",
                                                                '1. A #strong[title] with $math$ and \\ and "quotes"']
    assert reader.metadata["/Title"] == 'Vol "#1"'


def test_the_engine_is_an_option(memo_path: Path, frus_excerpt: Path, tmp_path: Path) -> None:
    with pytest.raises(EditionUsageError):
        PdfWriter.check_options({"pdf_engine": "latex"})
    with pytest.raises(EditionUsageError, match="PDF/UA-1"):  # Typst's PDF/A would need a document date
        PdfWriter.check_options({"pdf_engine": "typst", "pdf_variant": "pdf/a-3b"})
    # a document's PDF: Typst by default, WeasyPrint for images and PDF/A, or when asked
    assert PdfWriter.engine({}) == "typst" and PdfWriter.engine({}, None) == "typst"
    assert PdfWriter.engine({}, images=True) == PdfWriter.engine({"pdf_engine": "typst"}, images=True) == "weasyprint"
    assert PdfWriter.engine({}, "pdf/a-3b") == PdfWriter.engine({"pdf_engine": "weasyprint"}) == "weasyprint"
    assert PdfWriter.book_engine({}) == "typst"
    assert PdfWriter.book_engine({}, [{"print_html": "<img src='a.png'>"}]) == "weasyprint"  # images
    assert PdfWriter.book_engine({}, [], "pdf/a-4") == "weasyprint"
    report = build([memo_path, frus_excerpt], out=tmp_path / "e", formats=["pdf"], jobs=2, incremental=False,
                   options={"whole_pdf": True, "unit_pdfs": False, "pdf_engine": "weasyprint"})
    assert report.exit_code == 0
    reader = PdfReader(tmp_path / "e" / "pdf" / "edition.pdf")
    assert "WeasyPrint" in reader.metadata.get("/Producer", "")


def test_documents_through_typst_when_asked(memo_path: Path, tmp_path: Path) -> None:
    report = build([memo_path], out=tmp_path / "e", formats=["pdf"], jobs=1, incremental=False,
                   options={"pdf_engine": "typst"})
    assert report.exit_code == 0, report.diagnostics
    reader = PdfReader(tmp_path / "e" / "pdf" / "d300.pdf")
    assert reader.metadata["/Creator"].startswith("Typst")
    pages = [_text(page) for page in reader.pages]
    assert "Citation" in pages[0] and "Foreign Relations of the United States" in pages[0]
    assert not re.match(r"\d", pages[0])  # the front page has no running head
    body = " ".join(pages[1:])
    assert "Herter0" in body and "0. Source: Department of State" in body
    assert "a that] wait in the original" in body  # the correction's lettered note
    assert "594" in body  # the printed volume's page in the margin
    assert "<pdfuaid:part>1</pdfuaid:part>" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


FORKED = """
import sys
from pathlib import Path
from edition.build import build
memo, excerpt, out = (Path(a) for a in sys.argv[1:])
first = build([memo], out=out / "a", formats=["pdf"], jobs=1, incremental=False)
second = build([excerpt], out=out / "b", formats=["pdf"], jobs=2, incremental=False, options={"whole_pdf": False})

def children() -> int:  # processes of ours still running: a Typst server is not kept after a build
    import os
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:  # ended meanwhile
            continue
        count += stat.rsplit(") ", 1)[-1].split()[1] == str(os.getpid())
    return count
print(first.exit_code, second.exit_code, first.units, second.units, "typst" in sys.modules, children())
"""


def test_documents_through_typst_on_both_cores_after_typst_ran_in_the_process(
        memo_path: Path, frus_excerpt: Path, tmp_path: Path) -> None:
    """A library user's second build: Typst has set a document in this process (jobs=1), then a
    build forks two workers. Typst's thread pool does not survive a fork, so Typst never runs in
    the build's processes (each has a Typst server of its own): the workers set every document,
    without waiting forever on the parent's threads, and typst is never even imported here."""
    done = subprocess.run([sys.executable, "-c", FORKED, str(memo_path), str(frus_excerpt), str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second, _, units, imported, children = done.stdout.split()
    assert (first, second, imported, children) == ("0", "0", "False", "0")
    pdfs = sorted((tmp_path / "b" / "pdf").rglob("*.pdf"))
    assert len(pdfs) == int(units) >= 6
    for pdf in [tmp_path / "a" / "pdf" / "d300.pdf", *pdfs]:
        reader = PdfReader(pdf)
        assert reader.metadata["/Creator"].startswith("Typst"), pdf
        assert "/StructTreeRoot" in reader.trailer["/Root"]


def _structure(node, found: list[tuple[str, list[str]]]) -> None:
    """Every structure element's type and its children's types, depth first."""
    node = node.get_object()
    kids = node.get("/K")
    kids = kids if isinstance(kids, list) else [] if kids is None else [kids]
    children = [kid.get_object() for kid in kids if hasattr(kid, "get_object")]
    children = [child for child in children if isinstance(child, dict) and "/S" in child]
    found.append((str(node.get("/S")), [str(child["/S"]) for child in children]))
    for child in children:
        _structure(child, found)


def test_a_long_list_with_printed_pages_is_a_tagged_list(tmp_path: Path) -> None:
    """An index: nested lists over several pages, the printed volume's page breaks between and
    inside their items. Typst sets it (its own PDF/UA-1 check once refused such a list when a
    margin number was drawn on a page the list ran over), bullets and all, tagged L > LI."""
    from edition.document import parse

    def entries(depth: int, count: int) -> str:
        items = []
        for n in range(1, count + 1):
            sub = f"<list>{entries(depth + 1, 7)}</list>" if depth < 3 and n % 7 == 0 else ""
            page = f'<pb n="{800 + n}"/>' if depth == 1 and n % 25 == 0 else ""
            items.append(f"{page}<item>Entry {depth}.{n}, {n * 3}{sub}</item>")
        return "".join(items)

    document = parse(('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title type="main">'
                      'An index</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc>'
                      '</fileDesc></teiHeader><text><body><div type="document" xml:id="d1" n="1"><head>1. Index</head>'
                      f'<list>{entries(1, 120)}</list></div></body></text></TEI>').encode(), "fixture-index.xml")
    result = PdfWriter().write_unit(document, document.element_for_ref("d1"), {})
    reader = PdfReader(BytesIO(next(iter(result.files.values()))))
    assert reader.metadata["/Creator"].startswith("Typst")  # not refused by Typst, so not WeasyPrint's
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 4 and "• Entry 1.1, 3" in text and "Entry 3.3, 9" in text
    assert re.search(r"(?m)^825$", "\n".join(page.extract_text() for page in reader.pages))
    found: list[tuple[str, list[str]]] = []
    _structure(reader.trailer["/Root"]["/StructTreeRoot"], found)
    lists = [children for kind, children in found if kind == "/L"]
    # one list of 120 items, its 17 sublists and theirs (a sublist stands in its list, as Typst tags it)
    assert len(lists) == 1 + 17 + 17
    assert all(children and set(children) <= {"/LI", "/L"} for children in lists), \
        [sorted(set(children)) for children in lists if set(children) - {"/LI", "/L"}]
    assert max(children.count("/LI") for children in lists) == 120
