"""``edition validate``'s work, without click, and the entry point's quick way to it.

``edition validate PATH...``, with at most the flags that choose the checks
(:data:`QUICK_FLAGS`), is what most validations look like, and on one large file click's
import is a tenth of the run (0.02 s of 0.23 s on the FRUS volume): the entry point
(:func:`edition.__main__.main`) runs such a command line through :func:`run_plain`, without
click.  Everything else goes through the
click command (:mod:`edition.cli`), which calls :func:`run`; output, messages and exit codes
are the same either way (tests/test_validate_command.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["run", "run_plain", "plain_arguments"]

Echo = Callable[..., None]


def run(paths: Sequence[Path], schema_file: Path | None, tei_all: bool, no_schema: bool, no_rules: bool,
        schematron_files: Sequence[Path], phase: str | None, no_schematron: bool, output_format: str,
        jobs: int | None, echo: Echo) -> NoReturn:
    """The validate command's body (options as :mod:`edition.cli` parses them); exits."""
    from .diagnostics import EditionUsageError, to_json
    from .document import sources_or_default
    from .exits import echo_lines
    from .schematron_select import SchematronOptions, to_svrl
    from .validate import validate

    chosen = [flag for flag in (schema_file is not None, tei_all, no_schema) if flag]
    if len(chosen) > 1:
        raise EditionUsageError.at("E0901", "choose one of --schema, --tei-all and --no-schema")
    schema: Any = None
    if schema_file is not None:
        schema = schema_file
    elif tei_all:
        schema = "tei-all"
    elif no_schema:
        schema = "none"
    if no_schematron and (schematron_files or phase):
        raise EditionUsageError.at("E0901", "--no-schematron cannot be combined with --schematron or --phase")
    options = SchematronOptions(files=tuple(str(file) for file in schematron_files), phase=phase,
                                enabled=not no_schematron, tei_constraints=tei_all,
                                our_constraints=schema is None)
    report = validate(sources_or_default(paths, "validate"), schema=schema, rules=not no_rules, jobs=jobs,
                      schematron=options)
    if output_format == "json":
        echo(to_json(report.diagnostics))
    elif output_format == "svrl":
        echo(to_svrl(report.diagnostics), nl=False)
    else:
        echo_lines(echo, map(str, report.diagnostics))
        echo(report.summary(), err=True)
    sys.exit(report.exit_code)


# -- the quick way ---------------------------------------------------------------------

#: The options the quick way takes: flags, each given at most once.
QUICK_FLAGS = ("--tei-all", "--no-schema", "--no-rules", "--no-schematron")


def plain_arguments(argv: list[str]) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The flags and the paths of ``edition validate``, when the command line holds nothing
    else than paths and :data:`QUICK_FLAGS` (each once; no ``--``, no shell completion asked
    for), else None: click's business."""
    from .exits import completion_asked

    if not argv or argv[0] != "validate":
        return None
    flags = [argument for argument in argv[1:] if argument.startswith("-")]
    if any(flag not in QUICK_FLAGS for flag in flags) or len(set(flags)) < len(flags):
        return None
    if completion_asked():
        return None
    return frozenset(flags), tuple(argument for argument in argv[1:] if not argument.startswith("-"))


def run_plain(flags: frozenset[str], paths: tuple[str, ...]) -> NoReturn:
    """``edition validate [FLAG...] PATH...`` with every other option at its default, as the
    click command runs it; exits through :func:`edition.exits.leave_after`."""
    from .exits import echo, leave_after, without_click

    leave_after(lambda: without_click(
        lambda: run([Path(path) for path in paths], None, "--tei-all" in flags, "--no-schema" in flags,
                    "--no-rules" in flags, (), None, "--no-schematron" in flags, "text", None, echo)))
