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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def forget_documents() -> None:
    """Let go of the parsed files once the pages are rendered."""
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


def _pages_of(document: Document, plan: FilePlan, suffix: str) -> dict[etree._Element, str]:
    """A volume's units, and the page breaks printed between two of them (shown, and linked,
    on the next one), → their link in a writer whose files end in ``suffix``."""
    from edition.transforms.html import safe_id

    units, _ = document_units(document)
    found: dict[etree._Element, str] = {unit: f"{name}{suffix}" for unit, name in zip(units, plan.names, strict=False)}
    for unit, name in zip(units, plan.names, strict=True):
        for pb in preceding_breaks(document, unit):
            if pb.get(XML_ID):
                found[pb] = f"{name}{suffix}#{safe_id(pb.get(XML_ID) or '')}"
    return found


def render(task: Task) -> tuple[list[Rendered], list[Diagnostic]]:
    """Render some units of one file with every chosen writer (runs in a worker)."""
    from edition.transforms import citations
    from edition.transforms.contract import UnitRecord
    from edition.transforms.engine import get_writer

    plan = task.plan
    try:
        document = _document_for(plan)
    except EditionError as error:
        return [], [error.diagnostic]
    units, is_volume = document_units(document)
    formats = task.options.formats
    writers = {name: get_writer(name)() for name in formats if name not in NOT_WRITERS}
    suffixes = {name: writer.link_suffix or writer.suffix for name, writer in writers.items()}
    links = {suffix: _pages_of(document, plan, suffix) if is_volume else {} for suffix in set(suffixes.values())}
    target = Folder(Path(task.target), Path(task.previous) if task.previous else None)
    prefix = f"{plan.folder}/" if plan.folder else ""
    out: list[Rendered] = []
    for index in task.indices:
        unit, name = units[index], plan.names[index]
        page = f"{plan.folder}/{name}" if plan.folder else name
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
                            cite_files=sorted(cite), preceding=preceding_breaks(document, unit),
                            citation=citation, options=task.options)
        outputs: dict[str, tuple[list[str], Any, list[Diagnostic]]] = {}
        for format_name, writer in writers.items():
            suffix = suffixes[format_name]
            # the writer knows its own unit: the links are shared, not copied per page
            mine = dataclasses.replace(
                record, page_of=links[suffix],
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
            for file, data in result.files.items():
                target.write(f"{task.folders[format_name]}/{prefix}{file}", data)
            outputs[format_name] = (list(result.files), result.record, result.diagnostics)
        for file, data in cite.items():
            target.write(f"{CITE}/{page}/{file}", data)
        out.append(Rendered(index, outputs, list(cite), diagnostics))
    return out, []
