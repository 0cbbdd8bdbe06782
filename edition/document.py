"""The document model: one parsed TEI file, with locations for every node.

Every check, writer and query reads a :class:`Document`: a
:class:`~edition.parsed.ParsedFile` (the lxml tree, parsed once and safely by
:mod:`edition.source`: no DTD, no entity expansion, no network; the file's path and source
lines, so that any node can be turned into the ``path:line:col`` and XPath of a
:class:`~edition.diagnostics.Diagnostic`) with the canonical references of its citable units.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from .diagnostics import Diagnostic, EditionUsageError, printable
from .names import DIVISIONS, NAMESPACES, PREFIXES, TEI_NS, XML_ID, XML_LANG, XML_NS, is_tei, local_name, tei  # noqa: F401 - re-exported: modules name them through the model
from .parsed import ParsedFile
from .source import MAX_DEPTH, MAX_INPUT_BYTES, MAX_MARKUP, MAX_TEXT, read_source  # noqa: F401 - re-exported
from .xinclude import Includes, find_root, resolve_includes
from .xinclude import defaults as include_defaults

if TYPE_CHECKING:
    from .refs import Citer, FallbackRefs

_TEI, _TEI_CORPUS = tei("TEI"), tei("teiCorpus")

#: Files at least this large do not keep their bytes in memory once parsed (see
#: ``Document.release_source``): memory is the tree's, not the tree's plus the file's.
RELEASE_SOURCE_BYTES = 1 << 20


class Document(ParsedFile):
    """A parsed TEI file.  Build with :func:`load` or :func:`parse`."""

    # -- references -------------------------------------------------------
    @cached_property
    def citer(self) -> Citer:
        from .refs import Citer
        return Citer(self)

    def release(self) -> None:
        """After its last use: drop what was built from this file and refers back to it (its
        Citer, whose units also refer to each other, and :attr:`cache`, where the stage's decisions
        are), so that letting go of the Document frees its tree at once.  Otherwise only the cycle
        collector frees it: a full collection, 0.02-0.03 s at the end of a FRUS volume's build.
        Anything asked of it afterwards is built again."""
        citer = vars(self).pop("citer", None)
        if citer is not None:
            citer.release()
        self.cache.clear()

    def fallback_refs(self) -> FallbackRefs | None:
        """:meth:`ref_of`'s answers found for the nodes asked about, without numbering every
        unit (:class:`~edition.refs.FallbackRefs`), where they are sure to be the Citer's;
        None where they may not be, or where the Citer is built already (it answers then)."""
        from .refs import FallbackRefs

        if "citer" in vars(self):  # a cached_property: already paid for
            return None
        found: FallbackRefs | bool | None = self.cache.get("refs.fallback")
        if found is None:
            refs = FallbackRefs(self.root)
            found = self.cache["refs.fallback"] = refs if refs.usable else False
        return found if isinstance(found, FallbackRefs) else None

    def reference_problems(self) -> list[Diagnostic]:
        """:attr:`citer`'s problems, found without numbering every unit where there can be none.

        Without a citeStructure the Citer's only problem is a reference given twice, and
        :meth:`fallback_refs` answers exactly when division references are distinct and unlike
        a paragraph's, which makes every reference distinct: validating the FRUS volume then
        skips numbering its 4,000 paragraphs (0.03 s)."""
        if self.fallback_refs() is not None:
            return []
        return self.citer.problems

    def ref_of(self, node: etree._Element) -> str:
        """Canonical reference of the nearest citable unit holding ``node`` ('' if none)."""
        return self.citer.ref_of(node)

    def element_for_ref(self, ref: str) -> etree._Element | None:
        return self.citer.element(ref)

    def diagnostic(self, node: etree._Element | None, code: str, message: str) -> Diagnostic:
        """A diagnostic located at ``node`` (or at the file when ``node`` is None), with the
        canonical reference of the unit holding it (:meth:`located` has none)."""
        found = self.located(node, code, message)
        return found if node is None else replace(found, ref=self.ref_of(node))

    # -- a corpus's members -----------------------------------------------------
    def member(self, node: etree._Element) -> Document:
        """The document ``node`` belongs to: in a ``teiCorpus``, its own ``TEI``, seen as a
        document whose header (titles, authors, dates, language) is that member's; else this
        one.  The view shares everything else with this document: its tree, lines and ids, and
        its references, which are the corpus's."""
        if self.root.tag != _TEI_CORPUS:
            return self
        member = next((e for e in (node, *node.iterancestors()) if e.tag == _TEI), None)
        if member is None:
            return self
        views: dict[etree._Element, Document] = self.cache.setdefault("document.members", {})
        view = views.get(member)
        if view is None:
            view = views[member] = copy.copy(self)
            view.root = member
            view.cache = {}
            for derived in ("header", "lang", "citer"):
                vars(view).pop(derived, None)
            vars(view).update(ids=self.ids, citer=self.citer, lang=member.get(XML_LANG) or self.lang)
        return view

    # -- structure --------------------------------------------------------
    def xpath(self, expression: str, node: etree._Element | None = None, **variables: object) -> list:
        """lxml XPath 1.0 with the ``tei`` and ``xml`` prefixes bound (for internal use)."""
        return (node if node is not None else self.root).xpath(expression, namespaces=NAMESPACES, **variables)

    @cached_property
    def header(self) -> etree._Element | None:
        return self.root.find(tei("teiHeader"))

    @cached_property
    def lang(self) -> str:
        return self.root.get(XML_LANG) or "en"

    def units(self) -> list[etree._Element]:
        """The top-level citable units (documents of a volume, or the text itself)."""
        return self.citer.top_units()


def parse(data: bytes, path: str = "<string>", *, base: Path | None = None, xinclude: bool | None = None,
          root: str | os.PathLike[str] | None = None, includes: Includes | None = None) -> Document:
    """Parse bytes safely into a :class:`Document`; raise :class:`EditionParseError`.

    Nothing outside ``data`` is read: no DTD, no entity, no network.  ``xi:include`` names
    files relative to ``base`` (the input file's folder), resolved within ``root`` (by
    default found from ``base``: see :mod:`edition.xinclude`); one that cannot be resolved
    is an E0009 in ``Document.problems``, not an exception.
    """
    document = Document.from_bytes(data, path)
    if includes is None:
        given_root, enabled = include_defaults()
        includes = Includes(find_root(base if base is not None else Path(os.curdir),
                                      root if root is not None else given_root),
                            enabled if xinclude is None else xinclude)
    resolve_includes(document, base, includes)
    return document


def load(path: str | os.PathLike[str], display: str | None = None, *, xinclude: bool | None = None,
         root: str | os.PathLike[str] | None = None) -> Document:
    """Read and parse a TEI file.  ``display`` is the path shown in diagnostics.

    ``xi:include`` elements are replaced by what they name when it lies within ``root``
    (default: the file's checkout, else the current folder when the file is inside it,
    else the file's folder); any other include, and every include with ``xinclude=False``,
    is dropped with an E0009 in ``Document.problems`` (see :mod:`edition.xinclude`; not
    given, both come from :func:`edition.xinclude.settings`).
    """
    source = Path(path)
    shown = display if display is not None else str(path)
    data = read_source(source, shown)
    given_root, enabled = include_defaults()
    includes = Includes(find_root(source.parent, root if root is not None else given_root),
                        enabled if xinclude is None else xinclude, (os.path.realpath(source),))
    document = parse(data, shown, base=source.parent, includes=includes)
    if len(data) >= RELEASE_SOURCE_BYTES:
        document.release_source(source)
    return document


def require_tei_root(document: Document) -> Diagnostic | None:
    """E0010 unless the root is TEI or teiCorpus in the TEI namespace."""
    root = document.root
    if root.tag in (tei("TEI"), tei("teiCorpus")):
        return None
    qname = etree.QName(root)
    if qname.localname in ("TEI", "teiCorpus"):
        message = (f"root element <{qname.localname}> is in namespace "
                   f"'{qname.namespace or ''}', not the TEI namespace; add xmlns=\"{TEI_NS}\"")
        return document.diagnostic(root, "E0106", message)
    return document.diagnostic(root, "E0010", f"root element <{qname.localname}> is not a TEI document; "
                               "a TEI file's root is <TEI> (or <teiCorpus>)")


#: What a command reads when it names no TEI file or folder: an edition's own sources.
DEFAULT_SOURCES = Path("tei")


def sources_or_default(paths: Iterable[str | os.PathLike[str]], command: str) -> list[Path]:
    """The files and folders named, else :data:`DEFAULT_SOURCES` when there is one here; a usage
    error (E0901) when neither, rather than an E0001 about a ``tei`` the user never named."""
    named = [Path(path) for path in paths]
    if named:
        return named
    if DEFAULT_SOURCES.exists() or DEFAULT_SOURCES.is_symlink():  # a broken link says so when read
        return [DEFAULT_SOURCES]
    raise EditionUsageError.at("E0901", f"no TEI file or folder named, and no {DEFAULT_SOURCES}/ folder here; "
                               f"name them: edition {command} FILE.xml FOLDER/")


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[str, Path]]:
    """Expand files and folders (recursively, *.xml, sorted) into (shown path, path).

    A folder named like a file (``x.xml/``) is yielded as given, so that
    loading it says it is a folder (E0005) instead of silently searching it.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir() and path.suffix.lower() != ".xml":
            for found in _xml_files(path):
                yield printable(str(found)), found
        else:
            yield printable(str(given)), path


def _xml_files(folder: Path) -> list[Path]:
    """The files ``folder.rglob("*.xml")`` finds, in the order of their parts (as Paths sort),
    without those in or below a hidden file or folder: one ``scandir`` a folder and the
    entries' types, not a Path and a ``stat`` for each (a fifth of a rebuild of 5,000 unchanged
    files).  As rglob, a symbolic link to a folder is not followed, one to a file is kept, and a
    folder that cannot be read holds nothing."""
    found: list[tuple[str, ...]] = []
    stack: list[tuple[str, ...]] = [()]
    while stack:
        relative = stack.pop()
        try:
            with os.scandir(os.path.join(folder, *relative)) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((*relative, name))
                    elif name.endswith(".xml") and entry.is_file():
                        found.append((*relative, name))
        except OSError:
            continue
    found.sort()
    return [folder.joinpath(*parts) for parts in found]
