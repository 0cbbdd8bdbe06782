"""``edition build``'s work, without click, and the entry point's quick way to it.

``edition build [--out DIR] [-f NAME]... [--full] [--no-search] PATH...`` is what most builds
look like, and click's import is 0.015-0.03 s of every one of them: a tenth of a rebuild in
which nothing changed (0.16 s for the FRUS volume and the 63 documents).  The entry point
(:func:`edition.__main__.main`) runs such a command line through :func:`run_plain`, without
click.  Everything else goes through the click command (:mod:`edition.cli`), which calls
:func:`run`; output, messages and exit codes are the same either way
(tests/test_build_command.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["run", "run_plain", "plain_arguments", "Plain"]

Echo = Callable[..., None]

#: The options the quick way takes: each with its value, once (``--format`` repeatable).
_VALUED = {"--out": "out", "-o": "out", "--format": "formats", "-f": "formats"}
#: Its flags, each at most once: ``--full`` and one of the search pair.
_FLAGS = {"--full": ("full", True), "--search": ("search", True), "--no-search": ("search", False)}


def run(paths: Sequence[Path], out: Path | None, formats: Sequence[str], options: Mapping[str, Any],
        full: bool, jobs: int | None, echo: Echo) -> NoReturn:
    """The build command's body (options as :mod:`edition.cli` parses them); exits."""
    from .build import build
    from .exits import echo_lines

    report = build(paths, out=out, formats=formats or None, options=dict(options), jobs=jobs, incremental=not full)
    echo_lines(echo, map(str, report.diagnostics))
    echo(report.summary(), err=True)
    sys.exit(report.exit_code)


#: What :func:`plain_arguments` reads: paths, ``--out``, the formats, the options, ``--full``.
Plain = tuple[tuple[Path, ...], Path | None, tuple[str, ...], dict[str, Any], bool]


def plain_arguments(argv: list[str]) -> Plain | None:
    """Paths, ``--out``, the formats, the options and ``--full`` of ``edition build``, when the
    command line holds nothing else than paths and those options (no ``--``, no value that is
    empty or an option, no shell completion asked for), else None: click's business."""
    from .exits import completion_asked

    if not argv or argv[0] != "build" or completion_asked():
        return None
    paths: list[Path] = []
    out: Path | None = None
    formats: list[str] = []
    options: dict[str, Any] = {}
    full = False
    seen: set[str] = set()
    rest = iter(argv[1:])
    for argument in rest:
        if not argument.startswith("-"):
            paths.append(Path(argument))
            continue
        name, _, attached = argument.partition("=") if argument.startswith("--") else (argument, "", "")
        if name in _VALUED:
            value = attached if attached or "=" in argument else next(rest, "")
            if not value or value.startswith("-") or (_VALUED[name] == "out" and out is not None):
                return None
            if _VALUED[name] == "out":
                out = Path(value)
            else:
                formats.append(value)
        elif name in _FLAGS and not attached and "=" not in argument:
            field, value_of_flag = _FLAGS[name]
            if field in seen:
                return None
            seen.add(field)
            if field == "full":
                full = True
            else:
                options[field] = value_of_flag
        else:
            return None
    return tuple(paths), out, tuple(formats), options, full


def run_plain(paths: tuple[Path, ...], out: Path | None, formats: tuple[str, ...], options: dict[str, Any],
              full: bool) -> NoReturn:
    """``edition build`` with every other option at its default, as the click command runs it;
    exits through :func:`edition.exits.leave_after`."""
    from .exits import echo, leave_after, without_click

    leave_after(lambda: without_click(lambda: run(paths, out, formats, options, full, None, echo)))
