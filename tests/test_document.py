"""edition.document: locations (line, column, XPath) of nodes in large and changing files."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from lxml import etree

from edition.document import RELEASE_SOURCE_BYTES, iter_sources, load, parse


def _elements(document) -> list[etree._Element]:
    return [element for element in document.root.iter() if isinstance(element.tag, str)]


def test_a_large_file_lets_go_of_its_bytes_and_locates_every_element_as_before(frus_volume: Path) -> None:
    data = frus_volume.read_bytes()
    assert len(data) >= RELEASE_SOURCE_BYTES
    released = load(frus_volume)
    kept = parse(data, str(frus_volume))
    assert released._source is None and kept._source is not None
    assert released.source == data  # read back from the file when asked for
    pairs = list(zip(_elements(released), _elements(kept), strict=False))
    assert len(pairs) > 20_000
    for mine, theirs in pairs[::7]:
        assert released.position(mine) == kept.position(theirs)


def test_the_memo_keeps_its_bytes(memo_path: Path) -> None:
    document = load(memo_path)
    assert document.source == memo_path.read_bytes()
    assert document.size == len(document.source)


def test_a_file_changed_after_loading_gives_lines_without_columns(frus_volume: Path, tmp_path: Path) -> None:
    copy = tmp_path / "volume.xml"
    shutil.copyfile(frus_volume, copy)
    document = load(copy)
    paragraph = document.root.find(".//{http://www.tei-c.org/ns/1.0}p")
    assert paragraph is not None
    before = document.position(paragraph)
    assert before[1] > 1  # indented in the file
    copy.write_bytes(b"<changed/>\n" * 10)  # edited (or replaced) by someone else meanwhile
    later = document.root.findall(".//{http://www.tei-c.org/ns/1.0}p")[-1]
    line, column = document.position(later)
    assert line == later.sourceline and column == 1  # the line from the tree; no column from a changed file
    assert document.source == b""
    copy.unlink()
    assert document.position(later) == (line, 1)


def test_xpaths_do_not_depend_on_the_order_they_are_asked_in(frus_volume: Path) -> None:
    first, second = load(frus_volume), load(frus_volume)
    elements_first, elements_second = _elements(first), _elements(second)
    order = list(range(len(elements_first)))
    random.Random(4).shuffle(order)
    shuffled = {index: first.xpath_of(elements_first[index]) for index in order[:3000]}
    for index in sorted(shuffled):  # the other document is asked in document order
        path = shuffled[index]
        assert second.xpath_of(elements_second[index]) == path
        assert first.root.xpath(path, namespaces={"tei": "http://www.tei-c.org/ns/1.0",
                                                  "xml": "http://www.w3.org/XML/1998/namespace"}) == [
            elements_first[index]]


# -- reference problems without the Citer ----------------------------------------------------

_REFERENCE_CASES = {
    "repeated division numbers": b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>
<div n="1"><p>a</p></div><div n="1"><p>b</p></div></body></text></TEI>""",
    "a division id shaped like a paragraph's": b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>
<p>body</p><div xml:id="p1"><p>a</p></div></body></text></TEI>""",
    "a division id shaped like another's paragraph": b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>
<div xml:id="a"><p>x</p></div><div xml:id="a.p1"><p>y</p></div></body></text></TEI>""",
    "distinct divisions": b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>
<p>body</p><div n="1"><p>a</p><div><p>b</p></div></div><div><p>c</p><note><p>n</p></note></div></body></text></TEI>""",
    "a citeStructure that does not evaluate": b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><encodingDesc>
<refsDecl><citeStructure match="//div[" use="@n"/></refsDecl></encodingDesc></teiHeader>
<text><body><div n="1"><p>x</p></div></body></text></TEI>""",
    "a citeStructure giving a reference twice": b"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><encodingDesc>
<refsDecl><citeStructure match="//div" use="@n"/></refsDecl></encodingDesc></teiHeader>
<text><body><div n="1"><p>x</p></div><div n="1"><p>y</p></div></body></text></TEI>""",
}


@pytest.mark.parametrize("case", sorted(_REFERENCE_CASES))
def test_reference_problems_are_the_citers(case: str) -> None:
    """``Document.reference_problems`` skips the Citer only where it can have no problem."""
    quick = parse(_REFERENCE_CASES[case], "case.xml").reference_problems()
    built = parse(_REFERENCE_CASES[case], "case.xml").citer.problems
    assert [str(d) for d in quick] == [str(d) for d in built]
    # repeated @n no longer repeat a reference (the second division is named by its position)
    if case not in ("distinct divisions", "repeated division numbers"):
        assert built  # each of the others is a problem the Citer reports
    else:
        assert built == []


def test_reference_problems_of_real_documents_are_the_citers(memo_path: Path, frus_volume: Path, shared: Path) -> None:
    files = [memo_path, frus_volume, *sorted((shared / "any-tei").glob("*.xml"))]
    assert len(files) >= 8
    for file in files:
        quick = load(file)
        found = quick.reference_problems()
        assert [str(d) for d in found] == [str(d) for d in load(file).citer.problems], file
    volume = load(frus_volume)
    assert volume.reference_problems() == [] and "citer" not in vars(volume)  # the volume's 4,000 paragraphs unnumbered


def test_a_folder_gives_the_xml_files_rglob_finds_in_order_hidden_ones_left_out(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for name in ("b.xml", "A.xml", "sub/c.xml", "sub/c.XML", "sub/.hidden/x.xml", ".hidden/y.xml", ".h.xml",
                 "a dir.xml/inside.xml", "sub 2/z.xml", "notes.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("<TEI/>", encoding="utf-8")
    (root / "to-a-file.xml").symlink_to(root / "b.xml")
    (root / "to-nothing.xml").symlink_to(tmp_path / "missing.xml")
    (root / "to-a-folder").symlink_to(root / "sub", target_is_directory=True)  # not followed, as rglob
    depth = len(root.parts)
    expected = [found for found in sorted(root.rglob("*.xml"), key=lambda found: found.parts)
                if found.is_file() and not any(part.startswith(".") for part in found.parts[depth:])]
    given = list(iter_sources([root]))
    assert [path for _, path in given] == expected
    assert [shown for shown, _ in given] == [str(path) for path in expected]
    assert [path.relative_to(root).as_posix() for _, path in given] == [
        "A.xml", "a dir.xml/inside.xml", "b.xml", "sub/c.xml", "sub 2/z.xml", "to-a-file.xml"]
