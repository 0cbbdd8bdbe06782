"""``edition build``: every output of the edition, written atomically.

:func:`build` reads as its four stages (after Docutils' ``Publisher.publish``)::

    planned = _plan(run)                 # files → units → page names (edition.plan); unchanged files reused
    outcomes = _render(run, planned)     # each unit through every writer, in workers (edition.render)
    built = _assemble(run, planned, ...) # reused files, every writer's finish(), the manifest
    swap(temporary, out)                 # the new edition replaces the old at once (edition.swap)

Writers come from the registry (:func:`edition.transforms.engine.get_writer`, entry points
``edition.writers``), so the print edition is one more registered writer, not more code
here; each gets a typed :class:`~edition.transforms.contract.UnitRecord` per unit.  Nothing
is written into ``out`` until the whole edition is in a temporary sibling folder (a spare
edition patched, :mod:`edition.swap`); a killed build leaves the previous edition whole.
What exists only for speed (memory handed back after rendering) is :mod:`edition.speed`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import processes
from .diagnostics import Diagnostic, EditionError, EditionOutputError, EditionUsageError, exit_code, sort_key, summary
from .document import DEFAULT_SOURCES, Document, iter_sources, load, require_tei_root, sources_or_default
from .incremental import MANIFEST, STAT_FILE, BuildCache, FileEntry, UnitEntry, diagnostic_from, toolkit_key
from .lock import OutputLock
from .paths import shown_path
from .plan import RESERVED, FilePlan, document_units, plan_file, rename_warnings
from .render import (
    CITE,
    EXPORTS,
    KEEP_PARSED_BYTES,
    LOADED,
    NOT_WRITERS,
    SLICE,
    Rendered,
    Task,
    forget_documents,
    heaviest_first,
)
from .render import prepare as prepare_render
from .render import render as render_task
from .series import series_pages
from .speed import give_back_memory
from .swap import MARKER, Folder, Tree, check_out, clean_stale, discard, open_temporary, output_folder, scan, swap

if TYPE_CHECKING:
    from edition.transforms.contract import BuildOptions

__all__ = ["CITE", "DEFAULT_IN", "DEFAULT_OUT", "EXPORTS", "MARKER", "RESERVED", "BuildReport", "build", "check_out",
           "document_units"]

DEFAULT_OUT = Path("_build") / "edition"
DEFAULT_IN = DEFAULT_SOURCES


@dataclass
class BuildReport:
    """What a build did: where, how many files and pages, what it found, how long it took."""

    out: Path
    formats: list[str]
    inputs: int = 0
    units: int = 0
    files: int = 0
    reused: int = 0
    seconds: float = 0.0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return exit_code(self.diagnostics)

    def summary(self) -> str:
        checked = summary(self.diagnostics, self.inputs).replace("checked", "built")
        unchanged = f" ({self.reused} unchanged, reused)" if self.reused else ""
        return (f"{checked}{unchanged}; {self.units} pages, {self.files} files in {shown_path(self.out)} "
                f"({', '.join(self.formats)}) in {self.seconds:.2f} s")


def build(paths: Sequence[str | os.PathLike[str]] = (), out: str | os.PathLike[str] | None = None,
          formats: Sequence[str] | None = None, options: dict[str, Any] | None = None,
          jobs: int | None = None, incremental: bool = True) -> BuildReport:
    """Build the edition of ``paths`` (default tei/) into ``out`` (default _build/edition).

    With ``incremental`` (the default), files unchanged since the build already in ``out``
    are not parsed or rendered again: their pages are taken from that build
    (:mod:`edition.incremental`); index pages and tables of contents are redone, unless
    nothing changed at all: then the edition is left as it is and its report given again.

    Usage errors (unknown outputs or options, a refused ``out``, no ``paths`` and no tei/
    here) are raised before anything is written; one build at a time writes ``out``
    (:mod:`edition.lock`, E0605); SIGTERM stops the build like Ctrl-C
    (:class:`edition.processes.Terminated`), and the previous edition is replaced only by one
    with at least one page; folders made for ``out`` go again when no edition came of them.
    """
    from edition.transforms.contract import BuildOptions
    from edition.transforms.engine import get_writer, load_writers

    started = time.perf_counter()
    inputs = sources_or_default(paths, "build")
    given = Path(out) if out is not None else DEFAULT_OUT
    chosen = sorted({name if name in NOT_WRITERS else get_writer(name).name for name in formats} if formats
                    else {*load_writers(), CITE})
    settings = dict(options or {})
    for name in chosen:  # a bad option is a usage error now, not an error per page later
        check = getattr(get_writer(name), "check_options", None) if name not in NOT_WRITERS else None
        if check is not None:
            check(settings)
    out_path = output_folder(given)
    shown = shown_path(given)
    try:
        check_out(given, inputs)
    except OSError as error:
        raise EditionUsageError.at("E0601", f"cannot use {shown} as the output folder: "
                                   f"{error.strerror or error}", path=shown) from None
    created = _missing_folders(out_path.parent)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _remove_if_empty(created)
        raise EditionOutputError.at("E0602", f"cannot create the folder of {shown}: {error.strerror or error}"
                                    f"{_named(error)}; nothing was written", path=shown) from None
    run = _Run(inputs, out_path, BuildOptions(tuple(chosen), settings), jobs, incremental,
               BuildReport(out=given, formats=chosen))
    try:
        with processes.signals_as_interrupts(), OutputLock(out_path):
            clean_stale(out_path)
            processes.clean_dead_temporaries()
            _build(run)
    except EditionError:
        raise
    except OSError as error:
        raise EditionOutputError.at("E0602", f"cannot write the edition to {shown}: {error.strerror or error}"
                                    f"{_named(error)}; the previous edition is untouched", path=shown) from None
    finally:
        if created and not out_path.exists():
            _remove_if_empty(created)  # no edition came of it: the folders made for one go too
    run.report.seconds = time.perf_counter() - started
    return run.report


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its ancestors that do not exist yet, deepest first."""
    missing: list[Path] = []
    while not folder.exists() and not folder.is_symlink() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders (deepest first) a failed build made, as long as they are empty:
    whatever something else put there meanwhile stays, with the folders that hold it."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _named(error: OSError) -> str:
    return f" ({shown_path(error.filename)})" if isinstance(error.filename, (str, bytes)) else ""


@dataclass
class _Run:
    """One build's settings and what it has made so far."""

    inputs: list[Path]
    out: Path
    options: BuildOptions
    jobs: int | None
    incremental: bool
    report: BuildReport
    #: output name → its folder (a writer's name), for the writers of the behaviour table
    folders: dict[str, str] = field(default_factory=dict)
    cache: BuildCache = field(default=None)  # type: ignore[assignment]
    #: the edition being replaced, "" if none (files with unchanged bytes are linked to it)
    previous: str = ""
    target: Folder = field(default=None)  # type: ignore[assignment]
    #: every file of the new edition, relative to it
    written: set[str] = field(default_factory=set)
    #: every input, in order, as (shown path, path): listed once, for the unchanged rebuild's
    #: check and the plan
    sources: list[tuple[str, Path]] = field(default_factory=list)
    #: the edition's own files (index pages, assets, exports), relative to it
    own: set[str] = field(default_factory=set)
    #: findings about the edition as a whole, not about one input (E0604, W0615)
    findings: list[Diagnostic] = field(default_factory=list)

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.options.formats)


@dataclass
class _Planned:
    """Files → units → page names, in input order; an unchanged file's entry is reused."""

    plans: list[FilePlan] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)  # units to render (0: reused)
    digests: list[str | None] = field(default_factory=list)
    #: the bytes of each file to render, by path (what the workers' schedule weighs)
    sizes: dict[str, int] = field(default_factory=dict)
    reused: dict[int, FileEntry] = field(default_factory=dict)
    #: files parsed while planning that workers inherit parsed (volumes)
    documents: dict[str, Document] = field(default_factory=dict)


#: Each unit's outcome: (unit index, {format: (file names, record)}, cite names, diagnostics).
Outcome = tuple[int, dict[str, tuple[list[str], Any]], list[str], list[Diagnostic]]


def _build(run: _Run) -> None:
    from edition.transforms.engine import get_writer

    report = run.report
    run.folders = {name: get_writer(name).name for name in run.formats if name not in NOT_WRITERS}
    run.cache = BuildCache(run.out, toolkit_key(list(run.formats), dict(run.options.settings)),
                           reuse=run.incremental)
    run.previous = str(run.out) if (run.out / MARKER).is_file() else ""
    run.sources = list(iter_sources(run.inputs))
    if run.previous and run.incremental and _unchanged(run):
        _sorted_findings(report)
        return
    tree = open_temporary(run.out)
    try:
        run.cache.read_spare(tree.root)
        for name in (MANIFEST, STAT_FILE):  # the spare's own: written again, or not at all
            (tree.root / name).unlink(missing_ok=True)
        run.target = Folder(tree.root, Path(run.previous) if run.previous else None, tree)
        planned = _plan(run, tree)
        outcomes = _render(run, planned, tree.root)
        if not _assemble(run, planned, outcomes):
            discard(tree.root)  # no page: an empty edition must not replace the previous one
            return
        _prune_and_index(run, tree)
        run.cache.write(tree.root, _edition_entry(run))
        processes.checkpoint()  # an interrupt whose exception a finalizer swallowed: no swap
        swap(tree.root, run.out)
    except OSError as error:
        discard(tree.root)
        raise EditionOutputError.at("E0602", f"cannot write the edition to {shown_path(report.out)}: "
                                    f"{error.strerror or error}{_named(error)}; the previous edition is untouched",
                                    path=shown_path(report.out)) from None
    except BaseException:
        discard(tree.root)
        raise
    _sorted_findings(report)


def _sorted_findings(report: BuildReport) -> None:
    from edition.transforms.engine import once_per_file

    report.diagnostics.sort(key=sort_key)
    # an element the table lacks is met by every writer in every unit: one finding per file
    report.diagnostics = once_per_file(report.diagnostics)


def _edition_entry(run: _Run) -> dict[str, Any]:
    """What the manifest keeps of the build besides its inputs' entries: enough for the next
    build to know, without opening a page, that the edition is already what it would make."""
    return {"inputs": _listed(run.sources), "own": sorted(run.own), "units": run.report.units,
            "files": run.report.files, "findings": [finding.as_dict() for finding in run.findings]}


def _listed(sources: list[tuple[str, Path]]) -> list[list[str]]:
    """The inputs as the manifest keeps them (JSON: lists of strings)."""
    return [[shown, str(path)] for shown, path in sources]


def _unchanged(run: _Run) -> bool:
    """Whether the edition in ``--out`` is already the one this build would make, and then its
    report is this build's: nothing is written, nothing swapped.

    That is so when the manifest's key is this build's (the same toolkit, outputs and options),
    the inputs are the same files in the same order, each unchanged (its signature, else its
    digest) with an entry that may be reused (no error to find again), and the edition holds
    exactly the files that build wrote, no more, no fewer (a page deleted or added by hand, a
    symbolic link: the edition is built again)."""
    cache, report = run.cache, run.report
    edition = cache.edition
    if edition is None or not cache.previous:
        return False
    if _listed(run.sources) != edition.get("inputs"):
        return False
    expected: set[str] = set(edition.get("own", ()))
    entries: list[FileEntry] = []
    for _, path in run.sources:
        entry = cache.previous.get(str(path))
        if entry is None or cache.digest(path) != entry.digest:
            return False
        outputs = cache.outputs(entry, run.folders)
        if outputs is None:
            return False
        expected.update(outputs)
        entries.append(entry)
    from edition.transforms.search import DIGEST, FOLDER

    try:
        files, _, others = scan(run.out)
    except OSError:  # a folder that cannot be read: the build says what it cannot do
        return False
    search = f"{run.folders.get('html', '')}/{FOLDER}/"
    present = {name for name in files if not name.startswith(search)} - {MARKER, MANIFEST, STAT_FILE}
    if others or present != expected:
        return False
    indexed = "html" in run.formats and run.options.get("search", True)
    made = not any(found.get("code") == "W0615" for found in edition.get("findings", ()))
    if indexed and made and f"{search}{DIGEST}" not in files:  # the search index removed
        return False
    for entry in entries:
        report.diagnostics.extend(rename_warnings(FilePlan(**BuildCache.decode(entry.plan))))
        report.diagnostics.extend(diagnostic_from(found) for unit in entry.units for found in unit.diagnostics)
    report.diagnostics.extend(diagnostic_from(found) for found in edition.get("findings", ()))
    report.inputs = report.reused = len(run.sources)
    report.units, report.files = edition.get("units", 0), edition.get("files", 0)
    if cache.signatures_changed():  # touched, not changed: the next build need not read them again
        with contextlib.suppress(OSError):  # not kept: the next build reads those files again
            cache.write_signatures(run.out, cache.signatures)
    return True


def _plan(run: _Run, tree: Tree) -> _Planned:
    """Files → units → page names; parse errors are reported and the file skipped; a file
    unchanged since the previous build is not parsed (its plan and records are reused)."""
    report, cache = run.report, run.cache
    planned = _Planned()
    taken: set[str] = set()
    kept_bytes = 0
    spare_files = tree.files if tree.spare else None
    for shown, path in run.sources:
        report.inputs += 1
        digest = cache.digest(path) if cache.key else None
        entry = cache.reusable(str(path), digest, run.folders, spare_files)
        if entry is not None:
            plan = FilePlan(**BuildCache.decode(entry.plan))
            claimed = plan.folder or plan.names[0]
            if plan.shown == shown and claimed not in taken:
                taken.add(claimed)
                planned.reused[len(planned.plans)] = entry
                report.reused += 1
                _planned(planned, plan, 0, digest)  # nothing to render
                report.diagnostics.extend(rename_warnings(plan))
                continue
            cache.in_spare.discard(str(path))
        try:
            document = load(path, display=shown)
        except EditionError as error:
            report.diagnostics.append(error.diagnostic)
            continue
        report.diagnostics.extend(document.problems)  # includes not resolved (E0009)
        not_tei = require_tei_root(document)
        if not_tei is not None:  # DocBook, XHTML, RSS: refused as validate refuses them
            report.diagnostics.append(not_tei)
            continue
        plan = plan_file(document, shown, path, taken)
        report.diagnostics.extend(rename_warnings(plan))
        if len(plan.names) > SLICE and kept_bytes + document.size <= KEEP_PARSED_BYTES:
            from edition.transforms.stage import decide

            decide(document)  # the stage's decisions, made once here: every worker inherits them
            planned.documents[plan.path] = document
            kept_bytes += document.size
        planned.sizes[plan.path] = document.size
        del document
        _planned(planned, plan, len(plan.names), digest)
    return planned


def _planned(planned: _Planned, plan: FilePlan, count: int, digest: str | None) -> None:
    planned.plans.append(plan)
    planned.counts.append(count)
    planned.digests.append(digest)


def _render(run: _Run, planned: _Planned, temporary: Path) -> list[list[Outcome]]:
    """Render in workers, which write each unit's files into the temporary folder (file
    contents do not depend on who writes them or when; the tasks are handed out heaviest first
    and their results put back in input order, so the records and the manifest are
    deterministic; a worker holds one slice's pages at a time, not the edition's).  Then the
    files of reused inputs are taken over."""
    from .corpus import default_jobs, run_parallel, worker_count

    tasks = [Task(plan, list(range(start, min(start + SLICE, count))), run.options, str(temporary), run.folders,
                  run.previous)
             for plan, count in zip(planned.plans, planned.counts, strict=True) for start in range(0, count, SLICE)]
    LOADED.update(planned.documents)  # before the pool forks: workers inherit them parsed
    planned.documents.clear()
    prepare_render(planned.plans, run.options)  # their page links too, and the modules every task imports
    from .cluster import active

    # Each task says where it added or replaced a file, and a page found already right in the
    # spare edition leaves its search index valid.  Not on a cluster: Dask runs a task again
    # when its worker died, and what the second run finds written is no proof of the spare's bytes.
    reported = active() is None
    in_process = reported and worker_count(run.jobs, len(tasks)) == 1
    if tasks and not reported:
        run.target.touched.update([*run.folders.values(), CITE])
    outcomes: list[list[Outcome]] = [[] for _ in planned.plans]
    plan_index = {id(plan): position for position, plan in enumerate(planned.plans)}
    run.target.write(MARKER, b"This folder is written by `edition build` and replaced as a whole.\n")
    try:
        # no warm-up task in this process before the pool forks: what a render compiles
        # (writer tables, a document's indexes) is cheap, and both workers start at once;
        # a cluster's workers parse each file themselves: its slices are kept together for them
        order = heaviest_first(tasks, planned.sizes, None if reported else {})
        results: list[Any] = [None] * len(tasks)
        for position, result in zip(order, run_parallel(render_task, [tasks[position] for position in order],
                                                        jobs=run.jobs or default_jobs(), label="building",
                                                        warm_up=False), strict=False):
            results[position] = result
        for task, (rendered, problems, touched) in zip(tasks, results, strict=True):  # in input order again
            run.report.diagnostics.extend(problems)
            if reported:
                run.target.touched.update(touched)
            outcomes[plan_index[id(task.plan)]].extend(_outcome(run, task.plan, item) for item in rendered)
    finally:
        forget_documents()
        if tasks and in_process:
            # what this process freed goes back to the system before the index pages and the manifest,
            # which would otherwise add to it (--jobs 1: 2.3 MiB of the peak); after workers rendered,
            # a worker is the largest process and the trim (12 ms) changes no peak
            give_back_memory()
    _take_over(run, planned, outcomes)
    return outcomes


def _outcome(run: _Run, plan: FilePlan, item: Rendered) -> Outcome:
    folder = f"{plan.folder}/" if plan.folder else ""
    page = folder + plan.names[item.unit]
    found = list(item.diagnostics)
    outputs: dict[str, tuple[list[str], Any]] = {}
    for format_name, (files, record, problems) in item.outputs.items():
        found.extend(problems)
        run.written.update(f"{run.folders[format_name]}/{folder}{file}" for file in files)
        outputs[format_name] = (sorted(folder + file for file in files), record)
    run.written.update(f"{CITE}/{page}/{file}" for file in item.cite)
    return item.unit, outputs, sorted(f"{page}/{file}" for file in item.cite), found


def _take_over(run: _Run, planned: _Planned, outcomes: list[list[Outcome]]) -> None:
    """The files of unchanged inputs: already in the spare edition, else linked from the previous one."""
    cache = run.cache
    linked: list[str] = []
    for position, entry in planned.reused.items():
        files: list[str] = []
        for number, unit in enumerate(entry.units):
            for format_name, names in unit.files.items():
                files.extend(f"{run.folders[format_name]}/{name}" for name in names)
            files.extend(f"{CITE}/{name}" for name in unit.cite)
            outputs = {format_name: (names, BuildCache.decode(unit.records.get(format_name)))
                       for format_name, names in unit.files.items()}
            outcomes[position].append((number, outputs, unit.cite, [diagnostic_from(d) for d in unit.diagnostics]))
        if planned.plans[position].path not in cache.in_spare:
            linked.extend(files)
        run.written.update(files)
    run.target.reuse_all(str(run.out), linked)


def _assemble(run: _Run, planned: _Planned, outcomes: list[list[Outcome]]) -> bool:
    """Every writer's finish() over the records, in plan order (the order of the inputs), the
    series index, the exports and the manifest; False when there is no page at all."""
    from edition.transforms.engine import get_writer

    report, cache = run.report, run.cache
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in run.formats}
    for position, plan in enumerate(planned.plans):
        entries: list[UnitEntry] = []
        for _, outputs, cite, found in sorted(outcomes[position], key=lambda outcome: outcome[0]):
            report.units += 1
            report.diagnostics.extend(found)
            entry_unit = UnitEntry(cite=cite, diagnostics=[d.as_dict() for d in found])
            for format_name, (files, record) in outputs.items():
                records[format_name].append(record)
                entry_unit.files[format_name] = files
                entry_unit.records[format_name] = record
            entries.append(entry_unit)
        digest = planned.digests[position]
        if position in planned.reused:
            cache.keep(plan.path)
        elif digest and len(entries) == len(plan.names):
            # vars, not asdict: the plan is only read from here on, a deep copy is wasted
            cache.remember(plan.path, FileEntry(digest, dict(vars(plan)), entries))
    if not report.units:
        what = "could be built from the input" if report.inputs else "to build: no TEI file (*.xml) in the input"
        report.diagnostics.append(Diagnostic.make("E0602", f"nothing {what}; {shown_path(report.out)} is left as "
                                                  "it was", path=shown_path(report.out)))
        report.diagnostics.sort(key=sort_key)
        return False
    for format_name in run.formats:
        if format_name not in NOT_WRITERS:
            writer = get_writer(format_name)()
            for file, data in writer.finish(records[format_name], run.options).items():
                _put(run, writer.name, file, data)
    if "html" in run.formats:  # the series index: the volumes by sub-series and number
        volumes = [(plan.folder, plan.series) for plan in planned.plans if plan.series is not None]
        for file, data in series_pages(volumes).items():
            _put(run, run.folders["html"], file, data)
    for format_name in run.formats:
        if format_name in EXPORTS:
            from importlib import import_module

            exported = import_module(EXPORTS[format_name]).export(run.inputs, run.options)
            for file, data in exported.items():
                _put(run, format_name, file, data)
    report.files = len(run.written)
    return True


def _put(run: _Run, folder: str, file: str, data: bytes) -> None:
    """A file of the edition's own (index pages, assets, exports)."""
    relative = f"{folder}/{file}"
    if relative in run.written:  # an input's page: never replaced by one of the edition's own
        run.findings.append(Diagnostic.make(
            "E0604", f"the edition's own page {relative} has the name of an input's page, which is kept; "
            "rename the input (this name should have been reserved: please report it)",
            path=shown_path(run.report.out)))
        run.report.diagnostics.append(run.findings[-1])
        return
    run.target.write(relative, data)
    run.written.add(relative)
    run.own.add(relative)


def _prune_and_index(run: _Run, tree: Tree) -> None:
    """What a spare edition held that this one has not goes; then the web edition's search
    index is made from its finished pages (--no-search: none), unless they are the spare's
    own pages, byte for byte (nothing added, replaced or removed): then its index is theirs."""
    from edition.transforms.search import DIGEST, FOLDER, index_site

    indexed = "html" in run.formats and run.options.get("search", True)
    html = run.folders.get("html", "")
    search = f"{html}/{FOLDER}" if indexed else ""
    removed = tree.prune(run.written | {MARKER, MANIFEST, STAT_FILE}, [search] if search else [])
    if indexed and tree.spare and f"{search}/{DIGEST}" in tree.files and html not in run.target.touched \
            and not any(name.startswith(f"{html}/") for name in removed):
        return
    if indexed:

        problem = index_site(tree.root / run.folders["html"],
                             Path(run.previous) / run.folders["html"] if run.previous else None)
        if problem is not None:
            run.findings.append(problem)
            run.report.diagnostics.append(problem)
