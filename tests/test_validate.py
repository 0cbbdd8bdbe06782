"""Validation end to end: the manifest of broken fixtures, our own TEI, and the real FRUS corpora.

``tests/fixtures/broken/MANIFEST`` lists every fixture with the exact findings it must
give (xmlschema's ``testfiles`` manifest, in our words): ``file.xml  E0201@21:9 W0210@21``.
Each line becomes one test of the library and one of the command line; adding a line
adds a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import shared_path

from edition.cli import cli
from edition.diagnostics import CODES, EditionValidationError, Severity
from edition.rules import RULES
from edition.validate import check, is_valid, iter_problems, validate

REPO = Path(__file__).resolve().parents[1]
BROKEN = REPO / "tests" / "fixtures" / "broken"
MANIFEST = BROKEN / "MANIFEST"
_EXPECTED = re.compile(r"(?P<code>[EWIF]\d{4})@(?P<line>\d+)(?::(?P<column>\d+))?")


@dataclass(frozen=True)
class Expected:
    code: str
    line: int
    column: int | None


@dataclass(frozen=True)
class Case:
    file: str
    expected: tuple[Expected, ...]
    lineno: int

    @property
    def exit_code(self) -> int:
        return 1 if any(CODES[e.code].severity >= Severity.ERROR for e in self.expected) else 0


def read_manifest() -> list[Case]:
    cases = []
    for lineno, raw in enumerate(MANIFEST.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        name, *tokens = line.split()
        expected = []
        for token in tokens:
            match = _EXPECTED.fullmatch(token)
            assert match, f"MANIFEST line {lineno}: '{token}' is not CODE@LINE[:COLUMN]"
            assert match["code"] in CODES, f"MANIFEST line {lineno}: unknown code {match['code']}"
            expected.append(Expected(match["code"], int(match["line"]),
                                     int(match["column"]) if match["column"] else None))
        cases.append(Case(name, tuple(expected), lineno))
    return cases


CASES = read_manifest()


PARAMS = [pytest.param(case, id=case.file) for case in CASES]


def test_manifest_lists_every_fixture_once() -> None:
    listed = [case.file for case in CASES]
    assert len(listed) == len(set(listed)), "a fixture is listed twice"
    assert sorted(listed) == sorted(p.name for p in BROKEN.glob("*.xml"))
    assert len([c for c in CASES if c.expected]) >= 20


def test_manifest_covers_every_rule_code() -> None:
    listed = {e.code for case in CASES for e in case.expected}
    for each in RULES.values():
        assert set(each.codes) <= listed, f"rule {each.name}: no fixture shows {set(each.codes) - listed}"
    for code in ("E0002", "E0003", "E0006", "E0010", "E0101", "E0103", "E0106"):
        assert code in listed


@pytest.mark.parametrize("case", PARAMS)
def test_fixture_gives_its_findings(case: Case) -> None:
    report = validate([BROKEN / case.file])
    found = {(d.code, d.line) for d in report.diagnostics}
    assert found == {(e.code, e.line) for e in case.expected}, "\n".join(map(str, report.diagnostics))
    for expected in case.expected:
        if expected.column is not None:
            columns = [d.column for d in report.diagnostics if (d.code, d.line) == (expected.code, expected.line)]
            assert expected.column in columns, f"{expected.code}@{expected.line}: columns {columns}"
    for diagnostic in report.diagnostics:
        assert diagnostic.path.endswith(case.file)
        assert diagnostic.message.strip()
    assert report.exit_code == case.exit_code


@pytest.mark.parametrize("case", PARAMS)
def test_fixture_exit_code_on_the_command_line(case: Case) -> None:
    result = CliRunner().invoke(cli, ["validate", str(BROKEN / case.file)])
    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    shown = set()
    for line in result.stdout.splitlines():
        match = re.match(r"^.+?:(\d+):\d+: \w+ ([EWIF]\d{4}): ", line)
        assert match, line
        shown.add((match[2], int(match[1])))
    assert shown == {(e.code, e.line) for e in case.expected}
    assert result.stderr.strip().startswith("1 file checked: ")


def test_fixture_findings_give_a_location_by_reference() -> None:
    # "Validation reports locations by document (d1.p2), not only by line."
    report = validate([BROKEN / "duplicate-id.xml", BROKEN / "misnumbered-notes.xml"], schema="none")
    refs = {d.code: d.ref for d in report.diagnostics}
    assert refs == {"E0201": "d1.p2", "E0207": "d1.p3"}
    assert all("(d1.p" in str(d) for d in report.diagnostics)


def test_unclosed_tag_names_the_open_element() -> None:
    (diagnostic,) = list(iter_problems(BROKEN / "unclosed-tag.xml"))
    assert diagnostic.code == "E0002"
    assert "p line 20" in diagnostic.message


def test_library_shapes_agree() -> None:
    good, bad = BROKEN / "skeleton.xml", BROKEN / "duplicate-id.xml"
    assert is_valid(good) and not is_valid(bad)
    check(good)
    with pytest.raises(EditionValidationError) as raised:
        check(bad, schema="none")
    assert raised.value.diagnostic.code == "E0201"
    assert isinstance(raised.value, ValueError)
    # a warning alone does not make a file invalid
    assert is_valid(BROKEN / "printed-date-mismatch.xml")


def test_rules_can_be_switched_off() -> None:
    report = validate([BROKEN / "duplicate-id.xml"], schema="none", rules=False)
    assert report.diagnostics == [] and report.files == 1


def test_our_tei_is_valid(repo: Path) -> None:
    report = validate([repo / "tei"])
    assert report.files >= 1
    assert report.exit_code == 0, "\n".join(map(str, report.diagnostics))


# ---------------------------------------------------------------------------
# The real corpora: real findings, checked by eye, and no crash
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def history_report(history_documents: Path):
    return validate([history_documents], schema="none", jobs=1)


def test_history_documents_give_only_their_real_findings(history_report) -> None:
    assert history_report.files == 63
    found = [(Path(d.path).name, d.line, d.code) for d in history_report.diagnostics]
    # Two header dates whose @when was copied from another file: the 1959 minutes say
    # "November 6, 1959" with when="1958-11-07", the 1979-09-25 meeting says
    # "September 25, 1979" with when="1979-08-15".
    assert found == [
        ("1959-11-06-hac-meeting-minutes.xml", 15, "W0206"),
        ("1979-09-25-ho-meeting-with-cia.xml", 15, "W0206"),
    ]
    assert history_report.exit_code == 0
    assert '"November 6, 1959"' in history_report.diagnostics[0].message


def test_history_documents_on_the_command_line(history_documents: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--no-schema", "--jobs", "2", str(history_documents)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip() == "63 files checked: 0 errors, 2 warnings"


def test_excerpt_reports_its_documented_dangling_pointers(frus_excerpt: Path) -> None:
    report = validate([frus_excerpt], schema="none")
    found = [(d.code, d.line, d.ref) for d in report.diagnostics]
    # the excerpt's opening comment names exactly these two
    assert found == [("E0202", 269, "d301.p27"), ("E0202", 278, "d302.p1")]
    assert "'d14'" in report.diagnostics[0].message and "'d290'" in report.diagnostics[1].message
    assert report.exit_code == 1


def test_frus_volume_passes_every_rule(frus_volume: Path) -> None:
    # 404 documents, 12,624 pointers, 1,192 notes, 878 page breaks, 340 dates (339 of them
    # with a printed plain date): all consistent, so any finding here is a false positive.
    report = validate([frus_volume], schema="none")
    assert report.diagnostics == []


def test_rules_on_the_tei_guidelines_source() -> None:
    # p5subset.xml is TEI too (the Guidelines' own ODD source, 4 MB): its real findings are
    # 19 empty <p/> in <remarks> and two bibliography pointers the subset dropped.  The
    # examples in <egXML> (another namespace) are examples, not pointers to check.
    report = validate([shared_path("tei-p5", "p5subset.xml")], schema="none")
    counts: dict[str, int] = {}
    for diagnostic in report.diagnostics:
        counts[diagnostic.code] = counts.get(diagnostic.code, 0) + 1
    assert counts == {"E0202": 2, "E0209": 19}
    dangling = sorted(d.message.split('"')[1] for d in report.diagnostics if d.code == "E0202")
    assert dangling == ["#TEIcmc2012", "#descmr"]


_CHILD_SCRIPT = """
import importlib, sys, threading
from pathlib import Path
import edition.speed
from edition.schematron_select import SchematronOptions
from edition.validate import validate

module = importlib.import_module("edition.validate")  # the package exports the function of that name
fixture = Path(sys.argv[1])
schema = None if sys.argv[2] == "edition" else sys.argv[2]
options = SchematronOptions(enabled=sys.argv[3] != "off", tei_constraints=schema == "tei-all",
                            our_constraints=schema is None)
module._CHILD_FROM_BYTES = 1 << 40
alone = validate([fixture], schema=schema, schematron=options)
forked = []
real = edition.speed.in_child

def counted(work):
    forked.append(threading.active_count())
    return real(work)

module._CHILD_FROM_BYTES = 0
edition.speed.in_child = counted
child = validate([fixture], schema=schema, schematron=options)
print(forked)
print(len(alone.diagnostics))
print(sorted({d.code for d in alone.diagnostics}))
print([str(d) for d in child.diagnostics] == [str(d) for d in alone.diagnostics])
"""


def _child_run(fixture: Path, schema: str, schematron: str) -> tuple[str, int, set[str], str]:
    import ast
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-P", "-c", _CHILD_SCRIPT, str(fixture), schema, schematron],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    forked, count, codes, same = done.stdout.splitlines()
    return forked, int(count), set(ast.literal_eval(codes)), same


def test_a_large_file_s_grammar_and_schematron_in_a_child_give_the_same_report() -> None:
    """A file of 1 MiB or more has its grammar checked in a forked child while the rules and
    the Schematron run here (edition.speed.in_child); the report is the one checked in one
    process.

    In a fresh interpreter: threads that other tests leave in this one (dask's IO loop) make
    in_child refuse to fork, as it must.  The thread that imports the child's modules during
    the parse is over by the fork: one thread forks."""
    fixture = Path(__file__).parent / "fixtures" / "schematron" / "tei-constraints-many.xml"
    forked, count, codes, same = _child_run(fixture, "tei-all", "on")
    assert forked == "[1]"  # the child ran (one thread: fork is safe)
    assert same == "True"
    assert count > 50
    assert {"E0701", "W0702", "I0703"} <= codes  # both layers
    assert any(code.startswith("E01") for code in codes)


@pytest.mark.parametrize(("schema", "schematron"), [
    ("edition", "on"),    # ours in the child; our ODD's constraints and the rules here
    ("tei-all", "off"),   # the grammar alone in the child
    ("none", "on"),       # no schema: the Schematron is the child's
])
def test_every_split_of_a_large_file_s_checks_gives_the_one_process_report(schema: str, schematron: str) -> None:
    fixture = Path(__file__).parent / "fixtures" / "broken" / "duplicate-id.xml"
    forked, count, codes, same = _child_run(fixture, schema, schematron)
    assert forked == "[1]"
    assert same == "True"
    assert "E0201" in codes and count >= 1
    if schema != "none":
        assert any(code.startswith("E01") for code in codes)  # the schema's finding came back from the child


def test_the_forked_validation_of_the_frus_volume_gives_the_one_process_report(frus_volume: Path) -> None:
    """The volume itself: references found without the Citer (FallbackRefs), the walks made
    before the fork, the grammar in the child: the same (clean) report as in one process."""
    forked, count, codes, same = _child_run(frus_volume, "tei-all", "on")
    assert forked == "[1]"
    assert same == "True"
    assert count == 0


def test_work_in_a_child_gives_its_result_or_its_error_here() -> None:
    from edition.speed import in_child

    assert in_child(lambda: [1, "two", (3.0,)])() == [1, "two", (3.0,)]

    def fails() -> None:
        raise ValueError("raised in the child, then here")

    with pytest.raises(ValueError, match="then here"):
        in_child(fails)()
