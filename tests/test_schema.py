"""Schema engines: ours (XSD), any RELAX NG / XSD / ODD, and tei_all pruned per document.

The verdicts of pruned tei_all are checked against jing on the whole
tei_all.rng (the reference validator of TEI conformance) for the memo, the
valid fixtures and the real FRUS corpus; jing runs once per session.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MEMO, REPO, shared_path, tei_p5_path
from lxml import etree

from edition.cli import cli
from edition.diagnostics import EditionUsageError
from edition.document import load
from edition.schema import (
    EDITION_XSD,
    RelaxNGSchema,
    TeiAllSchema,
    XsdSchema,
    classify,
    edition_schema,
    prune_tei_all,
    resolve_schema,
    schema_from_file,
    vocabulary,
)
from edition.validate import iter_problems, validate

VALID = sorted((REPO / "tests" / "fixtures" / "valid").glob("*.xml"))
JING = shutil.which("jing")

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader>
    <fileDesc>
      <titleStmt>
        <title>Schema test</title>
      </titleStmt>
      <publicationStmt>
        <p>Test.</p>
      </publicationStmt>
      <sourceDesc>
        <p>Test.</p>
      </sourceDesc>
    </fileDesc>
  </teiHeader>
  <text>
    <body>
"""
FOOTER = """    </body>
  </text>
</TEI>
"""
BODY_LINE = HEADER.count("\n") + 1  # the line of the first body line given to _document


def _document(tmp_path: Path, body: str, name: str = "doc.xml", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body + FOOTER, encoding="utf-8")
    return path


def _schema_findings(path: Path, schema: object = "edition") -> list:
    return [d for d in iter_problems(path, schema=schema, rules=False)]


@pytest.fixture(scope="session")
def tei_all() -> TeiAllSchema:
    rng = tei_p5_path("tei_all.rng")
    return TeiAllSchema(rng)


def _jing_verdicts(paths: list[Path]) -> dict[Path, bool]:
    """True for each file jing finds valid against the whole tei_all.rng (one jing run)."""
    if not JING:
        pytest.skip("jing is not installed (Debian package 'jing'); the reference verdicts need it")
    rng = tei_p5_path("tei_all.rng")
    run = subprocess.run([JING, str(rng), *map(str, paths)], capture_output=True, text=True, timeout=600)
    failing = {line.split(":", 1)[0] for line in run.stdout.splitlines() if ": error:" in line}
    return {path: str(path) not in failing and str(path.resolve()) not in failing for path in paths}


# -- ours ------------------------------------------------------------------------

def test_memo_is_valid_against_ours() -> None:
    assert _schema_findings(MEMO) == []


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixtures_are_valid_against_ours(path: Path) -> None:
    assert _schema_findings(path) == []


def test_unknown_element_is_E0101_at_its_line(tmp_path: Path) -> None:
    path = _document(tmp_path, '      <div type="document" xml:id="d1">\n        <head>1</head>\n'
                                '        <paragraph>x</paragraph>\n      </div>\n')
    findings = _schema_findings(path)
    assert [(d.code, d.line) for d in findings] == [("E0101", BODY_LINE + 2)]
    assert "<paragraph>" in findings[0].message and "<p>" in findings[0].message
    assert "{http" not in findings[0].message
    assert findings[0].xpath.endswith("tei:paragraph")


def test_tei_element_outside_our_set_is_E0101(tmp_path: Path) -> None:
    # <sp> is tei_all (drama), not in edition.odd: a stub in our schema.
    path = _document(tmp_path, '      <div type="document" xml:id="d1">\n        <head>1</head>\n'
                                '        <sp><p>x</p></sp>\n      </div>\n')
    findings = _schema_findings(path)
    assert findings and findings[0].code == "E0101" and findings[0].line == BODY_LINE + 2


def test_closed_value_list_is_E0103(tmp_path: Path) -> None:
    path = _document(tmp_path, '      <div type="document" xml:id="d1">\n        <head>1</head>\n'
                                '        <p>A <note type="gossip">n</note>.</p>\n      </div>\n')
    findings = _schema_findings(path)
    assert [(d.code, d.line) for d in findings] == [("E0103", BODY_LINE + 2)]
    assert "'gossip'" in findings[0].message and "source" in findings[0].message
    assert findings[0].message.startswith("@type")


def test_closed_div_type(tmp_path: Path) -> None:
    path = _document(tmp_path, '      <div type="doc" xml:id="d1">\n        <p>x</p>\n      </div>\n')
    assert [(d.code, d.line) for d in _schema_findings(path)] == [("E0103", BODY_LINE)]


def test_foreign_namespace_element_is_E0106(tmp_path: Path) -> None:
    path = _document(tmp_path, '      <div type="document" xml:id="d1">\n        <head>1</head>\n'
                                '        <p>x <x:b xmlns:x="urn:example">bold</x:b></p>\n      </div>\n')
    findings = _schema_findings(path)
    assert [(d.code, d.line) for d in findings] == [("E0106", BODY_LINE + 2)]
    assert "urn:example" in findings[0].message


def test_missing_required_content_is_E0104(tmp_path: Path) -> None:
    header = HEADER.replace("        <title>Schema test</title>\n", "")
    path = _document(tmp_path, '      <p>x</p>\n', header=header)
    findings = _schema_findings(path)
    assert [d.code for d in findings] == ["E0104"]
    assert findings[0].line == 5 and "<title>" in findings[0].message


def test_text_where_none_is_allowed_is_E0105(tmp_path: Path) -> None:
    path = _document(tmp_path, '      <list type="simple">stray <item>x</item></list>\n')
    assert [(d.code, d.line) for d in _schema_findings(path)] == [("E0105", BODY_LINE)]


def test_wrong_namespace_root_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "plain.xml"
    path.write_text("<TEI><teiHeader/><text><body><p>x</p></body></text></TEI>\n", encoding="utf-8")
    findings = [d for d in iter_problems(path, schema="edition", rules=False)]
    assert [(d.code, d.line, d.column) for d in findings] == [("E0106", 1, 1)]


@pytest.mark.parametrize(("message", "code"), [
    ("Element '{http://www.tei-c.org/ns/1.0}foo': This element is not expected.", "E0101"),
    ("Element '{http://www.tei-c.org/ns/1.0}p', attribute 'bar': The attribute 'bar' is not allowed.", "E0102"),
    ("Element 'p', attribute 'type': [facet 'enumeration'] The value 'x' is not an element of the set {'a'}.",
     "E0103"),
    ("Element '{http://www.tei-c.org/ns/1.0}titleStmt': Missing child element(s). Expected is ( title ).", "E0104"),
    ("Element 'list': Character content other than whitespace is not allowed because the content type is "
     "'element-only'.", "E0105"),
    ("Element 'html': No matching global declaration available for the validation root.", "E0106"),
    ("Did not expect element foo there", "E0101"),
    ("Element div failed to validate attributes", "E0102"),
    ("Something libxml2 has never said", "E0100"),
])
def test_codes_mapping(message: str, code: str) -> None:
    assert classify(message) == code


def test_attribute_not_allowed_is_E0102(tmp_path: Path) -> None:
    path = _document(tmp_path, '      <p colour="red">x</p>\n')
    findings = _schema_findings(path)
    assert [(d.code, d.line) for d in findings] == [("E0102", BODY_LINE)]
    assert "colour" in findings[0].message


# -- choosing a schema ---------------------------------------------------------------

PERMISSIVE_RNG = """<grammar xmlns="http://relaxng.org/ns/structure/1.0">
  <start><ref name="any"/></start>
  <define name="any">
    <element><anyName/><zeroOrMore><choice>
      <attribute><anyName/></attribute><text/><ref name="any"/>
    </choice></zeroOrMore></element>
  </define>
</grammar>
"""
STRICT_RNG = """<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="http://www.tei-c.org/ns/1.0">
  <start><element name="TEI"><empty/></element></start>
</grammar>
"""


def test_schema_option_takes_rng_xsd_and_odd(tmp_path: Path) -> None:
    rng = tmp_path / "any.rng"
    rng.write_text(PERMISSIVE_RNG, encoding="utf-8")
    strict = tmp_path / "strict.rng"
    strict.write_text(STRICT_RNG, encoding="utf-8")
    runner = CliRunner()
    for schema, expected in ((rng, 0), (EDITION_XSD, 0), (strict, 1)):
        result = runner.invoke(cli, ["validate", "--no-rules", "--schema", str(schema), str(MEMO)])
        assert result.exit_code == expected, result.output
    assert "E0101" in runner.invoke(cli, ["validate", "--no-rules", "--schema", str(strict), str(MEMO)]).output
    assert isinstance(schema_from_file(rng), RelaxNGSchema)
    assert isinstance(schema_from_file(EDITION_XSD), XsdSchema)


def test_schema_option_with_our_odd() -> None:
    tei_p5_path("tei_all.xsd")
    result = CliRunner().invoke(cli, ["validate", "--no-rules", "--schema", str(REPO / "schema" / "edition.odd"),
                                      str(MEMO)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("content", ["<grammar", "<grammar xmlns='http://relaxng.org/ns/structure/1.0'/>"])
def test_broken_schema_file_is_E0107_usage_error(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.rng"
    bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--schema", str(bad), str(MEMO)])
    assert result.exit_code == 2
    assert "E0107" in result.output
    missing = CliRunner().invoke(cli, ["validate", "--schema", str(tmp_path / "nope.xsd"), str(MEMO)])
    assert missing.exit_code == 2 and "E0107" in missing.output and "not found" in missing.output
    with pytest.raises(EditionUsageError):
        schema_from_file(tmp_path / "schema.dtd")


def _with_model(tmp_path: Path, href: str) -> Path:
    text = MEMO.read_text(encoding="utf-8")
    declaration, _, rest = text.partition("\n")
    path = tmp_path / "memo.xml"
    path.write_text(f'{declaration}\n<?xml-model href="{href}" schematypens="http://relaxng.org/ns/structure/1.0"?>'
                    f"\n{rest}", encoding="utf-8")
    return path


def test_local_xml_model_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "strict.rng").write_text(STRICT_RNG, encoding="utf-8")
    path = _with_model(tmp_path, "strict.rng")
    findings = [d for d in iter_problems(path, rules=False)]
    assert findings and all(d.code.startswith("E01") for d in findings)
    assert [d for d in iter_problems(path, schema="edition", rules=False)] == []


def test_remote_xml_model_warns_and_uses_ours(tmp_path: Path) -> None:
    path = _with_model(tmp_path, "http://www.tei-c.org/release/xml/tei/custom/schema/relaxng/tei_all.rng")
    findings = [d for d in iter_problems(path, rules=False)]
    assert [(d.code, d.line) for d in findings] == [("W0108", 2)]
    report = validate([path], rules=False)
    assert report.exit_code == 0 and [d.code for d in report.diagnostics] == ["W0108"]


def test_missing_local_xml_model_is_E0107(tmp_path: Path) -> None:
    path = _with_model(tmp_path, "missing.rng")
    assert [d.code for d in iter_problems(path, rules=False)] == ["E0107"]


def test_resolve_schema_choices() -> None:
    document = load(MEMO)
    assert resolve_schema("none", document) is None
    assert resolve_schema("edition", document) is edition_schema()
    assert resolve_schema(None, document) is edition_schema()
    assert isinstance(resolve_schema("tei-all", document), TeiAllSchema)


# -- tei_all, pruned -----------------------------------------------------------------

@pytest.mark.parametrize("path", [MEMO, *VALID], ids=lambda p: p.name)
def test_memo_and_fixtures_are_valid_tei_all(tei_all: TeiAllSchema, path: Path) -> None:
    assert list(tei_all.iter_problems(load(path))) == []


def test_pruned_tei_all_keeps_required_content(tei_all: TeiAllSchema, tmp_path: Path) -> None:
    # <titleStmt> requires a <title>, which the document never uses: pruning must not drop the requirement.
    header = HEADER.replace("        <title>Schema test</title>\n", "")
    path = _document(tmp_path, '      <p>x</p>\n', header=header)
    findings = list(tei_all.iter_problems(load(path)))
    assert findings and all(d.code.startswith("E01") for d in findings)
    assert _jing_verdicts([path]) == {path: False}


def test_prune_is_small(tei_all: TeiAllSchema) -> None:
    grammar = etree.parse(str(tei_all.rng))
    pruned = prune_tei_all(grammar, *vocabulary([load(MEMO).tree]))
    defines = pruned.findall("{http://relaxng.org/ns/structure/1.0}define")
    assert 100 < len(defines) < 1000
    assert len(etree.tostring(pruned)) < len(etree.tostring(grammar)) / 3


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    frus = shared_path("corpus", "frus")
    history = shared_path("corpus", "frus-history-documents")
    return [MEMO, *VALID, frus / "frus1958-60v19-d299-d302-context.xml", frus / "frus1958-60v19.xml",
            *sorted(history.glob("*.xml"))]


@pytest.fixture(scope="session")
def repaired_history(corpus_files: list[Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The 63 history documents with their one tei_all error fixed (a publisher before the dates),
    so that agreement is also tested on valid documents of the same shape."""
    folder = tmp_path_factory.mktemp("repaired")
    repaired = []
    for path in corpus_files:
        if path.parent.name == "frus-history-documents":
            target = folder / path.name
            target.write_text(path.read_text(encoding="utf-8").replace(
                "<publicationStmt>", "<publicationStmt><publisher>Office of the Historian</publisher>", 1),
                encoding="utf-8")
            repaired.append(target)
    return repaired


def test_pruned_tei_all_agrees_with_jing_on_the_corpus(tei_all: TeiAllSchema, corpus_files: list[Path],
                                                       repaired_history: list[Path]) -> None:
    """Same verdict as jing on the whole tei_all.rng, file by file (each pruned to its own names)."""
    files = corpus_files + repaired_history
    expected = _jing_verdicts(files)
    ours = {path: not list(tei_all.iter_problems(load(path))) for path in files}
    assert ours == expected
    assert not any(expected[p] for p in corpus_files if p.parent.name == "frus-history-documents")
    assert all(expected[p] for p in repaired_history)


def test_tei_all_error_is_located_where_jing_puts_it(tei_all: TeiAllSchema, corpus_files: list[Path]) -> None:
    path = next(p for p in corpus_files if p.name == "1957-03-21-kennan-to-leopold.xml")
    findings = list(tei_all.iter_problems(load(path)))
    assert [(d.code, d.line, d.column) for d in findings] == [("E0101", 14, 17)]
    assert findings[0].message.startswith("<date> is not allowed here")


def test_union_grammar_for_a_run_gives_the_same_verdicts(corpus_files: list[Path]) -> None:
    """validate() prunes once, to the union of the files' names; verdicts do not change."""
    report = validate(corpus_files, schema="tei-all", rules=False, jobs=1)
    failing = {d.path for d in report.errors()}
    per_file = TeiAllSchema(tei_p5_path("tei_all.rng"))
    assert failing == {str(p) for p in corpus_files if list(per_file.iter_problems(load(p)))}


def test_parallel_run_hands_workers_one_grammar(tmp_path: Path) -> None:
    """Workers get the union of the names (two frozensets), not a compiled object."""
    tei_p5_path("tei_all.rng")
    from edition.schema import prepare
    files = [MEMO, *VALID]
    prepared = prepare("tei-all", files)
    assert isinstance(prepared, TeiAllSchema) and prepared.names is not None
    assert "{http://www.tei-c.org/ns/1.0}standOff" in prepared.names[0]
    report = validate(files, schema="tei-all", rules=False, jobs=2)
    assert report.files == len(files) and report.diagnostics == []


# -- speed without changing a verdict: pruned copies, a second thread ----------------------------

BROKEN = sorted((REPO / "tests" / "fixtures" / "broken").glob("*.xml"))


@pytest.fixture(scope="module")
def whole_xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(EDITION_XSD)))


def _pruned_xsd(tree: etree._ElementTree) -> etree.XMLSchema:
    from edition.schema import prune_xsd
    tei = "{http://www.tei-c.org/ns/1.0}"
    used = frozenset(e.tag[len(tei):] for e in tree.iter(etree.Element) if e.tag.startswith(tei))
    pruned = prune_xsd(etree.parse(str(EDITION_XSD)).getroot(), used)
    return etree.XMLSchema(etree.fromstring(etree.tostring(pruned), base_url=str(EDITION_XSD)))


def _parsed(path: Path) -> etree._ElementTree | None:
    try:
        return load(path).tree
    except EditionUsageError:
        return None
    except Exception:  # noqa: BLE001 - unparseable fixtures have no verdict to compare
        return None


#: The fixtures that parse (the broken ones that do not have no schema verdict to compare).
_WELL_FORMED = [path for path in [MEMO, *VALID, *BROKEN] if _parsed(path) is not None]


def test_most_fixtures_have_a_schema_verdict() -> None:
    assert MEMO in _WELL_FORMED and len(_WELL_FORMED) >= len([MEMO, *VALID, *BROKEN]) - 3


@pytest.mark.parametrize("path", _WELL_FORMED, ids=lambda p: p.name)
def test_xsd_pruned_to_a_document_gives_the_whole_schemas_verdict(whole_xsd: etree.XMLSchema, path: Path) -> None:
    tree = _parsed(path)
    assert tree is not None
    assert _pruned_xsd(tree).validate(tree) == whole_xsd.validate(tree)


def test_xsd_pruned_verdicts_on_the_frus_corpus(whole_xsd: etree.XMLSchema, corpus_files: list[Path],
                                               repaired_history: list[Path]) -> None:
    for path in [*corpus_files, *repaired_history[:10]]:
        tree = load(path).tree
        assert _pruned_xsd(tree).validate(tree) == whole_xsd.validate(tree), path.name


def test_xsd_pruned_to_the_memo_is_much_smaller() -> None:
    from edition.schema import prune_xsd
    tei = "{http://www.tei-c.org/ns/1.0}"
    tree = load(MEMO).tree
    used = frozenset(e.tag[len(tei):] for e in tree.iter(etree.Element) if e.tag.startswith(tei))
    whole = etree.parse(str(EDITION_XSD)).getroot()
    pruned = prune_xsd(whole, used)
    xs = "{http://www.w3.org/2001/XMLSchema}"
    references = f".//{xs}element[@ref]"
    assert len(pruned.findall(references)) < len(whole.findall(references)) - 50
    # every declaration stays (a reference may remain in a dead particle); unused ones lose their type
    assert len(pruned.findall(f"{xs}element")) == len(whole.findall(f"{xs}element"))
    assert pruned.find(f"{xs}element[@name='lg']") is not None and len(pruned.find(f"{xs}element[@name='lg']")) == 0


def _edition_copy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EDITION_XSD, folder / "edition.xsd")
    shutil.copy(EDITION_XSD.parent / "xml.xsd", folder / "xml.xsd")
    return folder / "edition.xsd"


def test_pruned_xsd_cache_follows_the_schema_bytes_and_survives_damage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edition.schema import EditionSchema
    cache = tmp_path / "cache"
    monkeypatch.setenv("EDITION_CACHE", str(cache))
    xsd = _edition_copy(tmp_path / "schema")
    bad = next(p for p in BROKEN if p.name == "unknown-element.xml")
    expected = [d for d in iter_problems(bad, schema=XsdSchema(EDITION_XSD), rules=False)]
    assert expected and expected[0].code == "E0101"

    def run(schema: EditionSchema, path: Path) -> list:
        return list(schema.begin(load(path))())

    assert run(EditionSchema(xsd), MEMO) == []
    first = sorted(cache.glob("v*/edition-xsd/*.xsd"))
    assert len(first) == 1
    # the schema changes: another key, another pruned copy
    xsd.write_bytes(xsd.read_bytes().replace(b"<xs:complexType", b"<!-- changed -->\n  <xs:complexType", 1))
    assert run(EditionSchema(xsd), MEMO) == []
    (current,) = set(cache.glob("v*/edition-xsd/*.xsd")) - set(first)
    # a damaged copy is ignored, rebuilt, and changes no finding
    current.write_bytes(b"<xs:schema garbage")
    assert run(EditionSchema(xsd), MEMO) == []
    assert b"\n<?xml" in current.read_bytes()[:200]
    assert run(EditionSchema(xsd), bad) == expected


def test_a_corpus_in_one_process_gives_the_same_findings() -> None:
    """Many files: their rules run while our whole schema compiles on another thread."""
    files = [MEMO, *VALID, *BROKEN]
    expected = sorted((d for p in files for d in iter_problems(p)), key=repr)
    assert sorted(validate(files, jobs=None).diagnostics, key=repr) == expected
    assert sorted(validate(files, jobs=2).diagnostics, key=repr) == expected


def test_specialized_tei_all_gives_the_pruned_verdicts(tei_all: TeiAllSchema, corpus_files: list[Path],
                                                      repaired_history: list[Path]) -> None:
    from edition.schema import attribute_profile
    checked = 0
    for path in [*corpus_files[:-63], *repaired_history[:8], *corpus_files[-3:]]:
        tree = load(path).tree
        profile = attribute_profile(tree)
        names = (frozenset(profile), frozenset().union(*profile.values()))
        assert names == vocabulary([tree])
        quick = tei_all.quick_for(names, profile)  # None where libxml2 would not compile it in time
        if quick is not None:
            checked += 1
            assert quick.validate(tree) == tei_all.validator_for(names).validator.validate(tree), path.name
    assert checked >= 10


def test_specialized_tei_all_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept beside the pruned grammar; a damaged copy is rebuilt; a refused one is not tried again."""
    from edition.resources import tei_p5_dir
    from edition.schema import attribute_profile
    from edition.schema import tei_all as tei_all_module
    rng = tei_p5_dir() / "tei_all.rng"
    monkeypatch.setenv("EDITION_CACHE", str(tmp_path))
    monkeypatch.setattr(tei_all_module, "_QUICK", {})
    tree = load(MEMO).tree
    profile = attribute_profile(tree)
    names = (frozenset(profile), frozenset().union(*profile.values()))
    quick = TeiAllSchema(rng).quick_for(names, profile)
    assert quick is not None and quick.validate(tree)
    (copy,) = tmp_path.glob("v*/tei-all/*.quick.rng")
    copy.write_bytes(b"<grammar")
    monkeypatch.setattr(tei_all_module, "_QUICK", {})
    assert TeiAllSchema(rng).quick_for(names, profile).validate(tree)
    assert b"\n<?xml" in copy.read_bytes()[:200]
    copy.unlink()
    monkeypatch.setattr(tei_all_module, "_QUICK", {})
    from edition import cache
    cache.write("tei-all", copy.name.replace(".quick.rng", ".refused"), b"")
    assert TeiAllSchema(rng).quick_for(names, profile) is None
    assert list(validate([MEMO], schema="tei-all").diagnostics) == []


def test_compile_trial_gives_up_on_time() -> None:
    from edition.schema.tei_all import _compiles_in_time
    grammar = (b'<grammar xmlns="http://relaxng.org/ns/structure/1.0">'
               b'<start><element name="a"><empty/></element></start></grammar>')
    assert _compiles_in_time(grammar, 5.0)
    assert not _compiles_in_time(b"<grammar", 5.0)
