"""What a query may do: functions that reach outside the inputs, characters, and budgets.

- Functions that read files, URLs or the environment (:data:`REFUSED`) are
  refused (E0505) unless enabled by name (``--allow doc``): a query over an
  edition should answer from the edition, and a shared query file should not
  be able to read ``/etc/passwd`` or ``$HOME`` on the machine that runs it.
  ``function-lookup`` is refused with them, since it can reach any of them
  by name at run time.
- Characters that XML 1.0 does not allow (U+0001…) are refused, located.
- Nesting deeper than :data:`MAX_NESTING` brackets is refused before any
  engine's parser recurses on it.
- :func:`watchdog` bounds a whole run in time and memory: when either is
  exceeded it reports E0504 and ends the process with exit 1 (an engine
  evaluating in native code cannot be interrupted more gently).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["REFUSED", "MAX_NESTING", "refused_functions", "invalid_character", "nesting_depth", "watchdog",
           "DEFAULT_TIMEOUT", "DEFAULT_LIMIT", "DEFAULT_MEMORY_MB"]

#: Refused unless enabled, and why.
REFUSED: dict[str, str] = {
    "doc": "reads an XML file or URL",
    "doc-available": "probes files and URLs",
    "collection": "reads a collection of files",
    "uri-collection": "lists files",
    "unparsed-text": "reads a text file or URL",
    "unparsed-text-lines": "reads a text file or URL",
    "unparsed-text-available": "probes files and URLs",
    "json-doc": "reads a JSON file or URL",
    "environment-variable": "reads the environment (secrets live there)",
    "available-environment-variables": "lists the environment",
    "function-lookup": "finds any function by name at run time, the refused ones too",
    "transform": "runs an XSLT transformation that can read and write files",
    "load-xquery-module": "loads code from a file",
}

DEFAULT_TIMEOUT = 60.0
#: Items in one result before the rest is cut (E0504): a million hits is past reading.
DEFAULT_LIMIT = 1_000_000
DEFAULT_MEMORY_MB = 4096
#: Brackets nested deeper than this are refused: the engines' parsers recurse on them.
MAX_NESTING = 10_000

_LITERAL_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_NAMES = "|".join(sorted((re.escape(name) for name in REFUSED), key=len, reverse=True))
_CALL = r"(?<![\w.\-:}])(?:fn:|Q\{http://www\.w3\.org/2005/xpath-functions\})?" rf"({_NAMES})\s*(?:\(|#)"
_SAXON = r"(?<![\w.\-])(?:saxon:|Q\{http://saxon\.sf\.net/\})[\w.\-]+\s*(?:\(|#)"
_COMPILED: list[re.Pattern[str]] = []


def _patterns() -> list[re.Pattern[str]]:
    """The two patterns, compiled on the first expression that names a refused function (most
    never do, and compiling them is a millisecond of a small query's start-up)."""
    if not _COMPILED:
        _COMPILED.extend((re.compile(_CALL), re.compile(_SAXON)))
    return _COMPILED


def _blank(expression: str) -> str:
    """The expression with string literals and comments blanked (same length, same offsets)."""
    if "(:" not in expression and "'" not in expression and '"' not in expression:
        return expression  # nothing to blank (most queries): no walk, character by character
    out: list[str] = []
    depth = 0
    index = 0
    length = len(expression)
    while index < length:
        if expression.startswith("(:", index):
            depth += 1
            out.append("  ")
            index += 2
            continue
        if depth and expression.startswith(":)", index):
            depth -= 1
            out.append("  ")
            index += 2
            continue
        if depth:
            out.append("\n" if expression[index] == "\n" else " ")
            index += 1
            continue
        match = _LITERAL_OR_COMMENT.match(expression, index)
        if match:
            out.append(" " * len(match.group(0)))
            index = match.end()
            continue
        out.append(expression[index])
        index += 1
    return "".join(out)


def refused_functions(expression: str, allowed: Iterable[str] = ()) -> list[tuple[str, int]]:
    """(function name, offset) of each call or reference to a refused function."""
    if "saxon" not in expression and not any(name in expression for name in REFUSED):
        return []
    call, saxon = _patterns()
    blank = _blank(expression)
    allow = set(allowed)
    found = [(m.group(1), m.start()) for m in call.finditer(blank) if m.group(1) not in allow]
    found += [(m.group(0).split("(")[0].split("#")[0].strip(), m.start()) for m in saxon.finditer(blank)]
    return sorted(found, key=lambda pair: pair[1])


_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def invalid_character(expression: str) -> int:
    """Offset of the first character XML 1.0 does not allow, or -1."""
    match = _INVALID.search(expression)
    return match.start() if match else -1


def nesting_depth(expression: str) -> tuple[int, int]:
    """(deepest bracket nesting, offset where it is first reached) outside literals and comments."""
    depth = deepest = 0
    where = 0
    for index, char in enumerate(_blank(expression)):
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, index
        elif char in ")]}":
            depth -= 1
    return deepest, where


def line_column(expression: str, offset: int) -> tuple[int, int]:
    before = expression[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _resident_mb() -> float:
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):  # not Linux: the memory bound is off
        return 0.0


#: Seconds past the time budget after which a run that the watch thread could not stop (an engine
#: evaluating in native code holds the interpreter) is ended from outside the interpreter.
HARD_STOP_GRACE = 1.0
_DEVNULL: list[Any] = []


def watchdog(timeout: float, memory_mb: float, stop: Callable[[str], None],
             last_words: Callable[[str], tuple[str, str]] | None = None) -> Callable[[], None]:
    """Watch the run from a thread; when it has run ``timeout`` seconds or holds more than
    ``memory_mb`` MB, call ``stop(reason)`` (which reports) and end the process with exit 1.

    Saxon evaluates in native code without letting the watch thread run, so the time budget
    is also kept from outside the interpreter: a small shell process prints ``last_words``
    (stdout, stderr) at ``timeout`` + :data:`HARD_STOP_GRACE`, and faulthandler's C watch
    thread, which needs no interpreter lock, ends the process with exit 1 just after.
    Returns a function that ends the watch."""
    done = threading.Event()
    start = time.monotonic()

    def watch() -> None:
        while not done.wait(0.05):
            reason = ""
            if timeout and time.monotonic() - start > timeout:
                reason = f"the query ran longer than its time budget of {timeout:g} s (--timeout)"
            elif memory_mb and _resident_mb() > memory_mb:
                reason = f"the query used more than its memory budget of {memory_mb:g} MB (--max-memory)"
            if reason:
                try:
                    stop(reason)
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    if sleeper is not None:  # an ending it knows of: not one to report again
                        with contextlib.suppress(OSError):
                            os.killpg(sleeper, signal.SIGKILL)
                    os._exit(1)

    hard_stop = _hard_stop(timeout, last_words) if timeout and last_words is not None else None
    sleeper = hard_stop[0] if hard_stop is not None else None
    thread = threading.Thread(target=watch, name="query-watchdog", daemon=True)
    thread.start()

    def end() -> None:
        done.set()
        if sleeper is not None:
            faulthandler.cancel_dump_traceback_later()
            # the whole group: the shell's `sleep` child holds the inherited stderr, and a caller
            # reading this process's output to its end would wait for it
            with contextlib.suppress(OSError):
                os.killpg(sleeper, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(sleeper, 0)
        if hard_stop is not None:
            os.close(hard_stop[1])

    return end


#: Why the watch's shell reports a process that ended while the watch was on: Saxon ends the whole
#: process (exit 99) when a recursion outgrows the native stack, and says so only on the stderr
#: that it is not given while it evaluates.
ENDED_EARLY = ("the query's process ended before the query did: a recursion deeper than Saxon's native "
               "stack (some 10,000 levels) ends it, as does a signal; bound the recursion")

# The watch from outside: the time budget (a sleep, then the last words; then the shell ends
# its process group) and the process's own end, seen as the end of a pipe only it writes to;
# the process ends the shell's group before any ending it knows of, so an end of the pipe the
# shell sees is an ending the process did not know of.
# (not `kill -0` on the process: just ended, it is a zombie until its parent reaps it, and
# signals still reach a zombie)
_WATCH_SHELL = ('( sleep "$1"; kill -0 "$2" 2>/dev/null || exit 0; printf "%s\\n" "$3" >&2; '
                '[ -z "$4" ] || printf "%s\\n" "$4"; kill 0 ) & '
                'read -r _ <&3; printf "%s\\n" "$5" >&2; kill 0')


def _hard_stop(timeout: float, last_words: Callable[[str], tuple[str, str]]) -> tuple[int, int] | None:
    """Start the shell that keeps the time budget from outside and reports the process's
    early end, and faulthandler's watch: the shell's process id (also its process group's)
    and the pipe's end that this process holds open while the watch is on."""
    reason = f"the query ran longer than its time budget of {timeout:g} s (--timeout)"
    out, err = last_words(reason)
    _, ended = last_words(ENDED_EARLY)
    # posix_spawn, not subprocess: the same child without importing subprocess or forking
    # this (large) process; a query of a small file is mostly start-up
    reader, writer = os.pipe()
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, reader, 3)]
    if not out:
        actions.append((os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0))
    try:
        sleeper = os.posix_spawn(
            "/bin/sh", ["/bin/sh", "-c", _WATCH_SHELL, "edition-query-watch", f"{timeout + HARD_STOP_GRACE:.3f}",
                        str(os.getpid()), err, out, ended],
            os.environ, file_actions=actions, setsid=True)
    except (OSError, AttributeError, NotImplementedError):  # no shell, no posix_spawn: the watch thread alone
        os.close(writer)
        return None
    finally:
        os.close(reader)
    if not _DEVNULL:
        _DEVNULL.append(open(os.devnull, "w"))  # noqa: SIM115 - kept open for the C thread
    faulthandler.dump_traceback_later(timeout + HARD_STOP_GRACE + 0.3, exit=True, file=_DEVNULL[0])
    return sleeper, writer
