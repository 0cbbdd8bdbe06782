"""edition/validate_command.py: ``edition validate [--tei-all …] PATH...`` takes the quick way
(no click); every answer of it, output, messages and exit status, is the one the click command
gives.  Both run as real processes of the installed ``edition`` command, the click command
reached through an option at its default value (``--format text``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from commands import EDITION, run_edition

from edition.validate_command import plain_arguments

BROKEN = Path(__file__).parent / "fixtures" / "broken"
run = run_edition


def test_the_quick_way_is_taken_only_for_plain_command_lines() -> None:
    assert plain_arguments(["validate", "a.xml"]) == (frozenset(), ("a.xml",))
    assert plain_arguments(["validate", "--tei-all", "a.xml", "b"]) == ({"--tei-all"}, ("a.xml", "b"))
    assert plain_arguments(["validate", "a.xml", "--no-schematron", "--tei-all"]) == (
        {"--tei-all", "--no-schematron"}, ("a.xml",))
    assert plain_arguments(["validate", "--no-schema", "--no-rules", "a.xml"]) == ({"--no-schema", "--no-rules"},
                                                                                  ("a.xml",))
    assert plain_arguments(["validate"]) == (frozenset(), ())  # tei/, as the click command
    assert plain_arguments(["validate", "--format", "json", "a.xml"]) is None  # an option with a value
    assert plain_arguments(["validate", "--schema", "s.rng", "a.xml"]) is None
    assert plain_arguments(["validate", "--tei-all", "--tei-all", "a.xml"]) is None
    assert plain_arguments(["validate", "--", "-odd.xml"]) is None
    assert plain_arguments(["validate", "--help"]) is None
    assert plain_arguments(["validate", "-j", "2", "a.xml"]) is None
    assert plain_arguments(["query", "//p", "a.xml"]) is None
    assert plain_arguments([]) is None


@pytest.mark.parametrize("arguments", [
    ["memo.xml"],                                        # clean
    ["--tei-all", "memo.xml"],                           # clean against tei_all
    ["duplicate-id.xml"],                                # schema and rule errors
    ["--tei-all", "duplicate-id.xml", "memo.xml"],       # two files
    ["--tei-all", "--no-schematron", "duplicate-id.xml"],  # the grammar and the rules
    ["--no-schema", "--no-rules", "duplicate-id.xml"],   # the Schematron only
    ["--no-schema", "--tei-all", "memo.xml"],            # a usage error: exit 2
    ["unclosed-tag.xml"],                                # not well-formed
    ["missing.xml"],                                     # no such file
    ["."],                                               # a folder
    [],                                                  # tei/ by default (there is none here)
])
def test_the_quick_way_answers_as_the_click_command(memo_path: Path, tmp_path: Path, arguments: list[str]) -> None:
    shutil.copy(memo_path, tmp_path / "memo.xml")
    for name in ("duplicate-id.xml", "unclosed-tag.xml"):
        shutil.copy(BROKEN / name, tmp_path / name)
    assert plain_arguments(["validate", *arguments]) is not None
    quick = run(["validate", *arguments], tmp_path)
    through_click = run(["validate", "--format", "text", *arguments], tmp_path)
    assert quick == through_click
    assert "Traceback" not in quick[2]
    assert quick[0] in (0, 1, 2)


def test_the_quick_way_on_the_frus_volume_answers_as_the_click_command(frus_volume: Path, tmp_path: Path) -> None:
    """A large file: its schema checked in a child, the command leaving without teardown."""
    quick = run(["validate", "--tei-all", str(frus_volume)], tmp_path)
    through_click = run(["validate", "--format", "text", "--tei-all", str(frus_volume)], tmp_path)
    assert quick == through_click == (0, "", "1 file checked: 0 errors, 0 warnings\n")


def test_a_closed_pipe_ends_the_quick_way_quietly(tmp_path: Path) -> None:
    """``edition validate broken/ | head -1``: no traceback when the reader goes away."""
    shutil.copytree(BROKEN, tmp_path / "broken")
    done = subprocess.run(f"'{EDITION}' validate broken | head -n 1", shell=True, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
