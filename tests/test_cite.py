"""``edition cite``: from a reference to the passage and its citation, on good and bad references."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edition.cite import cite, passage_text, resolve
from edition.cli import cli
from edition.diagnostics import EditionReferenceError
from edition.document import load

FIXTURES = Path(__file__).parent / "fixtures" / "citations"
FOURTH = ("While available evidence does suggest that the Sino-Soviet relationship at the present "
          "time may be subjected to unusual strains")


@pytest.fixture(scope="module")
def memo(memo_path: Path) -> Path:
    assert memo_path.is_file()
    return memo_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["cite", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cite_d300_p4_prints_the_fourth_paragraph_then_its_citation(memo: Path) -> None:
    code, out, err = run("d300.p4", str(memo))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"d300.p4 ({memo})"
    # the reading text: the correction, not the printed "wait"
    assert lines[1].startswith(FOURTH)
    assert lines[1].endswith("the difficulties the two nations face in accommodating to each other.")
    assert "wait" not in lines[1]
    assert lines[3].startswith("Hugh S. Cumming Jr., “Memorandum From the Director")
    assert ", para. 4, https://history.state.gov/historicaldocuments/frus1958-60v19/d300." in lines[3]
    assert "I0403" not in err  # the memo's references come from its citeStructure


def test_default_path_is_tei_folder(memo: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    code, out, _ = run("d300.p4")
    assert code == 0 and FOURTH in out


def test_every_format(memo: Path) -> None:
    code, out, _ = run("d300", str(memo), "--format", "all", "--no-text")
    assert code == 0
    for heading in ("chicago-note", "chicago-bibliography", "ohist", "csl-json", "bibtex", "ris", "dc"):
        assert f"== {heading} ==" in out
    assert "@incollection{frus1958-60v19-d300," in out
    assert "TY  - CHAP" in out
    code, out, _ = run("d300", str(memo), "--format", "ohist", "--no-text")
    assert out.strip().endswith("Document 300. https://history.state.gov/historicaldocuments/frus1958-60v19/d300")


def test_a_range_prints_each_paragraph(memo: Path) -> None:
    code, out, _ = run("d300.p2-p3", str(memo))
    assert code == 0
    assert "It appears very likely" in out and "Despite the probability" in out
    assert "paras. 2–3" in out


@pytest.mark.parametrize("ref, nearest", [("d300.p9", "d300.p4"), ("d30.p4", "d300.p4"),
                                          ("d300.p2-p7", "d300.p4"), ("d301", "d300")])
def test_a_bad_reference_is_e0401_with_the_nearest(memo: Path, ref: str, nearest: str) -> None:
    code, out, err = run(ref, str(memo))
    assert code == 1
    assert out == ""
    assert "error E0401" in err and nearest in err
    assert "Traceback" not in err


def test_a_backwards_range_says_so(memo: Path) -> None:
    code, _, err = run("d300.p3-p1", str(memo))
    assert code == 1 and "runs backwards" in err and "d300.p1-p3" in err


def test_a_missing_file_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    code, _, err = run("d300", str(tmp_path / "absent.xml"))
    assert code == 1 and "E0001" in err


def test_fallback_references_are_announced(frus_excerpt: Path) -> None:
    code, out, err = run("d300.p4", str(frus_excerpt))
    assert code == 0
    assert "info I0403" in err
    assert out.splitlines()[0].endswith("; reference by fallback: division id, paragraph position)")
    # the FRUS volume prints the typo the memo corrects
    assert "does suggest wait the Sino-Soviet" in out
    assert "Foreign Relations of the United States, 1958–1960, Volume XIX, China" in out


def test_sparse_header_warns_on_stderr_and_still_cites() -> None:
    code, out, err = run("p2", str(FIXTURES / "standalone-sparse.xml"))
    assert code == 0
    assert out.splitlines()[1] == "It adjourned at twelve o'clock."  # expansion chosen, note skipped
    assert err.count("warning W0402") == 4
    assert "“Minutes of a Meeting of the Advisory Committee,”" in out


def test_passage_text_reads_a_whole_document(memo: Path) -> None:
    document = load(memo)
    text = passage_text(document, document.element_for_ref("d300"))
    blocks = text.split("\n\n")
    assert blocks[0] == ("300. Memorandum From the Director of the Bureau of Intelligence and Research "
                         "(Cumming) to Secretary of State Herter")  # the source note is left out
    assert blocks[1] == "Washington, September 24, 1959."
    assert blocks[-1].startswith(FOURTH)
    assert "Source:" not in text


def test_library_cite_and_resolve(memo: Path) -> None:
    cited = cite("d300.p1-p2", [memo])
    assert [u.ref for u in cited.passage.units] == ["d300.p1", "d300.p2"]
    assert cited.citation.passage_pages == "593-594"
    document = load(memo)
    assert resolve(document, "d300.p1-d300.p2").units == resolve(document, "d300.p1-p2").units
    with pytest.raises(EditionReferenceError):
        resolve(document, "nowhere")


def test_fixture_passage_on_a_later_page() -> None:
    cited = cite("d12.p3", [FIXTURES / "edition-letter.xml"])
    assert cited.text == "Third paragraph, the last."
    assert cited.citation.passage_pages == "41-42"
    assert cited.citation.locator == "3"


def test_a_broken_file_beside_does_not_hide_the_reference(memo: Path, tmp_path: Path) -> None:
    (tmp_path / "a-broken.xml").write_text("<TEI><unclosed></TEI>", encoding="utf-8")
    (tmp_path / "memo.xml").write_bytes(memo.read_bytes())
    code, out, err = run("d300.p4", str(tmp_path))
    assert code == 0 and FOURTH in out
    assert "a-broken.xml" in err and "E0002" in err
