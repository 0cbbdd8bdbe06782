"""Incremental builds: what an earlier build made of each unchanged input is reused.

Each build leaves a manifest (``.edition-manifest.json``) in its output: the
content hash of every input file, its page plan, and for each of its units
the files every output wrote, the writers' summary records and the
diagnostics.  The next build into the same folder parses and renders only the
files whose bytes changed; the others' files are taken from the previous
edition, and every writer's ``finish()`` (index pages, tables of contents)
runs again over all records, so pages that depend on several files are
always current.  The manifest is keyed by the toolkit's own code, the chosen
outputs and their options: any change there rebuilds everything.

When nothing changed at all (the same inputs in the same order, each unchanged, and the
edition holding exactly the files its build wrote), the edition is already the one the
build would make: it is left as it is and the previous report is given again, as ``make``
does nothing when no target is out of date (``edition.build._unchanged``).  The manifest
keeps for that what the build made besides its inputs' pages (:meth:`BuildCache.write`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import resources
from .diagnostics import CODES, Diagnostic, EditionError

MANIFEST = ".edition-manifest.json"
#: Each input's (size, mtime in ns, inode, device) when its digest was taken: apart from the
#: manifest, which describes the edition and is the same for the same inputs, while this
#: records the state of the file system.
STAT_FILE = ".edition-stat.json"
VERSION = 1


_PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    """JSON with tuples kept as tuples (writers' records use them)."""
    # scalars are not passed to a call of their own (as in _decode): a volume's records are
    # 40,000 values, a twentieth of the parent's work after rendering
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("record keys must be strings")
        return {key: item if type(item) in _PLAIN else _encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [item if type(item) in _PLAIN else _encode(item) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [item if type(item) in _PLAIN else _encode(item) for item in value]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _decode(value: Any) -> Any:
    # scalars are not passed to a call of their own: 5,000 files' records are 230,000 values
    if type(value) is list:
        return [item if type(item) in _PLAIN else _decode(item) for item in value]
    if type(value) is dict:
        if len(value) == 1 and "__tuple__" in value:
            return tuple(item if type(item) in _PLAIN else _decode(item) for item in value["__tuple__"])
        return {key: item if type(item) in _PLAIN else _decode(item) for key, item in value.items()}
    return value


def toolkit_key(formats: list[str], options: dict[str, Any]) -> str | None:
    """Hash of the code that renders, the outputs and their options (None: not cacheable)."""
    digest = hashlib.sha256(code_digest().encode())
    try:
        digest.update(json.dumps([formats, _encode(options)], sort_keys=True).encode())
    except TypeError:
        return None
    return digest.hexdigest()


def _package_files() -> list[tuple[str, str]]:
    """(path relative to its package root, path) of every file of the installed toolkit but compiled code."""
    found: list[tuple[str, str]] = []
    for root in resources.package_roots():
        base = str(root)
        for folder, folders, names in os.walk(base):
            folders[:] = [name for name in folders if name != "__pycache__"]
            for name in names:
                if not name.endswith(".pyc"):
                    path = os.path.join(folder, name)
                    found.append((os.path.relpath(path, base), path))
    found.sort()
    return found


def code_digest() -> str:
    """SHA-256 of the toolkit's files, their paths and bytes: any change to the code rebuilds everything.

    They are 8 MB (the TEI P5 schemas most of it), whose reading was 13-30 ms of every build, so
    the digest is kept in the user's cache (:mod:`edition.cache`) under the files' signatures (path,
    size, modification time, inode, device), as the build trusts its inputs' signatures
    (:meth:`BuildCache.digest`). A file modified in the last two seconds may still change within
    the same time tick: then nothing is kept, and the next build reads them all again."""
    from . import cache

    files = _package_files()
    signatures = hashlib.sha256()
    settled = True
    for relative, path in files:
        signature = _signature(path)  # [] for a file gone, not regular, or modified just now
        settled = settled and bool(signature)
        signatures.update(f"{relative}\0{signature}\n".encode("utf-8", errors="surrogateescape"))
    name = signatures.hexdigest()
    if settled:
        stored = cache.read("toolkit", name)
        if stored is not None and len(stored) == 64:
            return stored.decode("ascii")
    digest = hashlib.sha256()
    for relative, path in files:
        digest.update(relative.encode("utf-8", errors="surrogateescape"))
        try:
            with open(path, "rb") as stream:
                digest.update(stream.read())
        except OSError:
            digest.update(b"\0unreadable")
    found = digest.hexdigest()
    if settled:
        cache.write("toolkit", name, found.encode("ascii"))
    return found


def file_digest(path: Path) -> str | None:
    """SHA-256 of a regular file, None for anything else.

    Read through :func:`~edition.document.read_source`, which refuses named
    pipes and devices unread and bounds the size: ``read_bytes()`` on a pipe
    or /dev/zero would never return.
    """
    from .document import read_source
    from .xinclude import has_includes

    try:
        data = read_source(path)
    except EditionError:
        return None
    # the files it includes may change while it does not: such a file is always built again
    return None if has_includes(data) else hashlib.sha256(data).hexdigest()


def diagnostic_from(record: dict[str, Any]) -> Diagnostic:
    return Diagnostic.make(record["code"], record["message"], path=record["path"], line=record["line"],
                           column=record["column"], xpath=record["xpath"], ref=record["ref"])


@dataclass
class UnitEntry:
    """What one unit of a file produced: files and records per output, cite files, diagnostics."""

    files: dict[str, list[str]] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)
    cite: list[str] = field(default_factory=list)
    diagnostics: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FileEntry:
    digest: str
    plan: dict[str, Any]
    units: list[UnitEntry]


#: A file modified this recently may still change within the same mtime tick: its
#: signature is not kept, so the next build reads it (git's "racily clean" entries).
_RACY_SECONDS = 2.0


def _signature(path: str | os.PathLike[str]) -> list[int]:
    try:
        info = os.stat(path)
    except OSError:
        return []
    if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < _RACY_SECONDS:
        return []
    return [info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev]


class _Unchanged(Exception):
    """The manifest to write is the one read."""


class BuildCache:
    """The previous build's manifest, and the next one being written."""

    def __init__(self, out: Path, key: str | None, reuse: bool = True) -> None:
        self.out = out
        self.key = key
        self.previous: dict[str, FileEntry] = {}
        self.current: dict[str, FileEntry] = {}
        self.signatures: dict[str, list[int]] = {}
        self.previous_signatures: dict[str, list[int]] = {}
        self._digests: dict[str, str | None] = {}
        #: The previous manifest's entries as read (JSON values), written again as they are
        #: for files whose digest and plan are unchanged: encoding 5,000 of them again was
        #: a tenth of an unchanged rebuild.
        self._raw: dict[str, Any] = {}
        #: The entries of the spare edition's manifest (see :mod:`edition.swap`), and the inputs
        #: whose files are found there as they should be.
        self.spare: dict[str, Any] = {}
        self.in_spare: set[str] = set()
        self._text = b""
        self._kept: set[str] = set()
        #: What the previous build made besides its inputs' pages (see :meth:`write`), None
        #: when its manifest does not say.
        self.edition: dict[str, Any] | None = None
        if key is None or not reuse:
            return
        try:
            self._text = (out / MANIFEST).read_bytes()
            data = json.loads(self._text.decode("utf-8", errors="surrogateescape"))
            if data.get("version") == VERSION and data.get("key") == key:
                for path, entry in data["files"].items():
                    units = [UnitEntry(**unit) for unit in entry["units"]]
                    self.previous[path] = FileEntry(entry["digest"], entry["plan"], units)
                self._raw = data["files"]
                edition = data.get("edition")
                self.edition = edition if isinstance(edition, dict) else None
        except (OSError, ValueError, KeyError, TypeError):
            self.previous = {}  # no usable manifest: everything is rebuilt
            self.edition = None
        try:
            signatures = json.loads((out / STAT_FILE).read_text(encoding="utf-8", errors="surrogateescape"))
            if isinstance(signatures, dict):
                self.previous_signatures = signatures
        except (OSError, ValueError):
            pass  # every file is read and hashed

    def digest(self, path: Path) -> str | None:
        """The file's digest, taken from the previous manifest without reading the file when
        its size, modification time, inode and device are those recorded there (5,000
        unchanged files: 5,000 ``stat`` calls instead of 5,000 reads and hashes)."""
        key = str(path)
        if key in self._digests:  # asked again in the same build (an unchanged rebuild's check, then the plan)
            return self._digests[key]
        signature = _signature(path)  # before reading: a change while it is read shows next time
        self.signatures[key] = signature
        entry = self.previous.get(key)
        if signature and entry is not None and self.previous_signatures.get(key) == signature:
            found: str | None = entry.digest
        else:
            found = file_digest(path)
        self._digests[key] = found
        return found

    def read_spare(self, folder: Path) -> None:
        """Read the manifest of the spare edition the build is assembled in (:mod:`edition.swap`)."""
        if not self._raw:
            return
        try:
            text = (folder / MANIFEST).read_bytes()
            if text == self._text:  # an unchanged rebuild's: nothing to parse
                self.spare = self._raw
                return
            data = json.loads(text.decode("utf-8", errors="surrogateescape"))
            if data.get("version") == VERSION and data.get("key") == self.key and isinstance(data["files"], dict):
                self.spare = data["files"]
        except (OSError, ValueError, KeyError, TypeError):
            self.spare = {}

    def reusable(self, path: str, digest: str | None, writers: dict[str, str],
                 spare_files: set[str] | None = None) -> FileEntry | None:
        """The previous entry of an unchanged file whose outputs are all still there: in the spare
        edition (``spare_files``, when its manifest has the same entry: the same files, byte for
        byte; the path is then in :attr:`in_spare`), else in the previous edition."""
        entry = self.previous.get(path)
        if entry is None or digest is None or entry.digest != digest:
            return None
        relatives = self.outputs(entry, writers)
        if relatives is None:
            return None
        if (spare_files is not None and self.spare.get(path) == self._raw.get(path)
                and all(relative in spare_files for relative in relatives)):
            self.in_spare.add(path)
            return entry
        if not all(os.path.isfile(f"{self.out}/{relative}") for relative in relatives):
            return None
        return entry

    @staticmethod
    def outputs(entry: FileEntry, writers: dict[str, str]) -> list[str] | None:
        """The files an entry's units made (relative to the edition), None when the entry may
        not be reused: an output this build does not make, or a finding that must be found again
        (an error: the file is always rendered again)."""
        relatives: list[str] = []
        for unit in entry.units:
            for format_name, files in unit.files.items():
                if format_name not in writers:
                    return None
                relatives.extend(f"{writers[format_name]}/{file}" for file in files)
            relatives.extend(f"cite/{file}" for file in unit.cite)
            if any(d.get("code") not in CODES for d in unit.diagnostics):
                return None
        return relatives

    def remember(self, path: str, entry: FileEntry) -> None:
        self.current[path] = entry
        self._kept.discard(path)

    def keep(self, path: str) -> None:
        """An unchanged file reused whole: its entry is written again as it was read."""
        self.current[path] = self.previous[path]
        self._kept.add(path)

    def write(self, folder: Path, edition: dict[str, Any] | None = None) -> None:
        """Write the manifest of the build in ``folder`` (skipped if a record is not plain data).

        ``edition``: what the build made besides its inputs' pages, which a rebuild needs to
        know that the edition is already what it would make (``edition.build``): plain data."""
        if self.key is None:
            return
        try:
            if self._kept == self.current.keys() == self._raw.keys() and edition == self.edition:
                raise _Unchanged  # every entry as it was read: the same text (same code, same encoder)
            files: dict[str, Any] = {}
            for path, entry in sorted(self.current.items()):
                if path in self._kept:
                    files[path] = self._raw[path]
                    continue
                plan = _encode(entry.plan)
                raw = self._raw.get(path)
                if raw is not None and raw.get("digest") == entry.digest and raw.get("plan") == plan:
                    files[path] = raw  # the same bytes and plan: the same units (the output is deterministic)
                    continue
                files[path] = {"digest": entry.digest, "plan": plan,
                               "units": [{"files": unit.files, "records": _encode(unit.records), "cite": unit.cite,
                                          "diagnostics": unit.diagnostics} for unit in entry.units]}
            payload = {"version": VERSION, "key": self.key, "files": files, "edition": edition}
            # json.dumps, not json.dump: only the one-shot encoder is json's C one (a FRUS
            # volume's 1.3 MB manifest: 0.015 s instead of 0.065 s); the build has let go of
            # the parsed volume by now, so the text does not raise the peak memory
            data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8", errors="surrogateescape")  # a file name that is not UTF-8 is kept as its bytes, both ways
        except TypeError:
            return  # the next build is a full one
        except _Unchanged:
            data = self._text
        # a spare edition's files are replaced, not written through (edition.swap)
        (folder / MANIFEST).unlink(missing_ok=True)
        (folder / MANIFEST).write_bytes(data)
        self.write_signatures(folder, self.current)

    def write_signatures(self, folder: Path, paths: Iterable[str]) -> None:
        """The inputs' signatures (see :meth:`digest`) in ``folder``, replaced whole: the folder
        may be an edition being served."""
        signatures = {path: self.signatures[path] for path in sorted(paths) if self.signatures.get(path)}
        written = folder / f"{STAT_FILE}.new-{os.getpid()}"
        written.write_text(json.dumps(signatures, ensure_ascii=False), encoding="utf-8", errors="surrogateescape")
        os.replace(written, folder / STAT_FILE)

    def signatures_changed(self) -> bool:
        """Whether a signature taken by :meth:`digest` differs from the one the manifest had."""
        return any(signature and signature != self.previous_signatures.get(path)
                   for path, signature in self.signatures.items())

    @staticmethod
    def decode(value: Any) -> Any:
        return _decode(value)
