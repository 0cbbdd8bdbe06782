"""The series index: ``edition build volumes/`` over several volume files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import MEMO, shared_path
from lxml import html as lxml_html

from edition.cli import cli
from edition.series import SERIES_PAGE, roman, series_pages, volume_order

#: A small volume of another sub-series (its header as the FRUS volumes have it).
OTHER_VOLUME = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="frus1964-68v30">
  <teiHeader><fileDesc><titleStmt>
    <title type="complete">Foreign Relations of the United States, 1964–1968, China, Volume XXX</title>
    <title type="series">Foreign Relations of the United States</title>
    <title type="sub-series">1964–1968</title>
    <title type="volume-number">Volume XXX</title>
    <title type="volume">China</title>
    <editor role="primary">Harriet Dashiell Schwar</editor>
  </titleStmt><publicationStmt><publisher>United States Government Printing Office</publisher>
    <pubPlace>Washington</pubPlace><date>1998</date>
    <idno type="isbn-10">0160489008</idno><idno type="frus">frus1964-68v30</idno></publicationStmt>
  <sourceDesc><p>Released in 1998 as printed book</p></sourceDesc></fileDesc></teiHeader>
  <text><body><pb n="1" xml:id="pg_1"/><div type="chapter" xml:id="ch1"><head>January 1964</head>
    <div type="document" xml:id="d1" n="1"><head>1. Editorial Note</head><p>The editors note.</p></div>
    <div type="document" xml:id="d2" n="2"><head>2. Telegram From the Embassy</head>
      <dateline><placeName>Taipei</placeName>, <date when="1964-01-02">January 2, 1964</date>.</dateline>
      <p>Text.</p></div>
  </div></body></text>
</TEI>
"""


def entry(subseries: str, number: str, title: str = "China") -> dict:
    return {"series": "Foreign Relations of the United States", "subseries": subseries, "number": number,
            "title": title, "published": "1990", "documents": 3, "taxonomies": [], "id": ""}


def test_volume_numbers_sort_as_numbers() -> None:
    assert [roman(n) for n in ("I", "IV", "IX", "XIX", "XX", "XL", "XCIX", "MCMLX", "Q")] == \
        [1, 4, 9, 19, 20, 40, 99, 1960, 0]
    assert volume_order("Volume XIX") == (19, 0)
    assert volume_order("Volume X, Part 2") == (10, 2)
    assert volume_order("Volume 5") == (5, 0)
    assert sorted(["Volume XX", "Volume IX", "Volume X, Part 2", "Volume X, Part 1"], key=volume_order) == \
        ["Volume IX", "Volume X, Part 1", "Volume X, Part 2", "Volume XX"]


def test_sub_series_by_year_and_volumes_by_number() -> None:
    page = series_pages([("v20", entry("1958–1960", "Volume XX", "Berlin")),
                         ("v30", entry("1964–1968", "Volume XXX")),
                         ("v9", entry("1958–1960", "Volume IX", "Berlin Crisis")),
                         ("v19", entry("1958–1960", "Volume XIX"))])[SERIES_PAGE].decode()
    tree = lxml_html.fromstring(page)
    assert [h.text_content() for h in tree.iter("h2")] == ["1958–1960", "1964–1968"]
    assert [a.get("href") for a in tree.iter("a") if a.get("href", "").endswith("/index.html")] == \
        ["v9/index.html", "v19/index.html", "v20/index.html", "v30/index.html"]
    assert "Volume IX: Berlin Crisis" in page and "published 1990" in page and "covers 1958–1960" in page
    assert series_pages([]) == {}


def _layout(tmp_path: Path) -> Path:
    """The repository's layout: shared/, and in volumes/ the volume (with its includes), the
    excerpt of the same volume and a volume of another sub-series."""
    repo = tmp_path / "frus"
    shutil.copytree(shared_path("frus-repo", "shared"), repo / "shared")
    (repo / "volumes").mkdir()
    shutil.copy(shared_path("frus-repo", "volumes", "frus1958-60v19.xml"), repo / "volumes")
    shutil.copy(shared_path("corpus", "frus", "frus1958-60v19-d299-d302-context.xml"), repo / "volumes")
    (repo / "volumes" / "frus1964-68v30.xml").write_text(OTHER_VOLUME, encoding="utf-8")
    return repo


def test_a_series_of_volumes(tmp_path: Path) -> None:
    repo = _layout(tmp_path)
    out = tmp_path / "edition"
    result = CliRunner().invoke(cli, ["build", "--root", str(repo), "-f", "html", "--out", str(out),
                                      str(repo / "volumes")])
    assert result.exit_code == 0, result.output
    assert re.search(r"3 files built: 0 errors, 0 warnings", result.output), result.output
    html = out / "html"
    page = (html / SERIES_PAGE).read_text()
    tree = lxml_html.fromstring(page)
    links = [a.get("href") for a in tree.iter("a") if a.get("href", "").endswith("/index.html")]
    # by sub-series, then number; the two copies of volume XIX by folder
    assert links == ["frus1958-60v19/index.html", "frus1958-60v19-d299-d302-context/index.html",
                     "frus1964-68v30/index.html"]
    for link in links:  # each links its volume's table of contents
        assert (html / link).is_file()
    items = [" ".join(li.text_content().split()) for li in tree.find_class("series-volumes")[0]]
    assert items[0].startswith("Volume XIX: China (covers 1958–1960; published 1996; 404 documents")
    assert "4 documents" in items[1]
    assert "Classification schemes of the header (2)" in items[0] and "frus-dates: 18 categories" in items[0]
    # documents keep their volume-relative references: volume/document
    assert (html / "frus1958-60v19" / "d300.html").is_file()
    assert (html / "frus1958-60v19-d299-d302-context" / "d300.html").is_file()
    assert (html / "frus1964-68v30" / "d2.html").is_file()


def test_no_series_page_without_a_volume(tmp_path: Path) -> None:
    out = tmp_path / "edition"
    result = CliRunner().invoke(cli, ["build", "-f", "html", "--out", str(out), str(MEMO)])
    assert result.exit_code == 0, result.output
    assert not (out / "html" / SERIES_PAGE).exists()
