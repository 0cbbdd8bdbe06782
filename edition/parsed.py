"""A parsed file that can say where each of its nodes stands.

:class:`ParsedFile` owns the lxml tree (parsed once by :mod:`edition.source`), the file's
path and source lines, so that any node can be turned into the ``path:line:col`` and XPath of a
:class:`~edition.diagnostics.Diagnostic`, in its own file when it was included from another.  A
:class:`~edition.document.Document` is a parsed TEI file: this, plus the canonical references
of its citable units; an included file (:mod:`edition.xinclude`) is only this.
"""

from __future__ import annotations

import os
import re
from array import array
from functools import cached_property
from pathlib import Path
from typing import Any, Self

from lxml import etree

from . import p4
from .diagnostics import Diagnostic
from .names import PREFIXES, XML_ID, local_name
from .source import parse_tree

#: Paths of containers remembered per document by ``xpath_of`` (bounded: a proxy each).
_PATH_CACHE_LIMIT = 20_000


class ParsedFile:
    """One safely parsed XML file and the locations of its nodes.  Build with :meth:`from_bytes`.

    What other modules derive from a document once and keep for its life (an index, another
    engine's tree, the stage's decisions) is kept in one place, :attr:`cache`, under a name
    ``"module.what"``, so that it lives and dies with the document and is never kept in a
    module-level table keyed by documents (a ``WeakKeyDictionary`` whose values refer to their
    document never lets it go: ``rules.facts`` once kept every document checked).  The names in use:

    ``build.units``, ``build.breaks``, ``build.pages<suffix>``, ``build.shares``
        a file's units, the page breaks printed between them, their links, each unit's share of
        the elements (what the workers' schedule weighs) (:mod:`edition.plan`, :mod:`edition.render`);
    ``stage.decisions``
        the transform stage's decisions, by behaviour table (:mod:`edition.transforms.stage`);
    ``html.refs``, ``html.described``, ``html.header_titles``
        the web writer's references, authority entries and header titles;
    ``citations.kind``, ``citations.volume``
        the citation record's source kind and volume fields;
    ``identity.volume``
        the volume's identifier (:mod:`edition.identity`);
    ``rules.facts``
        what the rules share (:mod:`edition.rules.facts`);
    ``schematron.names``, ``schematron.tree``, ``schematron.index``
        what the Schematron checks read (:mod:`edition.schematron_tei`, :mod:`edition.schematron_run`);
    ``query.saxon``, ``query.saxon_refused``, ``query.elementpath``
        the query engines' trees, and a document Saxon cannot hold (:mod:`edition.xpath_saxon`,
        :mod:`edition.xpath_elementpath`);
    ``refs.fallback``
        the references found for the nodes asked about, or False where only the Citer's are
        sure (``Document.fallback_refs``);
    ``document.members``
        a ``teiCorpus``'s members seen as documents of their own (``Document.member``);
    ``query.steps``
        the XPath steps of the elements hits were found under (:mod:`edition.query_hits`), for
        the next query on the document.

    The model's own derived attributes (:attr:`ids`, :attr:`attribute_profile`, the line offsets, ``Document.citer``,
    ``header``, ``lang``) are ``cached_property``: typed attributes of the class itself, read on
    every location and every rendered element, where an attribute is the cheapest read there is.
    ``tests/test_architecture.py`` checks that every name used is listed here, and that no module
    keeps per-document state elsewhere.
    """

    def __init__(self, tree: etree._ElementTree, path: str, source: bytes) -> None:
        self.tree = tree
        self.root: etree._Element = tree.getroot()
        self.path = path
        self._source: bytes | None = source
        #: Size of the source in bytes.
        self.size = len(source)
        #: Where the source can be read again once it is let go (see :meth:`release_source`).
        self._origin: tuple[Path, int, int, int, int] | None = None
        #: Indexes derived from the tree by other modules, built once per document
        #: (keyed by "module.what", listed in the class docstring); the tree must not change once they exist.
        self.cache: dict[str, Any] = {}
        #: Findings of loading that did not stop it (an include not resolved: E0009).
        self.problems: list[Diagnostic] = []
        #: Included elements → the document of the file they come from (see edition.xinclude).
        self.origins: dict[etree._Element, ParsedFile] = {}

    @property
    def source(self) -> bytes:
        """The bytes the document was parsed from (read again from its file if let go;
        empty if the file has changed since)."""
        if self._source is not None:
            return self._source
        return self._read_back(0, self.size) or b""

    def release_source(self, file: Path) -> None:
        """Let go of the source bytes (a volume's 3 MB), keeping how to read them back
        from ``file``: locations are asked for a few nodes, and read a line each.  A file
        changed since loading is not read back (columns are then reported as 1)."""
        try:
            info = os.stat(file)
        except OSError:
            return
        if info.st_size != self.size:
            return
        if self._decoded_lines is None:  # only ASCII-compatible sources are read back by line
            self._origin = (file, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
            self._source = None

    def _read_back(self, begin: int, end: int) -> bytes | None:
        origin = self._origin
        if origin is None:
            return None
        file, *identity = origin
        try:
            fd = os.open(file, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns] != identity:
                return None
            return os.pread(fd, end - begin, begin)
        except OSError:
            return None
        finally:
            os.close(fd)

    # -- identity --------------------------------------------------------
    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path}>"

    @cached_property
    def ids(self) -> dict[str, etree._Element]:
        """xml:id → element (the first one, when an id is duplicated)."""
        index: dict[str, etree._Element] = {}
        for element in self.root.iter():
            value = element.get(XML_ID) if isinstance(element.tag, str) else None
            if value is not None and value not in index:
                index[value] = element
        return index

    @cached_property
    def attribute_profile(self) -> dict[str, frozenset[str]]:
        """Each element name (Clark) of the tree → the attribute names (Clark) its occurrences
        carry: what the schemas are pruned and cut to, and the Schematron checks skip by
        (:meth:`edition.rules.Facts.collect` fills it in its own walk, when it walks first)."""
        return attribute_profile(self.root)

    @cached_property
    def vocabulary(self) -> tuple[frozenset[str], frozenset[str]]:
        """The Clark names of the elements and of the attributes the tree uses."""
        profile = self.attribute_profile
        return frozenset(profile), frozenset().union(*profile.values())

    # -- locations --------------------------------------------------------
    @cached_property
    def _line_starts(self) -> array:
        """Byte offset of every line's start in an ASCII-compatible source.

        Locations are asked for a handful of nodes per file; an array of offsets (4 bytes a
        line) costs a few hundred kB on a FRUS volume, where the decoded lines cost 6 MiB."""
        starts = array("L", [0])
        source = self.source
        find = source.find
        at = find(b"\n")
        while at != -1:
            starts.append(at + 1)
            at = find(b"\n", at + 1)
        return starts

    @cached_property
    def _decoded_lines(self) -> list[str] | None:
        """The source as lines of text when its encoding is not ASCII-compatible (UTF-16…)."""
        encoding = (self.tree.docinfo.encoding or "utf-8").lower()
        try:
            ascii_compatible = "\n".encode(encoding) == b"\n" and "<".encode(encoding) == b"<"
        except LookupError:
            ascii_compatible, encoding = True, "utf-8"
        if ascii_compatible:
            return None
        return self.source.decode(encoding, errors="replace").removeprefix("\ufeff").split("\n")

    def _line(self, number: int) -> str | None:
        """Line ``number`` (1-based) of the source as text, None past the end."""
        decoded = self._decoded_lines
        if decoded is not None:
            return decoded[number - 1] if 0 < number <= len(decoded) else None
        starts = self._line_starts
        if not 0 < number <= len(starts):
            return None
        begin = starts[number - 1]
        end = starts[number] - 1 if number < len(starts) else self.size
        encoding = self.tree.docinfo.encoding or "utf-8"
        raw = self._source[begin:end] if self._source is not None else self._read_back(begin, end)
        if raw is None:
            return None
        try:
            text = raw.decode(encoding, errors="replace")
        except LookupError:
            text = raw.decode("utf-8", errors="replace")
        # a byte-order mark is not a column of line 1
        return text.removeprefix("\ufeff") if number == 1 else text

    @staticmethod
    def _same_tag_before_on_line(node: etree._Element, line: int) -> int:
        """How many elements named like ``node`` start earlier on its source line.

        Walks back in document order (line numbers never decrease going forward), so the
        cost is the number of nodes on that line, with no index of the whole tree."""
        count = 0
        current: etree._Element | None = node
        while current is not None:
            previous = current.getprevious()
            if previous is not None:
                while len(previous):
                    previous = previous[-1]
                current = previous
            else:
                current = current.getparent()
            if current is None:
                break
            seen = current.sourceline
            if seen and seen < line:
                break
            if seen == line and current.tag == node.tag:
                count += 1
        return count

    def owner(self, node: etree._Element) -> ParsedFile:
        """The document of the file ``node`` was written in: this one, or an included one."""
        origins = self.origins
        if origins:
            for element in (node, *node.iterancestors()):
                found = origins.get(element)
                if found is not None:
                    return found
        return self

    def path_of(self, node: etree._Element) -> str:
        """The shown path of the file ``node`` was written in (an included file's, for its content)."""
        return self.owner(node).path

    def position(self, node: etree._Element) -> tuple[int, int]:
        """1-based line and column of the start tag of ``node`` (in its own file, see :meth:`owner`).

        lxml knows only the line where a start tag ends; the column (and the
        line of a start tag that spans lines) is found in the source text.
        """
        if self.origins:
            owner = self.owner(node)
            if owner is not self:
                return owner.position(node)
        line = node.sourceline or 0
        if not line or not isinstance(node.tag, str):
            return line, 0
        qname = self._written_name(node)
        nth = self._same_tag_before_on_line(node, line)
        pattern = re.compile(r"<" + re.escape(qname) + r"(?=[\s/>])")
        text = self._line(line)
        if text is not None:
            hits = [m.start() for m in pattern.finditer(text)]
            if nth < len(hits):
                return line, hits[nth] + 1
        for back in range(line - 1, max(line - 50, 0), -1):
            text = self._line(back)
            hits = [m.start() for m in pattern.finditer(text)] if text is not None else []
            if hits:
                return back, hits[-1] + 1
        return line, 1

    @staticmethod
    def _written_name(node: etree._Element) -> str:
        local = local_name(node)
        prefix = node.prefix
        return f"{prefix}:{local}" if prefix else local

    def xpath_of(self, node: etree._Element) -> str:
        """Absolute XPath with positions where needed: ``/tei:TEI/tei:text/tei:body/tei:div[3]``."""
        steps: list[str] = []
        known = self._container_paths
        current: etree._Element | None = node
        prefix = ""
        while current is not None:
            if current is not node:
                found = known.get(current)
                if found is not None:
                    prefix = found
                    break
            steps.append(self._step(current))
            current = current.getparent()
        path = prefix
        chain = node.iterancestors() if len(steps) > 1 else ()
        ancestors = list(chain)[:len(steps) - 1]
        # remember the containers' paths: siblings and descendants ask for them again
        for ancestor, step in zip(reversed(ancestors), reversed(steps[1:]), strict=False):
            path += "/" + step
            if len(known) < _PATH_CACHE_LIMIT:
                known[ancestor] = path
        return path + "/" + steps[0]

    @cached_property
    def _container_paths(self) -> dict[etree._Element, str]:
        return {}

    @staticmethod
    def _step(current: etree._Element) -> str:
        parent = current.getparent()
        tag = current.tag
        if not isinstance(tag, str):
            kind = "comment()" if isinstance(current, etree._Comment) else "processing-instruction()"
            siblings = [s for s in (parent if parent is not None else []) if type(s) is type(current)]
            return f"{kind}[{siblings.index(current) + 1}]" if len(siblings) > 1 else kind
        if tag[0] == "{":
            namespace, _, local = tag[1:].partition("}")
        else:
            namespace, local = "", tag
        prefix = PREFIXES.get(namespace)
        name = f"{prefix}:{local}" if prefix else (f"Q{{{namespace}}}{local}" if namespace else local)
        if parent is not None:
            # counted by lxml's tag filter: a FRUS chapter has hundreds of divisions
            before = sum(1 for _ in current.itersiblings(tag, preceding=True))
            if before or next(current.itersiblings(tag), None) is not None:
                name += f"[{before + 1}]"
        return name

    def located(self, node: etree._Element | None, code: str, message: str) -> Diagnostic:
        """A diagnostic at ``node`` (at the file when ``node`` is None): path, line, column and XPath."""
        if node is None:
            return Diagnostic.make(code, message, path=self.path)
        line, column = self.position(node)
        return Diagnostic.make(code, message, path=self.path_of(node), line=line, column=column,
                               xpath=self.xpath_of(node))

    @classmethod
    def from_bytes(cls, data: bytes, path: str = "<string>") -> Self:
        """``data`` parsed safely (:func:`edition.source.parse_tree`); a TEI P4 file is read as P5,
        with one W0012 among its :attr:`problems`.  Its includes are not resolved."""
        element = parse_tree(data, path)
        p4_root = element.tag if p4.is_p4(element) else None
        if p4_root is not None:
            element, changes = p4.convert(element)
        parsed = cls(element.getroottree(), path, data)
        if p4_root is not None:
            parsed.problems.append(parsed.located(
                parsed.root, "W0012", f"<{p4_root}> is the root of a TEI P4 document: read as TEI P5 (the TEI "
                f"namespace, and {changes} names changed as the TEI's P4-to-P5 conversion does); save the file "
                "as P5 to make that lasting"))
        return parsed


def attribute_profile(root: etree._Element) -> dict[str, frozenset[str]]:
    """Each element name (Clark) under ``root`` (itself included) → the attribute names
    (Clark) its occurrences carry."""
    found: dict[str, set[str]] = {}
    for element in root.iter(etree.Element):
        keys = element.keys()
        seen = found.get(element.tag)
        if seen is None:
            found[element.tag] = set(keys)
        elif keys:
            seen.update(keys)
    return {tag: frozenset(keys) for tag, keys in found.items()}
