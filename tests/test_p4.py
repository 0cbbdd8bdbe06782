"""TEI P4 files (no namespace, root TEI.2) are read as TEI P5, said once, then validated and built."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO
from lxml import etree
from wordorder import output_words

from edition.build import build
from edition.document import TEI_NS, XML_ID, XML_LANG, load, tei
from edition.p4 import convert, is_p4
from edition.validate import iter_problems

FIXTURES = REPO / "tests" / "fixtures" / "p4"
LETTER = FIXTURES / "letter-p4.xml"
LOWER = FIXTURES / "lowercase-p4.xml"


def test_a_p4_file_is_read_as_p5() -> None:
    document = load(LETTER)
    root = document.root
    assert root.tag == tei("TEI") and root.nsmap == {None: TEI_NS} and root.get(XML_LANG) == "en"
    assert not [e for e in root.iter() if isinstance(e.tag, str) and not e.tag.startswith(f"{{{TEI_NS}}}")]
    # renames of the TEI's P4-to-P5 conversion
    assert root.find(f".//{tei('div')}").get(XML_ID) == "L1"
    assert root.find(f".//{tei('div')}").get("org") is None  # a P4 default, dropped
    assert root.find(f".//{tei('ref')}").get("target") == "http://example.org/annex"
    assert root.find(f".//{tei('ptr')}").get("target") == "#L1.p2"  # IDREF → local pointer
    assert root.find(f".//{tei('dateline')}/{tei('date')}").get("when") == "1898-05-02"
    assert root.find(f".//{tei('lg')}") is not None and root.find(f".//{tei('header')}") is None
    header = root.find(tei("teiHeader"))
    assert header.get("type") is None and header.get("date.created") is None
    # sic/@corr, abbr/@expan, orig/@reg become choices
    choices = [[etree.QName(c).localname for c in choice] for choice in root.iter(tei("choice"))]
    assert choices == [["abbr", "expan"], ["sic", "corr"], ["orig", "reg"]]
    gap = root.find(f".//{tei('gap')}")
    assert gap.get("desc") is None and gap.findtext(tei("desc")) == "illegible words"
    assert document.ids["L1.p2"].get(XML_LANG) == "fr"


def test_line_numbers_stay_those_of_the_p4_file() -> None:
    document = load(LETTER)
    paragraph = document.ids["L1.p1"]
    assert document.position(paragraph)[0] == LETTER.read_text().splitlines().index(
        next(line for line in LETTER.read_text().splitlines() if 'id="L1.p1"' in line)) + 1


def test_lower_case_p4_from_sgml_gets_p5_names() -> None:
    document = load(LOWER)
    names = {etree.QName(e).localname for e in document.root.iter() if isinstance(e.tag, str)}
    assert {"teiHeader", "fileDesc", "titleStmt", "publicationStmt", "sourceDesc", "persName", "placeName",
            "div"} <= names
    assert not {"teiheader", "filedesc", "persname", "div0"} & names


def test_conversion_is_said_once_and_the_file_is_validated_like_p5(tmp_path: Path) -> None:
    for path in (LETTER, LOWER):
        found = list(iter_problems(path))
        codes = [d.code for d in found]
        assert codes.count("W0012") == 1, codes
        assert "E0010" not in codes and "E0106" not in codes  # not refused as "not TEI"
        warning = next(d for d in found if d.code == "W0012")
        assert warning.line == 2 and "P4" in warning.message
    # what is invalid in P5 is reported as in any P5 file, at its line in the P4 file
    invalid = tmp_path / "bad.xml"
    invalid.write_bytes(LETTER.read_bytes().replace(b"<head>", b"<head><paragraph>x</paragraph>", 1))
    found = list(iter_problems(invalid))
    assert [d.code for d in found].count("W0012") == 1
    assert any(d.code == "E0101" and "paragraph" in d.message and d.line == 21 for d in found), [str(d) for d in found]


def test_a_p4_file_builds_like_p5(tmp_path: Path) -> None:
    report = build([LETTER], out=tmp_path / "out", formats=["html", "text"])
    codes = [d.code for d in report.diagnostics]
    assert codes.count("W0012") == 1
    assert "W0301" not in codes and "W0303" not in codes and report.exit_code == 0, [str(d) for d in report.diagnostics]
    (text,) = (tmp_path / "out" / "text").glob("*.txt")
    words = output_words(text.read_text(encoding="utf-8"))
    for phrase in ("the consul to the secretary", "arrival of the steamship oregon with forty passengers",
                   "le port est tranquille", "a verse line", "a note of the consul"):
        assert phrase in " ".join(words), phrase
    (page,) = [p for p in (tmp_path / "out" / "html").glob("*.html") if p.stem == "letter-p4"]
    html = page.read_text(encoding="utf-8")
    assert 'lang="fr"' in html and "steamship" in html


def test_only_p4_roots_are_converted() -> None:
    assert is_p4(etree.fromstring(b"<TEI.2/>")) and is_p4(etree.fromstring(b"<teiCorpus.2/>"))
    assert not is_p4(etree.fromstring(b"<TEI/>"))  # P5 without its namespace: E0106, not a conversion
    assert not is_p4(etree.fromstring(f'<TEI xmlns="{TEI_NS}"/>'.encode()))
    root, changes = convert(etree.fromstring(b'<TEI.2><text><body><p id="a">x<xref target="a">y</xref></p>'
                                             b"</body></text></TEI.2>"))
    assert changes >= 3 and root.find(f".//{tei('ref')}").get("target") == "#a"


@pytest.mark.parametrize("root", ["<TEI.2>", "<tei.2>"])
def test_a_p4_file_without_a_header_still_renders(root: str, tmp_path: Path) -> None:
    closing = root.replace("<", "</")
    source = tmp_path / "bare.xml"
    source.write_text(f"{root}<text><body><p>Only a body.</p></body></text>{closing}", encoding="utf-8")
    report = build([source], out=tmp_path / "out", formats=["text"])
    assert [d.code for d in report.diagnostics].count("W0012") == 1
    (text,) = (tmp_path / "out" / "text").glob("*.txt")
    assert "Only a body." in text.read_text(encoding="utf-8")
