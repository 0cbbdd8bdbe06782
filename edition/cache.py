"""The user's cache of compiled grammars: bounded, versioned, checked, and never required.

Pruned and specialised schemas cost 0.1-1 s to make and are the same for every run on the same
vocabulary, so they are kept between runs in the user's cache folder (``$EDITION_CACHE``, else
platformdirs' user cache folder: ``$XDG_CACHE_HOME/tei-edition`` on Linux), under a subfolder per
toolkit version so that two versions never share an entry.  Every entry carries the SHA-256 of
its payload; one that does not match (truncated, edited, half-written by a crashed process) is
discarded with a warning and made again, never trusted.  The folder is bounded (64 MB, or
``$EDITION_CACHE_MAX_MB``): after a write, the least recently used entries go first.  A folder
that cannot be created or written costs speed, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ._version import __version__
from .diagnostics import Diagnostic

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_MAGIC = b"tei-edition-cache sha256="
_HEADER_LENGTH = len(_MAGIC) + 64 + 1


def root() -> Path:
    """The cache folder of every version: ``$EDITION_CACHE`` or the platform's user cache folder."""
    given = os.environ.get("EDITION_CACHE")
    if given:
        return Path(given)
    if sys.platform.startswith("linux"):
        # platformdirs' answer on Linux in its two plain cases, without its import (10 ms of
        # every validation's start-up): $XDG_CACHE_HOME when absolute, else $HOME/.cache
        xdg, home = os.environ.get("XDG_CACHE_HOME", ""), os.environ.get("HOME", "")
        if os.path.isabs(xdg):
            return Path(xdg) / "tei-edition"
        if os.path.isabs(home):
            return Path(home) / ".cache" / "tei-edition"
    import platformdirs

    return Path(platformdirs.user_cache_dir("tei-edition", appauthor=False))


def max_bytes() -> int:
    given = os.environ.get("EDITION_CACHE_MAX_MB")
    try:
        return int(float(given) * 1024 * 1024) if given else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def folder() -> Path | None:
    """This version's cache folder, created; None when it cannot be written (the cache is then off)."""
    path = root() / f"v{__version__}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def _entry(namespace: str, name: str) -> Path | None:
    base = folder()
    return base / namespace / name if base is not None else None


def _warn_discarded(path: Path, why: str) -> None:
    record = Diagnostic.make("W0109", f"damaged cache entry discarded ({why}); it is made again", path=str(path))
    print(record, file=sys.stderr)


def read(namespace: str, name: str) -> bytes | None:
    """The payload stored under ``namespace/name``, or None (absent, unreadable or damaged)."""
    path = _entry(namespace, name)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, payload = data[:_HEADER_LENGTH], data[_HEADER_LENGTH:]
    expected = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n"
    if header != expected:
        discard(namespace, name, "its checksum does not match its content")
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # least recently *used* goes first, so a read counts as a use
    return payload


def discard(namespace: str, name: str, why: str) -> None:
    """Remove an entry found unusable (by its checksum, or by the caller that could not load it)."""
    path = _entry(namespace, name)
    if path is None:
        return
    _warn_discarded(path, why)
    with contextlib.suppress(OSError):
        path.unlink()


def exists(namespace: str, name: str) -> bool:
    path = _entry(namespace, name)
    return path is not None and path.is_file()


def write(namespace: str, name: str, payload: bytes) -> None:
    """Store ``payload`` atomically (a reader sees the old entry or the whole new one), then trim."""
    path = _entry(namespace, name)
    if path is None:
        return
    data = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # here, not above: a run that only reads the cache never needs it

        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return
    trim()


def _version_folders(base: Path) -> list[Path]:
    """Only the folders this toolkit made (``v<version>``): ``$EDITION_CACHE`` may name a shared folder."""
    try:
        return sorted(child for child in base.iterdir()
                      if child.name.startswith("v") and child.is_dir() and not child.is_symlink())
    except OSError:
        return []


def _entries(base: Path) -> list[tuple[float, int, Path]]:
    found = []
    for path in (entry for version in _version_folders(base) for entry in version.rglob("*")):
        try:
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                found.append((stat.st_mtime, stat.st_size, path))
        except OSError:
            continue
    return found


def trim(limit: int | None = None) -> int:
    """Remove the least recently used entries of every version until the cache fits; bytes removed."""
    limit = max_bytes() if limit is None else limit
    base = root()
    if not base.is_dir():
        return 0
    entries = sorted(_entries(base))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _, size, path in entries:
        if total <= limit:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed += size
    return removed


@dataclass(frozen=True)
class CacheInfo:
    folder: Path
    version_folder: Path
    entries: int
    size: int
    limit: int
    writable: bool
    by_namespace: dict[str, tuple[int, int]]


def info() -> CacheInfo:
    base = root()
    writable = folder() is not None
    by_namespace: dict[str, tuple[int, int]] = {}
    entries = _entries(base) if base.is_dir() else []
    for _, size, path in entries:
        relative = path.relative_to(base).parts
        key = "/".join(relative[:2]) if len(relative) > 2 else relative[0]
        count, total = by_namespace.get(key, (0, 0))
        by_namespace[key] = (count + 1, total + size)
    return CacheInfo(base, base / f"v{__version__}", len(entries), sum(size for _, size, _ in entries),
                     max_bytes(), writable, dict(sorted(by_namespace.items())))


def clear() -> int:
    """Remove every entry of every version; the number of files removed."""
    base = root()
    if not base.is_dir():
        return 0
    import shutil  # here: only clearing needs it

    count = len(_entries(base))
    for version in _version_folders(base):
        shutil.rmtree(version, ignore_errors=True)
    return count
