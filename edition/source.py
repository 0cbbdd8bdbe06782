"""Reading a file and parsing its bytes safely: the only way XML enters the toolkit.

:func:`read_source` opens a file without blocking and refuses what is not a regular file, too
large, or changing while read; :func:`parse_tree` refuses what is not XML text (a PDF, UTF-16
without a mark, millions of tags), a DOCTYPE with entities or an external DTD, and turns libxml2's
errors into located diagnostics that say what to do.  The parser has no DTD, no entity expansion,
no network, and libxml2's limits on.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from lxml import etree

from .diagnostics import EditionParseError

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


def parse_tree(data: bytes, path: str = "<string>") -> etree._Element:
    """The root element of ``data``, parsed safely; :class:`EditionParseError` when it is refused."""
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
    return element
