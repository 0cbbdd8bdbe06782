"""``edition build``: every output of the edition, written atomically.

The pipeline reads as four steps (after Docutils' ``Publisher.publish``)::

    plan = plan_build(paths)                 # files → units → page names
    results = run_parallel(_render, tasks)   # each unit through every writer (workers)
    files = assemble(results)                # unit files + each writer's finish()
    swap(temporary, out)                     # the new edition replaces the old at once

A file holding many ``div[@type='document']`` (a FRUS volume) is built as a
volume: a folder with one page per document, previous/next links and a table
of contents.  Any other file is one page for its whole text.  Writers come
from the registry (:func:`edition.transforms.engine.get_writer`), so the print
edition is one more registered writer, not more code here.

Nothing is written into ``out`` until the whole edition is in a temporary
sibling folder; then the two are exchanged with one ``renameat2`` call
(RENAME_EXCHANGE) where Linux offers it, else two renames.  A killed build
leaves the previous edition whole.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lxml import etree

from . import processes, resources
from .diagnostics import Diagnostic, EditionError, EditionOutputError, EditionUsageError, exit_code, sort_key, summary
from .document import DIVISIONS, XML_ID, Document, iter_sources, load, require_tei_root, tei
from .incremental import BuildCache, FileEntry, UnitEntry, diagnostic_from, toolkit_key
from .lock import OutputLock
from .paths import output_file, safe_name, shown_path
from .series import series_pages, volume_entry
from .speed import give_back_memory

DEFAULT_OUT = Path("_build") / "edition"
DEFAULT_IN = Path("tei")
#: The file that marks a folder as an edition build: only such a folder is replaced.
MARKER = ".edition-build"
#: The citation files (cite/): not a writer of the behaviour table but metadata of the header,
#: chosen like an output with ``-f cite``.
CITE = "cite"
#: Outputs made from the whole input once the pages are done, by a module's ``export(paths, options)``
#: (name → module; files under a folder of that name): not writers of the behaviour table, chosen
#: with ``-f NAME`` only, never by default.
EXPORTS = {"dts": "edition.dts_static"}
_NOT_WRITERS = (CITE, *EXPORTS)

# A volume's body holds documents, chapter divisions with heads, and page
# breaks; a file with paragraphs between its documents is one text and is
# rendered whole, so that nothing outside the documents is lost.
_TEXT_TAGS = frozenset(tei(n) for n in ("p", "ab", "list", "table", "quote", "note", "lg"))


def _text_outside_documents(root: etree._Element) -> bool:
    """Whether a body holds text (p, ab, list, table, quote, note, lg) outside its document
    divisions and heads.  A walk that does not enter the documents: an XPath with
    ancestor tests visits the whole volume (a tenth of its planning)."""
    head, div = tei("head"), tei("div")
    for text in root.iter(tei("text")):
        if any(a.tag == head or (a.tag == div and a.get("type") == "document") for a in text.iterancestors()):
            continue
        for body in text.iterchildren(tei("body")):
            stack = list(body)
            while stack:
                element = stack.pop()
                tag = element.tag
                if not isinstance(tag, str) or tag == head or (tag == div and element.get("type") == "document"):
                    continue
                if tag in _TEXT_TAGS:
                    return True
                stack.extend(element)
    return False
_DIVISIONS = DIVISIONS


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


# -- planning --------------------------------------------------------------------

def document_units(document: Document) -> tuple[list[etree._Element], bool]:
    """The units to render and whether the file is a volume (several document divisions)."""
    found = document.cache.get("build.units")
    if found is None:
        found = document.cache["build.units"] = _find_units(document)
    return found


def _find_units(document: Document) -> tuple[list[etree._Element], bool]:
    if document.root.tag == tei("teiCorpus"):
        # a corpus is built as a volume: a page for the text of each TEI member
        members = [text for member in document.root.iter(tei("TEI")) for text in member.iterchildren(tei("text"))]
        if len(members) > 1:
            return members, True
    documents = [element for element in document.units()
                 if element.tag in _DIVISIONS and element.get("type") == "document"]
    if len(documents) > 1 and not _text_outside_documents(document.root):
        # the volume's front and back matter (preface, lists of persons and
        # abbreviations, index) are pages of their own, before and after the documents
        text = document.root.find(tei("text"))
        front = [d for d in text.iterfind(f"{tei('front')}/*") if d.tag in _DIVISIONS] if text is not None else []
        back = [d for d in text.iterfind(f"{tei('back')}/*") if d.tag in _DIVISIONS] if text is not None else []
        return front + documents + back, True
    text = document.root.find(tei("text"))
    return [text if text is not None else document.root], False


def _safe_name(value: str) -> str:
    return safe_name(value)


#: Names of the edition's own pages and folders at the top of a writer's folder (home and
#: index pages, search, assets, the whole edition's PDF): no input's page or volume folder
#: takes one (compared without case, for file systems that ignore it), nor a name of an
#: index's letter pages (``persons-b``); it gets ``-document`` and W0607.  What a writer's
#: ``finish()`` adds beyond these is caught when it is written (E0604), never overwritten.
RESERVED = frozenset({"index", "indexes", "search", "persons", "places", "organisations", "terms", "assets",
                      "pagefind", "edition", "series"})
_RESERVED_PREFIXES = ("persons-", "places-", "organisations-", "terms-")
#: The same inside a volume's folder: its table of contents and lists.
RESERVED_IN_VOLUME = frozenset({"index", "by-date", "page-list", "pages"})


def _unreserved(name: str) -> str:
    folded = name.casefold()
    return f"{name}-document" if folded in RESERVED or folded.startswith(_RESERVED_PREFIXES) else name


@dataclass
class _FilePlan:
    shown: str
    path: str
    docid: str
    folder: str
    volume: tuple[str, str] | None
    names: list[str]
    titles: list[str]
    chapters: list[list[str]]
    #: The name this file's page or folder would have had, when it is a reserved one.
    renamed: str = ""
    #: A volume's entry in the series index (edition/series.py).
    series: dict[str, Any] | None = None


def _renamed(plan: _FilePlan) -> list[Diagnostic]:
    if not plan.renamed:
        return []
    kind = "folder" if plan.folder else "page"
    given = plan.folder or plan.names[0]
    return [Diagnostic.make("W0607", f"this file's {kind} is named {given!r}, not {plan.renamed!r}, which "
                            f"is one of the edition's own pages ({', '.join(sorted(RESERVED))})", path=plan.shown,
                            line=1, column=1)]


def _plan_file(document: Document, shown: str, path: Path, taken: set[str]) -> _FilePlan:
    from edition.transforms.html import page_title, plain

    units, is_volume = document_units(document)
    stem = _safe_name(path.stem)
    if is_volume:
        folder = _unreserved(stem)
        number = 1
        while folder in taken:
            number += 1
            folder = f"{stem}-{number}"
        taken.add(folder)
        names: list[str] = []
        used: set[str] = set()
        for position, unit in enumerate(units, start=1):
            name = _safe_name(document.ref_of(unit) or unit.get(XML_ID) or f"section-{position}")
            if name.casefold() in RESERVED_IN_VOLUME:  # the volume's table of contents is index.html
                name += "-section"
            while name in used:
                name += "-"
            used.add(name)
            names.append(name)
        chapters = []
        for unit in units:
            path_titles = []
            for ancestor in unit.iterancestors():
                if ancestor.tag in _DIVISIONS:
                    head = ancestor.find(tei("head"))
                    if head is not None and plain(head):
                        path_titles.append(plain(head))
            chapters.append(list(reversed(path_titles)))
        text = document.root.find(tei("text"))
        volume_title = page_title(document, text if text is not None else document.root)
        return _FilePlan(shown, str(path), stem, folder, (folder, volume_title), names,
                         [page_title(document, unit) for unit in units], chapters,
                         renamed=stem if _unreserved(stem) != stem else "", series=volume_entry(document))
    # one page for the whole text, named after its file (name.xml: name.html, name.txt, name.pdf,
    # cite/name/); a file that declares its canonical references (citeStructure) is named by
    # its one document's reference instead, as a citation names it (the memo: d300)
    name = stem
    if document.citer.source == "citeStructure":
        divisions = [element for element in document.units() if element.tag in _DIVISIONS]
        ref = document.ref_of(divisions[0]) if len(divisions) == 1 else ""
        name = _safe_name(ref) if ref else stem
    wanted = name
    base = name = _unreserved(name)
    number = 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    taken.add(name)
    return _FilePlan(shown, str(path), stem, "", None, [name], [page_title(document, units[0])], [[]],
                     renamed=wanted if base != wanted else "")


# -- rendering (in workers) ---------------------------------------------------------

@dataclass
class _Task:
    plan: _FilePlan
    indices: list[int]
    formats: list[str]
    options: dict[str, Any]
    #: The temporary edition folder, and each writer's folder in it: workers write the
    #: files themselves (both cores share the disk's work; no page is sent back).
    target: str = ""
    folders: dict[str, str] = field(default_factory=dict)
    #: The edition being replaced ("" if none): files with unchanged bytes are linked to it.
    previous: str = ""


@dataclass
class _Rendered:
    unit: int
    #: format → (files written, relative to the writer's folder; record; diagnostics)
    outputs: dict[str, tuple[list[str], Any, list[Diagnostic]]]
    cite: list[str]
    diagnostics: list[Diagnostic]


def _preceding_breaks(document: Document, unit: etree._Element) -> list[etree._Element]:
    """Page breaks printed between the previous document and this one (rendered on this page):
    the transform stage's decision, the same for every writer."""
    from edition.transforms.stage import decide

    return decide(document).breaks_before(unit)


#: Units per task.  A volume is rendered in slices of this many documents, so that a
#: process holds one slice's pages at a time, not the volume's, and both cores share it.
SLICE = 16
#: Files parsed while planning that are rendered in several slices (volumes), up to this
#: many bytes of source in all: forked workers inherit them parsed instead of parsing again.
KEEP_PARSED_BYTES = 64 * 2**20

#: Those files, by path (set before the pool forks; cleared when the build ends).
_LOADED: dict[str, Document] = {}
#: The file a worker parsed last: the next slice of the same volume reuses it.
_RECENT: dict[str, Document] = {}


def _document_for(plan: _FilePlan) -> Document:
    document = _LOADED.get(plan.path) or _RECENT.get(plan.path)
    if document is None:
        _RECENT.clear()  # one parsed file per worker at a time: memory follows the largest file
        document = _RECENT[plan.path] = load(plan.path, display=plan.shown)
    return document


def _render(task: _Task) -> tuple[list[_Rendered], list[Diagnostic]]:
    """Render some units of one file with every chosen writer (runs in a worker)."""
    from edition.transforms import citations
    from edition.transforms.engine import get_writer

    plan = task.plan
    try:
        document = _document_for(plan)
    except EditionError as error:
        return [], [error.diagnostic]
    units, is_volume = document_units(document)
    writers = {name: get_writer(name)() for name in task.formats if name not in _NOT_WRITERS}
    wants_cite = CITE in task.formats
    page_of = {unit: f"{name}.html" for unit, name in zip(units, plan.names, strict=False)} if is_volume else {}
    if is_volume:  # a page break printed between two documents is shown (and linked) on the next one
        from edition.transforms.html import safe_id

        for unit, name in zip(units, plan.names, strict=True):
            for pb in _preceding_breaks(document, unit):
                if pb.get(XML_ID):
                    page_of[pb] = f"{name}.html#{safe_id(pb.get(XML_ID) or '')}"
    target = _Folder(Path(task.target), Path(task.previous) if task.previous else None)
    prefix = f"{plan.folder}/" if plan.folder else ""
    out: list[_Rendered] = []
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
            if wants_cite:
                cite = {file: text.encode("utf-8")
                        for file, text in citations.citation_files(document, unit, citation).items()}
        except EditionError as error:
            diagnostics.append(error.diagnostic)
        options = dict(task.options)
        options.update(
            basename=name, page=page, root="../" if plan.folder else "", docid=plan.docid,
            first=index == 0, volume=plan.volume, chapters=plan.chapters[index],
            page_of=page_of,  # the writer knows its own unit: no copy per page
            cite_files=sorted(cite), preceding=_preceding_breaks(document, unit),
            citation=citation, formats=task.formats)
        if is_volume and index > 0:
            options["prev"] = (f"{plan.names[index - 1]}.html", plan.titles[index - 1])
        if is_volume and index + 1 < len(units):
            options["next"] = (f"{plan.names[index + 1]}.html", plan.titles[index + 1])
        outputs: dict[str, tuple[list[str], Any, list[Diagnostic]]] = {}
        for format_name, writer in writers.items():
            try:
                result = writer.write_unit(document, unit, options)
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
        out.append(_Rendered(index, outputs, list(cite), diagnostics))
    return out, []


# -- output folder -----------------------------------------------------------------

def _resolved(path: str | os.PathLike[str]) -> Path:
    """``Path.resolve()`` that survives a symbolic-link loop (RuntimeError in Python 3.11)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def check_out(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output folder that could overwrite sources, the schema or the repository."""
    target = _resolved(out)
    if target == _resolved(os.getcwd()):
        raise EditionUsageError.at("E0601", f"refusing to build into {shown_path(out)}, the current folder: "
                                   "the build replaces its output folder as a whole; name a folder of its own, "
                                   "such as _build/edition", path=shown_path(out))
    protected = [resources.schema_dir(), *resources.package_roots(), Path.home(), Path(target.anchor)]
    protected += [_resolved(p) for p in inputs]
    for place in protected:
        place = _resolved(place)
        if target == place or place.is_relative_to(target):
            raise EditionUsageError.at("E0601", f"refusing to build into {shown_path(out)}: it is or contains {place}, "
                                       "which the build must never replace; choose a folder of its own, "
                                       "such as _build/edition", path=shown_path(out))
    # inside a source folder the edition would be read back as sources; a single
    # file's own folder is protected by the check above (replacing it would take
    # the file along), a sibling output folder is fine
    for folder in [resources.schema_dir()] + [_resolved(p) for p in inputs if Path(p).is_dir()]:
        if target.is_relative_to(_resolved(folder)):
            raise EditionUsageError.at("E0601", f"refusing to build into {shown_path(out)}: it is inside the "
                                       f"source folder {folder}; outputs must live apart from the TEI",
                                       path=shown_path(out))
    if (target / ".git").exists():
        raise EditionUsageError.at("E0601", f"refusing to build into {shown_path(out)}: it is a repository root",
                                   path=shown_path(out))
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).exists())):
        raise EditionUsageError.at("E0601", f"refusing to replace {shown_path(out)}: it exists and is not an "
                                   f"edition build (no {MARKER} file); remove it or choose another folder",
                                   path=shown_path(out))


def _exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library already loaded in this process
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return result == 0


def swap(built: Path, out: Path) -> None:
    """Put the finished build at ``out``; the old one (if any) is removed afterwards."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        os.rename(built, out)
        return
    if _exchange(built, out):
        remove_tree(built)  # now holds the previous edition
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    os.rename(built, out)
    remove_tree(old)


#: Threads that remove or fill a tree's folders at once.
FOLDER_THREADS = 8


def remove_tree(path: Path) -> None:
    """``shutil.rmtree``, with the folders two levels down (``cite/d300/``) removed by
    several threads at once.  Removing a folder waits on the file system's journal
    (2-4 ms each on the disks here, against 0.05 ms for a file): an edition of 5,000
    pages is 5,000 folders, 17 s one after the other, a third of that in 8 threads."""
    subtrees: list[str] = []
    try:
        for entry in os.scandir(path):
            if entry.is_dir(follow_symlinks=False):
                subtrees.extend(child.path for child in os.scandir(entry.path) if child.is_dir(follow_symlinks=False))
    except OSError:
        subtrees = []
    if len(subtrees) >= 64:
        with ThreadPoolExecutor(FOLDER_THREADS) as pool:
            for _ in pool.map(partial(shutil.rmtree, ignore_errors=True), subtrees):
                pass
    shutil.rmtree(path)


def _clean_stale(out: Path) -> None:
    """Temporary folders of killed builds (named by us, beside ``out``)."""
    parent = out.parent
    if not parent.is_dir():
        return
    # Only build folders have these names (a dot, the output's name, .tmp- or .old- and a
    # process id); a build killed while deleting one may have deleted its marker already.
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*"):
        for leftover in parent.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink() and leftover.name.rpartition("-")[2].isdigit():
                shutil.rmtree(leftover, ignore_errors=True)


class _Folder:
    """Writes the files of the temporary edition folder with as few system calls as it can.

    A FRUS volume is 2,500 files, and creating a file (a new inode) costs 0.3-0.8 ms on
    this kind of disk, against 0.015 ms for a hard link: a file whose bytes are those of
    the same file in the previous edition (``previous``) is linked to it, not written
    again.  Nothing is stat'ed or unlinked unless it already exists."""

    def __init__(self, root: Path, previous: Path | None = None) -> None:
        # strings, not Paths: a path object per file was a tenth of an unchanged rebuild
        self.root = str(root)
        self.previous = str(previous) if previous is not None else None
        self.made: set[str] = set()

    def folder_for(self, relative: str) -> None:
        parent = os.path.dirname(relative)
        if parent and parent not in self.made:
            os.makedirs(f"{self.root}/{parent}", exist_ok=True)
            while parent and parent not in self.made:
                self.made.add(parent)
                parent = os.path.dirname(parent)

    def write(self, relative: str, data: bytes) -> None:
        target = output_file(self.root, relative)
        self.folder_for(relative)
        if self.previous is not None and self._link_if_unchanged(relative, target, data):
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except FileExistsError:
            # replace, never write through: the file may be a hard link into the previous edition
            os.unlink(target)
            fd = os.open(target, flags, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def _link_if_unchanged(self, relative: str, target: str, data: bytes) -> bool:
        assert self.previous is not None
        before = f"{self.previous}/{relative}"
        try:  # a regular file of the previous edition, never a link out of it
            fd = os.open(before, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return False
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size != len(data) or info.st_nlink > 64:
                return False
            if os.pread(fd, len(data) + 1, 0) != data:
                return False
            os.link(before, target, follow_symlinks=False)
        except OSError:
            return False
        finally:
            os.close(fd)
        return True

    def reuse_all(self, previous_root: str, relatives: list[str]) -> None:
        """:meth:`reuse` for many files, by several threads at once: their folders first,
        then the links (see :func:`remove_tree`: a folder costs milliseconds)."""
        pairs = [(f"{previous_root}/{relative}", output_file(self.root, relative)) for relative in relatives]
        if len(pairs) < 256:
            for relative in relatives:
                self.reuse(f"{previous_root}/{relative}", relative)
            return
        folders = sorted({os.path.dirname(relative) for relative in relatives} - self.made - {""})

        def make(folder: str) -> None:
            os.makedirs(f"{self.root}/{folder}", exist_ok=True)

        def link(chunk: list[tuple[str, str]]) -> None:
            for previous, target in chunk:
                try:
                    os.link(previous, target)
                except OSError:
                    shutil.copyfile(previous, target)

        with ThreadPoolExecutor(FOLDER_THREADS) as pool:
            for _ in pool.map(make, folders):
                pass
            for folder in folders:
                while folder and folder not in self.made:
                    self.made.add(folder)
                    folder = os.path.dirname(folder)
            for _ in pool.map(link, [pairs[start:start + 512] for start in range(0, len(pairs), 512)]):
                pass

    def reuse(self, previous: str, relative: str) -> None:
        """Take an unchanged file from the previous edition: a hard link (no copy), else a copy."""
        target = output_file(self.root, relative)
        self.folder_for(relative)
        try:
            os.link(previous, target)
        except OSError:
            shutil.copyfile(previous, target)


# -- the build -------------------------------------------------------------------------

def build(paths: Sequence[str | os.PathLike[str]] = (), out: str | os.PathLike[str] | None = None,
          formats: Sequence[str] | None = None, options: dict[str, Any] | None = None,
          jobs: int | None = None, incremental: bool = True) -> BuildReport:
    """Build the edition of ``paths`` (default tei/) into ``out`` (default _build/edition).

    With ``incremental`` (the default), files unchanged since the build already in ``out``
    are not parsed or rendered again: their pages are taken from that build
    (:mod:`edition.incremental`); index pages and tables of contents are always redone.

    Usage errors (unknown outputs or options, a refused ``out``) are raised before
    anything is written; one build at a time writes ``out`` (:mod:`edition.lock`, E0605);
    SIGTERM stops the build like Ctrl-C (:class:`edition.processes.Terminated`), and the
    previous edition is replaced only by one with at least one page.
    """
    from edition.transforms.engine import get_writer, load_writers

    started = time.perf_counter()
    inputs = [Path(p) for p in paths] or [DEFAULT_IN]
    given = Path(out) if out is not None else DEFAULT_OUT
    chosen = sorted({name if name in _NOT_WRITERS else get_writer(name).name for name in formats} if formats
                    else {*load_writers(), CITE})
    options = dict(options or {})
    for name in chosen:  # a bad option is a usage error now, not an error per page later
        check = getattr(get_writer(name), "check_options", None) if name not in _NOT_WRITERS else None
        if check is not None:
            check(options)
    out_path = _output_folder(given)
    shown = shown_path(given)
    try:
        check_out(given, inputs)
    except OSError as error:
        raise EditionUsageError.at("E0601", f"cannot use {shown} as the output folder: "
                                   f"{error.strerror or error}", path=shown) from None
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EditionOutputError.at("E0602", f"cannot create the folder of {shown}: {error.strerror or error}"
                                    f"{_named(error)}; nothing was written", path=shown) from None
    try:
        with processes.signals_as_interrupts(), OutputLock(out_path):
            _clean_stale(out_path)
            processes.clean_dead_temporaries()
            return _build(inputs, out_path, given, chosen, options, jobs, incremental, started)
    except EditionError:
        raise
    except OSError as error:
        raise EditionOutputError.at("E0602", f"cannot write the edition to {shown}: {error.strerror or error}"
                                    f"{_named(error)}; the previous edition is untouched", path=shown) from None


def _named(error: OSError) -> str:
    return f" ({shown_path(error.filename)})" if isinstance(error.filename, (str, bytes)) else ""


def _output_folder(given: Path) -> Path:
    """The folder the build replaces: absolute (``.`` and ``""`` are the current folder by
    name, so that a sibling temporary folder can be made), and for a symbolic link, the
    folder it points to: the link stays a link, to the new edition, swapped in at once."""
    path = Path(os.path.abspath(given))
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _build(inputs: list[Path], out_path: Path, given: Path, chosen: list[str], options: dict[str, Any],
           jobs: int | None, incremental: bool, started: float) -> BuildReport:
    from edition.transforms.engine import get_writer

    from .corpus import default_jobs, run_parallel

    report = BuildReport(out=given, formats=chosen)

    writer_folders = {name: get_writer(name).name for name in chosen if name not in _NOT_WRITERS}
    cache = BuildCache(out_path, toolkit_key(chosen, options), reuse=incremental)

    # 1. plan: files → units → page names (parse errors are reported, the file skipped)
    plans: list[_FilePlan] = []
    unit_counts: list[int] = []
    digests: list[str | None] = []
    reused: dict[int, FileEntry] = {}
    taken: set[str] = set()
    documents: dict[str, Document] = {}
    kept_bytes = 0
    for shown, path in iter_sources(inputs):
        report.inputs += 1
        digest = cache.digest(path) if cache.key else None
        entry = cache.reusable(str(path), digest, writer_folders)
        if entry is not None:
            plan = _FilePlan(**BuildCache.decode(entry.plan))
            claimed = plan.folder or plan.names[0]
            if plan.shown == shown and claimed not in taken:
                taken.add(claimed)
                reused[len(plans)] = entry
                report.reused += 1
                plans.append(plan)
                unit_counts.append(0)  # nothing to render
                digests.append(digest)
                report.diagnostics.extend(_renamed(plan))
                continue
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
        plan = _plan_file(document, shown, path, taken)
        report.diagnostics.extend(_renamed(plan))
        if len(plan.names) > SLICE and kept_bytes + document.size <= KEEP_PARSED_BYTES:
            from edition.transforms.stage import decide

            decide(document)  # the stage's decisions, made once here: every worker inherits them
            documents[plan.path] = document
            kept_bytes += document.size
        del document
        plans.append(plan)
        unit_counts.append(len(plan.names))
        digests.append(digest)
    jobs = jobs or default_jobs()
    temporary = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    previous = str(out_path) if (out_path / MARKER).is_file() else ""
    tasks: list[_Task] = []
    for plan, count in zip(plans, unit_counts, strict=False):
        if not count:
            continue
        for start in range(0, count, SLICE):
            tasks.append(_Task(plan, list(range(start, min(start + SLICE, count))), chosen, options,
                               str(temporary), writer_folders, previous))
    _LOADED.update(documents)  # before the pool forks: workers inherit them parsed
    documents.clear()

    # 2. render in workers, which write each unit's files into a temporary sibling of out
    #    (file contents do not depend on who writes them or when; results come back in
    #    task order, so the records and the manifest are deterministic; a worker holds one
    #    slice's pages at a time, not the edition's)
    if temporary.exists():
        shutil.rmtree(temporary)
    temporary.mkdir()
    written: set[str] = set()
    target = _Folder(temporary, Path(previous) if previous else None)

    def put(folder: str, file: str, data: bytes) -> None:
        relative = f"{folder}/{file}"
        if relative in written:  # an input's page: never replaced by one of the edition's own
            report.diagnostics.append(Diagnostic.make(
                "E0604", f"the edition's own page {relative} has the name of an input's page, which is kept; "
                "rename the input (this name should have been reserved: please report it)",
                path=shown_path(given)))
            return
        target.write(relative, data)
        written.add(relative)

    # each unit's outcome, by plan: (unit index, {format: (file names, record)}, cite names, diagnostics)
    Outcome = tuple[int, dict[str, tuple[list[str], Any]], list[str], list[Diagnostic]]
    outcomes: list[list[Outcome]] = [[] for _ in plans]
    plan_index = {id(plan): position for position, plan in enumerate(plans)}
    try:
        (temporary / MARKER).write_text("This folder is written by `edition build` and replaced as a whole.\n")
        try:
            # no warm-up task in this process before the pool forks: what a render compiles
            # (writer tables, a document's indexes) is cheap, and both workers start at once
            results = run_parallel(_render, tasks, jobs=jobs, label="building", warm_up=False)
            for task, (rendered, problems) in zip(tasks, results, strict=False):
                report.diagnostics.extend(problems)
                folder = f"{task.plan.folder}/" if task.plan.folder else ""
                for item in rendered:
                    page = folder + task.plan.names[item.unit]
                    found = list(item.diagnostics)
                    outputs: dict[str, tuple[list[str], Any]] = {}
                    for format_name, (files, record, problems) in item.outputs.items():
                        found.extend(problems)
                        written.update(f"{writer_folders[format_name]}/{folder}{file}" for file in files)
                        outputs[format_name] = (sorted(folder + file for file in files), record)
                    written.update(f"{CITE}/{page}/{file}" for file in item.cite)
                    cite = sorted(f"{page}/{file}" for file in item.cite)
                    outcomes[plan_index[id(task.plan)]].append((item.unit, outputs, cite, found))
        finally:
            _LOADED.clear()
            _RECENT.clear()
            # the tree's memory free again before the index pages and the manifest are made
            give_back_memory()
        taken_over: list[str] = []  # files of unchanged inputs, linked from the previous edition at once
        for position, entry in reused.items():
            for unit_number, unit in enumerate(entry.units):
                for format_name, files in unit.files.items():
                    taken_over.extend(f"{writer_folders[format_name]}/{file}" for file in files)
                taken_over.extend(f"{CITE}/{file}" for file in unit.cite)
                outputs = {format_name: (files, BuildCache.decode(unit.records.get(format_name)))
                           for format_name, files in unit.files.items()}
                outcomes[position].append((unit_number, outputs, unit.cite,
                                           [diagnostic_from(d) for d in unit.diagnostics]))
        target.reuse_all(str(out_path), taken_over)
        written.update(taken_over)

        # 3. every writer's finish() over the records, in plan order (the order of the inputs)
        records: dict[str, list[dict[str, Any]]] = {name: [] for name in chosen}
        for position, plan in enumerate(plans):
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
            digest = digests[position]
            if digest and len(entries) == len(plan.names):
                # vars, not asdict: the plan is only read from here on, a deep copy is wasted
                cache.remember(plan.path, FileEntry(digest, dict(vars(plan)), entries))
        if not report.units:
            # no input, or every input failed: an empty edition must not replace the previous one
            shutil.rmtree(temporary, ignore_errors=True)
            what = "could be built from the input" if report.inputs else "to build: no TEI file (*.xml) in the input"
            report.diagnostics.append(Diagnostic.make(
                "E0602", f"nothing {what}; {shown_path(given)} is left as it was",
                path=shown_path(given)))
            report.diagnostics.sort(key=sort_key)
            report.seconds = time.perf_counter() - started
            return report
        for format_name in chosen:
            if format_name in _NOT_WRITERS:
                continue
            writer = get_writer(format_name)()
            for file, data in writer.finish(records[format_name], {**options, "formats": chosen}).items():
                put(writer.name, file, data)
        if "html" in chosen:  # the series index: the volumes by sub-series and number
            volumes = [(plan.folder, plan.series) for plan in plans if plan.series is not None]
            for file, data in series_pages(volumes).items():
                put(get_writer("html").name, file, data)
        if "html" in chosen:  # the web edition's search index is made from its finished pages
            from edition.transforms.search import index_site

            problem = index_site(temporary / writer_folders["html"],
                                 Path(previous) / writer_folders["html"] if previous else None)
            if problem is not None:
                report.diagnostics.append(problem)
        for format_name in chosen:
            if format_name in EXPORTS:
                from importlib import import_module

                for file, data in import_module(EXPORTS[format_name]).export(inputs, options).items():
                    put(format_name, file, data)
        report.files = len(written)
        cache.write(temporary)
        # 4. swap
        processes.checkpoint()  # an interrupt whose exception a finalizer swallowed: no swap
        swap(temporary, out_path)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise EditionOutputError.at("E0602", f"cannot write the edition to {shown_path(given)}: "
                                    f"{error.strerror or error}{_named(error)}; the previous edition is untouched",
                                    path=shown_path(given)) from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    report.diagnostics.sort(key=sort_key)
    # an element the table lacks is met by every writer in every unit: one finding per file
    from edition.transforms.engine import once_per_file
    report.diagnostics = once_per_file(report.diagnostics)
    report.seconds = time.perf_counter() - started
    return report
