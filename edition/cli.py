"""The ``edition`` command: a thin layer over the library.

Each command parses its arguments, calls one library function and prints
what it returns.  Exit codes: 0 clean (warnings allowed), 1 content or
validation errors, 2 usage errors (click's own, and EditionUsageError).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from .diagnostics import (CODES, EditionError, EditionUsageError, Severity, to_json)

F = TypeVar("F", bound=Callable[..., Any])


def _fail_cleanly(function: F) -> F:
    """Turn library exceptions into a diagnostic line and an exit code, never a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except EditionUsageError as error:
            click.echo(str(error.diagnostic), err=True)
            sys.exit(2)
        except EditionError as error:
            click.echo(str(error.diagnostic), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("edition: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _jobs_option(function: F) -> F:
    return click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
                        help="Worker processes for many files (default: all cores).")(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tei-edition")
def cli() -> None:
    """A toolkit for TEI P5 digital editions: validate, build (web, text, print,
    citations), cite and query.

    Example:

    \b
        edition validate tei/
        edition build --out _build/edition
        edition cite d300.p4
        edition query '//text//persName' tei/
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--schema", "schema_file", type=click.Path(path_type=Path),
              help="Validate against this RELAX NG (.rng), XSD (.xsd) or ODD (.odd/.xml) "
                   "instead of ours. An ODD is compiled first (about a second).")
@click.option("--tei-all", is_flag=True,
              help="Validate against the official tei_all schema. It is pruned to the elements "
                   "the files use and compiled once per run: about 1-3 s the first time, "
                   "then milliseconds per file (the whole of tei_all would take 15 s).")
@click.option("--no-schema", is_flag=True, help="Skip the schema; well-formedness and rules only.")
@click.option("--no-rules", is_flag=True, help="Skip the integrity rules.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="One line per finding, or a JSON list of records.")
@_jobs_option
@_fail_cleanly
def validate(paths: tuple[Path, ...], schema_file: Path | None, tei_all: bool, no_schema: bool,
             no_rules: bool, output_format: str, jobs: int | None) -> None:
    """Check TEI files: well-formedness, schema and integrity rules in one report.

    Folders are searched recursively for *.xml.  Our schema (schema/edition.xsd,
    under 0.1 s to load) is the default; a file's own <?xml-model?> is used when
    it names a local schema.  One line per finding:
    path:line:col: severity CODE: message [xpath].  Exit 0 when clean (warnings
    allowed), 1 on errors, 2 on usage errors.

    Example:

    \b
        edition validate tei/
        edition validate --tei-all ../shared/corpus/frus-history-documents
        edition validate --format json tei/frus1958-60v19-d300.xml
    """
    from .validate import validate as run_validate

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
    report = run_validate(paths or (Path("tei"),), schema=schema, rules=not no_rules, jobs=jobs)
    if output_format == "json":
        click.echo(to_json(report.diagnostics))
    else:
        for diagnostic in report.diagnostics:
            click.echo(str(diagnostic))
        click.echo(report.summary(), err=True)
    sys.exit(report.exit_code)


@cli.command()
def codes() -> None:
    """List every diagnostic code with its severity and meaning.

    Example:

    \b
        edition codes | grep E02
    """
    for code in CODES.values():
        click.echo(f"{code.code}  {str(code.severity):8} {code.summary}")


def main() -> None:  # pragma: no cover - console entry
    cli()
