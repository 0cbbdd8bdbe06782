"""The whole TEI vocabulary in the behaviour table, checked against TEI P5 itself.

The table is compared with every element specification of ``p5subset.xml`` (TEI P5 4.8.0, as
vendored in ``schema/tei-p5/``): an element only the fallback would render is named, a name in the
table that TEI does not have (a typo) is named, and the models follow TEI simplePrint's processing
models (``tei_simplePrint.odd``) except where a difference is written down here with its reason.
Elements out of place, and elements of other namespaces, still render with all their text.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from lxml import etree
from wordorder import html_words, output_words, tei_words

from edition import resources
from edition.build import build
from edition.document import TEI_NS, parse, tei
from edition.odd import module_map
from edition.transforms.behaviours import DEFAULT, DEFAULT_TABLE, BehaviourTable, m
from edition.transforms.engine import get_writer, once_per_file
from edition.transforms.text import plain
from edition.transforms.vocabulary import EXAMPLES_NS, ROWS
from edition.validate import iter_problems


@pytest.fixture(scope="module")
def p5_elements() -> dict[str, str]:
    """element → module, of every element of TEI P5."""
    return module_map(resources.tei_p5_dir() / "p5subset.xml")


def test_every_tei_p5_element_has_a_row(p5_elements: dict[str, str]) -> None:
    only_fallback = sorted(f"{name} ({module})" for name, module in p5_elements.items() if name not in DEFAULT)
    assert only_fallback == [], f"rendered only by the fallback: {', '.join(only_fallback)}"
    assert len(p5_elements) == 587  # TEI P5 4.8.0; a new release adds elements to map


def test_every_row_names_a_tei_element(p5_elements: dict[str, str]) -> None:
    tei_rows = [name.rpartition("}")[2] for name in DEFAULT.elements() if name.startswith(f"{{{TEI_NS}}}")]
    assert sorted(set(tei_rows) - set(p5_elements)) == []


def test_the_data_module_and_the_core_table_do_not_overlap() -> None:
    # the core table would silently win over a row of the data module
    assert sorted(set(ROWS) & set(DEFAULT_TABLE)) == []


def _names(names: str) -> list[str]:
    return names.split()


#: TEI simplePrint's model of each of its elements (the unconditional one, or the one that
#: applies outside the header), transcribed from tei_simplePrint.odd (TEIC/TEI, P5/Exemplars).
SIMPLE_PRINT = {
    **dict.fromkeys(_names("""abbr actor add am author biblScope c code corr date del desc docAuthor docDate docEdition
        editor email ex expan figDesc foreign formula g gap hi measure name num orig pc reg relatedItem rhyme rs
        s seg sic subst supplied time title unclear w"""), "inline"),
    **dict.fromkeys(_names("""address addrLine argument byline closer dateline div docTitle epigraph floatingText
        imprimatur l lg opener postscript role roleDesc sp spGrp titlePage titlePart trailer"""), "block"),
    **dict.fromkeys(_names("castGroup castList list listBibl"), "list"),
    **dict.fromkeys(_names("castItem item"), "listItem"),
    **dict.fromkeys(_names("lb pb"), "break"),
    **dict.fromkeys(_names("encodingDesc profileDesc revisionDesc"), "omit"),
    "salute": "block", "signed": "inline", "speaker": "block", "stage": "block", "docImprint": "inline",
    "fw": "inline", "milestone": "inline", "cb": "break",
    "ab": "paragraph", "p": "paragraph", "cell": "cell", "row": "row", "table": "table", "head": "heading",
    "note": "note", "ref": "link", "choice": "alternate", "graphic": "graphic", "teiHeader": "metadata",
}

#: What each simplePrint behaviour is called here (several of ours refine one of theirs).
FAMILIES = {
    "inline": {"inline", "entity", "date", "quote", "gap", "figure", "label"},
    "block": {"block", "paragraph", "figure"},
    "list": {"list"},
    "listItem": {"item"},
    "break": {"line-break", "page-break"},
    "omit": {"omit"},
    "paragraph": {"paragraph"},
    "cell": {"cell"}, "row": {"row"}, "table": {"table"}, "heading": {"heading"}, "note": {"note"},
    "link": {"link"}, "alternate": {"alternate"}, "graphic": {"figure"}, "metadata": {"metadata"},
}

#: Where this table departs from simplePrint on purpose.
DEPARTURES = {
    "speaker": "inline: the speaker's name runs into the first line of the speech in every output",
    "stage": "inline: a stage direction stands where it stands, inside a line or between speeches",
    "docImprint": "block: the imprint of a title page is a line of its own, as docEdition is not",
    "signed": "block: a signature is a line of its own wherever it stands (simplePrint: in a closer only)",
    "fw": "omit: running heads, signatures and catchwords are the printed page's, not the text's "
          "(the transform stage keeps the word they interrupt whole)",
    "milestone": "omit: a milestone marks a reference system, it has no text to show",
    "cb": "omit: a column of the printed page is not a unit of the reading text",
}


def _default_model(name: str) -> str:
    models = DEFAULT.models(tei(name))
    unconditional = [model for model in models if model.predicate is None and model.output in (None, "web")]
    return unconditional[0].behaviour


@pytest.mark.parametrize("name", sorted(SIMPLE_PRINT))
def test_the_models_follow_simple_print(name: str) -> None:
    ours = _default_model(name)
    if name in DEPARTURES:  # written down, and still true
        assert ours not in FAMILIES[SIMPLE_PRINT[name]], f"<{name}> follows simplePrint now: drop its departure"
        assert DEPARTURES[name].startswith(ours)
    else:
        assert ours in FAMILIES[SIMPLE_PRINT[name]], f"<{name}>: simplePrint says {SIMPLE_PRINT[name]}, we say {ours}"


def test_every_listed_module_element_is_mapped_without_the_fallback(p5_elements: dict[str, str]) -> None:
    # the modules the issue names, element by element
    wanted = {"transcr", "textcrit", "msdescription", "drama", "verse", "dictionaries", "analysis", "figures",
              "tagdocs"}
    missing = sorted(name for name, module in p5_elements.items() if module in wanted and name not in DEFAULT)
    assert missing == []
    for name in ("listBibl", "biblStruct", "analytic", "monogr", "imprint", "w", "pc", "c", "s", "seg"):
        assert name in DEFAULT


# -- rendering: nothing is lost ----------------------------------------------------------------

def _tei(body: str, extra_ns: str = "") -> bytes:
    return (f'<TEI xmlns="{TEI_NS}"{extra_ns}><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>'
            '<publicationStmt><p>P</p></publicationStmt><sourceDesc><p>S</p></sourceDesc></fileDesc></teiHeader>'
            f'<text><body>{body}</body></text></TEI>').encode()


def _render(data: bytes, writer: str) -> tuple[str, list]:
    document = parse(data, "test.xml")
    text = document.root.find(tei("text"))
    result = get_writer(writer)().write_unit(document, text, {"basename": "test"})
    (content,) = [value for file, value in result.files.items() if file.endswith((".html", ".txt"))]
    return content.decode("utf-8"), result.diagnostics


BIBLIOGRAPHY = """<listBibl><head>Works cited</head>
<biblStruct><analytic><author>Ada Lovelace</author> <title level="a">Sketch of the Engine</title></analytic>
<monogr><title level="j">Scientific Memoirs</title> <imprint><pubPlace>London</pubPlace>
<date when="1843">1843</date></imprint></monogr></biblStruct>
<bibl>Babbage, <title>Passages</title>, 1864</bibl>
<msDesc><msIdentifier><settlement>Oxford</settlement> <repository>Bodleian Library</repository>
<idno>MS Dep 1</idno></msIdentifier><msContents><msItem><locus>fol. 1r</locus> <title>Notes on the
Engine</title></msItem></msContents><physDesc><objectDesc><supportDesc><support>Paper</support>
</supportDesc></objectDesc></physDesc></msDesc></listBibl>
<div><head>Text</head><p>After the bibliography.</p></div>"""

TRANSCRIPTION = """<div><p>The <subst><del>old</del> <add>new</add></subst> reading, <damage>torn</damage>,
<app><lem wit="#A">lemma</lem><rdg wit="#B">variant</rdg></app>, <choice><abbr>Dr</abbr><expan>Doctor</expan></choice>,
<am>ꝑ</am> <surplus>extra</surplus> <secl>secluded</secl> <handShift new="#h2"/>second hand
<space quantity="3" unit="chars"/> <formula notation="TeX">e = mc^2</formula>.</p>
<entry><form><orth>Wort</orth> <pron>vɔrt</pron></form> <gramGrp><pos>n</pos> <gen>n</gen></gramGrp>
<sense n="1"><def>a word</def> <cit type="example"><quote>ein Wort</quote></cit></sense></entry>
<castList><castItem><role>Romeo</role> <roleDesc>a Montague</roleDesc></castItem></castList>
<sp><speaker>ROMEO</speaker><l><w>But</w><c> </c><w>soft</w><pc>!</pc></l></sp>
<p>See <gi>persName</gi> and <att>ref</att> with <val>#x</val>, <tag>p</tag>, <ident>tei_all</ident>.</p>
<eg>&lt;p&gt;an example&lt;/p&gt;</eg></div>"""


@pytest.mark.parametrize("writer", ["text", "html"])
@pytest.mark.parametrize("body", [BIBLIOGRAPHY, TRANSCRIPTION], ids=["bibliography", "transcription"])
def test_every_word_renders_without_warnings(writer: str, body: str) -> None:
    data = _tei(body)
    output, diagnostics = _render(data, writer)
    assert [d for d in diagnostics if d.code in ("W0301", "W0303")] == []
    # the reading text shows the added word of a substitution; the deleted one is the diplomatic text's
    expected = [word for word in tei_words(parse(data).root.find(tei("text"))) if word != "old"]
    got = html_words(output.encode()) if writer == "html" else output_words(output)
    missing = collections.Counter(expected) - collections.Counter(got)
    assert not missing, f"{writer}: words lost: {sorted(missing)}"


def test_the_fallback_keeps_all_text_and_says_so_once() -> None:
    data = _tei("<div><p>Before <sparkle>inside <sparkle>nested words</sparkle></sparkle> after.</p></div>")
    messages = set()
    for writer in ("text", "html"):
        output, diagnostics = _render(data, writer)
        assert "inside" in output and "nested words" in output and "after" in output
        assert [d.code for d in diagnostics] == ["W0301"]
        messages.add(diagnostics[0].message)
    # the same words from every writer: the build keeps one of them per file
    assert len(messages) == 1 and "<sparkle>" in messages.pop()


FOREIGN = ('<div><p>Plain <h:b>bold</h:b> <h:script>alert("x")</h:script> text '
           '<svg:svg onload="alert(1)"><svg:text>drawn words</svg:text></svg:svg> '
           '<m:math><m:mi>x</m:mi></m:math> <vg:whiteline/> <vg:mark>own words</vg:mark>.</p>'
           '<egXML xmlns="http://www.tei-c.org/ns/Examples"><p>an <hi>example</hi></p></egXML></div>')
NAMESPACES = (' xmlns:h="http://www.w3.org/1999/xhtml" xmlns:svg="http://www.w3.org/2000/svg"'
              ' xmlns:m="http://www.w3.org/1998/Math/MathML" xmlns:vg="http://www.vangoghletters.org/ns/"')


#: The words of FOREIGN's paragraph as every output shows them (a script's text as text).
SHOWN = ["plain", "bold", "alert", "x", "text", "drawn", "words", "x", "own", "words"]


def test_elements_of_other_namespaces_render_safely_with_their_text() -> None:
    data = _tei(FOREIGN, NAMESPACES)
    page, diagnostics = _render(data, "html")
    for words in (SHOWN, ["an", "example"]):
        assert " ".join(words) in " ".join(html_words(page.encode()))
    lowered = page.lower()
    lowered = lowered[lowered.index("<main"):lowered.index("</main>")]  # the page's own scripts are elsewhere
    # a script's text is shown as text, never run
    assert "<script" not in lowered and "onload" not in lowered and "<svg" not in lowered
    assert "<h:" not in lowered and "<math" not in lowered and "<b>" not in lowered
    # one finding per element name; none for the TEI's own examples (egXML)
    assert all(d.code == "W0303" for d in diagnostics)
    names = sorted(d.message.split(">")[0] + ">" for d in diagnostics)
    assert names == ["<b>", "<mark>", "<math>", "<mi>", "<script>", "<svg>", "<text>", "<whiteline>"]
    text, _ = _render(data, "text")
    for words in (SHOWN, ["an", "example"]):
        assert " ".join(words) in " ".join(output_words(text))


def test_a_foreign_element_is_reported_once_per_name_and_file(tmp_path: Path) -> None:
    volume = (f'<div type="document" xml:id="d1"><head>One</head>{FOREIGN}</div>'
              '<div type="document" xml:id="d2"><head>Two</head>'
              '<p>More <vg:whiteline/> <sparkle>x</sparkle></p></div>')
    source = tmp_path / "two.xml"
    source.write_bytes(_tei(volume, NAMESPACES))
    report = build([source], out=tmp_path / "out", formats=["html", "text"])
    found = collections.Counter((d.code, d.message.split(">")[0]) for d in report.diagnostics
                                if d.code in ("W0301", "W0303"))
    assert found and all(count == 1 for count in found.values()), found
    assert ("W0303", "<whiteline") in found and ("W0301", "<sparkle") in found


def test_once_per_file_keeps_other_findings() -> None:
    document = parse(_tei("<p>x</p>"), "a.xml")
    one = document.diagnostic(document.root, "W0301", "<x> is not in the behaviour table")
    other = document.diagnostic(document.root, "W0302", "link")
    assert once_per_file([one, other, one, other]) == [one, other, other]


OUT_OF_PLACE = """<div><p>A paragraph holding an <entry><form><orth>entry</orth></form>
<sense><def>out of place</def></sense></entry>, a <msDesc><msIdentifier><idno>MS 1</idno></msIdentifier>
</msDesc>, a <lg><l>line of verse</l></lg> and a <listBibl><bibl>book</bibl></listBibl> inside it.</p>
<list><item>item</item><biblStruct><monogr><title>stray</title></monogr></biblStruct> text between
<castItem><role>stray role</role></castItem></list></div>"""


def test_invalid_tei_is_reported_and_still_rendered_whole(tmp_path: Path) -> None:
    source = tmp_path / "invalid.xml"
    source.write_bytes(_tei(OUT_OF_PLACE))
    problems = [d for d in iter_problems(source) if d.code.startswith("E01")]
    assert problems, "validate reports the elements out of place"
    expected = tei_words(parse(source.read_bytes()).root.find(tei("text")))
    for writer in ("text", "html"):
        output, diagnostics = _render(source.read_bytes(), writer)
        got = html_words(output.encode()) if writer == "html" else output_words(output)
        missing = collections.Counter(expected) - collections.Counter(got)
        assert not missing, f"{writer}: words lost: {sorted(missing)}"
        assert [d for d in diagnostics if d.code == "W0301"] == []


def test_a_namespace_row_gives_every_element_of_it_one_behaviour() -> None:
    table = BehaviourTable({"p": (m("paragraph"),)})
    table.add_namespace("urn:x", (m("inline", "@keep"), m("omit")))
    document = parse(b'<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:x="urn:x"><text><body><p>'
                     b'<x:a keep="1"/><x:b/></p></body></text></TEI>')
    first, second = document.root.iter("{urn:x}a", "{urn:x}b")
    assert table.select(first, ("web",)).behaviour == "inline"
    assert table.select(second, ("web",)).behaviour == "omit"
    assert DEFAULT.select(next(etree.ElementTree(etree.fromstring(
        f'<egXML xmlns="{EXAMPLES_NS}"><p/></egXML>'.encode())).iter(f"{{{EXAMPLES_NS}}}p")), ("web",)).behaviour \
        == "pass"


def test_plain_text_of_a_bibliography_keeps_its_entries() -> None:
    # the text of a listBibl (a citation's passage) keeps every entry, as the text output does
    document = parse(_tei(BIBLIOGRAPHY))
    listing = document.root.find(f".//{tei('listBibl')}")
    passage = plain(document, listing)
    for phrase in ("Ada Lovelace", "Scientific Memoirs", "Babbage", "Bodleian Library", "Paper"):
        assert phrase in passage


def _word(index: int) -> str:
    """A word of letters only, different for every index (``qza``, ``qzb``, …)."""
    letters = ""
    while True:
        index, rest = divmod(index, 26)
        letters = chr(ord("a") + rest) + letters
        if not index:
            return f"qz{letters}"


@pytest.mark.parametrize("writer", ["text", "html"])
def test_every_element_renders_its_text_wherever_it_stands(writer: str, p5_elements: dict[str, str]) -> None:
    """Each of the 587 elements, once between blocks and once inside a paragraph, with a word of its own."""
    names = sorted(p5_elements)
    between = "\n".join(f"<{name}>{_word(2 * i)}</{name}>" for i, name in enumerate(names))
    inside = "".join(f"<{name}>{_word(2 * i + 1)}</{name}> " for i, name in enumerate(names))
    data = _tei(f"<div>{between}<p>{inside}</p></div>")
    output, diagnostics = _render(data, writer)
    assert [str(d) for d in diagnostics if d.code in ("W0301", "W0303")] == []
    shown = set(html_words(output.encode()) if writer == "html" else output_words(output))
    # omitted on purpose (no text of the document), or the header (metadata, not text); empty
    # elements (a break, a pointer, an image: text in them is ignored by every TEI processor), and
    # divGen, whose contents are generated
    omitted = {name for name in names if DEFAULT.models(tei(name))[-1].behaviour in ("omit", "metadata")}
    omitted |= {"lb", "pb", "ptr", "graphic", "media", "divGen"}
    lost = [name for i, name in enumerate(names) if name not in omitted
            and (_word(2 * i) not in shown or _word(2 * i + 1) not in shown)]
    assert lost == [], ", ".join(lost)
