"""The build's rendering: some units of one file through every chosen writer (in workers).

A task is a file's plan and the indices of the units to render (a volume is rendered in
slices of :data:`SLICE` documents, so that a process holds one slice's pages at a time and
both cores share it).  The worker writes the files itself, into the temporary edition folder
(:class:`edition.swap.Folder`), and sends back only what the index pages need: each unit's
file names, the writers' records and the diagnostics.  Each writer gets a
:class:`~edition.transforms.contract.UnitRecord` whose links end in its own suffix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from lxml import etree

from .diagnostics import Diagnostic, EditionError
from .document import XML_ID, Document, load
from .plan import FilePlan, document_units
from .swap import Folder

if TYPE_CHECKING:
    from edition.transforms.contract import BuildOptions

#: The citation files (cite/): not a writer of the behaviour table but metadata of the header,
#: chosen like an output with ``-f cite``.
CITE = "cite"
#: Outputs made from the whole input once the pages are done, by a module's ``export(paths, options)``
#: (name → module; files under a folder of that name): not writers of the behaviour table, chosen
#: with ``-f NAME`` only, never by default.
EXPORTS = {"dts": "edition.dts_static"}
NOT_WRITERS = (CITE, *EXPORTS)

#: Units per task.  A volume is rendered in slices of this many documents, so that a
#: process holds one slice's pages at a time, not the volume's, and both cores share it.
SLICE = 16
#: Files parsed while planning that are rendered in several slices (volumes), up to this
#: many bytes of source in all: forked workers inherit them parsed instead of parsing again.
KEEP_PARSED_BYTES = 64 * 2**20

#: Those files, by path (set before the pool forks; cleared when the build ends).
LOADED: dict[str, Document] = {}
#: The file a worker parsed last: the next slice of the same volume reuses it.
_RECENT: dict[str, Document] = {}
#: A unit's size as the scheduler weighs it: its elements, counted by libxml2 (no Python object
#: per element; 4 ms for the FRUS volume's 27,000).
_ELEMENTS = etree.XPath("count(descendant-or-self::*)")


@dataclass
class Task:
    plan: FilePlan
    indices: list[int]
    options: BuildOptions
    #: The temporary edition folder, and each writer's folder in it: workers write the
    #: files themselves (both cores share the disk's work; no page is sent back).
    target: str = ""
    folders: dict[str, str] = field(default_factory=dict)
    #: The edition being replaced ("" if none): files with unchanged bytes are linked to it.
    previous: str = ""


@dataclass
class Rendered:
    unit: int
    #: format → (files written, relative to the writer's folder; record; diagnostics)
    outputs: dict[str, tuple[list[str], Any, list[Diagnostic]]]
    cite: list[str]
    diagnostics: list[Diagnostic]


class Done(NamedTuple):
    """What a task gives back."""

    rendered: list[Rendered]
    #: Findings about the file as a whole (it could not be read or parsed).
    diagnostics: list[Diagnostic]
    #: The top folders (``html``, ``cite``, …) where the task added or replaced a file: the
    #: build makes the search index again only when a page changed (``edition.build``).
    touched: frozenset[str]


def heaviest_first(tasks: list[Task], sizes: dict[str, int], parsed: Mapping[str, Document] | None = None) -> list[int]:
    """The order in which to hand ``tasks`` to the workers: the heaviest first (the longest
    processing time rule), so that the last tasks are small and the workers finish together.

    Why: a volume's back-of-book index is its last unit and its heaviest by far (a tenth of the
    FRUS volume's rendering); handed out last, one worker rendered it while the other sat idle.
    A task's weight is its source's bytes (``sizes``, by path); a file the workers inherit
    parsed (``parsed``, by default :data:`LOADED`: the pool forks after the plan) shares its bytes
    among its units by their elements.  The slices of any other file stay together and in order,
    so that a worker parses it once (:data:`_RECENT`): a cluster's workers, which inherit nothing,
    are given ``parsed={}``.  Stable: tasks of the same weight keep their order."""
    groups: dict[str, list[int]] = {}
    weights: dict[str, float] = {}
    for position, task in enumerate(tasks):
        path = task.plan.path
        size = sizes.get(path, 0)
        document = (LOADED if parsed is None else parsed).get(path)
        if document is None:
            key = path  # one group for all its slices
            weights[key] = size
        else:
            key = f"{path}\0{position}"
            shares = _shares(document)
            weights[key] = size * sum(shares[index] for index in task.indices)
        groups.setdefault(key, []).append(position)
    ranked = sorted(groups, key=lambda key: -weights[key])
    return [position for key in ranked for position in groups[key]]


def _shares(document: Document) -> list[float]:
    """Each unit's share of its document's elements, counted once per document."""
    found = document.cache.get("build.shares")
    if found is None:
        units, _ = document_units(document)
        whole = _ELEMENTS(document.root) or 1.0
        found = document.cache["build.shares"] = [_ELEMENTS(unit) / whole for unit in units]
    return found


def forget_documents() -> None:
    """Let go of the parsed files once the pages are rendered: their trees are freed now
    (:meth:`Document.release`), not at the cycle collector's next full run."""
    for document in {id(document): document for document in (*LOADED.values(), *_RECENT.values())}.values():
        document.release()
    LOADED.clear()
    _RECENT.clear()


def _document_for(plan: FilePlan) -> Document:
    document = LOADED.get(plan.path) or _RECENT.get(plan.path)
    if document is None:
        _RECENT.clear()  # one parsed file per worker at a time: memory follows the largest file
        document = _RECENT[plan.path] = load(plan.path, display=plan.shown)
    return document


def preceding_breaks(document: Document, unit: etree._Element) -> list[etree._Element]:
    """Page breaks printed between the previous document and this one (rendered on this page):
    the transform stage's decision, the same for every writer."""
    from edition.transforms.stage import decide

    return decide(document).breaks_before(unit)


def _breaks_of(document: Document) -> list[list[etree._Element]]:
    """:func:`preceding_breaks` of each unit, in order: found once per file (a walk back from
    each of a volume's 400 units), not once per task and writer."""
    found = document.cache.get("build.breaks")
    if found is None:
        units, _ = document_units(document)
        found = document.cache["build.breaks"] = [preceding_breaks(document, unit) for unit in units]
    return found


def _pages_of(document: Document, plan: FilePlan, suffix: str) -> dict[etree._Element, str]:
    """A volume's units, and the page breaks printed between two of them (shown, and linked,
    on the next one), → their link in a writer whose files end in ``suffix``; once per file
    and suffix (made before the workers fork, see :func:`prepare`)."""
    from edition.transforms.html import safe_id

    key = f"build.pages{suffix}"
    cached = document.cache.get(key)
    if cached is not None and cached[0] == plan.names:
        return cached[1]
    units, _ = document_units(document)
    found: dict[etree._Element, str] = {unit: f"{name}{suffix}" for unit, name in zip(units, plan.names, strict=False)}
    for name, breaks in zip(plan.names, _breaks_of(document), strict=True):
        for pb in breaks:
            if pb.get(XML_ID):
                found[pb] = f"{name}{suffix}#{safe_id(pb.get(XML_ID) or '')}"
    document.cache[key] = (list(plan.names), found)
    return found


def _suffixes(options: BuildOptions) -> dict[str, str]:
    """Each chosen writer's name → the suffix of the files its pages link to."""
    from edition.transforms.engine import get_writer

    suffixes = {}
    for name in options.formats:
        if name not in NOT_WRITERS:
            writer = get_writer(name)
            suffixes[name] = writer.link_suffix or writer.suffix
    return suffixes


def prepare(plans: list[FilePlan], options: BuildOptions) -> None:
    """Before the pool forks: what every task of a volume would otherwise compute again in each
    worker (its units' page links and page breaks), and the modules every task imports."""
    from edition.transforms import citations  # noqa: F401  (imported once, not once per worker)

    suffixes = set(_suffixes(options).values())
    for plan in plans:
        document = LOADED.get(plan.path)
        if document is not None and document_units(document)[1]:
            for suffix in suffixes:
                _pages_of(document, plan, suffix)


@dataclass
class _Pages:
    """What every unit of a task shares."""

    task: Task
    document: Document
    units: list[etree._Element]
    is_volume: bool
    writers: dict[str, Any]
    suffixes: dict[str, str]
    links: dict[str, dict[etree._Element, str]]
    breaks: list[list[etree._Element]] | None


def render(task: Task) -> Done:
    """Render some units of one file with every chosen writer (runs in a worker)."""
    from edition.transforms.engine import get_writer

    plan = task.plan
    try:
        document = _document_for(plan)
    except EditionError as error:
        return Done([], [error.diagnostic], frozenset())
    units, is_volume = document_units(document)
    writers = {name: get_writer(name)() for name in task.options.formats if name not in NOT_WRITERS}
    suffixes = _suffixes(task.options)
    links = {suffix: _pages_of(document, plan, suffix) if is_volume else {} for suffix in set(suffixes.values())}
    pages = _Pages(task, document, units, is_volume, writers, suffixes, links,
                   _breaks_of(document) if is_volume else None)
    target = Folder(Path(task.target), Path(task.previous) if task.previous else None)
    out: list[Rendered] = []
    # Each unit's files are written as soon as it is rendered, by this thread.  Threads that
    # wrote them while the next unit rendered cost more than they saved: each of their system
    # calls gave up the GIL and waited for it again, taking it from the renderer (40,000 futex
    # calls a volume); without them the volume builds 7% faster, an empty folder's build 6%,
    # 5,000 small files 12% (bench/bench.py, interleaved runs).
    for index in task.indices:
        rendered, files = _render_unit(pages, index)
        for relative, data in files:
            target.write(relative, data)
        out.append(rendered)
    return Done(out, [], frozenset(target.touched))


def _render_unit(pages: _Pages, index: int) -> tuple[Rendered, list[tuple[str, bytes]]]:
    """One unit through every writer: what the parent needs, and the files to write."""
    from edition.transforms import citations
    from edition.transforms.contract import UnitRecord

    task, document, units, is_volume = pages.task, pages.document, pages.units, pages.is_volume
    plan, formats = task.plan, task.options.formats
    unit, name = units[index], plan.names[index]
    page = f"{plan.folder}/{name}" if plan.folder else name
    prefix = f"{plan.folder}/" if plan.folder else ""
    diagnostics: list[Diagnostic] = []
    cite: dict[str, bytes] = {}
    citation = None
    try:
        citation = citations.metadata(document, unit)  # once, for every output of this unit
        if not is_volume or document.ref_of(unit):
            # a volume's front and back matter pages are not cited documents: no warnings for them
            diagnostics.extend(citation.warnings)
        if CITE in formats:
            cite = {file: text.encode("utf-8")
                    for file, text in citations.citation_files(document, unit, citation).items()}
    except EditionError as error:
        diagnostics.append(error.diagnostic)
    record = UnitRecord(basename=name, page=page, root="../" if plan.folder else "", docid=plan.docid,
                        first=index == 0, volume=plan.volume, chapters=plan.chapters[index],
                        cite_files=sorted(cite),
                        preceding=pages.breaks[index] if pages.breaks is not None else preceding_breaks(document, unit),
                        citation=citation, options=task.options)
    outputs: dict[str, tuple[list[str], Any, list[Diagnostic]]] = {}
    files: list[tuple[str, bytes]] = []
    for format_name, writer in pages.writers.items():
        suffix = pages.suffixes[format_name]
        # the writer knows its own unit: the links are shared, not copied per page
        mine = dataclasses.replace(
            record, page_of=pages.links[suffix],
            prev=(f"{plan.names[index - 1]}{suffix}", plan.titles[index - 1]) if is_volume and index > 0 else None,
            next=(f"{plan.names[index + 1]}{suffix}", plan.titles[index + 1])
            if is_volume and index + 1 < len(units) else None)
        try:
            result = writer.write_unit(document, unit, mine)
        except EditionError as error:
            diagnostics.append(error.diagnostic)
            continue
        except Exception as error:  # a writer bug must not cost the other pages; report where
            diagnostics.append(document.diagnostic(
                unit, "E0602", f"the {format_name} writer failed on this unit: "
                f"{type(error).__name__}: {error}; please report it with this file"))
            continue
        files.extend((f"{task.folders[format_name]}/{prefix}{file}", data) for file, data in result.files.items())
        outputs[format_name] = (list(result.files), result.record, result.diagnostics)
    files.extend((f"{CITE}/{page}/{file}", data) for file, data in cite.items())
    return Rendered(index, outputs, list(cite), diagnostics), files
