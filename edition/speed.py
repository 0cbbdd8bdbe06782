"""The toolkit's speed machinery, in one place, each piece with the reason it exists.

None of this changes a finding or an output byte; each piece only moves work to where it
costs less, and each was kept because a measurement on the FRUS volume or the memo asked
for it (``bench/``):

* :class:`Background`: a function on a second thread.  lxml releases the GIL while
  libxml2 compiles a schema, so our XSD's compilation (0.15 s) overlaps the imports, the
  parsing and the rules of a corpus instead of preceding them.  Validation itself is not
  threaded: that needs a second parse of each file (libxml2's dictionaries are not
  thread-safe), which doubled the tree's memory on the FRUS volume and saved nothing on a
  quiet machine (0.30 s against 0.26 s), so that path was removed.
* :func:`finishes_in_time`: a trial run in a forked child with a time limit.  libxml2
  compiles the attribute-specialised tei_all grammars in milliseconds but takes minutes
  over a few (a self-recursive element such as ``citeStructure``); the first compilation
  of each grammar is tried in a child that is killed when late, and a refusal is
  remembered in the cache folder (:mod:`edition.schema.tei_all`).
* :func:`in_child`: work started in a forked child, its result read back through a pipe.
  One large file's schema (libxml2's RELAX NG or XSD, 0.04 s on the FRUS volume) is checked
  on the second core while this one runs the rules and the Schematron (0.06 s), on the same
  tree: the child has its own copy of the pages, so nothing is shared between threads (see
  Background).  The walks over every element are made before the fork, since lxml writes
  into each element it hands to Python, and a page written after the fork is copied first.
  The findings are the same, in the same order; a child that fails is replaced by the work
  done here.
* :func:`give_back_memory`: glibc's ``malloc_trim`` once a build that rendered its pages in its
  own process has released its parsed files, so that the parsed volume's C heap (20 MiB) goes
  back to the system before the index pages and the manifest.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Background(threading.Thread):
    """One function run on a daemon thread; :meth:`result` waits, then returns or raises."""

    def __init__(self, function: Callable[[], object], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._function = function
        self._value: object = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._function()
        except BaseException as error:  # noqa: BLE001 - re-raised by result(), in the caller's thread
            self._error = error

    def result(self) -> object:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def finishes_in_time(work: Callable[[], object], seconds: float) -> bool:
    """Whether ``work`` returns without an exception within ``seconds``, tried in a forked child.

    False where processes cannot fork.  The child shares nothing back: this only answers
    whether doing the work here, afterwards, is safe to wait for."""
    if not hasattr(os, "fork"):
        return False
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + seconds
    pause = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def in_child(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work`` in a forked child now; the function returned waits for its result.

    Where this process cannot fork safely (no fork, another thread running) nothing is
    started and the function returned does the work when called; so does it when the child
    fails (an exception in ``work`` is then raised here, as it would have been)."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return work
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as stream:
                stream.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)

    def result() -> T:
        with os.fdopen(read, "rb") as stream:
            data = stream.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0 or not data:
            return work()
        return pickle.loads(data)  # our own child's bytes

    return result


def give_back_memory() -> None:
    """Return the C heap's free pages to the system.

    Python's small objects live in arenas of their own, so what libxml2 freed (a parsed volume,
    let go of by :meth:`edition.document.Document.release`, without waiting for the cycle
    collector) would otherwise stay resident, unused, under everything made afterwards."""
    import ctypes  # here: validation never needs it (2-3 ms to import)

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)
