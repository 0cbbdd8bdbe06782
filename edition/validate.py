"""Validation: well-formedness, schema and integrity rules in one report.

One generator, :func:`iter_problems`, yields every diagnostic of one file;
:func:`validate` runs it over files and folders, :func:`is_valid` and
:func:`check` are the boolean and raising shapes of the same question.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from .diagnostics import Diagnostic, EditionParseError, EditionValidationError, Severity, exit_code, sort_key, summary
from .document import Document, iter_sources, load, require_tei_root, tei

if TYPE_CHECKING:
    from .schema import Schema, SchemaChoice
    from .schematron_select import SchematronOptions

# The rules and the schemas are imported where they are used, not here: `import edition`
# stays light, and a run over many files starts compiling our schema before the rules load.

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


def corpus_members(document: Document) -> list[tuple[Document, str]]:
    """What the schema checks: the document, or for a ``teiCorpus`` each of its ``TEI``
    members as a document of its own (with the XPath of the member), since our schema,
    like most customizations, declares ``TEI`` as its root and not ``teiCorpus``.  The
    members keep their lines; the corpus's own header is checked by the rules only."""
    if document.root.tag != tei("teiCorpus"):
        return [(document, "")]
    members = []
    for position, member in enumerate(document.root.iterchildren(tei("TEI")), start=1):
        tree = etree.ElementTree(copy.deepcopy(member))
        members.append((Document(tree, document.path, document.source), f"/tei:teiCorpus/tei:TEI[{position}]"))
    return members


def _in_corpus(found: Iterable[Diagnostic], offset: str) -> list[Diagnostic]:
    if not offset:
        return list(found)
    return [replace(d, xpath=offset + d.xpath.removeprefix("/tei:TEI")) if d.xpath.startswith("/tei:TEI") else d
            for d in found]


def iter_document_problems(document: Document, schema: Schema | None, rules: bool = True,
                           schematron: SchematronOptions | None = None) -> Iterator[Diagnostic]:
    """Schema and rule findings of an already parsed document."""
    from .rules import iter_rule_problems

    root_problem = require_tei_root(document)
    if root_problem is not None:
        yield root_problem
    if schema is not None:
        for member, offset in corpus_members(document):
            yield from _in_corpus(schema.iter_problems(member), offset)
    if rules:
        yield from document.reference_problems()
        yield from iter_rule_problems(document)
    if schematron is not None:
        from .schematron_select import iter_schematron_problems
        yield from iter_schematron_problems(document, schematron)


def iter_problems(source: PathLike | Document, schema: SchemaChoice = None, rules: bool = True,
                  display: str | None = None, schematron: SchematronOptions | None = None) -> Iterator[Diagnostic]:
    """Every finding for one file: parse errors, then schema, then rules."""
    from .schema import resolve_schema

    if isinstance(source, Document):
        document = source
    else:
        try:
            document = load(source, display)
        except EditionParseError as error:
            yield error.diagnostic
            return
        yield from document.problems  # includes not resolved (E0009)
    yield from iter_document_problems(document, resolve_schema(schema, document), rules, schematron)


Task = tuple[str, str, "SchemaChoice", bool, "SchematronOptions | None"]
#: The findings of one file: call it (it waits for the schema's thread, if any).
Finish = Callable[[], list[Diagnostic]]


#: From this size on, one file's schema (or, with none, its Schematron) is checked in a forked
#: child while the rules and the Schematron run here (see :func:`edition.speed.in_child`):
#: below it, the fork costs more than it saves.
_CHILD_FROM_BYTES = 1 << 20


def _begin_one(task: Task, fork: bool = False) -> Finish:
    """Check one file: the schema on a second thread (Schema.begin) or, for a large file when
    ``fork``, in a child process; the rules here, meanwhile, and the Schematron.

    Findings come in :func:`iter_problems`' order: the root check, the schema's, the rules',
    the Schematron's.
    """
    shown, path, schema, rules, schematron = task
    forking = fork and rules and (schema != "none" or schematron is not None and schematron.enabled)
    imported = _modules_meanwhile(schema, schematron) if forking and _size(path) >= _CHILD_FROM_BYTES else None
    try:
        document = load(Path(path), shown)
    except EditionParseError as error:
        unreadable = [error.diagnostic]
        return lambda: unreadable
    finally:
        if imported is not None:
            imported.join()  # before the fork: a child forked during an import would inherit its lock
    from .rules import iter_rule_problems

    root_problem = require_tei_root(document)

    def begin_schema() -> Callable[[], list[Diagnostic]]:
        from .schema import resolve_schema  # here: a child that checks the schema imports it, not this process

        engine = resolve_schema(schema, document)
        pending = [(engine.begin(member), offset) for member, offset in corpus_members(document)] \
            if engine is not None else []
        return lambda: [d for wait, offset in pending for d in _in_corpus(wait(), offset)]

    def schematron_findings() -> list[Diagnostic]:
        if schematron is None:
            return []
        from .schematron_select import iter_schematron_problems
        return list(iter_schematron_problems(document, schematron))

    def child_work() -> tuple[list[Diagnostic], list[Diagnostic] | None]:
        """The child's half: the schema (its preparation too), or with none the Schematron."""
        if schema == "none":
            return [], schematron_findings()
        return begin_schema()(), None

    # The Schematron runs in the child when the child has no schema to check; here, after the
    # rules, when it has one; without a child, once the schema is done (a thread may be
    # validating the tree until then, and libxml2 does not share a tree between threads).
    schematron_here: list[Diagnostic] | None = None
    if forking and document.size >= _CHILD_FROM_BYTES:
        from .rules import facts_of
        from .speed import in_child

        # The walks over every element, before the fork: lxml marks each element it hands to
        # Python in the element's own memory, so the same walk after the fork copies most of
        # the tree's pages into the process that makes it (0.017 s became 0.035 s in the child)
        facts_of(document)  # and with them, the attribute profile that the child's schema reads
        later = in_child(child_work)
        forked_schema = schema != "none"
    else:
        schema_later = begin_schema()

        def later() -> tuple[list[Diagnostic], list[Diagnostic] | None]:
            return schema_later(), None
        forked_schema = False
    checked: list[Diagnostic] = []
    if rules:
        checked.extend(document.reference_problems())
        checked.extend(iter_rule_problems(document))
    if forked_schema:
        schematron_here = schematron_findings()

    def finish() -> list[Diagnostic]:
        found = list(document.problems)  # includes not resolved (E0009)
        if root_problem is not None:
            found.append(root_problem)
        schema_found, schematron_there = later()
        if schematron_here is not None:
            schematron_found = schematron_here
        elif schematron_there is not None:
            schematron_found = schematron_there
        else:
            schematron_found = schematron_findings()
        return found + schema_found + checked + schematron_found

    return finish


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _modules_meanwhile(schema: SchemaChoice, schematron: SchematronOptions | None) -> threading.Thread:
    """Import what checking a large file needs (the rules, the references, the schema, the
    Schematron), on a second thread, while lxml parses the file (it releases the GIL): 0.04 s
    of imports on the FRUS volume, which the child would otherwise pay after the fork and
    this process before it."""
    names = ["pickle", "edition.rules", "edition.refs"]
    if schema != "none":
        names.append("edition.schema")
    if schematron is not None and schematron.enabled:
        names.append("edition.schematron_select")
        if schematron.tei_constraints or schematron.our_constraints:
            names.append("edition.schematron_tei")

    def load_modules() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the child imports it again and reports what fails
                return

    thread = threading.Thread(target=load_modules, name="edition-imports", daemon=True)
    thread.start()
    return thread


def _validate_one(task: Task) -> list[Diagnostic]:
    return _begin_one(task)()


#: Files whose findings may wait while the next files' rules run (while our schema compiles
#: on another thread, 0.15 s): at most this many, of at most this many bytes, since each
#: holds its parsed tree (about ten times its size) until its findings are collected.
_WAITING_FILES = 64
_WAITING_BYTES = 4 << 20


def _validate_in_turn(tasks: list[Task]) -> Iterator[list[Diagnostic]]:
    """One process: the rules of the next files run while the schema compiles and validates
    on another thread; results in input order."""
    waiting: deque[tuple[Finish, int]] = deque()
    held = 0
    for task in tasks:
        size = _size(task[1])
        waiting.append((_begin_one(task, fork=True), size))
        held += size
        while waiting and (len(waiting) > _WAITING_FILES or held > _WAITING_BYTES):
            finish, size = waiting.popleft()
            held -= size
            yield finish()
    while waiting:
        yield waiting.popleft()[0]()


#: Below this many bytes of input, worker processes cost more than they save: validation
#: runs at several MB/s per core, and one process already has the schema on a second thread.
_POOL_FROM_BYTES = 8 << 20


def _worth_a_pool(sources: list[tuple[str, Path]]) -> bool:
    total = 0
    for _, path in sources:
        try:
            total += path.stat().st_size
        except OSError:
            continue
        if total >= _POOL_FROM_BYTES:
            return True
    return False


def _ours_in_background(schema: SchemaChoice) -> None:
    """Start compiling our schema now when the run may use it (see LxmlSchema.compile_in_background)."""
    if schema is None or schema == "edition":
        from .schema import edition_schema
        edition_schema().compile_in_background()


def validate(paths: Iterable[PathLike], schema: SchemaChoice = None, rules: bool = True,
             jobs: int | None = 1, schematron: SchematronOptions | None = None) -> Report:
    """Validate files and folders (recursively); one :class:`Report` for all of them.

    ``jobs``: worker processes; None chooses: all cores for a corpus of 8 MB or more,
    else one process (which validates against the schema on a second thread).
    """
    sources = list(iter_sources(paths))
    if len(sources) > 1:
        from .schema import prepare

        # Many files: our whole schema, compiled while the files are read (one file has a
        # pruned copy checked first instead: EditionSchema.begin).
        _ours_in_background(schema)
        # One schema for the whole run (for --tei-all: the union of the files' names), built once.
        schema = prepare(schema, [path for _, path in sources])
    if schematron is not None and schematron.enabled:
        from .schematron_select import check_files
        check_files(schematron.files)  # a broken schema fails before any work starts
    tasks = [(shown, str(path), schema, rules, schematron) for shown, path in sources]
    report = Report(files=len(tasks))
    if jobs is None and len(tasks) > 1 and _worth_a_pool(sources):
        from .corpus import default_jobs
        jobs = default_jobs()
    from .cluster import active

    if active() is not None or (jobs is not None and jobs > 1 and len(tasks) > 1):
        from .corpus import run_parallel
        from .schema import settle
        settle()  # no thread may be compiling when the pool forks
        results: Iterable[list[Diagnostic]] = run_parallel(_validate_one, tasks, jobs=jobs, label="validate")
    else:
        results = _validate_in_turn(tasks)
        if len(tasks) > 1 and sys.stderr.isatty():
            results = _shown_on_terminal(results, len(tasks))
    for found in results:
        report.diagnostics.extend(found)
    report.diagnostics.sort(key=sort_key)
    return report


def _shown_on_terminal(results: Iterable[list[Diagnostic]], total: int) -> Iterator[list[Diagnostic]]:
    """The same results, with the progress bar a pool shows (one process has none of its own)."""
    from .corpus import Progress

    progress = Progress(total, "validate")
    try:
        for found in results:
            progress.step()
            yield found
    finally:
        progress.close()


def is_valid(source: PathLike | Document, schema: SchemaChoice = None, rules: bool = True) -> bool:
    return all(d.severity < Severity.ERROR for d in iter_problems(source, schema, rules))


def check(source: PathLike | Document, schema: SchemaChoice = None, rules: bool = True) -> None:
    """Raise :class:`EditionValidationError` at the first error."""
    for diagnostic in iter_problems(source, schema, rules):
        if diagnostic.severity >= Severity.ERROR:
            raise EditionValidationError(diagnostic)
