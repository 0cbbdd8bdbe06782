"""edition/exits.py: how a command ends.  ``leave_after`` skips the interpreter's teardown, so
what it must still do is checked in real processes: the output is whole, the exit code is the
command's, and a thread that is not a daemon is waited for, as an ordinary exit waits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

_LEAVE = """
import sys, threading, time
from pathlib import Path
from edition.exits import leave_after

def command():
    sys.stdout.write("x" * 200_000)   # more than a pipe holds: written as the reader reads
    print("last line")
    if sys.argv[1] == "thread":
        def later():
            time.sleep(0.3)
            Path(sys.argv[2]).write_text("done")
        threading.Thread(target=later).start()
    sys.exit(sys.argv[3] if sys.argv[3].startswith("text") else int(sys.argv[3]))

leave_after(command)
print("never here")
"""


def _leave(tmp_path: Path, mode: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _LEAVE, mode, str(tmp_path / "mark"), code],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("code", ["0", "1", "2"])
def test_leave_after_keeps_the_output_and_the_exit_code(tmp_path: Path, code: str) -> None:
    done = _leave(tmp_path, "plain", code)
    assert done.returncode == int(code)
    assert done.stdout == "x" * 200_000 + "last line\n"
    assert "never here" not in done.stdout and done.stderr == ""


def test_a_message_as_exit_code_is_printed_and_is_exit_1(tmp_path: Path) -> None:
    done = _leave(tmp_path, "plain", "text of a failure")
    assert done.returncode == 1
    assert done.stderr == "text of a failure\n"


def test_a_thread_that_is_not_a_daemon_is_waited_for(tmp_path: Path) -> None:
    done = _leave(tmp_path, "thread", "0")
    assert done.returncode == 0
    assert (tmp_path / "mark").read_text() == "done"  # the teardown's wait, not skipped


def test_findings_are_written_a_block_at_a_time_as_the_same_lines() -> None:
    from edition.exits import LINES_A_WRITE, echo_lines

    writes: list[str] = []
    lines = [f"file.xml:{number}:1: warning W0402: line {number}" for number in range(2 * LINES_A_WRITE + 7)]
    echo_lines(writes.append, iter(lines))
    assert len(writes) == 3
    assert "\n".join(writes) == "\n".join(lines)
    echo_lines(writes.append, [])
    assert len(writes) == 3  # nothing to say: nothing written, not an empty line


def _ours_still_running(mark: str) -> list[str]:
    """Processes that inherited ``EDITION_TEST_MARK=mark``: what a command left running."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"EDITION_TEST_MARK={mark}".encode() in environ.read_bytes().split(b"\0"):
                found.append(environ.parent.name)
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to find the processes left")
@pytest.mark.parametrize(("arguments", "code"), [
    (["-f", "html", "-f", "text", "-f", "cite", "-f", "pdf"], 0),
    (["-f", "html", "broken.xml"], 1),
    (["-f", "no-such-writer"], 2),
])
def test_a_build_that_leaves_without_teardown_leaves_its_edition_whole_and_nothing_behind(
        tmp_path: Path, memo_path: Path, arguments: list[str], code: int) -> None:
    """``edition build`` ends as query and validate do (edition/__main__.py): its report, its exit
    code, its edition swapped in, and no temporary folder, server or worker left behind."""
    (tmp_path / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>open')
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    mark = uuid.uuid4().hex
    env = {**os.environ, "TMPDIR": str(temporary), "EDITION_TEST_MARK": mark}
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, "-P", "-m", "edition", "build", "--out", str(out), *arguments,
                           str(memo_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == code, done.stdout + done.stderr
    if code == 0:
        assert "1 file built: 0 errors" in done.stdout + done.stderr
        assert (out / ".edition-manifest.json").is_file() and list(out.glob("pdf/*.pdf"))
        assert list(tmp_path.glob(".site.tmp-*")) == []  # the temporary edition swapped in, not left
    elif code == 1:
        assert "broken.xml:1:" in done.stdout + done.stderr
    else:
        assert "no-such-writer" in done.stderr and not out.exists()
    for _ in range(50):  # a child that sees its parent gone ends within moments
        if not _ours_still_running(mark):
            break
        time.sleep(0.1)
    assert _ours_still_running(mark) == []
    assert list(temporary.iterdir()) == []
