"""Names from the TEI made into file names, and every output path made in one place.

An id, an ``@n``, a reference, a title or a file's stem chosen by whoever wrote
the TEI becomes a file name only through :func:`safe_name`, and a file is
written only where :func:`output_path` says, which refuses anything that would
land outside the folder being written.  Both are small on purpose: every writer,
the citation files and ``edition schema compile`` go through them, so one test
of them covers every route by which a hostile name could reach the disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from .diagnostics import EditionError, EditionOutputError, printable

#: Bytes (UTF-8) of a name before suffixes: file systems allow 255 for a whole name, and
#: a page adds ``.html``, a citation ``.dc.xml``, the build ``.tmp-PID`` to its folder.
MAX_NAME_BYTES = 100
_HASH = 8


def _kept(character: str) -> bool:
    # letters and digits of any script stay (a German or Greek id keeps its name); every
    # separator, control, format (zero-width, bidi) and symbol character does not
    return character in "._-" or (character.isalnum() and unicodedata.category(character)[0] in "LN")


def safe_name(value: str, default: str = "document", limit: int = MAX_NAME_BYTES) -> str:
    """``value`` as one harmless file name: letters, digits, ``.``, ``_`` and ``-`` only.

    No separator, no ``..``, no leading dot or dash, no control or invisible character;
    at most ``limit`` UTF-8 bytes, a longer name being cut and given a stable hash of
    the whole value (``d300-…-1a2b3c4d``), so that two long names that share a start
    stay two names.  Empty or nothing left: ``default``.
    """
    text = unicodedata.normalize("NFC", value)
    cleaned = "".join(c if _kept(c) else "-" for c in text)
    # runs of dots (".."), dashes and their mixtures become one character
    out: list[str] = []
    for character in cleaned:
        if out and character in ".-" and out[-1] in ".-":
            if character == "-" and out[-1] == ".":
                out[-1] = "-"
            continue
        out.append(character)
    name = "".join(out).strip("-._") or default
    if len(name.encode("utf-8")) > limit:
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH]
        room = limit - _HASH - 1
        cut = name.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip("-._")
        name = f"{cut}-{digest}"
    return name


def _refuse(root: Path, relative: str, why: str) -> EditionError:
    return EditionOutputError.at("E0604", f"refusing to write {relative!r} under {shown_path(root)}: {why}; "
                                 "this is a bug (a name that did not go through safe_name), please report it",
                                 path=shown_path(root))


# what no relative output path may hold: a control character, a backslash, a leading
# slash, an empty, "." or ".." part (checked as one pattern: a FRUS volume writes 2,500 files)
_REFUSED = re.compile(r"[\x00-\x1f\x7f\\]|^/|//|(?:^|/)\.{1,2}(?:/|$)|/$|^$")


def output_file(root: str, relative: str) -> str:
    """``root/relative`` as a string, refused (E0604) unless it stays inside ``root``.

    ``relative`` is ``/``-separated and made of names that :func:`safe_name` would keep
    (or fixed names of the toolkit such as ``assets/edition.css``): no empty part, no
    ``.`` or ``..``, no absolute path, no control character, no part over 255 bytes.
    Then the joined path is inside ``root`` by construction: the build makes no
    symbolic link in the folders it writes."""
    found = _REFUSED.search(relative)
    if found is not None:
        raise _refuse(Path(root), relative, "an absolute path, an empty, '.' or '..' part, a backslash "
                      "or a control character")
    if len(relative) > 255 and any(len(os.fsencode(part)) > 255 for part in relative.split("/")):
        raise _refuse(Path(root), relative, "a name longer than 255 bytes")
    return f"{root.rstrip('/')}/{relative}"


def output_path(root: str | os.PathLike[str], relative: str) -> Path:
    """:func:`output_file` as a :class:`~pathlib.Path`."""
    return Path(output_file(os.fspath(root), relative))


def shown_path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """A path as it may be printed: bytes that are not UTF-8 as ``\\xff``, control
    characters (a newline that could forge a report line) as ``\\n``, ``\\x1b``."""
    return printable(path if isinstance(path, str) else os.fsdecode(path))
