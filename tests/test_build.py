"""`edition build`: whole editions, atomic and deterministic, every word kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from folders import file_digests
from lxml import html
from wordorder import assert_in_order, output_words, tei_words

from edition.build import MARKER, build, document_units
from edition.cli import cli
from edition.document import XML_ID, iter_sources, load

REPO = Path(__file__).resolve().parents[1]

#: Block-level HTML: its edges separate words on screen, so they do in the extracted text.
_BLOCKS = frozenset([
    "p", "div", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "caption",
    "blockquote", "figure", "section", "article", "aside", "ol", "ul", "dl", "table", "br"
])


def visible_words(page_bytes: bytes, diplomatic: bool = False) -> list[str]:
    """Words of a page's text and notes as a reader sees them, in one of the two readings."""
    page = html.document_fromstring(page_bytes)
    hidden = "reading" if diplomatic else "diplomatic"
    # note calls are superscripts the eye keeps apart ("No. 581¹"); as text they would glue to a number
    # (with the switch: the marks of both readings shown side by side are hidden too)
    for element in page.xpath(f"//span[@class='{hidden}' or @class='alt-mark'] | //script | //style | //*[@hidden]"
                              " | //*[contains(concat(' ', @class, ' '), ' note-call ')]"):
        element.drop_tree()
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _BLOCKS or "block" in (element.get("class") or "").split():
            element.tail = " " + (element.tail or "")
            element.text = " " + (element.text or "")
    parts = page.xpath("//main//div[@class='text' or starts-with(@class, 'text ')] | //section[@class='notes']")
    return output_words(" ".join(part.text_content() for part in parts))


def _pages_of(out: Path, source: Path) -> list[tuple[object, Path]]:
    """(unit, page) of a source file in a build, by the build's own plan of units."""
    document = load(source)
    units, is_volume = document_units(document)
    html_dir = out / "html"
    if is_volume:
        folder = html_dir / source.stem
        names = [document.ref_of(unit) or unit.get(XML_ID) for unit in units]
        return [(unit, folder / f"{'index-section' if name == 'index' else name}.html")
                for unit, name in zip(units, names, strict=False)]
    candidates = [html_dir / f"{source.stem}.html"]
    divisions = [u for u in document.units() if u.get(XML_ID)]
    if len(divisions) == 1:
        candidates.insert(0, html_dir / f"{document.ref_of(divisions[0])}.html")
    return [(units[0], next(c for c in candidates if c.exists()))]


def test_the_memo_builds_html_text_and_citations(memo_edition) -> None:
    out, report = memo_edition
    assert report.exit_code == 0, "\n".join(map(str, report.diagnostics))
    assert (out / "html" / "d300.html").is_file() and (out / "html" / "index.html").is_file()
    assert list((out / "text").glob("*.txt"))
    assert (out / MARKER).is_file()
    assert not list(out.parent.glob(".edition.tmp-*"))


def test_corpus_builds_without_errors(corpus_edition, history_documents: Path) -> None:
    out, report = corpus_edition
    errors = [str(d) for d in report.diagnostics if d.severity >= 2]
    assert errors == []
    assert report.inputs == 64
    singles = sorted(p.stem for p in history_documents.glob("*.xml"))
    assert len(singles) == 63
    for stem in singles:
        assert (out / "html" / f"{stem}.html").is_file(), stem
    volume = out / "html" / "frus1958-60v19-d299-d302-context"
    assert sorted(p.name for p in volume.glob("d*.html")) == ["d299.html", "d300.html", "d301.html", "d302.html"]
    toc = html.document_fromstring((volume / "index.html").read_bytes())
    assert toc.xpath("//nav[@class='toc']//a/@href") == ["terms.html", "persons.html", "d299.html", "d300.html",
                                                          "d301.html", "d302.html"]
    d300 = html.document_fromstring((volume / "d300.html").read_bytes())
    assert d300.xpath("//a[@rel='prev']/@href") == ["d299.html"]
    assert d300.xpath("//a[@rel='next']/@href") == ["d301.html"]
    # the page break printed before d299 is on d299's page; the volume's lists make the index pages
    d299 = html.document_fromstring((volume / "d299.html").read_bytes())
    assert d299.xpath("//*[@id='pg_591']")
    # an edition holding a volume has one index page per initial
    persons = html.document_fromstring((out / "html" / "persons-b.html").read_bytes())
    entry = persons.xpath("//li[starts-with(., 'Bennett, Josiah W.')]")[0]
    assert "Officer in Charge of Political Affairs" in entry.text_content()
    # linked back to the volume's own list of persons and to every mention in the documents
    backs = entry.xpath(".//a/@href")
    assert any(href.startswith(f"{volume.name}/persons.html#") for href in backs)
    assert any(href.startswith(f"{volume.name}/d299.html#") for href in backs)


def _all_sources(shared_excerpt: Path, history: Path) -> list[Path]:
    return [shared_excerpt] + [path for _, path in iter_sources([history])]


def test_every_word_of_every_file_is_on_its_pages_in_order(corpus_edition, frus_excerpt: Path,
                                                           history_documents: Path, memo_edition) -> None:
    """Words of the TEI (notes included) appear in the same order in the visible text, both readings."""
    out, _ = corpus_edition
    checked = 0
    sources = [(out, path) for path in _all_sources(frus_excerpt, history_documents)]
    sources.append((memo_edition[0], REPO / "tei" / "frus1958-60v19-d300.xml"))
    for folder, source in sources:
        for unit, page in _pages_of(folder, source):
            data = page.read_bytes()
            for diplomatic in (False, True):
                expected = tei_words(unit, diplomatic=diplomatic, note_scope=lambda element: False)
                assert_in_order(expected, visible_words(data, diplomatic), f"{page.name} ({source.name})")
            checked += 1
    assert checked == 70  # 63 files, the excerpt's 4 documents and 2 lists, the memo


def test_two_builds_are_byte_identical(tmp_path: Path, frus_excerpt: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        report = build([REPO / "tei", frus_excerpt], out=out, formats=["html", "text"], jobs=2)
        assert report.exit_code == 0
    # the search index too (Pagefind's own order is that of the folder and of seeded hash maps)
    digests = file_digests(first)
    assert digests == file_digests(second)
    assert len(digests) > 20 and any(name.startswith("html/pagefind/filter/") for name in digests)


def test_a_failed_build_leaves_the_previous_edition_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "edition"
    build([REPO / "tei"], out=out, formats=["html"], jobs=1)
    before = file_digests(out)
    from edition.transforms.html import HtmlWriter

    def broken(self, records, options):  # a writer failing after every page was rendered
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(HtmlWriter, "finish", broken)
    with pytest.raises(Exception) as caught:  # a full build: an unchanged rebuild writes nothing
        build([REPO / "tei"], out=out, formats=["html"], jobs=1, incremental=False)
    assert "E0602" in str(caught.value)
    assert file_digests(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["edition"]  # no temporary folder left behind


def test_a_rebuild_swaps_the_whole_folder_and_clears_leftovers(tmp_path: Path) -> None:
    out = tmp_path / "edition"
    build([REPO / "tei"], out=out, formats=["html"], jobs=1)
    (out / "html" / "stale.html").write_text("from an older build")
    killed = tmp_path / ".edition.tmp-999999"  # what a build killed mid-way leaves
    killed.mkdir()
    (killed / MARKER).write_text("")
    build([REPO / "tei"], out=out, formats=["html"], jobs=1)
    assert not (out / "html" / "stale.html").exists()
    # the replaced edition is kept as the spare the next build is patched into (edition.swap)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".edition.spare", "edition"]
    assert (tmp_path / ".edition.spare" / "html" / "stale.html").is_file()
    build([REPO / "tei"], out=out, formats=["html"], jobs=1, incremental=False)  # unchanged: a full build swaps
    assert sorted(p.name for p in tmp_path.iterdir()) == [".edition.spare", "edition"]
    assert not (out / "html" / "stale.html").exists()
    assert not (tmp_path / ".edition.spare" / "html" / "stale.html").exists()


@pytest.mark.parametrize("place", ["tei", "schema", ".", "tei/html"])
def test_out_refuses_sources_schema_and_repository_root(place: str) -> None:
    result = CliRunner().invoke(cli, ["build", "--out", str(REPO / place), str(REPO / "tei")])
    assert result.exit_code == 2 and "E0601" in result.output
    assert not (REPO / "tei" / "html").exists()


def test_out_refuses_a_folder_that_is_not_an_edition(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["build", "--out", str(tmp_path), str(REPO / "tei")])
    assert result.exit_code == 2 and "E0601" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_build_that_makes_nothing_leaves_no_folder_behind(tmp_path: Path, memo_path: Path) -> None:
    """The output's missing parent folders are made before the build (its lock and temporary
    folder live there); when no edition comes of it, they go again, and what was there stays."""
    broken = tmp_path / "broken.xml"
    broken.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>open</body></text></TEI>')
    (tmp_path / "kept").mkdir()
    for out in (tmp_path / "made" / "for" / "edition", tmp_path / "kept" / "new" / "edition"):
        result = CliRunner().invoke(cli, ["build", "-f", "text", "--out", str(out), str(broken)])
        assert result.exit_code == 1 and "E0002" in result.output and "E0602" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xml", "kept"]
    assert list((tmp_path / "kept").iterdir()) == []
    result = CliRunner().invoke(cli, ["build", "-f", "text", "--out", str(tmp_path / "made" / "for" / "edition"),
                                      str(memo_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "made" / "for" / "edition" / "text").is_dir()


def test_only_empty_folders_of_a_failed_build_are_removed(tmp_path: Path) -> None:
    from edition.build import _missing_folders, _remove_if_empty

    deepest = tmp_path / "a" / "b" / "c"
    missing = _missing_folders(deepest)
    assert missing == [deepest, deepest.parent, deepest.parent.parent]
    deepest.mkdir(parents=True)
    (tmp_path / "a" / "written meanwhile").write_text("someone else's")
    _remove_if_empty(missing)
    assert not (tmp_path / "a" / "b").exists()
    assert (tmp_path / "a" / "written meanwhile").read_text() == "someone else's"


def test_unknown_elements_warn_and_keep_their_content(tmp_path: Path) -> None:
    source = tmp_path / "sources" / "odd.xml"
    source.parent.mkdir()
    source.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>\n'
                      '<p>Plain <sparkle>unmistakable</sparkle> words.</p></body></text></TEI>\n')
    result = CliRunner().invoke(cli, ["build", "-f", "html", "-f", "text", "--out", str(tmp_path / "out"), str(source)])
    assert result.exit_code == 0, result.output
    assert "odd.xml:2:" in result.output and result.output.count("W0301") == 1  # once per file, not per output
    page = html.document_fromstring((tmp_path / "out" / "html" / "odd.html").read_bytes())
    assert "Plain unmistakable words." in page.text_content()


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", "-f", "braille", "--out", str(tmp_path / "o"), str(REPO / "tei")])
    assert result.exit_code == 2 and "html" in result.output


def test_the_volume_builds_page_by_page_with_every_word(tmp_path: Path, frus_volume: Path) -> None:
    """The 3.3 MB volume: 404 documents and its front and back matter, every word in order."""
    out = tmp_path / "edition"
    report = build([frus_volume], out=out, formats=["html"])
    assert report.exit_code == 0, "\n".join(map(str, report.diagnostics[:20]))
    pages = _pages_of(out, frus_volume)
    assert len([p for _, p in pages if p.name[0] == "d" and p.name[1].isdigit()]) == 404
    for unit, page in pages:
        # the printed back-of-book index is a page per initial: its words are on them in turn
        parts = [page, *sorted(page.parent.glob(f"{page.stem}-*.html"),
                               key=lambda part: (part.stem.endswith("-other"), part.stem))]
        for diplomatic in (False, True):
            expected = tei_words(unit, diplomatic=diplomatic, note_scope=lambda element: False)
            shown = [word for part in parts for word in visible_words(part.read_bytes(), diplomatic)]
            assert_in_order(expected, shown, page.name)
    assert len(list((out / "html" / frus_volume.stem).glob("index-section-*.html"))) > 20


def test_a_build_whose_every_input_fails_keeps_the_previous_edition(tmp_path) -> None:
    from edition.build import build

    good = tmp_path / "good.xml"
    good.write_bytes((REPO / "tei" / "frus1958-60v19-d300.xml").read_bytes())
    out = tmp_path / "out"
    assert build([good], out=out, formats=["text"], jobs=1).exit_code == 0
    before = (out / "text" / "d300.txt").read_bytes()
    bad = tmp_path / "bad.xml"
    bad.write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><unclosed></TEI>", encoding="utf-8")
    report = build([bad], out=out, formats=["text"], jobs=1)
    assert report.exit_code == 1 and report.units == 0
    assert [d.code for d in report.diagnostics] == ["E0002", "E0602"]
    assert (out / "text" / "d300.txt").read_bytes() == before


def test_a_volume_is_split_only_when_no_text_lies_outside_its_documents(frus_excerpt: Path) -> None:
    from edition.document import parse

    data = frus_excerpt.read_bytes()
    units, is_volume = document_units(parse(data, str(frus_excerpt)))
    assert is_volume and len(units) > 2
    # a paragraph between two documents would be lost from a page per document:
    # the file is then one text, rendered whole
    second = b'<div type="document" xml:id="d300"'
    assert second in data
    stray = data.replace(second, b'<p>Between the documents.</p>' + second, 1)
    units, is_volume = document_units(parse(stray, str(frus_excerpt)))
    assert not is_volume and len(units) == 1
    # a note in a chapter's heading is not text outside the documents
    heading = b'<div type="chapter"><head>Taiwan<note>In a heading.</note></head></div>'
    inside = data.replace(second, heading + second, 1)
    assert document_units(parse(inside, str(frus_excerpt)))[1]


def test_a_full_rebuild_links_unchanged_files_and_writes_changed_ones(memo_path: Path, tmp_path: Path) -> None:
    import os

    source = tmp_path / "tei" / memo_path.name
    source.parent.mkdir()
    source.write_bytes(memo_path.read_bytes())
    out = tmp_path / "edition"
    build([source.parent], out=out, formats=["html", "text", "cite"], incremental=False)
    # the search index's files are named by their contents: a changed page renames them
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file() and p.name != ".edition-manifest.json"
                   and "pagefind" not in p.parts)
    before = {name: ((out / name).stat().st_ino, (out / name).read_bytes()) for name in files}
    # a citation file of the previous edition, made a link out of the edition: never followed
    # (its bytes are those the rebuild makes, so only the link stops it being reused)
    cited = next(name for name in files if name.parts[0] == "cite" and name.suffix == ".bib")
    outside = tmp_path / "outside.bib"
    outside.write_bytes(before[cited][1])
    (out / cited).unlink()
    (out / cited).symlink_to(outside)
    # one word of the source changes: the pages change; the assets and citations do not
    source.write_bytes(memo_path.read_bytes().replace(b"economic chaos", b"economic disorder"))
    build([source.parent], out=out, formats=["html", "text", "cite"], incremental=False)
    after = {name: ((out / name).stat().st_ino, (out / name).read_bytes()) for name in files}
    assert set(after) == set(before)
    linked = {name for name in files if after[name][0] == before[name][0]}
    changed = {name for name in files if after[name][1] != before[name][1]}
    assert {name.suffix for name in changed} == {".html", ".txt"}
    assert not linked & changed  # a changed file is written anew, never through the old one
    assert {name for name in files if name.parts[:2] == ("html", "assets")} <= linked
    assert after[cited][1] == before[cited][1] and not (out / cited).is_symlink()
    assert cited not in linked and os.stat(outside).st_nlink == 1
    # a build into a new folder writes every file
    fresh = tmp_path / "fresh"
    build([source.parent], out=fresh, formats=["html", "text", "cite"], incremental=False)
    for name in files:
        assert (fresh / name).read_bytes() == after[name][1]
        assert (fresh / name).stat().st_nlink == 1
