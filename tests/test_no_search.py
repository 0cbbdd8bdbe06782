"""`edition build --no-search`: the web edition without its search index (for speed, or a host
that serves its own search); the pages themselves are the same bytes as with the index."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner
from conftest import MEMO

from edition.build import build
from edition.cli import cli


def _pages(html: Path) -> dict[str, str]:
    return {str(p.relative_to(html)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(html.rglob("*")) if p.is_file() and "pagefind" not in p.relative_to(html).parts}


def test_no_search_leaves_the_index_out_and_the_pages_as_they_are(tmp_path: Path) -> None:
    with_index, without = tmp_path / "with", tmp_path / "without"
    assert build([MEMO], out=with_index, formats=["html"]).exit_code == 0
    result = CliRunner().invoke(cli, ["build", "--no-search", "--out", str(without), "-f", "html", str(MEMO)])
    assert result.exit_code == 0, result.output
    assert (with_index / "html" / "pagefind" / "pagefind.js").is_file()
    assert not (without / "html" / "pagefind").exists()
    assert _pages(without / "html") == _pages(with_index / "html")
    assert (without / "html" / "search.html").is_file()  # the page says there is no index (assets/search.js)


def test_the_search_index_comes_back_when_asked_again(tmp_path: Path) -> None:
    out = tmp_path / "edition"
    assert build([MEMO], out=out, formats=["html"], options={"search": False}).exit_code == 0
    assert not (out / "html" / "pagefind").exists()
    assert build([MEMO], out=out, formats=["html"]).exit_code == 0
    assert (out / "html" / "pagefind" / "pagefind-entry.json").is_file()
