"""The real corpora end to end: all of ../shared/corpus validates, builds and answers
queries from one command each, and our memo and the volume's document 300 are known
to be the same document.

Each command runs once per module (the build of the whole corpus takes seconds);
the tests read its output.  Everything here needs ../shared and skips without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MEMO, shared_path

from edition.cli import cli
from edition.document import load, tei
from edition.identity import holdings, volume_id, work_id, works

VOLUME_DOCUMENTS = 404
HISTORY_DOCUMENTS = 63
EXCERPT_DOCUMENTS = 4


def run(*arguments: str):
    return CliRunner().invoke(cli, list(arguments))


@pytest.fixture(scope="module")
def corpus() -> Path:
    return shared_path("corpus")


@pytest.fixture(scope="module")
def validated(corpus: Path):
    """`edition validate --tei-all ../shared/corpus` (tei_all and our rules), as JSON."""
    import json

    result = run("validate", "--tei-all", "--format", "json", str(corpus))
    records = json.loads(result.stdout) if result.stdout.strip() else []
    return result, records


@pytest.fixture(scope="module")
def built(corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    """`edition build -f html -f text -f cite --out TMP ../shared/corpus`: (result, html folder)."""
    out = tmp_path_factory.mktemp("corpus") / "edition"
    result = run("build", "--out", str(out), "-f", "html", "-f", "text", "-f", "cite", str(corpus))
    return result, out


# -- validate ------------------------------------------------------------------------

def test_validate_reports_the_real_findings_and_only_those(validated) -> None:
    result, records = validated
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output[-2000:]
    errors = [r for r in records if r["severity"] == "error"]
    # tei_all (jing agrees): each of the 63 files has <date> straight in publicationStmt
    schema = [r for r in errors if r["code"] == "E0101"]
    assert len(schema) == HISTORY_DOCUMENTS
    assert {Path(r["path"]).parent.name for r in schema} == {"frus-history-documents"}
    assert all("publicationStmt" in r["xpath"] for r in schema)
    # our rules: the excerpt keeps two pointers to documents it does not contain
    dangling = sorted((r["line"], r["message"]) for r in errors if r["code"] == "E0202")
    assert len(dangling) == 2
    assert all("frus1958-60v19-d299-d302-context.xml" in r["path"] for r in errors if r["code"] == "E0202")
    assert {code for code in (r["code"] for r in errors)} == {"E0101", "E0202"}
    # the whole volume has nothing wrong
    assert not [r for r in records if r["path"].endswith("frus1958-60v19.xml")]


def test_rule_findings_are_located_by_document_and_paragraph(validated) -> None:
    _, records = validated
    dangling = [r for r in records if r["code"] == "E0202"]
    assert {r["ref"] for r in dangling} == {"d301.p27", "d302.p1"}


# -- build ---------------------------------------------------------------------------

def test_the_corpus_builds_cleanly(built) -> None:
    result, out = built
    assert result.exit_code == 0, result.output[-3000:]
    assert "Traceback" not in result.output
    assert " E0" not in result.output
    # every element of these files has a behaviour: nothing falls back
    assert "W0301" not in result.output
    for folder in ("html", "text", "cite"):
        assert (out / folder).is_dir()


def test_every_document_has_a_page_text_and_citations(built) -> None:
    _, out = built
    volume = sorted((out / "html" / "frus1958-60v19").glob("d*.html"))
    excerpt = sorted((out / "html" / "frus1958-60v19-d299-d302-context").glob("d*.html"))
    history = sorted(p for p in (out / "html").glob("*.html") if re.match(r"\d{4}-", p.name))
    assert len(volume) == VOLUME_DOCUMENTS
    assert [p.stem for p in excerpt] == ["d299", "d300", "d301", "d302"]
    assert len(history) == HISTORY_DOCUMENTS
    assert len(list((out / "text" / "frus1958-60v19").glob("d*.txt"))) == VOLUME_DOCUMENTS
    assert len([p for p in (out / "text").glob("*.txt") if re.match(r"\d{4}-", p.name)]) == HISTORY_DOCUMENTS
    d300 = out / "cite" / "frus1958-60v19" / "d300"
    assert {p.suffix for p in d300.iterdir()} >= {".bib", ".ris", ".json"}
    assert "frus1958-60v19/d300" in (d300 / "d300.bib").read_text(encoding="utf-8")


def test_volume_pages_link_previous_and_next(built) -> None:
    _, out = built
    folder = out / "html" / "frus1958-60v19"
    d300 = (folder / "d300.html").read_text(encoding="utf-8")
    assert '<a rel="prev" href="d299.html">' in d300
    assert '<a rel="next" href="d301.html">' in d300
    first = (folder / "d1.html").read_text(encoding="utf-8")
    last = (folder / f"d{VOLUME_DOCUMENTS}.html").read_text(encoding="utf-8")
    # the front matter (persons list) comes before document 1, the back matter after the last
    assert 'rel="prev" href="persons.html"' in first and 'rel="next" href="d2.html"' in first
    assert f'rel="prev" href="d{VOLUME_DOCUMENTS - 1}.html"' in last


def test_volume_contents_follow_its_chapters(built) -> None:
    _, out = built
    index = (out / "html" / "frus1958-60v19" / "index.html").read_text(encoding="utf-8")
    toc = index[index.index('class="toc"'):]
    linked = re.findall(r'href="(d\d+)\.html"', toc)
    assert linked == [f"d{n}" for n in range(1, VOLUME_DOCUMENTS + 1)]
    assert "Background of the Taiwan Strait Crisis" in toc  # the volume's first chapter
    assert toc.index('class="chapter"') < toc.index('href="d1.html"')
    for front in ("persons.html", "terms.html"):
        assert f'href="{front}"' in toc


def test_mentions_link_to_the_volume_persons_list(built) -> None:
    _, out = built
    html = out / "html"
    d300 = (html / "frus1958-60v19" / "d300.html").read_text(encoding="utf-8")
    targets = re.findall(r'class="entity persName[^"]*" href="\.\./([^"#]+)#([^"]+)"', d300)
    assert targets, "no person mention in d300 links to the persons list"
    for page, anchor in targets:
        assert f'id="{anchor}"' in (html / page).read_text(encoding="utf-8"), (page, anchor)
    assert ("persons-c.html", "frus1958-60v19.p_CHSJ1") in targets  # Hugh S. Cumming, Jr. (index page of C)


def test_page_breaks_are_linkable(built) -> None:
    _, out = built
    d300 = (out / "html" / "frus1958-60v19" / "d300.html").read_text(encoding="utf-8")
    assert 'id="pg_594"' in d300 and 'href="#pg_594"' in d300


def test_pdf_of_the_excerpt(frus_excerpt: Path, tmp_path: Path) -> None:
    """PDF only for the 4-document excerpt: the volume's 405 PDFs take minutes."""
    out = tmp_path / "pdf"
    result = run("build", "--out", str(out), "-f", "pdf", str(frus_excerpt))
    assert result.exit_code == 0, result.output[-2000:]
    pdfs = sorted(p.name for p in (out / "pdf").rglob("*.pdf"))
    assert {"d299.pdf", "d300.pdf", "d301.pdf", "d302.pdf"} <= set(pdfs)
    assert "frus1958-60v19-d299-d302-context.pdf" in pdfs  # and one for the whole volume
    for pdf in (out / "pdf").rglob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF-")


# -- query ---------------------------------------------------------------------------

def test_query_answers_over_the_whole_corpus(corpus: Path) -> None:
    result = run("query", "--count", "//text//persName", str(corpus))
    assert result.exit_code == 0, result.output[-2000:]
    total = int(re.search(r"(\d+)\D*$", result.output.strip()).group(1))
    assert total > 1000


def test_query_hits_are_located_by_document(frus_volume: Path) -> None:
    result = run("query", "--format", "json", "//p[contains(., 'Sino-Soviet')]", str(frus_volume))
    assert result.exit_code == 0, result.output[-2000:]
    import json

    hits = json.loads(result.stdout)
    refs = {hit["ref"] for hit in hits}
    assert any(re.fullmatch(r"d300\.p\d+", ref) for ref in refs), sorted(refs)[:20]
    assert all(hit["line"] > 0 for hit in hits)


# -- the same document in two sources ---------------------------------------------------

def test_memo_and_volume_document_300_are_one_work(frus_volume: Path, frus_excerpt: Path) -> None:
    memo, volume = load(MEMO), load(frus_volume)
    assert volume_id(memo) == volume_id(volume) == "frus1958-60v19"
    assert work_id(memo, "d300") == work_id(volume, "d300") == "frus1958-60v19/d300"
    assert work_id(memo, "d300.p4") == "frus1958-60v19/d300"
    # the memo's page is rendered from its <text>, which encloses its one unit
    assert work_id(memo, memo.root.find(tei("text"))) == "frus1958-60v19/d300"
    assert len(works(volume)) == VOLUME_DOCUMENTS
    found = holdings("frus1958-60v19/d300", [MEMO, frus_excerpt, frus_volume])
    assert [(Path(h.path).name, h.ref) for h in found] == [
        (MEMO.name, "d300"), (frus_excerpt.name, "d300"), (frus_volume.name, "d300")]


def test_a_file_without_frus_id_is_no_work(history_documents: Path) -> None:
    document = load(sorted(history_documents.glob("*.xml"))[0])
    assert volume_id(document) is None and works(document) == {}


def test_cite_lists_both_sources_of_the_same_document(frus_volume: Path) -> None:
    result = run("cite", "d300", str(MEMO), str(frus_volume))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("d300 (")
    assert lines[1] == "The same document (frus1958-60v19/d300) is in 2 sources:"
    assert lines[2].strip() == f"{MEMO} (d300)"
    assert lines[3].strip() == f"{frus_volume} (d300)"


def test_cite_of_one_source_says_nothing_more() -> None:
    result = run("cite", "d300", str(MEMO))
    assert result.exit_code == 0, result.output
    assert "same document" not in result.stdout


def test_process_pool_keeps_input_order_with_the_warm_up_task() -> None:
    """Many tasks: the first runs in the parent before the pool forks; order is kept."""
    from edition.corpus import run_parallel

    assert list(run_parallel(abs, [-n for n in range(20)], jobs=2)) == list(range(20))
    assert list(run_parallel(abs, [-1, -2], jobs=2)) == [1, 2]


def test_build_index_links_the_copies_of_one_document(frus_excerpt: Path, tmp_path: Path) -> None:
    """Our memo and the excerpt's document 300 in one build: the index links both copies."""
    out = tmp_path / "edition"
    result = run("build", "--out", str(out), "-f", "html", str(MEMO), str(frus_excerpt))
    assert result.exit_code == 0, result.output[-2000:]
    index = (out / "html" / "index.html").read_text(encoding="utf-8")
    section = index[index.index('id="same-document"'):]
    item = re.search(r"<li>[^\n]*?\(frus1958-60v19/d300\)[^\n]*?</li>", section).group(0)
    pages = re.findall(r'href="([^"]+)"', item)
    assert len(pages) == 2 and "frus1958-60v19-d299-d302-context/d300.html" in pages
    for page in pages:
        assert (out / "html" / page).is_file()


def _on_a_terminal(arguments: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``python -m edition`` with its stderr on a real pseudo-terminal: (exit, stdout, stderr)."""
    import os
    import pty
    import subprocess
    import sys

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-P", "-m", "edition", *arguments], cwd=cwd,
                                   stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL)
        os.close(terminal)
        seen = bytearray()
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command has ended
                break
            if not chunk:
                break
            seen += chunk
        out = process.stdout.read().decode() if process.stdout else ""
        return process.wait(timeout=120), out, seen.decode(errors="replace")
    finally:
        os.close(controller)


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_corpus_command_shows_its_progress_on_a_terminal(command: str, history_documents: Path,
                                                           tmp_path: Path) -> None:
    """One process (validate below 8 MB) or a pool (build): a bar on a terminal, counting files."""
    arguments = [command, str(history_documents)]
    if command == "build":
        arguments += ["--out", str(tmp_path / "edition"), "-f", "text"]
    code, out, shown = _on_a_terminal(arguments, Path(__file__).resolve().parents[1])
    assert code == (1 if command == "validate" else 0), shown
    # validate counts files; build counts its tasks (one per file, or a volume's slices)
    label = "validate" if command == "validate" else "building"
    counted = re.findall(rf"{label} \[[#.]+\] (\d+)/(\d+)", shown)
    assert counted and counted[-1][0] == counted[-1][1], shown
    if command == "validate":
        assert int(counted[-1][1]) == HISTORY_DOCUMENTS
    assert f"{HISTORY_DOCUMENTS} files" in out + shown
    # and none when stderr is not a terminal (a pipe, a log file)
    piped = run(*arguments)
    assert "[#" not in piped.output
