"""The document model: one parsed TEI file, with locations for every node.

Every check, writer and query reads a :class:`Document`.  It owns the lxml
tree (parsed once, safely: no DTD, no entity expansion, no network), the
file's path and source lines, so that any node can be turned into the
``path:line:col`` and XPath of a :class:`~edition.diagnostics.Diagnostic`,
and the canonical references of its citable units.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from .diagnostics import Diagnostic, EditionParseError

if TYPE_CHECKING:
    from .refs import Citer

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
NAMESPACES = {"tei": TEI_NS, "xml": XML_NS}
PREFIXES = {TEI_NS: "tei", XML_NS: "xml"}

#: Inputs larger than this are refused before parsing (a safety limit, far
#: above the largest FRUS volume of about 4 MB).
MAX_INPUT_BYTES = 256 * 1024 * 1024


def tei(local: str) -> str:
    """Clark name of a TEI element: ``tei('p') == '{http://www.tei-c.org/ns/1.0}p'``."""
    return f"{{{TEI_NS}}}{local}"


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def is_tei(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith(f"{{{TEI_NS}}}")


def _parser() -> etree.XMLParser:
    # Why each option: entities stay unexpanded (billion laughs, external
    # entities), no DTD is fetched or applied, nothing leaves the machine,
    # and libxml2's safety limits (depth, text size) stay on: no huge_tree.
    return etree.XMLParser(resolve_entities=False, load_dtd=False, dtd_validation=False,
                           no_network=True, huge_tree=False, remove_comments=False,
                           remove_pis=False, strip_cdata=True, collect_ids=False)


_DOCTYPE = re.compile(rb"<!DOCTYPE\b(?P<body>[^\[>]*)(?P<subset>\[.*?\])?\s*>", re.S)


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _check_prolog(data: bytes, path: str) -> None:
    """Refuse a DOCTYPE that declares entities or names an external DTD."""
    head = data[: 1 << 16]
    match = _DOCTYPE.search(head)
    if not match:
        return
    line, column = _position_of(data, match.start())
    body, subset = match.group("body"), match.group("subset") or b""
    if b"<!ENTITY" in subset:
        raise EditionParseError.at(
            "E0003", "the DOCTYPE declares entities; entity expansion is refused. "
            "Replace entity references with the characters themselves (TEI needs no DTD)",
            path=path, line=line, column=column)
    if re.search(rb"\b(SYSTEM|PUBLIC)\b", body):
        raise EditionParseError.at(
            "E0003", "the DOCTYPE names an external DTD, which is never loaded; "
            "remove the DOCTYPE (TEI is validated by its schema, not a DTD)",
            path=path, line=line, column=column)


_LIBXML_CODE = {
    # libxml2 error domains/types that are more than plain well-formedness
    "ERR_INVALID_CHAR": "E0004",
    "ERR_INVALID_ENCODING": "E0004",
    "ERR_UNSUPPORTED_ENCODING": "E0004",
    "ERR_DOCUMENT_EMPTY": "E0006",
    "ERR_INTERNAL_ERROR": "E0008",
    "ERR_RESOURCE_LIMIT": "E0008",
}


def _parse_error(error: etree.XMLSyntaxError, path: str) -> EditionParseError:
    entry = error.error_log.last_error if error.error_log else None
    line, column = (entry.line, entry.column) if entry else (error.lineno or 0, error.offset or 0)
    message = entry.message if entry else str(error)
    code = "E0002"
    type_name = entry.type_name if entry else ""
    if type_name in _LIBXML_CODE:
        code = _LIBXML_CODE[type_name]
    if "Excessive depth" in message or "huge" in message.lower():
        code = "E0008"
        message += " (the toolkit keeps libxml2's safety limits on; flatten the nesting or split the text)"
    elif "encoding" in message.lower() or "UTF-8" in message:
        code = "E0004"
        message += " (save the file as UTF-8, or correct its encoding declaration)"
    elif "Entity" in message or "entity" in message:
        code = "E0003" if "Detected an entity reference loop" in message else "E0002"
    else:
        message += " (fix the markup at this position; the file is not XML until it is well-formed)"
    return EditionParseError.at(code, message.strip(), path=path, line=line, column=max(column, 1))


def read_source(path: Path) -> bytes:
    """Read a file for parsing, with a diagnostic for every way that can fail."""
    shown = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise EditionParseError.at("E0001", "no such file; check the path", path=shown) from None
    except OSError as error:
        raise EditionParseError.at("E0001", f"cannot read: {error.strerror}", path=shown) from None
    if not path.is_file():
        raise EditionParseError.at("E0005", "not a regular file (a directory or device); "
                                   "name an XML file or a folder to recurse", path=shown)
    if st.st_size > MAX_INPUT_BYTES:
        raise EditionParseError.at("E0008", f"file is {st.st_size} bytes, over the limit of "
                                   f"{MAX_INPUT_BYTES}; split it", path=shown)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise EditionParseError.at("W0011", "the file vanished before it could be read", path=shown) from None
    except OSError as error:
        raise EditionParseError.at("E0001", f"cannot read: {error.strerror}", path=shown) from None
    return data


def _check_content(data: bytes, path: str) -> None:
    if not data.strip():
        raise EditionParseError.at("E0006", "the file is empty; it must hold a TEI document",
                                   path=path, line=1, column=1)
    sample = data[:4096]
    if b"\x00" in sample and not (sample.startswith((b"\xff\xfe", b"\xfe\xff"))
                                  or sample[:2] in (b"<\x00", b"\x00<")):
        offset = sample.index(b"\x00")
        line, column = _position_of(data, offset)
        raise EditionParseError.at("E0007", "binary data (NUL bytes), not XML text; "
                                   "is this the right file?", path=path, line=line, column=column)


class Document:
    """A parsed TEI file.  Build with :func:`load` or :func:`parse`."""

    def __init__(self, tree: etree._ElementTree, path: str, source: bytes) -> None:
        self.tree = tree
        self.root: etree._Element = tree.getroot()
        self.path = path
        self.source = source

    # -- identity --------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Document {self.path}>"

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
    def citer(self) -> Citer:
        from .refs import Citer
        return Citer(self)

    def ref_of(self, node: etree._Element) -> str:
        """Canonical reference of the nearest citable unit holding ``node`` ('' if none)."""
        return self.citer.ref_of(node)

    def element_for_ref(self, ref: str) -> etree._Element | None:
        return self.citer.element(ref)

    # -- locations --------------------------------------------------------
    @cached_property
    def _lines(self) -> list[str]:
        encoding = self.tree.docinfo.encoding or "utf-8"
        try:
            text = self.source.decode(encoding, errors="replace")
        except LookupError:
            text = self.source.decode("utf-8", errors="replace")
        return text.split("\n")

    @cached_property
    def _elements_by_line(self) -> dict[int, list[etree._Element]]:
        by_line: dict[int, list[etree._Element]] = defaultdict(list)
        for element in self.root.iter():
            if isinstance(element.tag, str) and element.sourceline:
                by_line[element.sourceline].append(element)
        return by_line

    def position(self, node: etree._Element) -> tuple[int, int]:
        """1-based line and column of the start tag of ``node``.

        lxml knows only the line where a start tag ends; the column (and the
        line of a start tag that spans lines) is found in the source text.
        """
        line = node.sourceline or 0
        if not line or not isinstance(node.tag, str):
            return line, 0
        qname = self._written_name(node)
        same_line = [e for e in self._elements_by_line.get(line, []) if e.tag == node.tag]
        nth = same_line.index(node) if node in same_line else 0
        pattern = re.compile(r"<" + re.escape(qname) + r"(?=[\s/>])")
        lines = self._lines
        if line - 1 < len(lines):
            hits = [m.start() for m in pattern.finditer(lines[line - 1])]
            if nth < len(hits):
                return line, hits[nth] + 1
        for back in range(line - 2, max(line - 50, 0) - 1, -1):
            hits = [m.start() for m in pattern.finditer(lines[back])] if back < len(lines) else []
            if hits:
                return back + 1, hits[-1] + 1
        return line, 1

    @staticmethod
    def _written_name(node: etree._Element) -> str:
        local = local_name(node)
        prefix = node.prefix
        return f"{prefix}:{local}" if prefix else local

    def xpath_of(self, node: etree._Element) -> str:
        """Absolute XPath with positions where needed: ``/tei:TEI/tei:text/tei:body/tei:div[3]``."""
        steps: list[str] = []
        current: etree._Element | None = node
        while current is not None:
            if not isinstance(current.tag, str):
                parent = current.getparent()
                kind = "comment()" if isinstance(current, etree._Comment) else "processing-instruction()"
                siblings = [s for s in (parent if parent is not None else []) if type(s) is type(current)]
                steps.append(f"{kind}[{siblings.index(current) + 1}]" if len(siblings) > 1 else kind)
                current = parent
                continue
            qname = etree.QName(current)
            prefix = PREFIXES.get(qname.namespace or "", None)
            name = f"{prefix}:{qname.localname}" if prefix else (
                f"Q{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname)
            parent = current.getparent()
            if parent is not None:
                same = [s for s in parent if s.tag == current.tag]
                if len(same) > 1:
                    name += f"[{same.index(current) + 1}]"
            steps.append(name)
            current = parent
        return "/" + "/".join(reversed(steps))

    def diagnostic(self, node: etree._Element | None, code: str, message: str,
                   with_ref: bool = True) -> Diagnostic:
        """A diagnostic located at ``node`` (or at the file when ``node`` is None).

        ``with_ref=False`` leaves out the canonical reference (needed while
        the references themselves are being computed).
        """
        if node is None:
            return Diagnostic.make(code, message, path=self.path)
        line, column = self.position(node)
        return Diagnostic.make(code, message, path=self.path, line=line, column=column,
                               xpath=self.xpath_of(node), ref=self.ref_of(node) if with_ref else "")

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


def parse(data: bytes, path: str = "<string>") -> Document:
    """Parse bytes safely into a :class:`Document`; raise :class:`EditionParseError`."""
    _check_content(data, path)
    _check_prolog(data, path)
    parser = _parser()
    try:
        root = etree.fromstring(data, parser, base_url=None)
    except etree.XMLSyntaxError as error:
        raise _parse_error(error, path) from None
    tree = root.getroottree()
    # Entities were left unexpanded; any reference that survives is undefined content.
    for entity in root.iter(etree.Entity):
        line = entity.sourceline or 0
        raise EditionParseError.at("E0003", f"entity reference {entity.text} is not expanded; "
                                   "write the character itself", path=path, line=line, column=1)
    return Document(tree, path, data)


def load(path: str | os.PathLike[str], display: str | None = None) -> Document:
    """Read and parse a TEI file.  ``display`` is the path shown in diagnostics."""
    source = Path(path)
    shown = display if display is not None else str(path)
    data = read_source(source)
    try:
        return parse(data, shown)
    except EditionParseError:
        raise


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


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[str, Path]]:
    """Expand files and folders (recursively, *.xml, sorted) into (shown path, path)."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(path.rglob("*.xml")):
                if found.is_file() and not any(part.startswith(".") for part in found.relative_to(path).parts):
                    yield str(found), found
        else:
            yield str(given), path
