"""How a command ends when the library raises: the diagnostic's line on stderr and the exit
code of the project's convention (2 usage, 1 content; 130/143 for Ctrl-C and SIGTERM), never a
traceback.  One function, used by the click commands (``edition.cli``) and by the quick way of a
plain query (``edition.query_command``), which must end alike without importing click."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

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
