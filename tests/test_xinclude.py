"""XInclude within a root: the FRUS repository's volumes, and the rules of confinement.

The attacks (URLs, absolute paths, ../ and links out of the root, loops) are in the
hostile-input catalogue (tests/test_hostile.py); here is what an include does when it is
allowed, where the root is, and what a file with an include that cannot be resolved gives.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import shared_path

from edition.cli import cli
from edition.document import TEI_NS, load, parse, tei
from edition.xinclude import MAX_DEPTH, find_root

XI = 'xmlns:xi="http://www.w3.org/2001/XInclude"'
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TEI xmlns="{TEI_NS}" {XI}>\n'
        '  <teiHeader><fileDesc><titleStmt><title>Includes</title></titleStmt>'
        '<publicationStmt><p>Test</p></publicationStmt><sourceDesc><p>Test</p></sourceDesc></fileDesc>\n')
TAIL = '  </div></body></text>\n</TEI>\n'


def tei_file(path: Path, header_extra: str = "", body: str = "<p>x</p>") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + header_extra + '  </teiHeader>\n  <text><body><div type="document" xml:id="d1">\n'
                    f"    {body}\n" + TAIL)
    return path


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def frus_repo() -> Path:
    return shared_path("frus-repo")


def _categories(document) -> list[str]:
    return [c.get("{http://www.w3.org/XML/1998/namespace}id") for c in document.root.iter(tei("category"))]


# -- the FRUS repository ------------------------------------------------------------

def test_the_repository_volume_gets_both_taxonomies() -> None:
    repo = frus_repo()
    document = load(repo / "volumes" / "frus1958-60v19.xml", root=repo)
    assert document.problems == []
    taxonomies = document.xpath("tei:teiHeader/tei:encodingDesc/tei:classDecl/tei:taxonomy")
    assert [t.get("{http://www.w3.org/XML/1998/namespace}id") for t in taxonomies] == ["frus-dates", "frus-heads"]
    categories = _categories(document)
    assert len(categories) == 19  # the repository's README: "the 19 categories of both taxonomies"
    assert "date_undated-inferred-from-document-head" in document.ids
    assert "head_untitled-inferred-from-preceding-sibling-head" in document.ids


def test_locations_in_included_content_name_the_included_file() -> None:
    repo = frus_repo()
    shown = "volumes/frus1958-60v19.xml"
    document = load(repo / "volumes" / "frus1958-60v19.xml", display=shown, root=repo)
    category = document.ids["date_undated-inferred-from-document-head"]
    diagnostic = document.diagnostic(category, "E0202", "a test finding")
    assert diagnostic.path == "shared/frus-dates.xml"
    source = (repo / "shared" / "frus-dates.xml").read_text().splitlines()
    line = source[diagnostic.line - 1]
    assert line[diagnostic.column - 1:].startswith('<category xml:id="date_undated-inferred-from-document-head"')
    assert diagnostic.xpath.startswith("/tei:TEI/tei:teiHeader/tei:encodingDesc/tei:classDecl/tei:taxonomy[1]")
    # the volume's own nodes keep the volume's locations
    head = document.xpath("//tei:div[@xml:id='d300']/tei:head")[0]
    assert document.diagnostic(head, "E0202", "x").path == shown


def test_validate_the_repository_with_root_and_from_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = frus_repo()
    code, output = run("validate", "--tei-all", "--root", str(repo), str(repo / "volumes"))
    assert code == 0, output
    assert "1 file checked: 0 errors, 0 warnings" in output
    # inside the folder (read-only, no .git in CI): the current folder is the root
    monkeypatch.chdir(repo)
    code, output = run("validate", "--tei-all", "volumes/")
    assert code == 0 and "0 errors, 0 warnings" in output, output
    code, output = run("validate", "volumes/")
    assert code == 0 and "0 errors, 0 warnings" in output, output


def test_without_the_root_the_includes_are_errors_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From elsewhere, the volume's folder is the root: ../shared is refused, and the file is still
    checked (the schema finds the emptied classDecl)."""
    repo = frus_repo()
    monkeypatch.chdir(tmp_path)
    code, output = run("validate", "--tei-all", str(repo / "volumes"))
    assert code == 1
    refused = [line for line in output.splitlines() if " E0009: " in line]
    assert len(refused) == 2 and 'href="../shared/frus-dates.xml"' in refused[0]
    assert "leaves the root folder" in refused[0] and ":37:17: error E0009" in refused[0]
    assert "fatal" not in output
    assert re.search(r":36:\d+: error E01\d\d: .*classDecl", output), output


def test_build_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # html, text and citations: the print edition of 404 documents takes minutes, and its
    # input is the same loaded document
    repo = frus_repo()
    out = tmp_path / "edition"
    code, output = run("build", "--root", str(repo), "-f", "html", "-f", "text", "-f", "cite",
                       "--out", str(out), str(repo / "volumes"))
    assert code == 0, output
    assert "0 errors, 0 warnings" in output, output
    assert (out / "html" / "frus1958-60v19" / "d300.html").is_file()
    series = (out / "html" / "series.html").read_text()
    assert "frus-dates" in series and "frus-heads" in series  # the header's taxonomies, shown
    assert "date_undated-inferred-from-document-head" in series
    monkeypatch.chdir(repo)
    code, output = run("build", "-f", "cite", "--out", str(tmp_path / "inside"), "volumes/")
    assert code == 0 and "0 errors, 0 warnings" in output, output


def _repo_copy(tmp_path: Path) -> Path:
    """The repository's layout with our own small volume whose dates point into the taxonomy."""
    repo = tmp_path / "frus"
    shutil.copytree(frus_repo() / "shared", repo / "shared")
    includes = ('  <encodingDesc><classDecl>\n'
                '    <xi:include href="../shared/frus-dates.xml" xpointer="frus-dates"/>\n'
                '    <xi:include href="../shared/frus-heads.xml" xpointer="frus-heads"/>\n'
                '  </classDecl></encodingDesc>\n')
    body = ('<head ana="#head_untitled-inferred-from-preceding-sibling-head">1. Memorandum</head>'
            '<dateline><placeName>Washington</placeName>, <date when="1958-01-23" '
            'ana="#date_imprecise-inferred-from-document-content">January 23, 1958</date>.</dateline><p>x</p>')
    tei_file(repo / "volumes" / "v1.xml", includes, body)
    return repo


def test_pointers_into_the_taxonomy_resolve(tmp_path: Path) -> None:
    repo = _repo_copy(tmp_path)
    volume = repo / "volumes" / "v1.xml"
    code, output = run("validate", "--root", str(repo), str(volume))
    assert code == 0 and " E0202" not in output, output
    # without the include, the same pointers dangle: the rule is the one that checks them
    code, output = run("validate", "--no-xinclude", "--root", str(repo), str(volume))
    assert code == 1
    assert len([line for line in output.splitlines() if " E0202: " in line and 'ana="#' in line]) == 2
    assert output.count(" E0009: ") == 2 and "XInclude is off" in output


# -- the root -------------------------------------------------------------------------

def test_the_root_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "volumes").mkdir()
    (tmp_path / "plain" / "volumes").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert find_root(checkout / "volumes", tmp_path) == tmp_path.resolve()  # given
    assert find_root(checkout / "volumes") == checkout.resolve()  # the checkout
    assert find_root(tmp_path / "plain" / "volumes") == (tmp_path / "plain" / "volumes").resolve()  # its folder
    monkeypatch.chdir(tmp_path / "plain")
    assert find_root(Path("volumes")) == (tmp_path / "plain").resolve()  # the current folder


def test_a_sibling_folder_is_reached_only_from_a_root_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "part.xml").write_text(f'<p xmlns="{TEI_NS}">shared text</p>')
    volume = tei_file(tmp_path / "volumes" / "v.xml", body='<xi:include href="../shared/part.xml"/>')
    monkeypatch.chdir(tmp_path / "volumes")
    assert [d.code for d in load(volume).problems] == ["E0009"]  # root: the current folder, volumes/
    monkeypatch.chdir(tmp_path)
    assert load(volume).problems == []  # root: the current folder, which holds both
    assert load(volume, root=tmp_path / "volumes").problems[0].code == "E0009"


# -- what an include may be ---------------------------------------------------------------

def test_pointer_forms(tmp_path: Path) -> None:
    (tmp_path / "parts.xml").write_text(
        f'<div xmlns="{TEI_NS}" xml:id="top"><p xml:id="a">first</p><p>second</p></div>')
    forms = {"a": "first", "element(a)": "first", "element(top/2)": "second", "element(/1/2)": "second",
             "xpointer(id('a'))": "first"}
    for pointer, text in forms.items():
        path = tei_file(tmp_path / "v.xml", body=f'<xi:include href="parts.xml" xpointer="{pointer}"/>')
        document = load(path, root=tmp_path)
        assert document.problems == [], pointer
        assert document.xpath("//tei:body/tei:div/tei:p")[0].text == text, pointer
    for pointer, reason in (("nowhere", "no xml:id 'nowhere'"), ("element(/1/9)", "points to no element"),
                            ("xpointer(//p)", "is not supported")):
        path = tei_file(tmp_path / "v.xml", body=f'<xi:include href="parts.xml" xpointer="{pointer}"/>')
        problems = load(path, root=tmp_path).problems
        assert [p.code for p in problems] == ["E0009"] and reason in problems[0].message, pointer


def test_text_includes_and_nesting(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("a plain text & <not markup>")
    (tmp_path / "inner.xml").write_text(f'<p xmlns="{TEI_NS}" {XI}>inner <xi:include href="note.txt" '
                                        'parse="text"/></p>')
    (tmp_path / "outer.xml").write_text(f'<div xmlns="{TEI_NS}" {XI}><xi:include href="inner.xml"/></div>')
    path = tei_file(tmp_path / "v.xml", body='<xi:include href="outer.xml"/>')
    document = load(path, root=tmp_path)
    assert document.problems == []
    paragraph = document.xpath("//tei:body/tei:div/tei:div/tei:p")[0]
    assert paragraph.text == "inner a plain text & <not markup>"
    assert document.path_of(paragraph) == str(tmp_path / "inner.xml")


def test_loops_and_depth_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(f'<p xmlns="{TEI_NS}" {XI}><xi:include href="b.xml"/></p>')
    (tmp_path / "b.xml").write_text(f'<p xmlns="{TEI_NS}" {XI}><xi:include href="a.xml"/></p>')
    document = load(tei_file(tmp_path / "v.xml", body='<xi:include href="a.xml"/>'), root=tmp_path)
    assert [(Path(p.path).name, p.code) for p in document.problems] == [("b.xml", "E0009")]
    assert "include loop" in document.problems[0].message
    for number in range(MAX_DEPTH + 3):
        (tmp_path / f"c{number}.xml").write_text(f'<p xmlns="{TEI_NS}" {XI}>{number}<xi:include '
                                                 f'href="c{number + 1}.xml"/></p>')
    document = load(tei_file(tmp_path / "w.xml", body='<xi:include href="c0.xml"/>'), root=tmp_path)
    assert [p.code for p in document.problems] == ["E0009"]
    assert f"more than {MAX_DEPTH} deep" in document.problems[0].message


def test_an_unresolved_include_is_one_error_and_the_file_is_still_built(tmp_path: Path) -> None:
    source = tmp_path / "tei"
    path = tei_file(source / "v.xml", body='<p>kept</p><xi:include href="missing.xml"/>')
    code, output = run("build", "--root", str(source), "-f", "html", "-f", "text", "--out", str(tmp_path / "out"),
                       str(path))
    assert code == 1
    errors = [line for line in output.splitlines() if re.search(r": (error|fatal) ", line)]
    assert len(errors) == 1 and " E0009: " in errors[0] and "1 file built: 1 error" in output
    assert output.count(" E0009: ") == 1 and 'href="missing.xml"' in output and "no such file" in output
    assert ["kept" in page.read_text() for page in (tmp_path / "out" / "text").glob("*.txt")] == [True]


def test_bytes_without_a_folder_cannot_include() -> None:
    text = (HEAD + '  </teiHeader>\n  <text><body><div type="document" xml:id="d1">\n'
            '    <xi:include href="part.xml"/>\n' + TAIL)
    document = parse(text.encode())
    assert [p.code for p in document.problems] == ["E0009"] and "without the folder" in document.problems[0].message


def test_an_include_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    """Ten includes of a file of ten includes of … (XInclude's billion laughs): refused once the
    includes of one input add up to the size of an input."""
    (tmp_path / "leaf.xml").write_text(f'<p xmlns="{TEI_NS}">{"lol " * 250_000}</p>')  # 1 MB
    for level in range(4):
        inner = "leaf.xml" if level == 0 else f"level{level - 1}.xml"
        (tmp_path / f"level{level}.xml").write_text(
            f'<div xmlns="{TEI_NS}" {XI}>' + f'<xi:include href="{inner}"/>' * 10 + "</div>")
    document = load(tei_file(tmp_path / "v.xml", body='<xi:include href="level3.xml"/>'), root=tmp_path)
    assert document.problems and {p.code for p in document.problems} == {"E0009"}
    assert "add up to more than" in document.problems[0].message
    assert len(document.problems) <= 4 * 10  # one a refused include
