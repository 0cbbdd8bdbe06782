"""``edition query``'s work, without click, and the entry point's quick way to it.

``edition query EXPR PATH...`` (no option) is what most queries look like, and a query
on a single memo takes less time than importing click (0.02 s of a 0.14 s run): the
entry point (:func:`edition.__main__.main`) runs such a command line through
:func:`run_plain` without importing click or the other commands.  Everything else goes
through the click command (:mod:`edition.cli`), which calls :func:`run` with the same
defaults; output, messages and exit codes are the same either way (tests/test_cli.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

__all__ = ["run", "run_plain", "plain_arguments", "leave_after"]

Echo = Callable[..., None]


def run(arguments: tuple[str, ...], named: str | None, list_queries: bool, queries_file: Path | None,
        variables: tuple[str, ...], namespaces: tuple[str, ...], output_format: str, count: bool,
        kwic: str | None, kwic_words: int, engine: str, timeout: float, limit: int, max_memory: int,
        allowed: tuple[str, ...], jobs: int | None, echo: Echo) -> None:
    """The query command's body (options as :mod:`edition.cli` parses them); exits."""
    from .diagnostics import EditionUsageError
    from .query import parse_bindings
    from .query_output import Output, write_results

    rest = list(arguments)
    if named is None and rest and rest[0].startswith("@") and rest[0][1:].replace("-", "_").isidentifier():
        named = rest.pop(0)[1:]
    if list_queries or named is not None or queries_file is not None:
        # the catalogue (and a user's TOML file) only when named queries are asked for: the
        # start-up of a plain query does not pay for them
        from .queries import list_lines, lookup, named_queries

        catalogue = named_queries(queries_file)
        if list_queries:
            for line in list_lines(catalogue):
                echo(line)
            return
        chosen = lookup(named, catalogue) if named is not None else None
    else:
        chosen = None
    if chosen is None:
        if not rest:
            raise EditionUsageError.at("E0901", "give an XPath expression (or --named NAME, or --list)")
        expression = rest.pop(0)
    bound_ns = parse_bindings(namespaces, "--ns")
    bound_vars = parse_bindings(variables, "--var")
    wants_markup = output_format == "xml" and not count and not kwic
    from .query import Plan, run_files, watch_query
    if chosen is not None:
        plan = chosen.plan(bound_ns, bound_vars, engine, wants_markup)
    else:
        plan = Plan(expression, tuple(sorted(bound_ns.items())), tuple(sorted(bound_vars.items())),
                    engine, markup=wants_markup)
    plan = plan._replace(limit=limit, allow=tuple(allowed))
    end_watch = watch_query(plan, output_format, timeout, max_memory, echo, lambda line: echo(line, err=True))
    try:
        results = run_files(plan, rest or [Path("tei")], jobs=jobs)
        output = Output(output_format, count, kwic or "", kwic_words)
        status = write_results(results, output, echo, lambda line: echo(line, err=True), chosen)
    finally:
        end_watch()
    sys.exit(status)


# -- the quick way ---------------------------------------------------------------------

def plain_arguments(argv: list[str]) -> tuple[str, ...] | None:
    """The arguments of ``edition query ARG...`` when the command line holds nothing else
    (no option, no ``--``, no shell completion asked for), else None: click's business."""
    import os

    if len(argv) < 2 or argv[0] != "query" or any(argument.startswith("-") for argument in argv[1:]):
        return None
    if any(name.endswith("_COMPLETE") for name in os.environ):
        return None
    return tuple(argv[1:])


def _echo(message: str = "", err: bool = False) -> None:
    """click.echo of a line, for the streams click writes to unchanged (UTF-8, no escape
    sequence to strip): anything else is handed to click.echo itself."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if "\x1b" in message or (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8" \
            or not hasattr(stream, "buffer"):
        import click

        click.echo(message, err=err)
        return
    stream.write(message + "\n")
    stream.flush()


def run_plain(arguments: tuple[str, ...]) -> None:
    """``edition query ARG...`` with every option at its default, as the click command runs
    it (its decorators: :func:`edition.cli._include_options`, ``_fail_cleanly``,
    ``_scheduler_option``; click's own handling of a closed pipe and of Ctrl-C); exits
    through :func:`_leave`."""
    leave_after(lambda: _run_plain(arguments))


def leave_after(command: Callable[[], object]) -> NoReturn:
    """Run a query's command line (which ends by ``sys.exit``), then leave by :func:`_leave`:
    the entry point's way for every ``edition query`` command line, quick or through click."""
    try:
        command()
    except SystemExit as ended:
        code = ended.code
    else:
        code = 0
    if isinstance(code, str):
        _echo(code, err=True)
        code = 1
    _leave(int(code or 0))


def _leave(code: int) -> NoReturn:
    """Flush the output and end the process without the interpreter's teardown: unloading
    lxml and shutting Saxon's GraalVM isolate down take 0.01 s, a tenth of a query on a memo.
    Nothing of a query waits for the teardown: the watch is ended (its shell killed and
    reaped), no file is open for writing, no worker or thread is left that holds data."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: what was written is all the reader wanted
            code = code or 1
    os._exit(code)


def _run_plain(arguments: tuple[str, ...]) -> None:
    import errno

    from .exits import ending_cleanly
    from .xinclude import settings

    def body() -> None:
        from .cluster import connected

        with connected(None):
            run(arguments, None, False, None, (), (), "text", False, None, 5, "auto", 60.0, 1_000_000,
                4096, (), None, _echo)

    try:
        with settings(root=None, enabled=True):
            ending_cleanly(body, _echo)
    except (EOFError, KeyboardInterrupt):
        _echo("", err=True)
        _echo("Aborted!", err=True)
        sys.exit(1)
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        from click.utils import _PacifyFlushWrapper

        sys.stdout = _PacifyFlushWrapper(sys.stdout)
        sys.stderr = _PacifyFlushWrapper(sys.stderr)
        sys.exit(1)
    sys.exit(0)
