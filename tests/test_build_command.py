"""edition/build_command.py: ``edition build [--out DIR] [-f NAME]... [--full] [--no-search] PATH...``
takes the quick way (no click); every answer of it, output files, messages and exit status, is the
one the click command gives.  Both run as real processes of the installed ``edition`` command, the
click command reached through an option the quick way leaves to click (``--jobs 1``: the same
pages, rendered in one process)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from commands import run_edition
from folders import file_digests

from edition.build_command import plain_arguments

BROKEN = Path(__file__).parent / "fixtures" / "broken"


def run(arguments: list[str], folder: Path) -> tuple[int, str, str]:
    code, out, err = run_edition(arguments, folder)
    # the summary's duration is the one thing two runs do not share
    return code, out, re.sub(r" in \d+\.\d\d s$", " in N s", err.strip(), flags=re.M)


def test_the_quick_way_is_taken_only_for_plain_command_lines() -> None:
    assert plain_arguments(["build", "a.xml"]) == ((Path("a.xml"),), None, (), {}, False)
    assert plain_arguments(["build", "--out", "o", "-f", "html", "--format=text", "-f", "cite", "a", "b"]) == (
        (Path("a"), Path("b")), Path("o"), ("html", "text", "cite"), {}, False)
    assert plain_arguments(["build", "--full", "--no-search", "-o", "o", "a.xml"]) == (
        (Path("a.xml"),), Path("o"), (), {"search": False}, True)
    assert plain_arguments(["build", "--out=o", "--search"]) == ((), Path("o"), (), {"search": True}, False)
    assert plain_arguments(["build"]) == ((), None, (), {}, False)  # tei/ into _build/edition, as click's
    for handed_to_click in (["build", "--width", "72", "a.xml"], ["build", "-j", "2", "a.xml"],
                            ["build", "--out", "o", "--out", "p", "a.xml"], ["build", "--full", "--full"],
                            ["build", "--search", "--no-search"], ["build", "--out"], ["build", "--out="],
                            ["build", "-o", "--full", "a.xml"], ["build", "-ohtml"], ["build", "--", "-a.xml"],
                            ["build", "--help"], ["build", "--full=yes"], ["validate", "a.xml"], []):
        assert plain_arguments(handed_to_click) is None, handed_to_click


@pytest.mark.parametrize("arguments", [
    ["--out", "out", "-f", "html", "-f", "text", "-f", "cite", "memo.xml"],   # clean
    ["--out", "out", "--full", "--no-search", "memo.xml", "unclosed-tag.xml"],  # one file refused
    ["-o", "out", "-f", "text", "missing.xml"],                               # no such file: nothing built
    ["--out", "out", "-f", "braille", "memo.xml"],                            # a usage error: exit 2
    ["--out", "notes", "memo.xml"],                                           # not an edition's folder: exit 2
    ["-f", "text"],                                                           # tei/ by default: none here
])
def test_the_quick_way_answers_as_the_click_command(memo_path: Path, tmp_path: Path, arguments: list[str]) -> None:
    assert plain_arguments(["build", *arguments]) is not None
    answers, built = [], []
    for way, extra in (("quick", []), ("click", ["--jobs", "1"])):
        folder = tmp_path / way
        folder.mkdir()
        shutil.copy(memo_path, folder / "memo.xml")
        shutil.copy(BROKEN / "unclosed-tag.xml", folder / "unclosed-tag.xml")
        (folder / "notes").mkdir()
        (folder / "notes" / "mine.txt").write_text("mine")
        answers.append(run(["build", *extra, *arguments], folder))
        out = folder / "out"
        built.append({name: digest for name, digest in file_digests(out).items() if not name.startswith(".")}
                     if out.exists() else None)
    assert answers[0] == answers[1]
    assert built[0] == built[1]
    assert "Traceback" not in answers[0][2] and answers[0][0] in (0, 1, 2)
    if "memo.xml" in arguments and "braille" not in arguments and "notes" not in arguments:
        assert built[0], "the memo's edition was built"


def test_the_quick_way_does_not_import_click(memo_path: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "edition", "build", "--out", str(tmp_path / "o"),
                           "-f", "text", str(memo_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| edition.build_command" in done.stderr
    assert not re.search(r"\| +click\b", done.stderr)
