"""Safe output: hostile TEI builds HTML that runs no code of its making.

A fixture full of script-like text, javascript:/data:/vbscript: URLs,
quote-breaking attribute values and foreign (XHTML, SVG) markup is built;
every HTML page is parsed with lxml.html and checked: no script but our own
local file and JSON-LD data, no on* attribute, no dangerous URL, a
Content-Security-Policy.  Then: ``--out`` refuses the TEI folder, schema/ and
the repository root; sources are never written; and a build killed with
SIGKILL at any moment leaves the previous edition whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from folders import file_digests
from lxml import html

from edition.cli import cli
from edition.diagnostics import EditionUsageError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HOSTILE_TEI = HERE / "hostile" / "output" / "hostile-markup.xml"

#: Attributes whose value is fetched or followed as a URL by a browser.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "cite",
                  "longdesc", "lowsrc", "dynsrc", "ping", "manifest", "icon", "codebase",
                  "archive", "srcset", "imagesrcset", "xlink:href", "{http://www.w3.org/1999/xlink}href"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")
#: Elements that run, embed or redirect: never made from TEI content.
FORBIDDEN_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "form",
                      "svg", "math", "portal", "template", "noscript"}
#: The page frame's own forms (class → the edition page it opens, by GET): the search box, the search
#: page's form and a volume's "go to page" field.  Any other form is forbidden.
OUR_FORMS = {"search-box": "search.html", "search-form": "search.html", "goto": "page-list.html"}
#: The edition's own scripts (assets/ and a volume's page map).
OUR_SCRIPTS = ("edition.js", "search.js", "pages.js")


def _url_scheme(value: str) -> str:
    # Browsers drop ASCII whitespace and control characters inside a scheme.
    return re.sub(r"[\x00-\x20\x7f]+", "", value).lower()


def _our_form(element: html.HtmlElement, tag: str) -> bool:
    if tag != "form":
        return False
    wanted = OUR_FORMS.get(element.get("class") or "")
    action = (element.get("action") or "").rsplit("/", 1)[-1]
    return wanted is not None and action == wanted and (element.get("method") or "").lower() == "get"


def problems_in_page(data: bytes, name: str) -> list[str]:
    """Every way a built page could run code or fetch something it should not."""
    found: list[str] = []
    text = data.decode("utf-8", errors="replace")
    if re.search(r"<script>alert|alert\('[a-z0-9-]+'\)</script>", text):
        found.append(f"{name}: a payload <script> appears verbatim")
    page = html.document_fromstring(data)
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rpartition("}")[2].lower()
        where = f"{name}: <{tag}> (line {element.sourceline})"
        if tag == "script":
            kind = (element.get("type") or "").strip().lower()
            source = element.get("src")
            if kind == "application/ld+json" and source is None:
                try:
                    json.loads(element.text or "")
                except ValueError:
                    found.append(f"{where}: a JSON-LD block that is not JSON (broken out of?)")
            elif source is not None and not (element.text or "").strip():
                if re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", source, re.I):
                    found.append(f"{where}: script from elsewhere: {source!r}")
                elif not source.split("?")[0].endswith(OUR_SCRIPTS):
                    found.append(f"{where}: a script that is not ours: {source!r}")
            else:
                found.append(f"{where}: an inline script: {(element.text or '')[:80]!r}")
        if tag in FORBIDDEN_ELEMENTS and not _our_form(element, tag):
            found.append(f"{where}: a forbidden element")
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            found.append(f"{where}: a meta refresh")
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2].lower()
            if local.startswith("on"):
                found.append(f"{where}: event-handler attribute {attribute}={value!r}")
            if attribute.lower() in URL_ATTRIBUTES or local in URL_ATTRIBUTES:
                for part in value.split(",") if "srcset" in local else [value]:
                    if _url_scheme(part).startswith(DANGEROUS_SCHEMES):
                        found.append(f"{where}: dangerous URL {attribute}={value!r}")
            if local == "style" and re.search(r"javascript:|expression\s*\(|url\s*\(|@import|behavior\s*:",
                                              _url_scheme(value)):
                found.append(f"{where}: style that can fetch or run: {value!r}")
            if tag == "meta" and local == "content" and _url_scheme(value).startswith(DANGEROUS_SCHEMES):
                found.append(f"{where}: dangerous URL in meta content {value!r}")
        if tag == "style" and re.search(r"javascript:|expression\s*\(|alert\(", element.text or ""):
            found.append(f"{where}: a style sheet carrying the payload")
    policies = [meta.get("content", "") for meta in page.iter("meta")
                if (meta.get("http-equiv") or "").lower() == "content-security-policy"]
    if not policies:
        found.append(f"{name}: no Content-Security-Policy meta element")
    for policy in policies:
        directives = {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}
        script_policy = directives.get("script-src") or directives.get("default-src") or ""
        if not script_policy:
            found.append(f"{name}: the CSP sets neither script-src nor default-src: {policy!r}")
        if "'unsafe-inline'" in script_policy or "'unsafe-eval'" in script_policy or "*" in script_policy.split():
            found.append(f"{name}: the CSP lets inline or foreign scripts run: {policy!r}")
    return found


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    out = tmp_path_factory.mktemp("hostile") / "edition"
    before = HOSTILE_TEI.read_bytes()
    code, output = _invoke("build", "-j", "1", "--out", str(out), str(HOSTILE_TEI))
    assert HOSTILE_TEI.read_bytes() == before, "the build wrote to its source"
    return out, code, output


def test_hostile_tei_builds_without_crashing(hostile_build: tuple[Path, int, str]) -> None:
    out, code, output = hostile_build
    assert code in (0, 1), output
    assert "Traceback" not in output
    assert list(out.rglob("*.html")), f"no page was built:\n{output}"


def test_built_html_runs_no_code_of_the_input(hostile_build: tuple[Path, int, str]) -> None:
    out, _, _ = hostile_build
    pages = sorted(out.rglob("*.html"))
    found: list[str] = []
    for page in pages:
        found += problems_in_page(page.read_bytes(), str(page.relative_to(out)))
    assert not found, "\n".join(found)


def test_hostile_text_survives_as_text(hostile_build: tuple[Path, int, str]) -> None:
    """Escaping, not deletion: the reader sees the markup-like text as written."""
    out, _, _ = hostile_build
    page = next(p for p in sorted(out.rglob("*.html")) if "alert('text')" in p.read_text())
    body_text = html.document_fromstring(page.read_bytes()).text_content()
    assert "<script>alert('text')</script>" in body_text


def test_the_checker_catches_what_it_should() -> None:
    """The checker itself: each unsafe construct is found."""
    head = ('<html><head><meta http-equiv="Content-Security-Policy" content="default-src \'self\'">'
            '</head><body>')
    unsafe = [
        '<script>alert(1)</script>', '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        '<img src="data:image/svg+xml,x">', '<p onclick="x">x</p>', '<iframe src="x"></iframe>',
        '<script src="https://evil.example/x.js"></script>', '<p style="background:url(javascript:x)">',
        '<script type="application/ld+json">{"a": "</script><p>"}</script>',
    ]
    for fragment in unsafe:
        assert problems_in_page((head + fragment + "</body></html>").encode(), "t"), fragment
    safe = head + ('<script src="assets/edition.js"></script><script type="application/ld+json">'
                   '{"name": "x"}</script><a href="#d1">x</a></body></html>')
    assert problems_in_page(safe.encode(), "t") == []
    assert problems_in_page(b"<html><body><p>x</p></body></html>", "t")  # no CSP


# -- --out refusals and untouched sources ------------------------------------------------

@pytest.mark.parametrize("place", ["tei", "schema", "."], ids=["tei", "schema", "repository-root"])
def test_out_refuses_sources_schema_and_repository(place: str) -> None:
    from edition.build import check_out

    target = (REPO / place).resolve()
    # First the library guard, so that a regression cannot let the CLI loose on the repository.
    with pytest.raises(EditionUsageError) as caught:
        check_out(target, [REPO / "tei"])
    assert caught.value.diagnostic.code == "E0601"
    before = file_digests(target) if place != "." else None
    for shown in (str(target), os.path.relpath(target)):
        code, output = _invoke("build", "--out", shown, str(REPO / "tei"))
        assert code == 2, output
        assert "E0601" in output and "Traceback" not in output
    if before is not None:
        assert file_digests(target) == before
    # nothing of a build appeared in or beside it (the repository root is shared with
    # colleagues at work, so its listing as a whole is not compared)
    assert not (target / ".edition-build").exists()
    assert not any(target.parent.glob(f".{target.name}.tmp-*"))
    assert not any((target / name).exists() for name in ("html/index.html", "text", "cite"))


def test_out_refuses_a_folder_inside_the_sources(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(HOSTILE_TEI, sources / "a.xml")
    code, output = _invoke("build", "--out", str(sources / "html"), str(sources))
    assert code == 2 and "E0601" in output
    assert sorted(p.name for p in sources.iterdir()) == ["a.xml"]


def test_build_never_writes_its_sources(tmp_path: Path, memo_path: Path) -> None:
    sources = [HOSTILE_TEI] + ([memo_path] if memo_path.exists() else [])
    before = {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in sources}
    code, output = _invoke("build", "-j", "1", "--out", str(tmp_path / "out"), *map(str, sources))
    assert code in (0, 1), output
    after = {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in sources}
    assert before == after


# -- a build killed at any moment leaves the previous edition whole -----------------------

def _kill_corpus(tmp_path: Path) -> tuple[list[Path], str]:
    """The 63 frus-history files when ../shared is there, else a generated corpus."""
    shared = REPO.parent / "shared" / "corpus" / "frus-history-documents"
    if shared.is_dir() and any(shared.glob("*.xml")):
        return [shared], "the 63 frus-history documents"
    folder = tmp_path / "generated"
    folder.mkdir()
    memo = (REPO / "tei" / "frus1958-60v19-d300.xml")
    template = memo.read_text(encoding="utf-8") if memo.exists() else HOSTILE_TEI.read_text(encoding="utf-8")
    for number in range(60):
        (folder / f"copy-{number:02}.xml").write_text(template, encoding="utf-8")
    return [folder], "60 copies of the memo"


def _build_command(inputs: list[Path], out: Path) -> list[str]:
    # html and text only: the swap is the same for every format, and 63 PDFs would take minutes;
    # --full: a rebuild of unchanged inputs would leave the edition as it is, with nothing to kill
    return [sys.executable, "-P", "-m", "edition", "build", "-j", "2", "-f", "html", "-f", "text", "--full",
            "--out", str(out), *map(str, inputs)]


def test_sigkill_leaves_the_previous_build_whole(tmp_path: Path) -> None:
    inputs, what = _kill_corpus(tmp_path)
    out = tmp_path / "site" / "edition"
    env = dict(os.environ)
    started = time.perf_counter()
    first = subprocess.run(_build_command(inputs, out), capture_output=True, text=True, timeout=600,
                           env=env, cwd=tmp_path)
    duration = time.perf_counter() - started
    assert first.returncode in (0, 1), first.stderr
    previous = file_digests(out)
    assert previous, f"the first build of {what} wrote nothing"
    # Kill at moments spread over a whole build, from start-up to the final swap.
    moments = [duration * fraction for fraction in (0.1, 0.4, 0.7, 0.9, 0.98)]
    survived = 0
    for moment in moments:
        child = subprocess.Popen(_build_command(inputs, out), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env, cwd=tmp_path, start_new_session=True)
        time.sleep(moment)
        # the whole group: the build and its workers die at the same instant
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        now = file_digests(out)
        if child.returncode == 0:
            survived += 1  # finished before the kill: a whole new (identical) build
        assert now == previous, f"after a kill at {moment:.2f} s the edition is not the previous one"
        visible = sorted(p.name for p in out.parent.iterdir() if not p.name.startswith("."))
        assert visible == ["edition"], f"temporary litter beside the output: {visible}"
    # a later build clears what the killed ones left behind, and succeeds
    last = subprocess.run(_build_command(inputs, out), capture_output=True, text=True, timeout=600,
                          env=env, cwd=tmp_path)
    assert last.returncode in (0, 1), last.stderr
    assert file_digests(out) == previous
    # the replaced edition is kept as the spare the next build is patched into (edition.swap)
    assert sorted(p.name for p in out.parent.iterdir()) == [".edition.spare", "edition"], \
        "stale temporary folders remain"


# -- the print edition fetches nothing outside the build folder ---------------------------

def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"\x00\xff\x00\x00"  # one red pixel
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_pdf_fetches_nothing_outside_the_build_folder(tmp_path: Path) -> None:
    from pypdf import PdfReader


    secret = tmp_path / "secret.png"
    secret.write_bytes(_png())
    sources = tmp_path / "in"
    sources.mkdir()
    relative = os.path.relpath(secret, sources)
    graphics = "".join(f'<figure><graphic url="{url}"/></figure>' for url in
                       (str(secret), f"file://{secret}", relative, "http://127.0.0.1:9/x.png"))
    (sources / "print.xml").write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>Print</title>'
        '</titleStmt><publicationStmt><p>T</p></publicationStmt><sourceDesc><p>T</p></sourceDesc>'
        '</fileDesc></teiHeader><text><body><div type="document" xml:id="d1">'
        f'<pb n="1" facs="file://{secret}"/><p>Images: {graphics}</p></div></body></text></TEI>')
    code, output = _invoke("build", "-j", "1", "-f", "pdf", "--out", str(tmp_path / "out"), str(sources))
    assert code in (0, 1) and "Traceback" not in output, output
    pdfs = sorted((tmp_path / "out").rglob("*.pdf"))
    assert pdfs, output
    for pdf in pdfs:
        for page in PdfReader(pdf).pages:
            assert not list(page.images), f"{pdf.name} embeds an image from outside the build folder"
    assert "W0302" in output  # each refusal is reported
