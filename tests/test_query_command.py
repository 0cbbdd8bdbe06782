"""edition/query_command.py: ``edition query EXPR PATH...`` without options takes the quick
way (no click); every answer of it, output, messages and exit status, is the one the click
command gives.  Both run as real processes of the installed ``edition`` command, the click
command reached through an option at its default value (``--format text``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from commands import EDITION, run_edition

from edition.query_command import plain_arguments


def run(arguments: list[str], folder: Path, stdin: str | None = None) -> tuple[int, str, str]:
    return run_edition(arguments, folder, stdin, timeout=120)


def test_the_quick_way_is_taken_only_for_plain_command_lines() -> None:
    assert plain_arguments(["query", "//p", "a.xml"]) == ("//p", "a.xml")
    assert plain_arguments(["query", "//p"]) == ("//p",)
    assert plain_arguments(["query"]) is None  # click's usage message
    assert plain_arguments(["query", "--count", "//p"]) is None
    assert plain_arguments(["query", "//p", "--", "-odd.xml"]) is None
    assert plain_arguments(["validate", "a.xml"]) is None
    assert plain_arguments(["--help"]) is None


@pytest.mark.parametrize("arguments", [
    ["//persName", "memo.xml"],                          # hits
    ["//p[@rend='nothing']", "memo.xml"],                # no hit
    ["count(//p)", "memo.xml"],                          # a value, not a node
    ["//p[", "memo.xml"],                                # a syntax error: caret, exit 2
    ["$year", "memo.xml"],                               # an unbound variable
    ["//p", "missing.xml"],                              # a missing file
    ["//p", "broken.xml"],                               # a file that is not well-formed
    ["@persons", "memo.xml"],                            # a named query
    ["@no_such_query", "memo.xml"],                      # an unknown one
    ["//pb/@n", "."],                                    # a folder
])
def test_the_quick_way_answers_as_the_click_command(memo_path: Path, tmp_path: Path, arguments: list[str]) -> None:
    (tmp_path / "memo.xml").write_bytes(memo_path.read_bytes())
    (tmp_path / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text>\n<p>open</text></TEI>\n',
                                         encoding="utf-8")
    assert plain_arguments(["query", *arguments]) is not None
    quick = run(["query", *arguments], tmp_path)
    through_click = run(["query", "--format", "text", *arguments], tmp_path)
    assert quick == through_click
    assert "Traceback" not in quick[2]
    assert quick[0] in (0, 1, 2)


def test_a_closed_pipe_ends_the_quick_way_quietly(memo_path: Path, tmp_path: Path) -> None:
    """``edition query //node() memo.xml | head -1``: no traceback when the reader goes away."""
    (tmp_path / "memo.xml").write_bytes(memo_path.read_bytes())
    done = subprocess.run(f"'{EDITION}' query '//node()' memo.xml | head -n 1", shell=True, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
