"""The ebook (`edition build -f epub`): EPUB 3 checked by epubcheck, its navigation, notes and metadata."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import MEMO
from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
NS = {"h": XHTML, "epub": OPS, "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def _epubcheck(path: Path) -> str:
    """epubcheck's report of one EPUB (Debian's package: a jar at /usr/bin/epubcheck)."""
    jar = shutil.which("epubcheck")
    java = shutil.which("java")
    if not jar or not java:
        pytest.skip("epubcheck (Debian package epubcheck) or java missing: run install.sh")
    done = subprocess.run([java, "-jar", jar, str(path)], capture_output=True, text=True, timeout=600)
    report = done.stdout + done.stderr
    assert "Messages:" in report, report
    return report


def _errors(report: str) -> int:
    match = re.search(r"Messages: (\d+) fatals / (\d+) errors", report)
    assert match, report
    return int(match.group(1)) + int(match.group(2))


@pytest.fixture(scope="module")
def memo_epub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from edition.build import build

    out = tmp_path_factory.mktemp("epub") / "edition"
    report = build([MEMO], out=out, formats=["epub"])
    assert report.exit_code == 0
    return out / "epub" / "d300.epub"


def _read(epub: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read(name))


def test_the_memo_epub_passes_epubcheck(memo_epub: Path) -> None:
    report = _epubcheck(memo_epub)
    assert _errors(report) == 0, report


def test_the_memo_epub_has_contents_page_list_footnotes_and_metadata(memo_epub: Path) -> None:
    with zipfile.ZipFile(memo_epub) as archive:
        names = archive.namelist()
        assert names[0] == "mimetype" and archive.read("mimetype") == b"application/epub+zip"
    nav = _read(memo_epub, "EPUB/nav.xhtml")
    toc = nav.xpath("//h:nav[@epub:type='toc']//h:a/@href", namespaces=NS)
    assert toc == ["d300.xhtml"]
    pages = nav.xpath("//h:nav[@epub:type='page-list']//h:a", namespaces=NS)
    assert [(a.text, a.get("href")) for a in pages] == [("594", "d300.xhtml#pg_594")]
    text = _read(memo_epub, "EPUB/d300.xhtml")
    source = etree.parse(str(MEMO))
    notes = source.xpath("//t:text//t:note", namespaces={"t": "http://www.tei-c.org/ns/1.0"})
    footnotes = text.xpath("//h:aside[@epub:type='footnote']", namespaces=NS)
    calls = text.xpath("//h:a[@epub:type='noteref']/@href", namespaces=NS)
    assert len(footnotes) == len(notes) >= 1
    assert calls == [f"#{aside.get('id')}" for aside in footnotes]
    assert text.xpath("//h:span[@epub:type='pagebreak']/@id", namespaces=NS) == ["pg_594"]
    # both readings of the correction, as on the web page without script
    paragraph = "".join(text.xpath("//*[@id='d300.p4']//text()"))
    assert "wait" in paragraph and "that" in paragraph
    # nothing links out of the book into the web edition's index pages
    hrefs = text.xpath("//h:a/@href", namespaces=NS)
    assert all(href.startswith("#") or "://" in href for href in hrefs), hrefs
    opf = _read(memo_epub, "EPUB/content.opf")
    assert opf.xpath("string(//dc:title)", namespaces=NS).startswith("Foreign Relations of the United States")
    assert opf.xpath("//dc:creator/text()", namespaces=NS) == ["Hugh S. Cumming, Jr."]
    assert opf.xpath("string(//dc:language)", namespaces=NS) == "en"


def test_the_epub_is_the_same_bytes_when_built_again(memo_epub: Path, tmp_path: Path) -> None:
    from edition.build import build

    assert build([MEMO], out=tmp_path / "again", formats=["epub"]).exit_code == 0
    assert (tmp_path / "again" / "epub" / "d300.epub").read_bytes() == memo_epub.read_bytes()


def test_the_volume_epub_passes_epubcheck(frus_volume: Path, tmp_path: Path) -> None:
    from edition.build import build

    report = build([frus_volume], out=tmp_path / "edition", formats=["epub"])
    assert report.exit_code == 0
    epub = tmp_path / "edition" / "epub" / "frus1958-60v19.epub"
    checked = _epubcheck(epub)
    assert _errors(checked) == 0, checked[-3000:]
    nav = _read(epub, "EPUB/nav.xhtml")
    # chapters hold their documents; every printed page is in the page list
    chapters = nav.xpath("//h:nav[@epub:type='toc']/h:ol/h:li[h:ol]", namespaces=NS)
    assert len(chapters) >= 5
    linked = nav.xpath("//h:nav[@epub:type='toc']//h:a/@href", namespaces=NS)
    assert "d300.xhtml" in linked and len({h for h in linked if re.fullmatch(r"d\d+\.xhtml", h)}) == 404
    pages = nav.xpath("//h:nav[@epub:type='page-list']//h:a/text()", namespaces=NS)
    assert "594" in pages and len(pages) > 800
    opf = _read(epub, "EPUB/content.opf")
    assert opf.xpath("//dc:creator/text()", namespaces=NS) == ["Harriet Dashiell Schwar", "Glenn W. LaFantasie"]


def test_a_play_in_one_file_has_its_scenes_in_the_books_contents(tmp_path: Path) -> None:
    from conftest import shared_path

    from edition.build import build

    play = shared_path("any-tei", "F-rom.xml")
    assert build([play], out=tmp_path / "edition", formats=["epub"]).exit_code == 0
    epub = tmp_path / "edition" / "epub" / "F-rom.epub"
    checked = _epubcheck(epub)
    assert _errors(checked) == 0, checked[-3000:]
    nav = _read(epub, "EPUB/nav.xhtml")
    # the play's page, holding its title's division, holding the 24 scenes (the acts have no heading)
    page = nav.xpath("//h:nav[@epub:type='toc']/h:ol/h:li", namespaces=NS)
    assert len(page) == 1 and page[0].xpath("string(h:a/@href)", namespaces=NS) == "F-rom.xhtml"
    scenes = page[0].xpath("h:ol/h:li/h:ol/h:li/h:a", namespaces=NS)
    assert [a.text for a in scenes[:2]] == ["Actus Primus. Scœna Prima.", "[Act 1, Scene 2]"] and len(scenes) == 24
    text = _read(epub, "EPUB/F-rom.xhtml")
    for link in scenes:
        target = link.get("href").partition("#")[2]
        assert len(text.xpath(f"//*[@id='{target}']")) == 1, target
