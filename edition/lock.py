"""One build at a time per output folder: an advisory lock beside ``--out``.

The lock is ``flock`` on ``.<out>.lock`` in the output's parent folder (not in the
output, which the build replaces as a whole).  A second build into the same
folder fails at once with E0605, naming the process that holds it, instead of
waiting: a build can take minutes, and a user who started two by mistake wants
to know now.  The kernel drops a ``flock`` when its holder dies, so a lock file
left by a killed build is simply taken over; the process id written into it is
only for the message.  A build removes the file as it lets go (before, not after,
closing it: a build that opened the old file sees that it is gone and opens the new).
Forked children (the render workers) close their copy of the descriptor at once,
so that a worker can never keep the lock of a dead build.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from .diagnostics import EditionOutputError
from .paths import shown_path

_HELD: set[int] = set()


def _close_in_child() -> None:
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


def lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.lock")


class OutputLock:
    """``with OutputLock(out):`` holds the output folder's lock or raises E0605."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = lock_path(out)
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
                os.close(fd)
                raise EditionOutputError.at(
                    "E0605", f"another build (process {holder}) is writing {shown_path(self.out)}; wait for "
                    "it to finish or build into another folder", path=shown_path(self.out)) from None
            except BaseException:
                os.close(fd)
                raise
            # the holder before us removes the file as it lets go: a lock on a file that is no
            # longer at this path locks nothing, so take the one that is there now
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self.fd = fd
        _HELD.add(fd)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.fd is not None:
            _HELD.discard(self.fd)
            with contextlib.suppress(OSError):
                os.unlink(self.path)  # while still held: no litter beside the output
            os.close(self.fd)
            self.fd = None
