"""Outputs are named after their input: ``name.xml`` builds ``name.html``, ``name.txt``,
``name.pdf`` and ``cite/name/``; a file declaring canonical references may be named by its
reference (the memo: ``d300``); two inputs never overwrite each other's outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import MEMO

from edition.build import build

HEADER = ("<teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt><publicationStmt><p>x</p>"
          "</publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>")


def single(title: str, word: str, div_id: str = "intro") -> str:
    """A one-document file without citeStructure whose division has an internal id."""
    return (f'<TEI xmlns="http://www.tei-c.org/ns/1.0">{HEADER.format(title=title)}<text><body>'
            f'<div xml:id="{div_id}"><head>{title}</head><p>The word {word}.</p></div></body></text></TEI>')


def test_a_single_document_file_is_named_after_the_file(tmp_path: Path) -> None:
    source = tmp_path / "in" / "test28.xml"
    source.parent.mkdir()
    source.write_text(single("Twenty-eight", "alpha"), encoding="utf-8")
    out = tmp_path / "out"
    report = build([source.parent], out=out, formats=["html", "text", "pdf", "cite"])
    assert report.exit_code == 0, [str(d) for d in report.diagnostics]
    assert (out / "html" / "test28.html").is_file() and not (out / "html" / "intro.html").exists()
    assert "alpha" in (out / "text" / "test28.txt").read_text(encoding="utf-8")
    assert (out / "pdf" / "test28.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.suffix for p in (out / "cite" / "test28").iterdir())


def test_a_file_with_canonical_references_is_named_by_its_reference(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(MEMO, folder / "memo-copy.xml")
    out = tmp_path / "out"
    build([folder], out=out, formats=["html", "text"])
    assert (out / "html" / "d300.html").is_file() and (out / "text" / "d300.txt").is_file()


def test_two_inputs_never_overwrite_each_others_outputs(tmp_path: Path) -> None:
    # the same stem in two folders; a file named like the memo's reference; the memo itself
    words = {"a/notes.xml": "alpha", "b/notes.xml": "bravo", "c/d300.xml": "charlie"}
    for relative, word in words.items():
        path = tmp_path / "in" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(single(f"File {word}", word), encoding="utf-8")
    shutil.copy(MEMO, tmp_path / "in" / "memo.xml")
    out = tmp_path / "out"
    report = build([tmp_path / "in"], out=out, formats=["html", "text", "cite"])
    assert report.units == 4
    texts = {p.name: p.read_text(encoding="utf-8") for p in (out / "text").glob("*.txt")}
    assert len(texts) == 4, sorted(texts)
    for word in words.values():  # each input's text is in exactly one output file
        assert sum(word in text for text in texts.values()) == 1, word
    assert sum("Sino-Soviet" in text for text in texts.values()) == 1
    pages = sorted(p.name for p in (out / "html").glob("*.html") if p.stem in {t[:-4] for t in texts})
    assert len(pages) == 4 and len(list((out / "cite").iterdir())) == 4
