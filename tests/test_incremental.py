"""Incremental builds: after one file changes, only that file is parsed and rendered again."""

from __future__ import annotations

import json
import os
import shutil
import time
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
    # a rebuild with nothing changed leaves the edition as it is; a full one replaces it
    build([sources], out=out, formats=FORMATS, jobs=1, incremental=False)
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


# -- an unchanged rebuild ---------------------------------------------------------------------

def _settled(folder: Path) -> None:
    """Sources last modified a minute ago: their signatures are kept (a file modified within
    the last two seconds is always read again, see edition.incremental)."""
    for path in folder.glob("*.xml"):
        os.utime(path, (time.time() - 60, time.time() - 60))


def _state(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file's inode and modification time: what writing or replacing a file changes."""
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_unchanged_rebuild_leaves_the_edition_as_it_is_and_reports_the_same(sources: Path,
                                                                                tmp_path: Path) -> None:
    _settled(sources)
    out = tmp_path / "out"
    first = build([sources], out=out, formats=FORMATS, jobs=1)
    folder, before = out.stat().st_ino, _state(out)
    again = build([sources], out=out, formats=FORMATS, jobs=1)
    assert out.stat().st_ino == folder and _state(out) == before  # not swapped, not a file written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tei"]  # no temporary folder, no spare
    assert (again.inputs, again.reused, again.units, again.files) == (first.inputs, first.inputs, first.units,
                                                                       first.files)
    assert [str(d) for d in again.diagnostics] == [str(d) for d in first.diagnostics]
    assert again.diagnostics, "the fixture's warnings are reported again"
    # the same report as a rebuild that takes every page over (the edition's own page removed)
    (out / "html" / "index.html").unlink()
    redone = build([sources], out=out, formats=FORMATS, jobs=1)
    assert out.stat().st_ino != folder and (out / "html" / "index.html").is_file()
    assert (redone.reused, redone.units, redone.files) == (again.reused, again.units, again.files)
    assert [str(d) for d in redone.diagnostics] == [str(d) for d in again.diagnostics]


@pytest.mark.parametrize("change", ["page removed", "file added", "link added", "search index removed",
                                    "inputs in another order", "input added", "input removed", "input touched"])
def test_an_altered_edition_or_other_inputs_are_built_again(change: str, sources: Path, tmp_path: Path) -> None:
    _settled(sources)
    inputs = sorted(sources.glob("*.xml"))
    out = tmp_path / "out"
    build(inputs, out=out, formats=FORMATS, jobs=1)
    folder = out.stat().st_ino
    if change == "page removed":
        (out / "text" / "d300.txt").unlink()
    elif change == "file added":
        (out / "html" / "planted.html").write_text("not of any build", encoding="utf-8")
    elif change == "link added":
        (out / "html" / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    elif change == "search index removed":
        shutil.rmtree(out / "html" / "pagefind")
    elif change == "inputs in another order":
        inputs.reverse()
    elif change == "input added":
        shutil.copy(REPO / "tests" / "fixtures" / "valid" / "volume.xml", sources / "added.xml")
        inputs.append(sources / "added.xml")
    elif change == "input removed":
        inputs.pop()
    elif change == "input touched":  # modified (its time), not changed (its bytes): nothing to do
        os.utime(inputs[0], (time.time() - 30, time.time() - 30))
    again = build(inputs, out=out, formats=FORMATS, jobs=1)
    full = tmp_path / "full"
    build(inputs, out=full, formats=FORMATS, jobs=1, incremental=False)
    assert {k: v for k, v in _tree(full).items() if k != MANIFEST} == \
        {k: v for k, v in _tree(out).items() if k != MANIFEST}
    assert not (out / "html" / "elsewhere").is_symlink()
    if change == "input touched":
        assert out.stat().st_ino == folder and again.reused == len(inputs)
        # its new signature is kept: the next build does not read it again
        kept = json.loads((out / STAT_FILE).read_text(encoding="utf-8"))
        assert kept[str(inputs[0])][1] == inputs[0].stat().st_mtime_ns
    else:
        assert out.stat().st_ino != folder  # built and swapped in


def test_an_unchanged_rebuild_that_cannot_list_the_edition_or_keep_signatures_still_ends_well(
        sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import edition.build
    from edition.incremental import BuildCache

    _settled(sources)
    out = tmp_path / "out"
    first = build([sources], out=out, formats=FORMATS, jobs=1)
    folder = out.stat().st_ino

    def unreadable(root: Path) -> None:
        raise PermissionError(13, "Permission denied", str(root))

    with monkeypatch.context() as patched:  # the edition cannot be listed: it is built again
        patched.setattr(edition.build, "scan", unreadable)
        again = build([sources], out=out, formats=FORMATS, jobs=1)
    assert out.stat().st_ino != folder and again.reused == first.inputs
    assert [str(d) for d in again.diagnostics] == [str(d) for d in first.diagnostics]
    folder = out.stat().st_ino

    def refused(self: BuildCache, folder: Path, paths: object) -> None:
        raise OSError(30, "Read-only file system", str(folder))

    touched = sorted(sources.glob("*.xml"))[0]
    os.utime(touched, (time.time() - 30, time.time() - 30))
    with monkeypatch.context() as patched:  # the new signature cannot be kept: read again next time
        patched.setattr(BuildCache, "write_signatures", refused)
        third = build([sources], out=out, formats=FORMATS, jobs=1)
    assert out.stat().st_ino == folder and third.reused == first.inputs
    kept = json.loads((out / STAT_FILE).read_text(encoding="utf-8"))
    assert kept[str(touched)][1] != touched.stat().st_mtime_ns
    fourth = build([sources], out=out, formats=FORMATS, jobs=1)  # now it can: kept
    assert out.stat().st_ino == folder and fourth.reused == first.inputs
    assert json.loads((out / STAT_FILE).read_text(encoding="utf-8"))[str(touched)][1] == touched.stat().st_mtime_ns


def _code_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the installed toolkit, its files dated a minute ago (settled), with a cache of its own."""
    from edition import resources

    code = tmp_path / "code"
    (code / "__pycache__").mkdir(parents=True)
    (code / "module.py").write_text("A = 1\n")
    (code / "data.xml").write_bytes((REPO / "tei" / "frus1958-60v19-d300.xml").read_bytes())
    (code / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"compiled")
    past = time.time() - 60
    for path in code.rglob("*"):
        os.utime(path, (past, past))
    monkeypatch.setattr(resources, "package_roots", lambda: [code])
    monkeypatch.setenv("EDITION_CACHE", str(tmp_path / "cache"))
    return code


def test_the_code_digest_is_the_files_and_is_kept_under_their_signatures(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from edition.incremental import code_digest

    code = _code_folder(tmp_path, monkeypatch)
    expected = hashlib.sha256()
    for name in ("data.xml", "module.py"):  # sorted, compiled code left out
        expected.update(name.encode())
        expected.update((code / name).read_bytes())
    assert code_digest() == expected.hexdigest()
    kept = list((tmp_path / "cache").rglob("toolkit/*"))
    assert len(kept) == 1 and kept[0].read_bytes().endswith(expected.hexdigest().encode())

    # the next build takes it from the cache without reading the files: bytes changed behind the
    # same signature (size, time to the nanosecond, inode) are not seen, as with the inputs' signatures
    data = code / "data.xml"
    info = data.stat()
    with open(data, "r+b") as stream:
        stream.write(b"<!--")
    os.utime(data, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert code_digest() == expected.hexdigest()


def test_a_changed_file_of_the_code_changes_the_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edition.incremental import code_digest

    code = _code_folder(tmp_path, monkeypatch)
    before = code_digest()
    (code / "module.py").write_text("A = 2\n")  # same size, new time: a new signature
    past = time.time() - 30
    os.utime(code / "module.py", (past, past))
    changed = code_digest()
    assert changed != before
    (code / "module.py").write_text("A = 1\n")  # back to the first bytes, just now: read, not kept
    assert code_digest() == before
    assert len(list((tmp_path / "cache").rglob("toolkit/*"))) == 2
