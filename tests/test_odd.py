"""The ODD compiler and our customization: schema/edition.odd ↔ schema/edition.xsd."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, tei_p5_path
from lxml import etree

from edition.cli import cli
from edition.odd import OddError, build_xsd, read_odd, write_xsd, xsd_summary

ODD = REPO / "schema" / "edition.odd"
XSD = REPO / "schema" / "edition.xsd"


@pytest.fixture(scope="module")
def summary():
    """The committed XSD as xmlschema sees it (loading it is part of the test)."""
    return xsd_summary(XSD)


@pytest.fixture(scope="module")
def spec():
    return read_odd(ODD)


def test_committed_xsd_has_the_odds_elements(spec, summary) -> None:
    assert summary.elements == spec.elements
    assert {"TEI", "teiHeader", "standOff", "listPerson", "choice", "sic", "corr", "pb", "note",
            "citeStructure", "facsimile", "surface", "biblStruct"} <= summary.elements


def test_committed_xsd_has_the_odds_closed_value_lists(spec, summary) -> None:
    assert spec.closed  # the ODD does close some lists
    for element, attributes in spec.closed.items():
        for attribute, values in attributes.items():
            assert summary.enumerations[element][attribute] == values, (element, attribute)
    assert "document" in spec.closed["div"]["type"] and "source" in spec.closed["note"]["type"]


def test_deleted_attribute_classes_are_gone(spec, summary) -> None:
    assert "att.cmc" in spec.deleted_classes
    assert not any("generatedBy" in names for names in summary.attributes.values())
    for element, names in spec.deleted.items():
        assert not names & summary.attributes.get(element, set())
    # what the memo relies on is still there
    assert {"xml:id", "n", "rend", "ana", "facs", "corresp", "resp"} <= summary.attributes["p"]
    assert {"ref", "type"} <= summary.attributes["persName"]


def test_lxml_loads_the_committed_xsd() -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.parse(str(REPO / "tei" / "frus1958-60v19-d300.xml")))


def test_recompiling_gives_identical_bytes(tmp_path: Path) -> None:
    tei_p5 = tei_p5_path()
    written = write_xsd(ODD, tei_p5, tmp_path)
    assert [p.name for p in written] == ["edition.xsd", "xml.xsd"]
    for path in written:
        assert path.read_bytes() == (REPO / "schema" / path.name).read_bytes(), \
            f"schema/{path.name} is stale: run `edition schema compile`"


def test_schema_compile_command(tmp_path: Path) -> None:
    tei_p5_path()
    result = CliRunner().invoke(cli, ["schema", "compile", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "edition.xsd").read_bytes() == XSD.read_bytes()


def test_schema_info_command() -> None:
    result = CliRunner().invoke(cli, ["schema", "info"])
    assert result.exit_code == 0, result.output
    assert "div/@type: document" in result.output


def _odd(tmp_path: Path, spec: str) -> Path:
    path = tmp_path / "test.odd"
    path.write_text(f"""<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>
<schemaSpec ident="test" start="TEI">{spec}</schemaSpec></body></text></TEI>""", encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "complaint"), [
    ('<moduleRef key="core" include="p div"/>', "not elements of that module"),
    ('<elementRef key="paragraph"/>', "not TEI P5 elements"),
    ('<moduleRef key="core" include="p"/><elementSpec ident="p" mode="change"><attList>'
     '<attDef ident="colour" mode="change"><valList type="closed"><valItem ident="red"/></valList>'
     '</attDef></attList></elementSpec>', "no attribute colour"),
    ('<classSpec ident="model.pLike" mode="change"/>', "only mode='delete' of attribute classes"),
    ('<elementSpec ident="myElement" mode="add"/>', "new elements are not supported"),
])
def test_odd_errors_say_what_to_fix(tmp_path: Path, body: str, complaint: str) -> None:
    tei_p5 = tei_p5_path()
    with pytest.raises(OddError, match=complaint):
        build_xsd(_odd(tmp_path, body), tei_p5)


def test_a_small_odd_compiles_and_narrows(tmp_path: Path) -> None:
    """A customization with required attributes, deletions and a moduleRef without include."""
    tei_p5 = tei_p5_path()
    odd = _odd(tmp_path, """
      <moduleRef key="tei"/>
      <moduleRef key="textstructure" include="TEI text body div"/>
      <moduleRef key="header" include="teiHeader fileDesc titleStmt publicationStmt sourceDesc"/>
      <moduleRef key="core" include="p title"/>
      <elementSpec ident="div" mode="change"><attList>
        <attDef ident="type" mode="change" usage="req"/>
        <attDef ident="n" mode="delete"/>
      </attList></elementSpec>""")
    written = write_xsd(odd, tei_p5, tmp_path / "out")
    schema = etree.XMLSchema(etree.parse(str(written[0])))
    header = ("<teiHeader><fileDesc><titleStmt><title>t</title></titleStmt><publicationStmt><p>p</p>"
              "</publicationStmt><sourceDesc><p>s</p></sourceDesc></fileDesc></teiHeader>")

    def valid(body: str) -> bool:
        return schema.validate(etree.fromstring(
            f'<TEI xmlns="http://www.tei-c.org/ns/1.0">{header}<text><body>{body}</body></text></TEI>'))

    assert valid('<div type="x"><p>a</p></div>')
    assert not valid("<div><p>a</p></div>")              # @type now required
    assert not valid('<div type="x" n="1"><p>a</p></div>')  # @n deleted
    assert not valid('<div type="x"><p>a <hi>b</hi></p></div>')  # hi is not selected
    assert not valid('<div type="x"><head>h</head><p>a</p></div>')


def test_the_odd_itself_is_valid_tei_all() -> None:
    from edition.document import load
    from edition.schema import TeiAllSchema

    assert list(TeiAllSchema(tei_p5_path("tei_all.rng")).iter_problems(load(ODD))) == []


def test_xmlschema_loads_the_committed_xsd_strictly() -> None:
    """The generated XSD conforms to the XSD meta-schema (so the fast, skip-mode load is safe)."""
    from edition.odd import load_xmlschema

    schema = load_xmlschema(XSD, strict=True)
    assert schema.validation == "strict"
    assert "TEI" in schema.elements
    assert schema.is_valid(str(Path(__file__).resolve().parents[1] / "tei" / "frus1958-60v19-d300.xml"))
