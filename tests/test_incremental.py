"""Incremental builds: after one file changes, only that file is parsed and rendered again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edition.build import build
from edition.incremental import MANIFEST, STAT_FILE
from edition.swap import MARKER

REPO = Path(__file__).resolve().parents[1]
FORMATS = ["html", "text", "cite"]


def _tree(folder: Path) -> dict[str, bytes]:
    # the stat file records the file system's state (times, inodes), not the edition
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != STAT_FILE}


@pytest.fixture()
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "tei"
    folder.mkdir()
    shutil.copy(REPO / "tei" / "frus1958-60v19-d300.xml", folder / "memo.xml")
    for name in ("valid", "broken"):
        for fixture in sorted((REPO / "tests" / "fixtures" / name).glob("*.xml"))[:2]:
            if fixture.name != "empty-file.xml":
                shutil.copy(fixture, folder / f"{name}-{fixture.name}")
    return folder


def test_unchanged_files_are_reused_and_the_result_is_the_same(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build([sources], out=out, formats=FORMATS, jobs=1)
    assert first.reused == 0 and (out / MANIFEST).is_file()
    before = _tree(out)
    again = build([sources], out=out, formats=FORMATS, jobs=1)
    assert again.reused == first.inputs
    assert _tree(out) == before
    assert [str(d) for d in again.diagnostics] == [str(d) for d in first.diagnostics]


def test_a_changed_file_is_rebuilt_and_only_it(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build([sources], out=out, formats=FORMATS, jobs=1)
    before = _tree(out)
    memo = sources / "memo.xml"
    memo.write_text(memo.read_text(encoding="utf-8").replace("accommodating to each other",
                                                             "accommodating to one another"), encoding="utf-8")
    second = build([sources], out=out, formats=FORMATS, jobs=1)
    assert second.reused == first.inputs - 1
    after = _tree(out)
    changed = {name for name in after if before.get(name) != after[name]}
    assert "text/d300.txt" in changed and "html/d300.html" in changed
    assert "one another" in (out / "text" / "d300.txt").read_text(encoding="utf-8")
    # pages of the other files are untouched; the manifest, the index pages and the search index may change
    assert all(name == MANIFEST or name.startswith(("html/d300", "text/d300", "cite/d300", "html/index",
                                                    "html/persons", "html/places", "html/organisations",
                                                    "html/terms", "html/pagefind/")) for name in changed)
    # and the result equals a full rebuild
    full = tmp_path / "full"
    build([sources], out=full, formats=FORMATS, jobs=1, incremental=False)
    assert {k: v for k, v in _tree(full).items() if k != MANIFEST} == {k: v for k, v in after.items() if k != MANIFEST}


def test_options_or_outputs_change_rebuild_everything(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out=out, formats=FORMATS, jobs=1)
    narrower = build([sources], out=out, formats=FORMATS, options={"width": 60}, jobs=1)
    assert narrower.reused == 0
    assert max(len(line) for line in (out / "text" / "d300.txt").read_text(encoding="utf-8").splitlines()) <= 60


def test_a_deleted_output_is_rendered_again(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build([sources], out=out, formats=FORMATS, jobs=1)
    (out / "html" / "d300.html").unlink()
    again = build([sources], out=out, formats=FORMATS, jobs=1)
    assert again.reused == first.inputs - 1
    assert (out / "html" / "d300.html").is_file()


def test_a_damaged_manifest_means_a_full_build(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build([sources], out=out, formats=FORMATS, jobs=1)
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    again = build([sources], out=out, formats=FORMATS, jobs=1)
    assert again.reused == 0 and again.units == first.units


def test_the_spare_edition_is_patched_into_a_full_builds_tree_and_never_written_through(
        sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([sources], out=out, formats=FORMATS, jobs=1)
    build([sources], out=out, formats=FORMATS, jobs=1)
    spare = tmp_path / ".out.spare"  # the replaced edition, which the next build is assembled in
    assert (spare / MARKER).is_file() and (spare / MANIFEST).is_file()
    served = _tree(out)
    # what the next edition must not carry over: a removed input's pages, a file and a link of nobody's
    removed = sorted(sources.glob("valid-*.xml"))[0]
    removed.unlink()
    (spare / "html" / "planted.html").write_text("not of any build")
    (spare / "html" / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    memo = sources / "memo.xml"
    memo.write_text(memo.read_text(encoding="utf-8").replace("accommodating to each other",
                                                             "accommodating to one another"), encoding="utf-8")
    again = build([sources], out=out, formats=FORMATS, jobs=1)
    assert again.reused == again.inputs - 1
    full = tmp_path / "full"
    build([sources], out=full, formats=FORMATS, jobs=1, incremental=False)
    assert {k: v for k, v in _tree(full).items() if k != MANIFEST} == \
        {k: v for k, v in _tree(out).items() if k != MANIFEST}
    assert not (out / "html" / "elsewhere").exists() and not (out / "html" / "elsewhere").is_symlink()
    # the edition that was served is now the spare, byte for byte: its files (hard links shared
    # with the new edition's) were replaced, never written through
    assert _tree(spare) == served
