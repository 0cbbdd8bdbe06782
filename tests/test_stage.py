"""The transform stage's rules (edition.transforms.stage), on small documents; that every
writer renders them alike is tests/test_writers_shared.py."""

from __future__ import annotations

from lxml import etree

from edition.document import Document, parse, tei
from edition.transforms.engine import get_writer
from edition.transforms.stage import decide, plain_text


def doc(body: str) -> Document:
    return parse(f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>{body}</body></text></TEI>'
                 .encode(), "stage.xml")


def labels(document: Document) -> list[str]:
    stage = decide(document)
    return [stage.note(note).label for note in document.root.iter(tei("note"))]


def test_notes_keep_their_n_and_the_others_never_take_a_used_number() -> None:
    assert labels(doc('<p>a<note n="1"/> b<note/> c<note n="2"/> d<note/></p>')) == ["1", "3", "2", "4"]
    assert labels(doc("<p>a<note/> b<note>outer<note>inner</note></note> c<note n=' 7 '/></p>")) == [
        "1", "2", "3", "7"]
    # labels that are not numbers are kept, and take no number from the others
    assert labels(doc('<p>a<note n="*"/> b<note/> c<note n="a"/></p>')) == ["*", "1", "a"]


def test_each_document_division_numbers_its_own_notes() -> None:
    document = doc('<div type="document" xml:id="d1"><p>x<note n="0"/>y<note/></p></div>'
                   '<div type="document" xml:id="d2"><p>x<note/>y<note n="1"/></p></div>')
    assert labels(document) == ["0", "1", "2", "1"]
    stage = decide(document)
    assert [stage.note(n).source for n in document.root.iter(tei("note"))] == [True, False, False, False]


def test_readings() -> None:
    document = doc("<p><choice><sic>a</sic><corr>b</corr></choice> <choice><seg>c</seg><seg>d</seg></choice> "
                   "<app><rdg wit='#A'>e</rdg><rdg wit='#B'>f</rdg></app> <subst><del>g</del><add>h</add></subst>"
                   " <choice><abbr>i</abbr><expan>j</expan></choice></p>")
    p = document.root.find(f".//{tei('p')}")
    assert plain_text(p) == "b c e h j"
    assert plain_text(p, diplomatic=True) == "a d e gh i"
    stage = decide(document)
    app = document.root.find(f".//{tei('app')}")
    note = stage.alternate(app).note
    assert note is not None and plain_text(note, notes=True) == "f B."  # the lemma is the first rdg
    assert stage.origin(note) is app and stage.note(note).label == "1"
    letters = {plain_text(node): alternate.letter for node, alternate in stage.alternates.items()}
    assert letters == {"b": "a", "c": "", "e": "", "h": "", "j": ""}  # only sic/corr (and orig/reg)


def test_a_note_in_an_other_reading_is_numbered_once_in_the_apparatus() -> None:
    document = doc("<p>a<app><lem>x</lem><rdg wit='#B'>y<note>in the reading</note></rdg></app> b<note/></p>")
    stage = decide(document)
    app = document.root.find(f".//{tei('app')}")
    note = stage.alternate(app).note
    assert note is not None
    copied = [n for n in note.iter(tei("note")) if n is not note]
    assert [stage.note(note).label, stage.note(copied[0]).label] == ["1", "2"]
    assert stage.note(document.root.findall(f".//{tei('p')}/{tei('note')}")[0]).label == "3"


def test_a_word_split_by_a_line_break_is_joined() -> None:
    document = doc('<p>Vernunft-\n   <lb break="no"/>\n  vermoegen, 1959-\n<lb break="no"/>60, '
                   'uebri<lb break="no"/><fw type="catch">ge</fw>\n<lb/>\n<pb n="5"/> ge Sache, '
                   'next -<lb break="no"/>line, 10-<lb break="no"/>12, hyphen-<pb n="6" break="no"/>ated</p>')
    p = document.root.find(f".//{tei('p')}")
    # a hyphen after a letter is a line-end hyphen; after a space or a digit it is the text's own
    assert plain_text(p) == "Vernunftvermoegen, 1959-60, uebrige Sache, next -line, 10-12, hyphen-ated"
    assert plain_text(p, diplomatic=True) == ("Vernunft-vermoegen, 1959-60, uebrige Sache, next -line, 10-12, "
                                              "hyphen-ated")
    stage = decide(document)
    # the breaks inside "uebri…ge" join it: none renders a line break or a word boundary
    assert {b.get("n") for b in stage.joined if b.tag == tei("pb")} == {"5", "6"}
    text = get_writer("text")().write_unit(document, document.root.find(tei("text")), {"width": None})
    assert next(iter(text.files.values())).decode() == plain_text(p) + "\n"


def test_heading_levels_and_captions() -> None:
    document = doc("<head>Body</head><div><head>A</head><div type='document'><head>Doc</head>"
                   "<div><head>Sub</head><list><head>Caption</head></list></div></div></div>")
    stage = decide(document)
    assert {plain_text(h): stage.heading_level(h) for h in document.root.iter(tei("head"))} == {
        "Body": 1, "A": 1, "Doc": 1, "Sub": 2, "Caption": None}


def test_the_users_tree_is_not_changed() -> None:
    source = ("<div type='document' xml:id='d1'><head>T<note>n</note></head><p>a<lb break='no'/> b "
              "<app><lem>x</lem><rdg xml:id='r1' wit='#A'>y<note>in</note></rdg></app></p><divGen/>"
              "<list><item>state</item><item>mr</item></list></div>")
    document = doc(source)
    before = etree.tostring(document.root)
    lines = [(e.tag, e.sourceline) for e in document.root.iter()]
    for writer in ("html", "text"):
        get_writer(writer)().write_unit(document, document.root.find(tei("text")), {})
    assert etree.tostring(document.root) == before
    assert [(e.tag, e.sourceline) for e in document.root.iter()] == lines
    assert document.element_for_ref("d1") is document.root.find(f".//{tei('div')}")


def test_a_division_without_a_heading_adds_no_level() -> None:
    # a play's act without a head: its scenes' heads come right under the play's
    document = doc("<div><head>Play</head><div><div><head>Scene</head></div></div></div>"
                   "<div><div><head>Alone</head></div></div>")
    stage = decide(document)
    assert {plain_text(h): stage.heading_level(h) for h in document.root.iter(tei("head"))} == {
        "Play": 1, "Scene": 2, "Alone": 1}


def test_a_unit_lists_its_headed_divisions_nested_each_with_an_anchor() -> None:
    document = doc("<div><head>Play</head><div><div><head>Scene <note>n</note>1</head><p>a</p></div>"
                   "<div xml:id='s2'><head>Scene 2</head></div></div><div><head/><div><head>Epilogue</head></div>"
                   "</div></div>")
    entries = decide(document).contents(document.root.find(tei("text")))
    # divisions in document order: Play 1, the act 2, the scenes 3 and 4, the headless one 5, Epilogue 6
    assert [(e.title, e.depth, e.anchor) for e in entries] == [
        ("Play", 1, "sec-1"), ("Scene 1", 2, "sec-3"), ("Scene 2", 2, "sec-4"), ("Epilogue", 2, "sec-6")]
    assert [e.division.get("{http://www.w3.org/XML/1998/namespace}id") for e in entries] == [None, None, "s2", None]


def test_a_unit_with_few_headed_divisions_or_its_own_table_of_contents_lists_none() -> None:
    few = doc("<div><head>A</head></div><div><head>B</head></div><div><p>no head</p></div>")
    assert decide(few).contents(few.root.find(tei("text"))) == ()
    placed = doc("<divGen type='toc'/><div><head>A</head></div><div><head>B</head></div><div><head>C</head></div>")
    assert decide(placed).contents(placed.root.find(tei("text"))) == ()
    three = doc("<div><head>A</head></div><div><head>B</head></div><div><head>C</head></div>")
    assert [e.title for e in decide(three).contents(three.root.find(tei("text")))] == ["A", "B", "C"]
