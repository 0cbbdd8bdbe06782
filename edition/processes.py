"""Worker processes that die with the build, and signals that stop it cleanly.

A build's workers are forked; without care, a SIGTERM or SIGKILL to the main
process leaves them running, orphaned, writing into a folder nobody will swap
in, and Ctrl-C prints one traceback per worker.  So:

- every worker asks the kernel to kill it when its parent dies
  (``PR_SET_PDEATHSIG``), and ignores SIGINT, which Ctrl-C sends to the whole
  process group: the main process decides, and kills the workers itself;
- the main process turns SIGTERM into :class:`Terminated`, a
  ``KeyboardInterrupt``, so that the same ``finally`` blocks that clean up after
  Ctrl-C clean up after ``kill``; the command exits 130 or 143 without a traceback
  (an interrupt raised while a finalizer runs is swallowed by Python: it is raised
  again at the next :func:`checkpoint`);
- temporary folders carry the process id of their maker, so that the next run
  removes those of a process that no longer exists (after a SIGKILL, which no
  handler can see).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt."""

    exit_code = 143


def interrupted_exit_code(error: KeyboardInterrupt) -> int:
    return getattr(error, "exit_code", 130)


#: Signals received in :func:`signals_as_interrupts`: an exception raised by a handler is
#: lost when the main thread is running a garbage-collector callback or a ``__del__`` at
#: that moment ("Exception ignored in ..."), so :func:`checkpoint` raises it again.
_RECEIVED: list[int] = []


def _interrupt(number: int) -> KeyboardInterrupt:
    return Terminated() if number == signal.SIGTERM else KeyboardInterrupt()


def _raise_interrupt(number: int, frame: FrameType | None) -> None:
    _RECEIVED.append(number)
    raise _interrupt(number)


def checkpoint() -> None:
    """Raise the interrupt of a signal received earlier whose exception was swallowed."""
    if _RECEIVED:
        raise _interrupt(_RECEIVED[0])


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated`, SIGINT ``KeyboardInterrupt``, while the block runs
    (main thread only), and never only once: see :func:`checkpoint`, also run at the end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _RECEIVED.clear()
    # a signal ignored by whoever started us (a background job's SIGINT) stays ignored
    before = {number: signal.signal(number, _raise_interrupt) for number in (signal.SIGTERM, signal.SIGINT)
              if signal.getsignal(number) is not signal.SIG_IGN}
    try:
        yield
        checkpoint()
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        _RECEIVED.clear()


def worker_setup(parent: int) -> None:
    """Initializer of every worker process (runs first, in the child)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before prctl: nobody will read our work
        os._exit(1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while workers are forked, so that none of them is born
    between the fork and :func:`worker_setup` with Python's own handlers (a traceback
    each); a signal that arrives meanwhile is delivered to the main process after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def kill_workers() -> None:
    """Kill this process's multiprocessing children now (an interrupted build)."""
    children = multiprocessing.active_children()
    for child in children:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            child.kill()
    for child in children:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            child.join(5)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: Prefix of the print route's temporary folders; the process id follows.
PRINT_PREFIX = "edition-print-"
_OWNED = re.compile(rf"^{re.escape(PRINT_PREFIX)}(\d+)-")


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder named after this process, for :func:`clean_dead_temporaries`."""
    return tempfile.TemporaryDirectory(prefix=f"{PRINT_PREFIX}{os.getpid()}-")


def clean_dead_temporaries() -> None:
    """Remove print temporary folders whose process is gone (a SIGKILLed build)."""
    root = Path(tempfile.gettempdir())
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        found = _OWNED.match(entry.name)
        if found and not alive(int(found.group(1))):
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid():
                    shutil.rmtree(entry.path, ignore_errors=True)
