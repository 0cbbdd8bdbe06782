"""How a command ends.

:func:`ending_cleanly`: when the library raises, the diagnostic's line on stderr and the exit
code of the project's convention (2 usage, 1 content; 130/143 for Ctrl-C and SIGTERM), never a
traceback; used by the click commands (``edition.cli``) and by the quick way of a plain query
or validation (:func:`without_click`), which must end alike without importing click.

:func:`leave_after`: a command line that has done its work leaves without the interpreter's
teardown, which frees a large document's tree object by object (0.035 s of a 0.27 s
validation of the FRUS volume), unloads Saxon (0.01 s of a query) and frees a build's
records, tables and modules (about 0.04 s of the FRUS volume's build)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

from .diagnostics import EditionError, EditionUsageError

T = TypeVar("T")


def ending_cleanly(call: Callable[[], T], echo: Callable[..., Any]) -> T:
    """``call()``; an :class:`EditionError` or an interrupt becomes a line through ``echo``
    (``echo(line, err=True)``) and :func:`sys.exit` with its code."""
    try:
        return call()
    except EditionUsageError as error:
        echo(str(error.diagnostic), err=True)
        sys.exit(2)
    except EditionError as error:
        echo(str(error.diagnostic), err=True)
        sys.exit(1)
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM during a build (edition/processes.py)
        from .processes import interrupted_exit_code

        code = interrupted_exit_code(error)
        echo(f"edition: {'terminated' if code == 143 else 'interrupted'}; nothing was replaced "
             "(an edition being built is discarded)", err=True)
        sys.exit(code)


def leave_after(command: Callable[[], object]) -> NoReturn:
    """Run a command line (which ends by ``sys.exit``), then end the process by :func:`leave`."""
    try:
        command()
    except SystemExit as ended:
        code = ended.code
    else:
        code = 0
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    leave(int(code or 0))


def leave(code: int) -> NoReturn:
    """Flush the output and end the process without the interpreter's teardown.

    Only what the teardown would have freed is skipped: the commands that end this way
    (``query``, ``validate``, ``build``) have by then closed what they wrote (the cache and
    the manifest are whole files renamed into place, the edition is swapped in or discarded),
    shut their worker pool down, reaped their children and left the cluster; a Typst server
    still running sees its input end and ends.  A thread that is not a daemon, which the
    teardown would wait for, makes this an ordinary exit."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: what was written is all the reader wanted
            code = code or 1
    if any(thread.is_alive() and not thread.daemon for thread in threading.enumerate()
           if thread is not threading.main_thread()):
        sys.exit(code)
    os._exit(code)


# -- the quick way: a command line run without click ---------------------------------------

def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """click.echo of a text, for the streams click writes to unchanged (UTF-8, no escape
    sequence to strip): anything else is handed to click.echo itself."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if "\x1b" in message or (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8" \
            or not hasattr(stream, "buffer"):
        import click

        click.echo(message, err=err, nl=nl)
        return
    stream.write(message + "\n" if nl else message)
    stream.flush()


#: Lines a command's findings are written in at a time: one write (and flush) a line was 0.04 s
#: of 5,000 findings, a twentieth of an unchanged rebuild of 5,000 files.
LINES_A_WRITE = 1000


def echo_lines(echo: Callable[..., Any], lines: Iterable[str]) -> None:
    """``echo`` each line, a block of :data:`LINES_A_WRITE` lines at a time (the same text)."""
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) == LINES_A_WRITE:
            echo("\n".join(block))
            block.clear()
    if block:
        echo("\n".join(block))


def completion_asked() -> bool:
    """Whether the shell asks click to complete a command line (``_EDITION_COMPLETE`` and the
    like): the quick ways leave that to click."""
    return any(name.endswith("_COMPLETE") for name in os.environ)


def without_click(body: Callable[[], None]) -> NoReturn:
    """Run a command's body as its click command runs it when every option is at its default:
    the decorators of :mod:`edition.cli` (``_include_options``, ``_fail_cleanly``,
    ``_scheduler_option``) and click's own handling of a closed pipe and of Ctrl-C; exits."""
    import errno

    from .cluster import connected
    from .xinclude import settings

    def in_no_cluster() -> None:
        with connected(None):
            body()

    try:
        with settings(root=None, enabled=True):
            ending_cleanly(in_no_cluster, echo)
    except (EOFError, KeyboardInterrupt):
        echo("", err=True)
        echo("Aborted!", err=True)
        sys.exit(1)
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        from click.utils import _PacifyFlushWrapper

        sys.stdout = _PacifyFlushWrapper(sys.stdout)
        sys.stderr = _PacifyFlushWrapper(sys.stderr)
        sys.exit(1)
    sys.exit(0)
