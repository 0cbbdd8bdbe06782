"""edition/schema/compact.py: RELAX NG compact syntax read into the XML syntax for libxml2.

Every grammar here is judged twice: by libxml2 on what the reader made of it, and by jing on the
compact syntax itself (jing reads it natively: the reference).  The verdicts must agree, on small
grammars written to reach every construct and on the FRUS repository's own ``schema/frus.rnc``."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from edition.cli import cli
from edition.diagnostics import EditionUsageError
from edition.schema import schema_from_file
from edition.schema.compact import CompactSyntaxError, to_xml_syntax

JING = shutil.which("jing")


def _jing(grammar: Path, document: Path) -> subprocess.CompletedProcess[str]:
    """jing's run on a document against a compact-syntax grammar (it must have read the grammar)."""
    if not JING:
        pytest.skip("jing is not installed (Debian package 'jing', install.sh); the reference verdicts need it")
    run = subprocess.run([JING, "-c", str(grammar), str(document)], capture_output=True, text=True, timeout=600)
    assert ": fatal:" not in run.stdout, run.stdout
    return run


def _jing_valid(grammar: Path, document: Path) -> bool:
    return _jing(grammar, document).returncode == 0


def _ours_valid(grammar: Path, document: Path) -> bool:
    schema = etree.RelaxNG(to_xml_syntax(grammar.read_text(encoding="utf-8"), grammar))
    return schema.validate(etree.parse(str(document)))


NAMES_AND_DATATYPES = r"""
default namespace = "urn:t"
namespace x = "urn:x"
datatypes d = "http://www.w3.org/2001/XMLSchema-datatypes"
start = doc
doc = element doc { attribute n { d:integer { minInclusive = "1" } }?, item+ }
item = element item { attribute x:kind { "a" | "b" }?, (text | note)* }
note = element x:note { xsd:token - ("bad" | "worse") }
"""

PATTERNS = r"""
default namespace = "urn:t"
start = element r { (a & b), c?, d*, e+, element l { list { xsd:integer+ } }, element m { mixed { a* } },
                    element z { empty } }
a = element a { empty }
b = element b { empty }
c |= element c { empty }
c |= element cc { empty }
d = element d { string "fixed" | token "  spaced   out " }
e = element e { notAllowed } | element e2 { empty }
"""

NAME_CLASSES = r"""
namespace x = "urn:x"
start = element root { anything* }
anything = element * - (forbidden | x:*) { attribute * - x:* { text }*, (text | anything)* }
"""

LEXICAL = r"""
namespace a = "http://relaxng.org/ns/compatibility/annotations/1.0"
namespace sch = "http://purl.oclc.org/dsdl/schematron"
default namespace = "urn:t"
sch:ns [ prefix = "t" uri = "urn:t" ]

## documentation comments are annotations: left out
start = \element
div {
  \element =
    [ a:documentation [ "an element named element, in a definition named \element" ] ]
    element element {
      attribute v { "x\x{2D}y" | '''tri"ple''' | 'con' ~ "cat" }
        >> sch:pattern [ id = "p" "\x{a}" ~ "  " sch:rule [ context = "t:element" ] ],
      [ a:defaultValue = "1" ] attribute w { xsd:integer }?,
      inner
    }
}
inner = grammar { start = element inner { parent \text } }
\text = text
"""

CASES = [
    (NAMES_AND_DATATYPES, '<doc xmlns="urn:t" n="2"><item>hi<x:note xmlns:x="urn:x">ok</x:note></item></doc>', True),
    (NAMES_AND_DATATYPES, '<doc xmlns="urn:t" n="0"><item/></doc>', False),  # minInclusive
    (NAMES_AND_DATATYPES, '<doc xmlns="urn:t"><item><x:note xmlns:x="urn:x">bad</x:note></item></doc>', False),
    (NAMES_AND_DATATYPES, '<doc xmlns="urn:t"><item xmlns:x="urn:x" x:kind="c"/></doc>', False),
    (NAMES_AND_DATATYPES, '<doc xmlns="urn:t"/>', False),  # item+
    (NAMES_AND_DATATYPES, '<doc xmlns="urn:t"><item kind="a"/></doc>', False),  # kind is in urn:x only
    (PATTERNS, '<r xmlns="urn:t"><b/><a/><cc/><d>fixed</d><d>spaced out</d><e2/><l>1 2 3</l><m>t<a/>u</m>'
               '<z/></r>', True),
    (PATTERNS, '<r xmlns="urn:t"><a/><b/><e2/><l>1 x</l><m/><z/></r>', False),  # list of integers
    (PATTERNS, '<r xmlns="urn:t"><a/><b/><d>other</d><e2/><l>1</l><m/><z/></r>', False),  # values
    (PATTERNS, '<r xmlns="urn:t"><a/><b/><e/><l>1</l><m/><z/></r>', False),  # notAllowed
    (PATTERNS, '<r xmlns="urn:t"><a/><b/><e2/><l>1</l><m/><z>text</z></r>', False),  # empty
    (NAME_CLASSES, '<root><p a="1"><q/>t</p></root>', True),
    (NAME_CLASSES, '<root><p><forbidden/></p></root>', False),
    (NAME_CLASSES, '<root><x:y xmlns:x="urn:x"/></root>', False),
    (NAME_CLASSES, '<root><p xmlns:x="urn:x" x:a="1"/></root>', False),
    (LEXICAL, '<element xmlns="urn:t" v="x-y" w="3"><inner>text</inner></element>', True),
    (LEXICAL, '<element xmlns="urn:t" v=\'tri"ple\'><inner/></element>', True),
    (LEXICAL, '<element xmlns="urn:t" v="concat"><inner/></element>', True),
    (LEXICAL, '<element xmlns="urn:t" v="con cat"><inner/></element>', False),
    (LEXICAL, '<element xmlns="urn:t" v="x-y" w="one"><inner/></element>', False),
]


@pytest.mark.parametrize(("grammar", "document", "expected"), CASES)
def test_the_reader_gives_jing_s_verdict(tmp_path: Path, grammar: str, document: str, expected: bool) -> None:
    rnc, xml = tmp_path / "grammar.rnc", tmp_path / "document.xml"
    rnc.write_text(grammar, encoding="utf-8")
    xml.write_text(document, encoding="utf-8")
    assert _jing_valid(rnc, xml) is expected
    assert _ours_valid(rnc, xml) is expected


def _csl_schemas() -> Path:
    import citeproc

    return Path(citeproc.__file__).parent / "data" / "schema" / "schemas" / "styles"


def test_a_grammar_of_several_files_gives_jing_s_verdict(tmp_path: Path) -> None:
    """The Citation Style Language's own schema (csl.rnc, hand-written, five files it includes),
    as citeproc-py ships it, on the official Chicago style the toolkit ships, and on a copy of it
    that breaks the schema."""
    grammar = _csl_schemas() / "csl.rnc"
    style = Path(__file__).parents[1] / "transforms" / "csl" / "chicago-notes-bibliography-17th-edition.csl"
    assert _jing_valid(grammar, style) and _ours_valid(grammar, style)
    broken = tmp_path / "broken.csl"
    broken.write_text(style.read_text(encoding="utf-8").replace(' class="note"', "", 1), encoding="utf-8")
    assert not _jing_valid(grammar, broken) and not _ours_valid(grammar, broken)


def test_an_include_s_block_replaces_the_file_s_definitions(tmp_path: Path) -> None:
    (tmp_path / "base.rnc").write_text('default namespace = inherit\nstart = element doc { part+ }\n'
                                       'part = element part { text }\n', encoding="utf-8")
    # the included file's names take the including file's default namespace (inherit), and the
    # block's definitions are the including file's own
    (tmp_path / "strict.rnc").write_text('default namespace t = "urn:t"\ninclude "base.rnc" {\n'
                                         '  part = element part { "fixed" }\n}\n', encoding="utf-8")
    cases = {'<doc xmlns="urn:t"><part>fixed</part></doc>': True,
             '<doc xmlns="urn:t"><part>free</part></doc>': False,
             '<doc><part>fixed</part></doc>': False}
    for number, (text, expected) in enumerate(cases.items()):
        document = tmp_path / f"d{number}.xml"
        document.write_text(text, encoding="utf-8")
        assert _jing_valid(tmp_path / "strict.rnc", document) is expected, text
        assert _ours_valid(tmp_path / "strict.rnc", document) is expected, text


@pytest.mark.parametrize(("files", "words"), [
    ({"a.rnc": 'include "b.rnc"\n', "b.rnc": 'include "a.rnc"\n'}, "includes itself"),
    ({"a.rnc": 'include "https://example.org/x.rnc"\n'}, "never fetched"),
    ({"a.rnc": 'include "missing.rnc"\n'}, "cannot be read"),
    ({"a.rnc": 'include "b.rnc" { c = empty }\n', "b.rnc": "start = element b { empty }\n"}, "replaces nothing"),
    ({"a.rnc": 'include "b.rnc"\n', "b.rnc": "start = element b { ( }\n"}, "expected a pattern"),
])
def test_includes_that_cannot_be_read_are_refused(tmp_path: Path, files: dict[str, str], words: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CompactSyntaxError, match=words) as caught:
        to_xml_syntax(files["a.rnc"], tmp_path / "a.rnc")
    if words == "expected a pattern":  # the place is in the included file, and says so
        assert caught.value.path == str((tmp_path / "b.rnc").resolve()) and caught.value.line == 1


def test_the_relaxed_csl_schema_is_refused_as_jing_refuses_it() -> None:
    """csl-relaxed.rnc replaces a definition that csl.rnc no longer has: a broken grammar."""
    grammar = _csl_schemas() / "csl-relaxed.rnc"
    if JING:
        run = subprocess.run([JING, "-c", str(grammar), str(grammar)], capture_output=True, text=True, timeout=600)
        assert "does not override anything" in run.stdout
    with pytest.raises(CompactSyntaxError, match="'info-updated' in the include's block replaces nothing"):
        to_xml_syntax(grammar.read_text(encoding="utf-8"), grammar)


@pytest.mark.parametrize(("grammar", "where", "words"), [
    ("start = element a { attribute b { xsd:integer }, ( }\n", (1, 52), "expected a pattern"),
    ('start = element a { text }\ninclude "other.rnc"\n', (2, 9), "beside the including file"),
    ("start = element a { external \"x.rnc\" }\n", (1, 21), "external pattern"),
    ("start = element p:a { text }\n", (1, 17), "prefix 'p' is not declared"),
    ("start = element a { b, c | d }\nb = empty\nc = empty\nd = empty\n", (1, 26), "cannot be mixed"),
    ('start = element a { "unclosed }\n', (1, 21), "unexpected character"),
])
def test_what_cannot_be_read_is_located(grammar: str, where: tuple[int, int], words: str) -> None:
    with pytest.raises(CompactSyntaxError) as caught:
        to_xml_syntax(grammar)
    assert (caught.value.line, caught.value.column) == where
    assert words in caught.value.message


def test_hostile_text_is_refused_and_never_a_traceback() -> None:
    """Escapes and literals that XML cannot hold, nesting deeper than Python's stack, and 2,000
    random sequences of the syntax's own tokens: a CompactSyntaxError or a grammar, nothing else."""
    import random  # here: the other tests need no random texts

    for grammar in ['start = element a { "\\x{FFFFFFFF}" }', 'start = element a { "\\x{0}" }',
                    'start = element a { "x\x01y" }', "start = " + "(" * 50_000 + "empty" + ")" * 50_000,
                    "start = element a { " * 20_000 + "empty" + " }" * 20_000]:
        with pytest.raises(CompactSyntaxError):
            to_xml_syntax(grammar)
    pieces = ["start", "=", "element", "attribute", "a", "x:b", "x:*", "*", "{", "}", "(", ")", "[", "]", ",",
              "|", "&", "?", "+", "-", "~", ">>", "|=", "&=", '"v"', "text", "empty", "list", "mixed", "grammar",
              "div", "parent", "xsd:token", "namespace", "default", "include", "\\x{41}", "## doc\n", "\\a"]
    chooser = random.Random(20)
    for _ in range(2000):
        text = 'namespace x = "urn:x"\n' + " ".join(chooser.choice(pieces) for _ in range(chooser.randint(1, 30)))
        with contextlib.suppress(CompactSyntaxError):  # a refusal is an answer; any other exception is not
            to_xml_syntax(text)


def test_a_broken_rnc_is_an_e0107_usage_error_at_its_place(tmp_path: Path, memo_path: Path) -> None:
    broken = tmp_path / "broken.rnc"
    broken.write_text("start = element TEI {\n  text,\n  (\n}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--schema", str(broken), str(memo_path)])
    assert result.exit_code == 2
    assert re.search(r"broken\.rnc:4:1: fatal E0107: not RELAX NG compact syntax that can be read: "
                     r"expected a pattern, found '\}'", result.output)
    with pytest.raises(EditionUsageError):
        schema_from_file(tmp_path / "absent.rnc")


def test_a_document_s_own_xml_model_may_name_an_rnc(tmp_path: Path) -> None:
    (tmp_path / "tiny.rnc").write_text(
        'default namespace = "http://www.tei-c.org/ns/1.0"\n'
        'start = element TEI { element text { element body { element p { text }+ } } }\n', encoding="utf-8")
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    model = '<?xml-model href="tiny.rnc" type="application/relax-ng-compact-syntax"?>\n'
    good.write_text(model + '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>x</p></body></text></TEI>\n')
    bad.write_text(model + '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><div/></body></text></TEI>\n')
    result = CliRunner().invoke(cli, ["validate", "--no-rules", "--no-schematron", str(good)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["validate", "--no-rules", "--no-schematron", str(bad)])
    assert result.exit_code == 1 and "bad.xml:2:" in result.output and "E01" in result.output


def test_the_frus_repository_s_own_grammar_gives_jing_s_verdicts(shared: Path, tmp_path: Path) -> None:
    """schema/frus.rnc (3,800 lines written by the TEI's tools, with Schematron in its annotations)
    on the repository's volume, its XIncludes resolved: invalid, as jing says (revisionDesc and
    change lack @status, 132 @rend values are not the FRUS ones); then mended as jing asks: valid."""
    grammar = shared / "frus-repo" / "schema" / "frus.rnc"
    volume = etree.parse(str(shared / "frus-repo" / "volumes" / "frus1958-60v19.xml"))
    volume.xinclude()
    included = tmp_path / "volume.xml"
    volume.write(str(included), encoding="UTF-8", xml_declaration=True)
    run = _jing(grammar, included)
    assert run.returncode != 0
    assert not _ours_valid(grammar, included)

    flagged = {int(line.split(":")[1]) for line in run.stdout.splitlines() if 'attribute "rend"' in line}
    volume = etree.parse(str(included))  # the lines jing names are those of this file
    tei = "{http://www.tei-c.org/ns/1.0}"
    for element in volume.iter(f"{tei}revisionDesc", f"{tei}change"):
        element.set("status", "published")
    mended = 0
    for element in volume.iter():
        if isinstance(element.tag, str) and element.sourceline in flagged and element.get("rend"):
            element.set("rend", "italic")
            mended += 1
    assert mended >= len(flagged) > 100
    valid = tmp_path / "mended.xml"
    volume.write(str(valid), encoding="UTF-8", xml_declaration=True)
    assert _jing_valid(grammar, valid)
    assert _ours_valid(grammar, valid)  # libxml2's reading of the attributes-after-content groups

    result = CliRunner().invoke(cli, ["validate", "--no-rules", "--no-schematron", "--schema", str(grammar),
                                      str(valid)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["validate", "--no-rules", "--no-schematron", "--schema", str(grammar),
                                      str(included)])
    assert result.exit_code == 1 and "revisionDesc" in result.output
