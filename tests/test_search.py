"""The web edition's search index (Pagefind, made at build time); the browser side is in test_reader.py."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

from conftest import MEMO
from folders import file_digests
from lxml import html

from edition.build import build
from edition.transforms.pagefind_index import SIGNATURE, decode, encode
from edition.transforms.search import index_site


def _index(out: Path) -> dict[str, str]:
    return file_digests(out / "html" / "pagefind")


def test_the_build_indexes_the_documents_and_reuses_an_unchanged_index(tmp_path: Path) -> None:
    out = tmp_path / "edition"
    report = build([MEMO], out=out, formats=["html"])
    assert report.exit_code == 0 and not [d for d in report.diagnostics if d.code == "W0615"]
    first = _index(out)
    assert "pagefind.js" in first and "pagefind-ui.js" not in first  # our own search page, not Pagefind's UI
    entry = json.loads((out / "html" / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["en"]["page_count"] == 1  # the document; index pages are not searched
    # the same pages again (a forced full rebuild): the index is taken over, byte for byte
    assert build([MEMO], out=out, formats=["html"], incremental=False).exit_code == 0
    assert _index(out) == first


def test_documents_carry_the_search_metadata_and_every_page_a_search_box(tmp_path: Path) -> None:
    out = tmp_path / "edition"
    assert build([MEMO], out=out, formats=["html"]).exit_code == 0
    page = html.document_fromstring((out / "html" / "d300.html").read_bytes())
    assert page.xpath("//form[@role='search']/@action") == ["search.html"]
    body = page.xpath("//div[@class='text']")[0]
    assert body.get("data-pagefind-body") is not None
    meta = {d.get("data-pagefind-meta") or d.get("data-pagefind-filter"): d.get("value")
            for d in body.xpath(".//data")}
    assert meta["title[value]"].startswith("Memorandum From the Director")
    assert meta["date[value]"] == "September 24, 1959" and meta["year[value]"] == "1959"
    assert meta["person[value]"] in {"Cumming, Hugh S., Jr.", "Eisenhower, Dwight D.", "Herter, Christian A.",
                                      "Khrushchev, Nikita S."}
    search = html.document_fromstring((out / "html" / "search.html").read_bytes())
    assert search.xpath("//script/@src") == ["assets/edition.js", "assets/search.js"]
    assert "wasm-unsafe-eval" in search.xpath("string(//meta[@http-equiv='Content-Security-Policy']/@content)")


def test_the_same_pages_written_in_any_order_give_the_same_index(tmp_path: Path, frus_excerpt: Path) -> None:
    out = tmp_path / "edition"
    assert build([MEMO, frus_excerpt], out=out, formats=["html"]).exit_code == 0
    pages = sorted(p.relative_to(out / "html") for p in (out / "html").rglob("*.html") if "pagefind" not in p.parts)
    indexes = []
    # a small folder lists its files in the order they were made (as parallel workers make them)
    for name, order in (("forward", pages), ("backward", pages[::-1])):
        folder = tmp_path / name
        for page in order:
            (folder / page).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / "html" / page, folder / page)
        assert index_site(folder) is None
        indexes.append(_index(folder))
    assert indexes[0] == indexes[1] == _index(out / "html")
    entry = json.loads((tmp_path / "forward" / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["en"]["page_count"] == 5  # d299-d302 and the memo
    # the filters' values in order, each file named by its content's hash as Pagefind names its files
    filters = sorted((tmp_path / "forward" / "pagefind" / "filter").iterdir())
    assert len(filters) == 2  # year and person (chapters are a volume's)
    for path in filters:
        data = gzip.decompress(path.read_bytes())
        name, values = decode(data, len(SIGNATURE))[0]
        assert name in {"person", "year"} and values == sorted(values)
        assert encode([name, values]) == data[len(SIGNATURE):]
        digest = "".join(f"{byte:x}" for byte in hashlib.sha1(data[len(SIGNATURE):]).digest())
        assert path.name == f"en_{digest[:7]}.pf_filter"
    persons = next(values for path in filters
                   if (values := decode(gzip.decompress(path.read_bytes()), len(SIGNATURE))[0])[0] == "person")[1]
    assert len(persons) > 5 and [value for value, _ in persons] == sorted(value for value, _ in persons)


def test_a_rebuild_of_the_same_pages_keeps_the_index_unread_and_a_changed_page_is_indexed(
        tmp_path: Path, monkeypatch) -> None:
    from edition.transforms import search

    looked: list[Path] = []
    real = search.index_site
    # counted, not replaced: each call still makes or checks the index
    monkeypatch.setattr(search, "index_site", lambda folder, *rest: looked.append(folder) or real(folder, *rest))
    source = tmp_path / "memo.xml"
    shutil.copyfile(MEMO, source)
    out = tmp_path / "edition"
    for _ in range(3):
        assert build([source], out=out, formats=["html"], incremental=False).exit_code == 0
    # the first build makes the index, the second checks the pages against the edition it replaces;
    # the third is assembled in the first's folder (the spare), where the workers find every page
    # already right: nothing to read again
    assert len(looked) == 2
    first = _index(out)

    text = source.read_text(encoding="utf-8")
    assert text.count("critical strains") == 1
    source.write_text(text.replace("critical strains", "grave strains"), encoding="utf-8")
    assert build([source], out=out, formats=["html"], incremental=False).exit_code == 0
    assert len(looked) == 3  # a worker replaced a page of the spare: the index is made again
    assert _index(out) != first
    again = tmp_path / "again"
    shutil.copytree(out / "html", again, ignore=shutil.ignore_patterns("pagefind"))
    assert index_site(again) is None
    assert file_digests(again / "pagefind") == _index(out)  # the index of the new pages, from scratch
