"""Reliability of the build as a hostile or unlucky user meets it (issue 18).

Nothing is written outside ``--out`` whatever the TEI names; the edition's own pages never
take an input's place; one build at a time writes a folder, and a watcher never sees it
partial; signals stop a build cleanly and leave no process or temporary folder behind;
impossible output folders, odd file names and empty inputs give located diagnostics, never
a traceback or a lost edition; the print route is bounded; exported citations cannot be
forged by the values they carry.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import bibtexparser
import pytest
import rispy
from folders import file_digests
from hypothesis import given, settings
from hypothesis import strategies as st

from edition.build import RESERVED, build
from edition.diagnostics import EditionError
from edition.paths import MAX_NAME_BYTES, output_path, safe_name, shown_path

TEI_NS = "http://www.tei-c.org/ns/1.0"
ENV = dict(os.environ)  # children import the installed edition, as the tests do


def tei(body: str, title: str = "A document", header_extra: str = "", title_stmt_extra: str = "") -> str:
    return (f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>{title}</title>{title_stmt_extra}'
            f'</titleStmt><publicationStmt><publisher>Us</publisher><pubPlace>Here</pubPlace>'
            f'<date when="2020">2020</date>{header_extra}</publicationStmt>'
            f'<sourceDesc><p>Born digital.</p></sourceDesc></fileDesc></teiHeader>'
            f'<text><body>{body}</body></text></TEI>')


def listing(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def edition(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-P", "-m", "edition", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV, cwd=cwd)


# -- (1) one function for every output path -------------------------------------------------

NASTY = ["/../../tmp/x/PWNED", "x/../../y", "..", ".", "...", "", "/", "\\..\\..\\win", "a\x00b", "a\nb\rc",
         "\x1b[2J", "con", ".hidden", "-rf", "~", "$HOME", "a" * 5000, "é" * 400, "\u202egnp.exe",
         "\u200b", "a/b/c", "C:\\x", "file:///etc/passwd", "d300.p4", "..\u2215..\u2215etc",
         "\udcff\udc80-latin1", "\ud800" * 300, "ä" * 60 + "/" + "b" * 60]


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_safe_name_makes_one_harmless_name(value: str, tmp_path: Path) -> None:
    name = safe_name(value)
    assert name and "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith((".", "-")) and name.isprintable()
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe_name(value) == name  # stable
    path = output_path(tmp_path, f"html/{name}.html")
    assert path.parent == tmp_path / "html"
    path.parent.mkdir(exist_ok=True)
    path.write_text("ok")  # a name the file system takes


def test_long_names_stay_apart_through_their_hash() -> None:
    first, second = safe_name("d" * 300 + "1"), safe_name("d" * 300 + "2")
    assert first != second and first.startswith("d" * 50)


@pytest.mark.parametrize("relative", ["../x", "/etc/x", "a/../../b", "a/./b", "", "a//b", "a\nb/c",
                                      "html/..", "x" * 256])
def test_output_path_refuses_anything_outside(relative: str, tmp_path: Path) -> None:
    with pytest.raises(EditionError) as caught:
        output_path(tmp_path / "out", relative)
    assert caught.value.diagnostic.code == "E0604"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_any_text_becomes_a_name_inside_the_folder(value: str) -> None:
    name = safe_name(value)
    assert name not in ("", ".", "..") and "/" not in name and "\x00" not in name
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    root = Path("/nonexistent/out")
    assert output_path(root, f"cite/{name}/{name}.bib").parent.parent == root / "cite"


def test_traversal_names_from_the_tei_stay_inside_the_edition(tmp_path: Path) -> None:
    place = tmp_path / "x"
    place.mkdir()
    (place / "PWNED.json").write_text("keep")
    sources = tmp_path / "src"
    sources.mkdir()
    divisions = "".join(f'<div type="document" n="{n}"><head>D{i}</head><p>t</p></div>' for i, n in
                        enumerate([f"/..{tmp_path}/x/PWNED", "x/../../../x/PWNED", "../../x/PWNED"]))
    (sources / "vol.xml").write_text(tei(divisions))
    (sources / "one.xml").write_text(tei(f'<div n="{tmp_path}/x/PWNED"><p>t</p></div>'))
    before = listing(tmp_path)
    out = tmp_path / "out"
    report = build([sources], out=out, formats=["cite", "text", "html"], jobs=1)
    assert report.units == 4, [str(d) for d in report.diagnostics]
    assert (place / "PWNED.json").read_text() == "keep"
    assert {p for p in listing(tmp_path) - before if not p.startswith("out")} == set()
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())


def test_schema_compile_names_the_xsd_safely(tmp_path: Path) -> None:
    from edition.odd import write_xsd
    from edition.schema import EDITION_ODD, tei_p5_dir

    odd = tmp_path / "hostile.odd"
    text = EDITION_ODD.read_text(encoding="utf-8")
    ident = 'ident="../../../../tmp/x/ODD-PWNED'
    start = text.index("<schemaSpec")
    head, rest = text[:start], text[start:]
    attribute = rest.index('ident="')
    rest = rest[:attribute] + ident + rest[rest.index('"', attribute + 7):]
    odd.write_text(head + rest, encoding="utf-8")
    out = tmp_path / "schemas" / "deep"
    written = write_xsd(odd, tei_p5_dir(), out)
    assert all(path.parent == out for path in written), written
    assert sorted(p.name for p in out.iterdir()) == sorted(["tmp-x-ODD-PWNED.xsd", "xml.xsd"])
    assert not (tmp_path / "x").exists() and not Path("/tmp/x/ODD-PWNED.xsd").exists()


# -- (2) reserved names ------------------------------------------------------------------------

def test_inputs_named_like_the_editions_own_pages_keep_their_pages(tmp_path: Path) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    names = sorted(RESERVED) + ["persons-b", "Index"]
    for name in names:
        (sources / f"{name}.xml").write_text(tei(f"<p>The text of {name}.</p>", title=f"Title of {name}"))
    out = tmp_path / "out"
    report = build([sources], out=out, formats=["html", "text", "pdf"], jobs=2,
                   options={"whole_pdf": True})
    assert report.exit_code == 0, [str(d) for d in report.diagnostics if d.severity >= 2]
    renamed = [d for d in report.diagnostics if d.code == "W0607"]
    assert len(renamed) == len(names), [str(d) for d in renamed]
    for name in names:
        page = out / "html" / f"{name}-document.html"
        assert f"The text of {name}." in page.read_text(encoding="utf-8"), name
        assert (out / "pdf" / f"{name}-document.pdf").is_file()
    home = (out / "html" / "index.html").read_text(encoding="utf-8")
    assert "Title of index" in home and "The text of index." not in home
    from pypdf import PdfReader

    whole = PdfReader(out / "pdf" / "edition.pdf")
    printed = " ".join(page.extract_text() for page in whole.pages)  # the whole edition, not edition.xml
    assert all(f"The text of {name}." in printed for name in names), printed[:500]


# -- (3) one build at a time --------------------------------------------------------------------

def _corpus(folder: Path, count: int) -> Path:
    folder.mkdir()
    for number in range(count):
        (folder / f"doc-{number:03}.xml").write_text(tei(f"<p>Paragraph {number}.</p>" * 20, title=f"D {number}"))
    return folder


def test_a_second_build_fails_at_once_and_the_folder_is_never_partial(tmp_path: Path) -> None:
    sources = _corpus(tmp_path / "src", 120)
    out = tmp_path / "site" / "out"
    command = ["build", "-j", "2", "-f", "html", "-f", "text", "-f", "cite", "--full", "--out", str(out), str(sources)]
    assert edition(*command).returncode == 0
    whole = listing(out)
    seen: list[int] = []
    partial: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                now = listing(out)
            except (FileNotFoundError, OSError):
                partial.append("out vanished")
                continue
            seen.append(len(now))
            if now != whole:
                partial.append(f"{len(now)} of {len(whole)} files")

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        first = subprocess.Popen([sys.executable, "-P", "-m", "edition", *command], env=ENV, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        lock = out.with_name(".out.lock")
        deadline = time.monotonic() + 60
        while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        second = edition(*command, timeout=120)
        first_out, first_err = first.communicate(timeout=600)
    finally:
        stop.set()
        watcher.join()
    assert first.returncode == 0, first_err
    assert second.returncode == 1 and "E0605" in second.stdout + second.stderr, second.stderr
    assert f"process {first.pid}" in second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    assert seen and not partial, partial[:5]
    assert listing(out) == whole and not lock.exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    sources = _corpus(tmp_path / "src", 2)
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    out.with_name(".out.lock").write_text(dead.stdout)
    assert build([sources], out=out, formats=["text"], jobs=1).exit_code == 0
    # a live holder (another process with the flock) refuses it, naming that process
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(out.with_name('.out.lock'))!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, str(os.getpid()).encode()); print('held', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(EditionError) as caught:
            build([sources], out=out, formats=["text"], jobs=1)
        assert caught.value.diagnostic.code == "E0605" and str(holder.pid) in caught.value.diagnostic.message
    finally:
        holder.kill()
        holder.wait()
    assert build([sources], out=out, formats=["text"], jobs=1).exit_code == 0


# -- (4) signals and leftovers ------------------------------------------------------------------

def _print_temporaries(pid: int) -> list[str]:
    """Print temporary folders of ``pid`` or of any process that no longer exists."""
    import tempfile

    from edition.processes import alive

    found = []
    for path in Path(tempfile.gettempdir()).glob("edition-print-*-*"):
        owner = path.name.split("-")[2]
        if owner.isdigit() and (int(owner) == pid or not alive(int(owner))):
            found.append(path.name)
    return found


def _group(pgid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True)
    return found.stdout.split()


def _sigint_at_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_slow_build(sources: Path, out: Path) -> subprocess.Popen[str]:
    # WeasyPrint's PDFs (0.3 s or more a document), not Typst's (30 in about a second): a build to interrupt
    command = [sys.executable, "-P", "-m", "edition", "build", "-j", "2", "-f", "pdf", "-f", "text", "--full",
               "--pdf-engine", "weasyprint", "--out", str(out), str(sources)]
    # as a user's terminal starts it: SIGINT at its default even when this run is a background job
    # (which inherits SIGINT ignored, and the build rightly keeps what it inherits)
    child = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, preexec_fn=_sigint_at_default)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        workers = [p for p in _group(child.pid) if p != str(child.pid)]
        if len(workers) >= 2 and any(out.parent.glob(f".{out.name}.tmp-*")):
            break
        time.sleep(0.02)
    time.sleep(1.0)  # inside the rendering of the PDFs
    assert child.poll() is None, "the build ended before it could be interrupted"
    return child


def _no_leftovers(child: subprocess.Popen[str], out: Path) -> None:
    deadline = time.monotonic() + 10
    while _group(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group(child.pid) == [], "processes of the build are still running"
    assert not list(out.parent.glob(f".{out.name}.tmp-*")), "temporary edition folder left behind"
    assert not _print_temporaries(child.pid), "print temporary folders left behind"


@pytest.mark.parametrize(("number", "code", "whole_group"), [(signal.SIGINT, 130, True), (signal.SIGINT, 130, False),
                                                             (signal.SIGTERM, 143, False)],
                         ids=["ctrl-c-to-the-group", "sigint", "sigterm"])
def test_signals_stop_the_build_cleanly(tmp_path: Path, number: int, code: int, whole_group: bool) -> None:
    sources = _corpus(tmp_path / "src", 30)
    out = tmp_path / "out"
    assert build([sources], out=out, formats=["text"], jobs=1).exit_code == 0
    previous = file_digests(out)
    child = _start_slow_build(sources, out)
    if whole_group:
        os.killpg(child.pid, number)
    else:
        os.kill(child.pid, number)
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == code, stderr
    assert "Traceback" not in stderr and "Traceback" not in stdout, stderr
    _no_leftovers(child, out)
    assert file_digests(out) == previous


def test_workers_die_with_a_killed_build_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    sources = _corpus(tmp_path / "src", 30)
    out = tmp_path / "out"
    assert build([sources], out=out, formats=["text"], jobs=1).exit_code == 0
    previous = file_digests(out)
    child = _start_slow_build(sources, out)
    os.kill(child.pid, signal.SIGKILL)  # the main process only: its workers are orphaned
    child.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while _group(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group(child.pid) == [], "workers outlived the killed build"
    assert file_digests(out) == previous
    assert list(out.parent.glob(f".{out.name}.tmp-*")), "expected the killed build's temporary folder"
    assert build([sources], out=out, formats=["text"], jobs=1).exit_code == 0
    assert not list(out.parent.glob(f".{out.name}.tmp-*")) and not _print_temporaries(child.pid)


# -- (5)/(6) impossible outputs, odd names, editions kept ---------------------------------------

@pytest.mark.parametrize("out", ["afile.txt/sub", "/proc/x/ed", "/dev/null/ed", ".", "", "/sys/x/ed"])
def test_impossible_outputs_are_located_errors(tmp_path: Path, out: str) -> None:
    sources = _corpus(tmp_path / "src", 1)
    (tmp_path / "afile.txt").write_text("not a folder")
    result = edition("build", "-f", "text", "--out", out, str(sources), cwd=tmp_path)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if " E06" in line]
    assert lines and lines[0].split(":")[0] not in ("",), result.stderr
    assert (tmp_path / "afile.txt").read_text() == "not a folder"


def test_odd_file_names_are_escaped_and_cannot_forge_a_line(tmp_path: Path) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    body = tei("<p>t</p>", header_extra="")
    (sources / os.fsdecode(b"\xff-latin1-\xe9.xml")).write_text(body)
    forged = "a\nx.xml:1:1: error E0101: forged"
    (sources / f"{forged}.xml").write_text(body.replace("<publisher>Us</publisher>", ""))  # W0402: printed
    out = tmp_path / "out"
    result = edition("build", "-f", "text", "-f", "cite", "-f", "html", "--out", str(out), str(sources))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "2 files built" in result.stderr
    for line in result.stdout.splitlines():
        assert line.startswith(str(sources)), f"a line not about a file of the input: {line!r}"
    assert "a\\nx.xml:1:1: error E0101: forged" in result.stdout
    validated = edition("validate", "--no-schema", str(sources))
    assert validated.returncode in (0, 1) and "Traceback" not in validated.stderr, validated.stderr
    assert not any(line.startswith("x.xml") for line in validated.stdout.splitlines())
    assert shown_path(os.fsdecode(b"a\xffb\n")) == "a\\xffb\\n"


def test_an_edition_is_kept_by_empty_inputs_and_usage_errors(tmp_path: Path) -> None:
    sources = _corpus(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert edition("build", "-f", "text", "-f", "cite", "--out", str(out), str(sources)).returncode == 0
    previous = file_digests(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no TEI here")
    result = edition("build", "-f", "text", "-f", "cite", "--out", str(out), str(empty))
    assert result.returncode == 1 and "E0602" in result.stdout, result.stdout + result.stderr
    assert file_digests(out) == previous
    result = edition("build", "-f", "pdf", "--pdf-variant", "pdf/x", "--out", str(out), str(sources))
    assert result.returncode == 2 and "E0901" in result.stderr and "Traceback" not in result.stderr
    assert file_digests(out) == previous
    result = edition("build", "-f", "nonesuch", "--out", str(out), str(sources))
    assert result.returncode == 2 and file_digests(out) == previous


def test_a_symlinked_output_stays_a_link_to_the_new_edition(tmp_path: Path) -> None:
    sources = _corpus(tmp_path / "src", 2)
    real = tmp_path / "builds" / "v1"
    assert build([sources], out=real, formats=["text"], jobs=1).exit_code == 0
    link = tmp_path / "current"
    link.symlink_to(real, target_is_directory=True)
    (sources / "doc-002.xml").write_text(tei("<p>New.</p>", title="New"))
    report = build([sources], out=link, formats=["text"], jobs=1)
    assert report.exit_code == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (link / "text" / "doc-002.txt").is_file()
    # the replaced edition is kept beside the real folder, as the spare of the next build (edition.swap)
    assert sorted(p.name for p in real.parent.iterdir()) == [".v1.spare", "v1"]


def test_non_tei_xml_is_refused_by_build_as_by_validate(tmp_path: Path) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "book.xml").write_text('<book xmlns="http://docbook.org/ns/docbook"><title>x</title></book>')
    (sources / "page.xml").write_text('<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>')
    (sources / "feed.xml").write_text('<rss version="2.0"><channel><title>x</title></channel></rss>')
    (sources / "ok.xml").write_text(tei("<p>t</p>"))
    report = build([sources], out=tmp_path / "out", formats=["text"], jobs=1)
    refused = sorted(Path(d.path).name for d in report.diagnostics if d.code == "E0010")
    assert refused == ["book.xml", "feed.xml", "page.xml"]
    assert report.units == 1 and report.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out" / "text").iterdir()) == ["ok.txt"]


# -- (7) the print route is bounded ---------------------------------------------------------------

SVG_BOMB = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'width="10" height="10"><defs><rect id="a0" width="1" height="1"/>'
            + "".join(f'<g id="a{i}">' + "".join(f'<use xlink:href="#a{i - 1}"/>' for _ in range(10)) + "</g>"
                      for i in range(1, 10))
            + '</defs><use xlink:href="#a9"/></svg>')


def test_an_svg_bomb_is_left_out_of_the_pdf_and_the_build_goes_on(tmp_path: Path) -> None:
    assert len(SVG_BOMB) < 2500
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "bomb.svg").write_text(SVG_BOMB)
    (sources / "fig.xml").write_text(tei('<p>Before.</p><figure><graphic url="bomb.svg"/></figure><p>After.</p>'))
    (sources / "other.xml").write_text(tei("<p>Other.</p>"))
    report = build([sources], out=tmp_path / "out", formats=["pdf"], jobs=1, options={"whole_pdf": False})
    limited = [d for d in report.diagnostics if d.code == "W0608"]
    assert limited and "bomb.svg" in limited[0].message and limited[0].line > 0
    assert report.exit_code == 0 and (tmp_path / "out" / "pdf" / "fig.pdf").is_file()


def test_a_unit_over_its_time_budget_is_left_out_and_the_rest_is_built(tmp_path: Path) -> None:
    sources = _corpus(tmp_path / "src", 2)
    report = build([sources], out=tmp_path / "out", formats=["pdf", "text"], jobs=1,
                   options={"pdf_time_budget": 0.001, "whole_pdf": False})
    over = [d for d in report.diagnostics if d.code == "W0608"]
    assert len(over) == 2 and all("abandoned" in d.message for d in over)
    assert len(list((tmp_path / "out" / "text").glob("*.txt"))) == 2


def test_long_stems_and_ids_build(tmp_path: Path) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / f"{'s' * 251}.xml").write_text(tei("<p>t</p>"))
    (sources / "ids.xml").write_text(tei(f'<div xml:id="{"i" * 91}"><p>t</p></div>'))
    (sources / "vol.xml").write_text(tei("".join(f'<div type="document" xml:id="{c * 200}"><p>t</p></div>'
                                                  for c in "ab")))
    report = build([sources], out=tmp_path / "out", formats=["html", "text", "cite", "pdf"], jobs=2)
    assert report.exit_code == 0, [str(d) for d in report.diagnostics if d.severity >= 2]
    assert report.units == 4


# -- (10) exported citations ------------------------------------------------------------------------

HOSTILE_AUTHOR = "Eve}, note = {INJECTED"
HOSTILE_TITLE = "\\input{/etc/hostname} {unbalanced"


def test_bibtex_and_ris_carry_hostile_values_as_values(tmp_path: Path) -> None:
    from edition.document import parse
    from edition.transforms.citations import metadata, render

    header = (f"<author>{HOSTILE_AUTHOR}</author><editor>Ed}} and {{Mal</editor>")
    text = tei("<p>t</p>", title=f"{HOSTILE_TITLE}\nTY  - JOUR\nER  - ", title_stmt_extra=header,
               header_extra='<idno type="URL">https://example.org/a}b{c\\d</idno>')
    citation = metadata(parse(text.encode(), "x.xml"))
    bib = render(citation, "bibtex")
    library = bibtexparser.parse_string(bib)
    assert not library.failed_blocks and len(library.entries) == 1
    fields = library.entries[0].fields_dict
    assert "INJECTED" in fields["author"].value and "INJECTED" not in fields.get("note", fields["title"]).value
    for value in (f.value for f in fields.values()):
        depth = 0
        for index, character in enumerate(value):
            depth += {"{": 1, "}": -1}.get(character, 0)
            assert depth >= 0, (value, index)
        assert depth == 0, value
        assert "\\input" not in value
    assert "{" not in fields["url"].value.replace("%7B", "") and "\\" not in fields["url"].value
    # values straight into the item too: the writer must not rely on the reader's whitespace folding
    citation.item["publisher"] = "P\nTY  - JOUR\nER  - \r\nAU  - Forged"
    ris = render(citation, "ris")
    records = rispy.loads(ris)
    assert len(records) == 1 and "TY  - JOUR" in records[0]["publisher"]
    assert records[0]["authors"] == ["Eve}, note = {INJECTED"]
    assert all(line[:2].isupper() and line[2:6] == "  - " for line in ris.splitlines() if line)


# -- (12) cite suggestions are bounded ------------------------------------------------------------

def test_cite_names_the_nearest_of_many_long_references(tmp_path: Path) -> None:
    divisions = "".join(f'<div xml:id="d{i}{"x" * 1500}"><p>t</p></div>' for i in range(2000))
    source = tmp_path / "long.xml"
    source.write_text(tei(divisions))
    result = edition("cite", "d17" + "x" * 2999 + "y", str(source))
    assert result.returncode == 1 and "E0401" in result.stderr
    assert "nearest valid references: d17x" in result.stderr


# -- (13) teiCorpus, incremental shortcut -----------------------------------------------------------

def _member(title: str, body: str) -> str:
    return (f"<TEI><teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt><publicationStmt><p>x</p>"
            f"</publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body>{body}</body>"
            "</text></TEI>")


CORPUS = (f'<teiCorpus xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>A corpus</title></titleStmt>'
          "<publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>\n"
          + _member("One", "<p>First member text.</p>") + "\n"
          + _member("Two", "<p>Second <unknownEl>member</unknownEl> text.</p>") + "\n</teiCorpus>\n")


def test_a_tei_corpus_is_validated_and_built_member_by_member(tmp_path: Path) -> None:
    from edition import validate

    source = tmp_path / "corpus.xml"
    source.write_text(CORPUS)
    report = validate([source])
    errors = [d for d in report.diagnostics if d.severity >= 2]
    assert [(d.code, d.line, d.xpath) for d in errors] == [
        ("E0101", 3, "/tei:teiCorpus/tei:TEI[2]/tei:text/tei:body/tei:p/tei:unknownEl")], [str(d) for d in errors]
    built = build([source], out=tmp_path / "out", formats=["text", "html"], jobs=1)
    assert built.units == 2 and built.exit_code == 0
    pages = sorted((tmp_path / "out" / "text" / "corpus").glob("*.txt"))
    assert [p.read_text(encoding="utf-8").strip() for p in pages] == ["First member text.", "Second member text."]


def test_an_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    sources = _corpus(tmp_path / "src", 3)
    past = time.time() - 3600
    for path in sources.iterdir():
        os.utime(path, (past, past))
    out = tmp_path / "out"
    assert build([sources], out=out, formats=["text"], jobs=1).reused == 0
    # same size, same modification time, same inode: taken as unchanged without reading it
    # (as make and git do); a file touched since is read, and rebuilt only if its bytes changed
    quiet = sources / "doc-001.xml"
    quiet.write_text(quiet.read_text().replace("Paragraph 1.", "Paragraph X."))
    os.utime(quiet, (past, past))
    touched = sources / "doc-002.xml"
    touched.write_text(touched.read_text())
    again = build([sources], out=out, formats=["text"], jobs=1)
    assert again.reused == 3
    assert "Paragraph X." not in (out / "text" / "doc-001.txt").read_text()
    full = build([sources], out=out, formats=["text"], jobs=1, incremental=False)
    assert full.reused == 0 and "Paragraph X." in (out / "text" / "doc-001.txt").read_text()
