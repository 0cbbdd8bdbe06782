"""The plain-text writer on the real memo, the FRUS corpora and small edge cases."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from conftest import MEMO, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wordorder import first_mismatch, output_words, tei_words, words

from edition.diagnostics import EditionUsageError
from edition.document import Document, load, parse, tei

# the engine's registry, not transforms.get_writer: that one imports every writer, and
# this file tests the text writer alone
from edition.transforms.engine import get_writer, missing_behaviours
from edition.transforms.text import TextWriter, plain, wrap

EXCERPT = ("corpus", "frus", "frus1958-60v19-d299-d302-context.xml")


def render(document: Document, unit, **options) -> str:
    result = get_writer("text")().write_unit(document, unit, options)
    assert len(result.files) == 1
    return next(iter(result.files.values())).decode("utf-8")


def tei_doc(body: str) -> Document:
    return parse(f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
                 f'<title>Header words stay out</title></titleStmt></fileDesc></teiHeader>'
                 f'<text><body>{body}</body></text></TEI>'.encode(), "test.xml")


def body_text(document: Document, **options) -> str:
    return render(document, document.root.find(tei("text")), **options)


# -- the memo (d300): our TEI, and the same document in the FRUS excerpt ---------

@pytest.fixture(scope="module", params=["memo", "excerpt"])
def d300(request) -> tuple[Document, object]:
    document = load(MEMO) if request.param == "memo" else load(shared_path(*EXCERPT))
    return document, document.element_for_ref("d300")


@pytest.fixture(scope="module")
def memo() -> Document:
    return load(MEMO)


def test_the_text_writer_implements_the_whole_vocabulary() -> None:
    assert missing_behaviours(TextWriter) == []
    assert get_writer("text") is TextWriter and get_writer("txt") is TextWriter


@pytest.mark.parametrize("width", [72, 60])
def test_lines_fit_the_width_and_carry_no_stray_space(d300, width: int) -> None:
    document, unit = d300
    options = {"width": width} if width != 72 else {}
    text = render(document, unit, **options)
    assert text.endswith("\n") and not text.endswith("\n\n")
    for number, line in enumerate(text.splitlines(), 1):
        assert len(line) <= width, f"line {number} has {len(line)} columns: {line!r}"
        assert line == line.strip(), f"line {number} has leading or trailing space: {line!r}"
        assert "  " not in line, f"line {number} has a double space: {line!r}"
        assert "\t" not in line


def test_title_dateline_and_subject_are_lines_of_their_own(d300) -> None:
    document, unit = d300
    lines = render(document, unit).splitlines()
    assert lines[0].startswith("300. Memorandum From the Director of the Bureau of Intelligence")
    title_end = lines.index(next(line for line in lines if line.startswith("=")))
    assert lines[title_end - 1].endswith("Herter[0]"), "the source note's call follows the title"
    assert set(lines[title_end]) == {"="} and len(lines[title_end]) == max(map(len, lines[:title_end]))
    assert "Washington, September 24, 1959." in lines
    subject = lines.index("SUBJECT")
    assert lines[subject + 1] == "Intelligence Note: Recent Reports on Sino-Soviet Disagreements"


def test_source_note_is_an_endnote_with_the_documents_number(d300) -> None:
    document, unit = d300
    text = render(document, unit)
    body, notes = text.split("\nNotes\n-----\n")
    assert notes.strip().startswith("[0] Source: Department of State, Intelligence Files: Lot 58")
    assert "Secret/Noforn." in notes
    assert "Source:" not in body
    assert body.count("[0]") == 1


def test_page_marker_only_on_request_between_urgent_and_peiping(d300) -> None:
    document, unit = d300
    without = render(document, unit)
    with_pages = render(document, unit, pages=True)
    assert "[Page" not in without
    assert "urgent Peiping" in " ".join(without.split())
    assert with_pages.count("[Page 594]") == 1
    assert "an urgent [Page 594] Peiping request" in " ".join(with_pages.split())


def test_reading_and_diplomatic_text(memo: Document) -> None:
    unit = memo.element_for_ref("d300")
    reading = " ".join(render(memo, unit).split())
    diplomatic = " ".join(render(memo, unit, diplomatic=True).split())
    assert "does suggest that the Sino-Soviet" in reading and "suggest wait" not in reading
    assert "does suggest wait the Sino-Soviet" in diplomatic and "suggest that the" not in diplomatic


def test_every_seed_word_in_order(memo: Document, shared: Path) -> None:
    seed = (shared / "seed" / "memo.txt").read_text(encoding="utf-8")
    # the seed is the web page's text: its endnote list numbers the source note "1."
    seed = re.sub(r"(?m)^\s*\d+\.\s+(?=Source:)", "", seed)
    text = render(memo, memo.element_for_ref("d300"), diplomatic=True, pages=True)
    # the seed has no dateline and no SUBJECT line: a few output words more than the seed
    problem = first_mismatch(words(seed), output_words(text), max_skip=8)
    assert problem is None, problem


def test_words_of_the_tei_in_order(d300) -> None:
    document, unit = d300
    for diplomatic in (False, True):
        text = render(document, unit, diplomatic=diplomatic, pages=True, width=60)
        problem = first_mismatch(tei_words(unit, diplomatic=diplomatic), output_words(text), max_skip=3)
        assert problem is None, problem


def test_output_is_deterministic_and_named_by_reference(d300) -> None:
    document, unit = d300
    writer = TextWriter()
    first = writer.write_unit(document, unit, {"pages": True})
    second = TextWriter().write_unit(document, unit, {"pages": True})
    assert first.files == second.files and list(first.files) == ["d300.txt"]
    assert first.record["ref"] == "d300" and first.record["file"] == "d300.txt"
    assert first.record["title"].endswith("Secretary of State Herter")
    assert first.diagnostics == []
    named = writer.write_unit(document, unit, {"basename": "memo"})
    assert list(named.files) == ["memo.txt"]


def test_plain_passage_for_citations(d300) -> None:
    document, _ = d300
    passage = plain(document, document.element_for_ref("d300.p4"))
    assert "\n" not in passage and passage.startswith("While available evidence does suggest")
    assert passage.endswith("accommodating to each other.")
    paragraph_1 = plain(document, document.element_for_ref("d300.p1"), width=40)
    assert all(len(line) <= 40 for line in paragraph_1.splitlines())
    assert "[Page" not in paragraph_1 and "urgent Peiping" in " ".join(paragraph_1.split())
    title = plain(document, document.element_for_ref("d300").find(tei("head")))
    assert title.endswith("Herter") and "Source" not in title


# -- the corpora: every word of every file, and no fallback ------------------------

def _corpus_ids() -> list[str]:
    from conftest import SHARED
    folder = SHARED / "corpus" / "frus-history-documents"
    return sorted(p.name for p in folder.glob("*.xml")) + [EXCERPT[-1]]


@pytest.fixture(scope="module", params=_corpus_ids())
def corpus_file(request) -> Document:
    name = request.param
    parts = EXCERPT if name == EXCERPT[-1] else ("corpus", "frus-history-documents", name)
    return load(shared_path(*parts))


def test_corpus_has_63_history_documents(history_documents: Path) -> None:
    assert len(list(history_documents.glob("*.xml"))) == 63


def test_corpus_words_in_order_without_fallback(corpus_file: Document) -> None:
    text_element = corpus_file.root.find(tei("text"))
    for options in ({}, {"diplomatic": True, "pages": True, "width": 60}):
        result = TextWriter().write_unit(corpus_file, text_element, options)
        output = next(iter(result.files.values())).decode("utf-8")
        fallbacks = [d for d in result.diagnostics if d.code == "W0301"]
        assert fallbacks == [], "\n".join(map(str, fallbacks))
        problem = first_mismatch(tei_words(text_element, diplomatic=bool(options)), output_words(output))
        assert problem is None, f"{corpus_file.path} {options}: {problem}"
        assert not re.search(r"(?m) +$", output), "no line ends in spaces"
        width = options.get("width", 72)
        assert max(map(len, output.splitlines()), default=0) <= width, f"a line is over {width} columns"


def test_corpus_units_each_keep_their_words(corpus_file: Document) -> None:
    writer = TextWriter()
    for unit in corpus_file.units():
        output = render(corpus_file, unit)
        problem = first_mismatch(tei_words(unit), output_words(output))
        assert problem is None, f"{corpus_file.path} unit {corpus_file.ref_of(unit)}: {problem}"
        assert writer.write_unit(corpus_file, unit, {}).diagnostics == []


# -- edge cases, small documents ---------------------------------------------------

def test_page_break_never_glues_words() -> None:
    document = tei_doc('<p>urgent<pb n="5"/>Peiping and hyphen-<pb n="6" break="no"/>ated</p>')
    assert body_text(document) == "urgent Peiping and hyphen-ated\n"
    assert body_text(document, pages=True) == "urgent [Page 5] Peiping and hyphen-[Page 6]ated\n"


def test_xml_indentation_is_not_content() -> None:
    document = tei_doc("<div><head>\n   A\n   head  </head>\n\n   <p>\n     one\n        two\t three </p>"
                       "<p>four</p></div>")
    assert body_text(document) == "A head\n======\n\none two three\n\nfour\n"


def test_notes_number_on_and_nest() -> None:
    document = tei_doc('<div type="document" xml:id="d1"><head>Title<note n="0">Source.</note></head>'
                       '<p>a<note>first <note>inner</note></note> b<note>second</note></p></div>')
    text = body_text(document)
    assert "Title[0]" in text and "a[1] b[3]" in text
    notes = text.split("Notes\n-----\n")[1]
    assert notes.strip().split("\n\n") == ["[0] Source.", "[1] first[2]", "[2] inner", "[3] second"]


def test_lists_tables_breaks_gaps_figures_and_links() -> None:
    document = tei_doc(
        '<list><item>one</item><item>two <list rend="numbered"><item>a</item><item n="x">b</item></list>'
        '</item></list>'
        '<list type="gloss"><label>US</label><item>United States</item></list>'
        '<table><head>Volumes</head><row><cell>Years</cell><cell>Number</cell></row>'
        '<row><cell>1900-1910</cell><cell>15</cell></row></table>'
        '<p>line one<lb/>line two, <gap/> and <ref target="https://history.state.gov/">the site</ref>'
        ' and <ref target="#d1">a local link</ref></p>'
        '<figure><graphic url="x.png"/><figDesc>A map</figDesc></figure>')
    text = body_text(document)
    assert "• one\n• two\n  1. a\n  x. b\n" in text
    assert "US: United States" in text
    assert "Volumes\nYears      Number\n1900-1910  15\n" in text
    assert "line one\nline two, […] and the site <https://history.state.gov/> and a local link\n" in text
    assert "[Figure: A map]" in text


def test_unknown_elements_keep_their_content_and_are_reported() -> None:
    document = tei_doc('<p>kept <mystery>words</mystery> here</p><p>and <foo xmlns="urn:x">more</foo></p>')
    result = TextWriter().write_unit(document, document.root.find(tei("text")), {})
    assert next(iter(result.files.values())) == b"kept words here\n\nand more\n"
    # an unknown TEI element (W0301) and an element of another namespace (W0303)
    assert [d.code for d in result.diagnostics] == ["W0301", "W0303"]
    assert all(d.line > 0 and "behaviour table" in d.message for d in result.diagnostics)


def test_header_and_standoff_are_not_text() -> None:
    document = tei_doc("<p>body</p>")
    assert body_text(document) == "body\n"
    assert render(document, document.root, basename="whole") == "body\n"


def test_width_must_be_usable() -> None:
    document = tei_doc("<p>body</p>")
    for width in (5, "wide"):
        with pytest.raises(EditionUsageError, match="width"):
            body_text(document, width=width)


def test_file_name_falls_back_to_the_file_stem() -> None:
    document = tei_doc("<p>body</p>")
    result = TextWriter().write_unit(document, document.root.find(tei("text")), {})
    assert list(result.files) == ["test.txt"]


def test_the_deepest_tree_the_parser_accepts_renders() -> None:
    inner = "deep"
    for _ in range(250):
        inner = f"<hi>{inner}</hi>"
    document = tei_doc(f"<p>{inner}</p>")
    assert body_text(document) == "deep\n"
    assert plain(document, document.root) == "deep"


def test_a_long_last_column_wraps_under_itself() -> None:
    document = tei_doc('<table><row><cell>1941-1950</cell><cell>75 (including wartime conferences and expanded '
                       'China subseries)</cell></row><row><cell>1900</cell><cell>15</cell></row></table>')
    assert body_text(document, width=40) == ("1941-1950  75 (including wartime\n"
                                             "           conferences and expanded\n"
                                             "           China subseries)\n"
                                             "1900       15\n")


def test_the_whole_volume_keeps_its_words_without_fallback(frus_volume: Path) -> None:
    """404 documents, front matter with a title page: one text, every word, no fallback."""
    document = load(frus_volume)
    text_element = document.root.find(tei("text"))
    result = TextWriter().write_unit(document, text_element, {"pages": True})
    assert result.diagnostics == [], "\n".join(map(str, result.diagnostics))
    output = next(iter(result.files.values())).decode("utf-8")
    problem = first_mismatch(tei_words(text_element), output_words(output))
    assert problem is None, problem
    assert "[Page 594]" in output and max(map(len, output.splitlines())) <= 72


# -- the wrapper: textwrap's lines, byte for byte ---------------------------------

def textwrap_lines(text: str, width: int, first: str, rest: str) -> list[str]:
    """What the text writer asked textwrap for before it had its own wrapper."""
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False, expand_tabs=False)


# (width, first-line indent, other lines' indent) as the writer uses them: a body
# paragraph, an endnote with its hanging indent, a bullet at the narrowest width
WRAPPINGS = [(72, "", ""), (40, "[12] ", "     "), (20, "• ", "  ")]


@pytest.fixture(scope="module")
def volume_paragraphs(frus_volume: Path) -> list[tuple[str, str]]:
    """Every paragraph of the volume: as the writer wraps it, and its raw XML text."""
    document = load(frus_volume)
    return [(plain(document, p, notes=True, pages=True), "".join(p.itertext()))
            for p in document.root.iter(tei("p"))]


def test_the_wrapper_equals_textwrap_on_every_paragraph_of_the_volume(volume_paragraphs) -> None:
    assert len(volume_paragraphs) > 3000
    for text, raw in volume_paragraphs:
        for width, first, rest in WRAPPINGS:
            assert wrap(text, width, first, rest) == textwrap_lines(text, width, first, rest), text
        # XML indentation, runs of spaces and line ends: textwrap's own loop, ported
        assert wrap(raw, 60, "  ", "") == textwrap_lines(raw, 60, "  ", ""), raw


_WORDS = st.one_of(
    st.text(alphabet="abcXYZ-\u2014.,'\u00a0", min_size=1, max_size=12),  # hyphens, em dashes, no-break spaces
    st.text(alphabet="abc-\u2014/", min_size=20, max_size=150),  # longer than a line
    st.sampled_from(["https://history.state.gov/historicaldocuments/frus1958-60v19/d300#fn:1.5.4.4.8.104.4.8",
                     "\u00a0", "\u00a0\u00a0", "\u2003", "\u3000", "\x1c", "\u2014", "[0]", "\u2014\u2014"]))
_GAPS = st.sampled_from([" ", " ", " ", "  ", "   ", " " * 30, "\t", "\n", "\r\n", "\x0b", "\x0c",
                         " \u00a0 ", " \u2003 ", "\u00a0", "\u2028", "\x85"])
_INDENTS = st.sampled_from(["", "", "  ", "• ", "1. ", "[12] ", "     ", " " * 30])


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORDS, max_size=40))
    gaps = draw(st.lists(_GAPS, min_size=len(words) + 1, max_size=len(words) + 1))
    text = "".join(gap + word for gap, word in zip(gaps, words, strict=False)) + gaps[-1]
    return text if draw(st.booleans()) else text.strip(" ")


WRAPPER = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


@WRAPPER
@given(st.one_of(hostile_text(), st.text(alphabet=" \t\n\u00a0\u2003ab-\u2014\x1c\x85", max_size=200)),
       st.integers(20, 120), _INDENTS, _INDENTS)
def test_the_wrapper_equals_textwrap_on_hostile_text(text: str, width: int, first: str, rest: str) -> None:
    assert wrap(text, width, first, rest) == textwrap_lines(text, width, first, rest)
