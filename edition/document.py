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
import stat
from array import array
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from .diagnostics import Diagnostic, EditionParseError, printable
from .names import DIVISIONS, NAMESPACES, PREFIXES, TEI_NS, XML_ID, XML_LANG, XML_NS, is_tei, local_name, tei  # noqa: F401 - re-exported: modules name them through the model
from .xinclude import Includes, find_root, resolve_includes
from .xinclude import defaults as include_defaults

if TYPE_CHECKING:
    from .refs import Citer

#: Files at least this large do not keep their bytes in memory once parsed (see
#: ``Document.release_source``): memory is the tree's, not the tree's plus the file's.
RELEASE_SOURCE_BYTES = 1 << 20
#: Paths of containers remembered per document by ``xpath_of`` (bounded: a proxy each).
_PATH_CACHE_LIMIT = 20_000

#: Inputs larger than this are refused before parsing (a safety limit, far
#: above the largest FRUS volume of about 4 MB).
MAX_INPUT_BYTES = 64 * 1024 * 1024

#: At most this many markup openings (``<``) in one file: each element costs
#: lxml a few hundred bytes, so a file of millions of empty tags could take
#: gigabytes though it is small on disk (the 3.3 MB FRUS volume has 53,000).
MAX_MARKUP = 1_000_000

#: libxml2's own limits, kept on (no ``huge_tree``); named here for messages.
MAX_DEPTH = 256
MAX_TEXT = 10_000_000


def _parser() -> etree.XMLParser:
    # Why each option: entities stay unexpanded (billion laughs, external
    # entities), no DTD is fetched or applied, nothing leaves the machine,
    # and libxml2's safety limits (depth, text size) stay on: no huge_tree.
    return etree.XMLParser(resolve_entities=False, load_dtd=False, dtd_validation=False,
                           attribute_defaults=False, no_network=True, huge_tree=False,
                           remove_comments=False, remove_pis=False, strip_cdata=True,
                           collect_ids=False)


_DOCTYPE = re.compile(rb"<!DOCTYPE\b(?P<body>[^\[>]*)(?P<subset>\[.*?\]\s*)?>", re.S)
_DECLARATION = re.compile(
    rb"\A(?:\xef\xbb\xbf)?<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_SINGLE_BYTE = re.compile(r"(iso[-_]?8859|latin|windows-?125|cp-?125|us-ascii|ascii|mac)", re.I)
_SIGNATURES = (
    (b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (a .docx or .odt?)"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"), (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"), (b"\x7fELF", "a program"),
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _refuse_entities(data: bytes, path: str) -> EditionParseError:
    offset = max(data.find(b"<!DOCTYPE"), 0)
    line, column = _position_of(data, offset)
    return EditionParseError.at(
        "E0003", "the DOCTYPE declares entities; entity expansion is refused (it is how "
        "'billion laughs' and external-entity attacks work). Delete the DOCTYPE and write the "
        "characters themselves (TEI needs no DTD)", path=path, line=line, column=column)


def _refuse_external_dtd(data: bytes, path: str) -> EditionParseError:
    offset = max(data.find(b"<!DOCTYPE"), 0)
    line, column = _position_of(data, offset)
    return EditionParseError.at(
        "E0003", "the DOCTYPE names an external DTD, which is never loaded (no file or "
        "network access); remove the DOCTYPE: TEI is validated by its schema, not a DTD",
        path=path, line=line, column=column)


def _check_prolog(data: bytes, path: str) -> None:
    """Refuse a DOCTYPE that declares entities or names an external DTD.

    A fast look at the head of the file, before parsing, for the common case;
    :func:`_check_parsed_prolog` asks the parser afterwards, which cannot be
    fooled by a DOCTYPE placed after a long comment.
    """
    head = data[: 1 << 16]
    match = _DOCTYPE.search(head)
    if not match:
        return
    body, subset = match.group("body"), match.group("subset") or b""
    if b"<!ENTITY" in subset or re.search(rb"%[A-Za-z_:][\w.:-]*;", subset):
        raise _refuse_entities(data, path)
    if re.search(rb"\b(SYSTEM|PUBLIC)\b", body):
        raise _refuse_external_dtd(data, path)


def _check_parsed_prolog(tree: etree._ElementTree, data: bytes, path: str) -> None:
    docinfo = tree.docinfo
    internal = docinfo.internalDTD
    if internal is not None and any(True for _ in internal.iterentities()):
        raise _refuse_entities(data, path)
    if docinfo.system_url or docinfo.public_id:
        raise _refuse_external_dtd(data, path)


def _check_declaration(data: bytes, path: str) -> None:
    """Catch encoding declarations that lie about the bytes that follow.

    libxml2 trusts the declaration: a UTF-8 file declared ISO-8859-1 parses
    "successfully" into mojibake (é becomes Ã©), so it is caught here.
    """
    match = _DECLARATION.match(data)
    if not match:
        return
    declared = match.group(1).decode("ascii")
    line, column = _position_of(data, match.start(1))
    lowered = declared.lower()
    if lowered.startswith(("utf-16", "utf16", "ucs-2", "utf-32", "ucs-4")):
        raise EditionParseError.at(
            "E0004", f"the declaration says encoding=\"{declared}\" but the bytes are 8-bit text "
            "(no byte-order mark, no two-byte characters); change the declaration to "
            "encoding=\"UTF-8\"", path=path, line=line, column=column)
    if _SINGLE_BYTE.match(lowered) and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return
        raise EditionParseError.at(
            "E0004", f"the declaration says encoding=\"{declared}\" but the file is UTF-8 "
            "(its accented letters would be read as two wrong characters each, é as Ã©); "
            "change the declaration to encoding=\"UTF-8\"", path=path, line=line, column=column)


def _check_content(data: bytes, path: str) -> None:
    """Refuse what is not XML text at all, before the parser sees it."""
    body = data
    for bom in _BOMS:
        if body.startswith(bom):
            body = body[len(bom):]
            break
    if not body or body.isspace() or not body.strip(b"\x00 \t\r\n"):
        raise EditionParseError.at("E0006", "the file is empty; it must hold a TEI document "
                                   "(was it truncated, or not saved?)", path=path, line=1, column=1)
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise EditionParseError.at("E0007", f"this is {kind}, not XML text; is this the right file?",
                                       path=path, line=1, column=1)
    sample = data[:4096]
    utf16 = sample.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00?\x00", b"\x00<\x00?"))
    if b"\x00" in sample and not utf16:
        pairs = sample[:64]
        if pairs[1::2].count(0) == len(pairs[1::2]) or pairs[0::2].count(0) == len(pairs[0::2]):
            raise EditionParseError.at(
                "E0004", "the file looks like UTF-16 without a byte-order mark or XML declaration, "
                "so its encoding cannot be known; save it as UTF-8", path=path, line=1, column=1)
        offset = sample.index(b"\x00")
        line, column = _position_of(data, offset)
        raise EditionParseError.at("E0007", "binary data (NUL bytes), not XML text; "
                                   "is this the right file?", path=path, line=line, column=column)
    if not utf16 and data.count(b"<") > MAX_MARKUP:
        raise EditionParseError.at(
            "E0008", f"the file has more than {MAX_MARKUP:,} tags, the toolkit's safety limit "
            "(it would need gigabytes of memory); split it into several files",
            path=path, line=1, column=1)
    if not utf16:
        _check_declaration(data, path)


_LIBXML_CODE = {
    # libxml2 error types that are more than plain well-formedness
    "ERR_INVALID_CHAR": "E0004",
    "ERR_INVALID_ENCODING": "E0004",
    "ERR_UNSUPPORTED_ENCODING": "E0004",
    "ERR_UNKNOWN_ENCODING": "E0004",
    "ERR_DOCUMENT_EMPTY": "E0006",
    "ERR_RESOURCE_LIMIT": "E0008",
    "ERR_NO_MEMORY": "E0008",
    "ERR_ENTITY_LOOP": "E0003",
    "ERR_ENTITY_AMPLIFICATION": "E0003",
}
_LIMIT_WORDS = ("too big", "too long", "excessive depth", "buffer size limit", "resource limit",
                "huge", "memory")


_ERROR_TYPES = {value: name for name, value in vars(etree.ErrorTypes).items() if isinstance(value, int)}


def _parse_error(error: etree.XMLSyntaxError, path: str) -> EditionParseError:
    """Turn libxml2's error into a diagnostic that says what to do.

    The exception's own fields are used, not ``error_log.last_error``: the
    log outlives one parse in lxml 6, so its last entry can be a stale one.
    """
    line, column = error.position if error.position else (error.lineno or 0, error.offset or 0)
    message = re.sub(r", line \d+, column \d+$", "", (error.msg or str(error)).strip()).strip()
    type_name = _ERROR_TYPES.get(error.code, "")
    code = _LIBXML_CODE.get(type_name, "E0002")
    lowered = message.lower()
    if code == "E0008" or any(word in lowered for word in _LIMIT_WORDS) or column > MAX_TEXT:
        code = "E0008"
        if "depth" in lowered:
            message = (f"elements nest more than {MAX_DEPTH} levels deep, the parser's safety limit; "
                       "no TEI text needs that: look for runaway or unclosed markup")
        else:
            message = (f"a text, comment, CDATA section or attribute value is longer than "
                       f"{MAX_TEXT:,} characters, the parser's safety limit; split the text or "
                       "remove the runaway content")
    elif code == "E0004" and type_name == "ERR_INVALID_CHAR":
        message += (": a character not allowed in XML (control characters other than tab, "
                    "newline and carriage return, and U+FFFE/U+FFFF, are forbidden); delete it")
    elif code == "E0004":
        message += " (save the file as UTF-8, or correct its encoding declaration)"
    elif code == "E0003":
        message += " (entity expansion is refused; write the characters themselves)"
    elif type_name == "ERR_UNDECLARED_ENTITY" or "not defined" in lowered:
        message += ("; XML knows only &amp; &lt; &gt; &quot; &apos;: write the character itself "
                    "(é) or a numeric reference (&#233;)")
    else:
        message += " (fix the markup at this position; the file is not XML until it is well-formed)"
    return EditionParseError.at(code, message, path=path, line=line, column=max(column, 1))


def read_source(path: Path, shown: str | None = None) -> bytes:
    """Read a file for parsing, with a diagnostic for every way that can fail.

    The file is opened without blocking and checked on the open descriptor,
    so a named pipe, a device or a folder swapped in after listing cannot
    hang the run; a file that changes while it is read gives W0011.
    """
    shown = shown if shown is not None else str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if os.path.lexists(path):
            raise EditionParseError.at("E0001", "a symbolic link to a file that does not exist; "
                                       "fix or remove the link", path=shown) from None
        raise EditionParseError.at("E0001", "no such file (moved or deleted before it could be "
                                   "read?); check the path", path=shown) from None
    except PermissionError:
        raise EditionParseError.at("E0001", "permission denied; make the file readable",
                                   path=shown) from None
    except OSError as error:
        raise EditionParseError.at("E0001", f"cannot open: {error.strerror}; check the path "
                                   "(a loop of links?) and its permissions", path=shown) from None
    try:
        before = os.fstat(fd)
        if stat.S_ISDIR(before.st_mode):
            raise EditionParseError.at("E0005", "a folder, not a file; name a TEI file (a folder "
                                       "named like a file is not searched: rename it)", path=shown)
        if not stat.S_ISREG(before.st_mode):
            raise EditionParseError.at("E0005", "not a regular file (a device, pipe or socket); "
                                       "name a TEI file", path=shown)
        if before.st_size > MAX_INPUT_BYTES:
            raise EditionParseError.at("E0008", f"the file is {before.st_size:,} bytes, over the "
                                       f"safety limit of {MAX_INPUT_BYTES:,}; split it", path=shown)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_INPUT_BYTES:
                raise EditionParseError.at("E0008", f"the file grew past the safety limit of "
                                           f"{MAX_INPUT_BYTES:,} bytes while being read", path=shown)
        after = os.fstat(fd)
    except OSError as error:
        raise EditionParseError.at("E0001", f"cannot read: {error.strerror}; check the disk or "
                                   "the network share it is on", path=shown) from None
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or after.st_size != size:
        raise EditionParseError.at("W0011", "the file changed while it was being read (is an editor "
                                   "or a copy still writing it?); it was skipped: run again", path=shown)
    return b"".join(chunks)


class Document:
    """A parsed TEI file.  Build with :func:`load` or :func:`parse`."""

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
        #: (keyed by "module.what"); the tree must not change once they exist.
        self.cache: dict[str, Any] = {}
        #: Findings of loading that did not stop it (an include not resolved: E0009).
        self.problems: list[Diagnostic] = []
        #: Included elements → the document of the file they come from (see edition.xinclude).
        self.origins: dict[etree._Element, Document] = {}

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

    def owner(self, node: etree._Element) -> Document:
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

    def diagnostic(self, node: etree._Element | None, code: str, message: str,
                   with_ref: bool = True) -> Diagnostic:
        """A diagnostic located at ``node`` (or at the file when ``node`` is None).

        ``with_ref=False`` leaves out the canonical reference (needed while
        the references themselves are being computed).
        """
        if node is None:
            return Diagnostic.make(code, message, path=self.path)
        line, column = self.position(node)
        return Diagnostic.make(code, message, path=self.path_of(node), line=line, column=column,
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


def parse(data: bytes, path: str = "<string>", *, base: Path | None = None, xinclude: bool | None = None,
          root: str | os.PathLike[str] | None = None, includes: Includes | None = None) -> Document:
    """Parse bytes safely into a :class:`Document`; raise :class:`EditionParseError`.

    Nothing outside ``data`` is read: no DTD, no entity, no network.  ``xi:include`` names
    files relative to ``base`` (the input file's folder), resolved within ``root`` (by
    default found from ``base``: see :mod:`edition.xinclude`); one that cannot be resolved
    is an E0009 in ``Document.problems``, not an exception.
    """
    _check_content(data, path)
    _check_prolog(data, path)
    parser = _parser()
    try:
        element = etree.fromstring(data, parser, base_url=None)
    except etree.XMLSyntaxError as error:
        raise _parse_error(error, path) from None
    except MemoryError:
        raise EditionParseError.at("E0008", "the document needs more memory than is available; "
                                   "split it into smaller files", path=path) from None
    if element is None:
        raise EditionParseError.at("E0006", "the file holds no element; it must hold a TEI document",
                                   path=path, line=1, column=1)
    tree = element.getroottree()
    _check_parsed_prolog(tree, data, path)
    # Entities were left unexpanded; any reference that survives is undefined content.
    # Without a DOCTYPE an undeclared reference is already a parse error: no walk needed.
    entities = element.iter(etree.Entity) if tree.docinfo.internalDTD is not None else ()
    for entity in entities:
        raise EditionParseError.at("E0003", f"entity reference {entity.text} is not expanded; "
                                   "write the character itself", path=path,
                                   line=entity.sourceline or 0, column=1)
    from . import p4  # it imports this module

    p4_root = element.tag if p4.is_p4(element) else None
    if p4_root is not None:  # TEI P4: read as P5, said once among the findings
        element, changes = p4.convert(element)
        tree = element.getroottree()
    document = Document(tree, path, data)
    if p4_root is not None:
        document.problems.append(document.diagnostic(
            document.root, "W0012", f"<{p4_root}> is the root of a TEI P4 document: read as TEI P5 (the TEI "
            f"namespace, and {changes} names changed as the TEI's P4-to-P5 conversion does); save the file "
            "as P5 to make that lasting", with_ref=False))
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


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[str, Path]]:
    """Expand files and folders (recursively, *.xml, sorted) into (shown path, path).

    A folder named like a file (``x.xml/``) is yielded as given, so that
    loading it says it is a folder (E0005) instead of silently searching it.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir() and path.suffix.lower() != ".xml":
            for found in sorted(path.rglob("*.xml")):
                if found.is_file() and not any(part.startswith(".") for part in found.relative_to(path).parts):
                    yield printable(str(found)), found
        else:
            yield printable(str(given)), path
