"""The time and memory watch of `edition query` ends with the command.

A library or test process lives on after a query run through the CLI layer (CliRunner, a
notebook): a watch left running would end that process once its budget had passed.
"""

from __future__ import annotations

import threading

from click.testing import CliRunner
from conftest import MEMO

from edition.cli import cli


def _watches() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "query-watchdog" and thread.is_alive()]


def test_the_watch_ends_when_the_query_ends() -> None:
    before = len(_watches())
    result = CliRunner().invoke(cli, ["query", "--timeout", "30", "--count", "//persName", str(MEMO)])
    assert result.exit_code == 0, result.output
    for thread in _watches()[before:]:
        thread.join(timeout=5)
    assert len(_watches()) == before


def test_the_watch_ends_when_the_query_fails() -> None:
    before = len(_watches())
    result = CliRunner().invoke(cli, ["query", "--timeout", "30", "xs:date('nonsense')", str(MEMO)])
    assert result.exit_code == 1, result.output
    for thread in _watches()[before:]:
        thread.join(timeout=5)
    assert len(_watches()) == before


def test_nothing_of_the_watch_outlives_the_command() -> None:
    """The hard stop's shell (and its `sleep`) go with the command: a caller that reads the
    command's output to its end is not kept waiting for the budget to run out."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-P", "-m", "edition", "query", "--timeout", "600", "--count",
                           "//persName", str(MEMO)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("15")
