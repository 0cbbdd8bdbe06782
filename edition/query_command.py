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

__all__ = ["run", "run_plain", "plain_arguments"]

Echo = Callable[..., None]


def run(arguments: tuple[str, ...], named: str | None, list_queries: bool, queries_file: Path | None,
        variables: tuple[str, ...], namespaces: tuple[str, ...], output_format: str, count: bool,
        kwic: str | None, kwic_words: int, engine: str, timeout: float, limit: int, max_memory: int,
        allowed: tuple[str, ...], jobs: int | None, echo: Echo) -> None:
    """The query command's body (options as :mod:`edition.cli` parses them); exits."""
    from .diagnostics import EditionUsageError
    from .document import sources_or_default
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
        results = run_files(plan, sources_or_default(rest, "query EXPRESSION"), jobs=jobs)
        output = Output(output_format, count, kwic or "", kwic_words)
        status = write_results(results, output, echo, lambda line: echo(line, err=True), chosen)
    finally:
        end_watch()
    sys.exit(status)


# -- the quick way ---------------------------------------------------------------------

def plain_arguments(argv: list[str]) -> tuple[str, ...] | None:
    """The arguments of ``edition query ARG...`` when the command line holds nothing else
    (no option, no ``--``, no shell completion asked for), else None: click's business."""
    from .exits import completion_asked

    if len(argv) < 2 or argv[0] != "query" or any(argument.startswith("-") for argument in argv[1:]):
        return None
    if completion_asked():
        return None
    return tuple(argv[1:])


def run_plain(arguments: tuple[str, ...]) -> None:
    """``edition query ARG...`` with every option at its default, as the click command runs
    it (its decorators: :func:`edition.cli._include_options`, ``_fail_cleanly``,
    ``_scheduler_option``; click's own handling of a closed pipe and of Ctrl-C); exits
    through :func:`edition.exits.leave_after`."""
    from .exits import leave_after

    leave_after(lambda: _run_plain(arguments))


def _run_plain(arguments: tuple[str, ...]) -> None:
    from .exits import echo, without_click

    without_click(lambda: run(arguments, None, False, None, (), (), "text", False, None, 5, "auto", 60.0,
                              1_000_000, 4096, (), None, echo))
