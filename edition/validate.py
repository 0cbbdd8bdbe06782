"""Validation: well-formedness, schema and integrity rules in one report.

One generator, :func:`iter_problems`, yields every diagnostic of one file;
:func:`validate` runs it over files and folders, :func:`is_valid` and
:func:`check` are the boolean and raising shapes of the same question.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import (Diagnostic, EditionParseError, EditionValidationError, Severity,
                          exit_code, sort_key, summary)
from .document import Document, iter_sources, load, require_tei_root
from .rules import iter_rule_problems
from .schema import Schema, SchemaChoice, prepare, resolve_schema

PathLike = str | os.PathLike[str]


@dataclass
class Report:
    """The findings of one validation run, sorted by file and line."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0

    @property
    def exit_code(self) -> int:
        return exit_code(self.diagnostics)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def summary(self) -> str:
        return summary(self.diagnostics, self.files)

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity >= Severity.ERROR]


def iter_document_problems(document: Document, schema: Schema | None, rules: bool = True) -> Iterator[Diagnostic]:
    """Schema and rule findings of an already parsed document."""
    root_problem = require_tei_root(document)
    if root_problem is not None:
        yield root_problem
    if schema is not None:
        yield from schema.iter_problems(document)
    if rules:
        yield from document.citer.problems
        yield from iter_rule_problems(document)


def iter_problems(source: PathLike | Document, schema: SchemaChoice = None, rules: bool = True,
                  display: str | None = None) -> Iterator[Diagnostic]:
    """Every finding for one file: parse errors, then schema, then rules."""
    if isinstance(source, Document):
        document = source
    else:
        try:
            document = load(source, display)
        except EditionParseError as error:
            yield error.diagnostic
            return
    yield from iter_document_problems(document, resolve_schema(schema, document), rules)


def _validate_one(task: tuple[str, str, SchemaChoice, bool]) -> list[Diagnostic]:
    shown, path, schema, rules = task
    return list(iter_problems(Path(path), schema, rules, display=shown))


def validate(paths: Iterable[PathLike], schema: SchemaChoice = None, rules: bool = True,
             jobs: int | None = 1) -> Report:
    """Validate files and folders (recursively); one :class:`Report` for all of them."""
    sources = list(iter_sources(paths))
    if len(sources) > 1:
        # One schema for the whole run (for --tei-all: the union of the files' names), built once.
        schema = prepare(schema, [path for _, path in sources])
    tasks = [(shown, str(path), schema, rules) for shown, path in sources]
    report = Report(files=len(tasks))
    if jobs is None:
        from .corpus import default_jobs
        jobs = default_jobs()
    if jobs > 1 and len(tasks) > 1:
        from .corpus import run_parallel
        results = run_parallel(_validate_one, tasks, jobs=jobs, label="validate")
    else:
        results = map(_validate_one, tasks)
    for found in results:
        report.diagnostics.extend(found)
    report.diagnostics.sort(key=sort_key)
    return report


def is_valid(source: PathLike | Document, schema: SchemaChoice = None, rules: bool = True) -> bool:
    return all(d.severity < Severity.ERROR for d in iter_problems(source, schema, rules))


def check(source: PathLike | Document, schema: SchemaChoice = None, rules: bool = True) -> None:
    """Raise :class:`EditionValidationError` at the first error."""
    for diagnostic in iter_problems(source, schema, rules):
        if diagnostic.severity >= Severity.ERROR:
            raise EditionValidationError(diagnostic)
