"""The output folder: refused when unsafe, assembled beside ``--out``, swapped in at once.

Nothing is written into ``out`` until the whole edition is in a temporary sibling folder
(``.NAME.tmp-PID``); then the two are exchanged with one ``renameat2`` call
(RENAME_EXCHANGE) where Linux offers it, else two renames.  A killed build leaves the
previous edition whole, and the next build removes what it left (:func:`clean_stale`).

**The spare edition.**  The edition that a swap replaces is not deleted: it is kept
beside ``out`` as ``.NAME.spare``, and the next build assembles its edition *in* it
(renamed to the temporary name first, so that a killed build leaves only a temporary
folder), patching it rather than creating every folder and file again.  On the disks
here creating a folder costs 2-4 ms and removing one as much (the file system's journal),
a file 0.3-0.8 ms, a hard link 0.015 ms: an edition of 5,000 small files is 5,000
``cite/<page>/`` folders and 35,000 files, and an unchanged rebuild that made a new tree
and deleted the old one spent 7 of its 13 seconds on that.  Patched, a file whose bytes
are already right is not touched; any other is replaced (unlinked, then created or linked:
never written through, since the spare's files are hard links shared with the edition
being served); whatever the new edition does not have is removed at the end (:meth:`Tree.prune`),
so the result is the same tree, byte for byte, as a build into a new folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import stat
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from . import resources
from .diagnostics import EditionUsageError
from .paths import output_file, shown_path

#: The file that marks a folder as an edition build: only such a folder is replaced.
MARKER = ".edition-build"
#: Threads that remove or fill a tree's folders at once.
FOLDER_THREADS = 8


def temporary_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.tmp-{os.getpid()}")


def spare_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.spare")


# -- which folder ---------------------------------------------------------------------

def resolved(path: str | os.PathLike[str]) -> Path:
    """``Path.resolve()`` that survives a symbolic-link loop (RuntimeError in Python 3.11)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def output_folder(given: Path) -> Path:
    """The folder the build replaces: absolute (``.`` and ``""`` are the current folder by
    name, so that a sibling temporary folder can be made), and for a symbolic link, the
    folder it points to: the link stays a link, to the new edition, swapped in at once."""
    path = Path(os.path.abspath(given))
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def check_out(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output folder that could overwrite sources, the schema or the repository."""
    target = resolved(out)
    if target == resolved(os.getcwd()):
        raise EditionUsageError.at("E0601", f"refusing to build into {shown_path(out)}, the current folder: "
                                   "the build replaces its output folder as a whole; name a folder of its own, "
                                   "such as _build/edition", path=shown_path(out))
    inputs = list(inputs)
    protected = [resources.schema_dir(), *resources.package_roots(), Path.home(), Path(target.anchor)]
    protected += [resolved(p) for p in inputs]
    for place in protected:
        place = resolved(place)
        if target == place or place.is_relative_to(target):
            raise EditionUsageError.at("E0601", f"refusing to build into {shown_path(out)}: it is or contains {place}, "
                                       "which the build must never replace; choose a folder of its own, "
                                       "such as _build/edition", path=shown_path(out))
    # inside a source folder the edition would be read back as sources; a single
    # file's own folder is protected by the check above (replacing it would take
    # the file along), a sibling output folder is fine
    for folder in [resources.schema_dir()] + [resolved(p) for p in inputs if Path(p).is_dir()]:
        if target.is_relative_to(resolved(folder)):
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


def clean_stale(out: Path) -> None:
    """Temporary folders of killed builds (named by us, beside ``out``)."""
    parent = out.parent
    if not parent.is_dir():
        return
    # Only build folders have these names (a dot, the output's name, .tmp- or .old- and a
    # process id); a build killed while deleting one may have deleted its marker already.
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*"):
        for leftover in parent.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink() and leftover.name.rpartition("-")[2].isdigit():
                remove_tree(leftover, ignore_errors=True)


# -- the tree being assembled -------------------------------------------------------------

def scan(root: Path) -> tuple[set[str], set[str], list[str]]:
    """The files, the folders and anything else (symbolic links, devices) under ``root``, relative
    to it with ``/``, read by ``scandir`` (one call a folder, no ``stat`` a file)."""
    files: set[str] = set()
    folders: set[str] = set()
    others: list[str] = []
    stack = [""]
    while stack:
        relative = stack.pop()
        with os.scandir(f"{root}/{relative}" if relative else root) as entries:
            for entry in entries:
                name = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.add(name)
                    stack.append(name)
                elif entry.is_file(follow_symlinks=False):
                    files.add(name)
                else:
                    others.append(name)
    return files, folders, others


class Tree:
    """What the folder being assembled holds already: nothing for a new folder; for the spare
    edition, its files and folders (relative, ``/``-separated), read once by ``scandir``."""

    def __init__(self, root: Path, spare: bool) -> None:
        self.root = root
        self.spare = spare
        self.files: set[str] = set()
        self.folders: set[str] = set()
        if spare:
            self._scan()

    def _scan(self) -> None:
        """Every file and folder of the spare; anything else (a symbolic link, a device) is removed
        at once: nothing of the build may be written through a link into another place."""
        self.files, self.folders, others = scan(self.root)
        for name in others:
            os.unlink(f"{self.root}/{name}")

    def prune(self, kept: set[str], kept_folders: Iterable[str] = ()) -> set[str]:
        """Remove what the spare held and the new edition does not: files not in ``kept`` (and
        not under one of ``kept_folders``), then the folders left with nothing kept in them.
        Returns the files removed."""
        if not self.spare:
            return set()
        prefixes = tuple(f"{folder}/" for folder in kept_folders)
        removed = {name for name in self.files - kept if not (prefixes and name.startswith(prefixes))}
        for name in removed:
            os.unlink(f"{self.root}/{name}")
        needed: set[str] = set(kept_folders)
        for name in kept | needed:
            parent = name.rpartition("/")[0]
            while parent and parent not in needed:
                needed.add(parent)
                parent = parent.rpartition("/")[0]
        for folder in sorted(self.folders - needed, key=len, reverse=True):
            if not (prefixes and folder.startswith(prefixes)):
                shutil.rmtree(f"{self.root}/{folder}", ignore_errors=True)
        return removed


def open_temporary(out: Path) -> Tree:
    """The folder the new edition is assembled in: the spare edition, renamed to the
    temporary name, when there is one; else a new, empty folder."""
    temporary = temporary_path(out)
    if temporary.exists():
        remove_tree(temporary)
    spare = spare_path(out)
    if spare.is_dir() and not spare.is_symlink() and (spare / MARKER).is_file():
        try:
            os.rename(spare, temporary)
            return Tree(temporary, spare=True)
        except OSError:
            pass
    if spare.exists() or spare.is_symlink():
        remove_tree(spare, ignore_errors=True)
    temporary.mkdir()
    return Tree(temporary, spare=False)


def discard(temporary: Path) -> None:
    """A build that does not swap: its folder goes (it may hold half of an edition)."""
    remove_tree(temporary, ignore_errors=True)


class Folder:
    """Writes the files of the temporary edition folder with as few system calls as it can.

    A FRUS volume is 2,500 files, and creating a file (a new inode) costs 0.3-0.8 ms on
    this kind of disk, against 0.015 ms for a hard link: a file whose bytes are those of
    the same file in the previous edition (``previous``) is linked to it, not written
    again; in a spare edition (:class:`Tree`), a file whose bytes are already right is left
    as it is.  Nothing is stat'ed or unlinked unless it already exists.  Workers make their
    own (without the spare's listing: what they meet is found as they write)."""

    def __init__(self, root: Path, previous: Path | None = None, tree: Tree | None = None) -> None:
        # strings, not Paths: a path object per file was a tenth of an unchanged rebuild
        self.root = str(root)
        self.previous = str(previous) if previous is not None else None
        self.made: set[str] = set(tree.folders) if tree is not None else set()
        #: Files of a spare edition (taken over files replace them).
        self.present: set[str] = tree.files if tree is not None else set()
        #: The top folders (``html``, ``cite``, …) where a file was added or replaced.
        self.touched: set[str] = set()

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
        before = f"{self.previous}/{relative}" if self.previous is not None else ""
        # over a previous build the folder is most often the spare edition, its files already
        # right: one read of the file, not a read of the previous one and a link refused
        if before and _same_bytes(target, data):
            return
        if before and _same_bytes(before, data):
            try:
                os.link(before, target, follow_symlinks=False)
            except FileExistsError:  # a file of the spare edition
                if _same_bytes(target, data):
                    return
                os.unlink(target)
                os.link(before, target, follow_symlinks=False)
            except OSError:
                before = ""
            if before:
                self.touched.add(relative.partition("/")[0])
                return
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except FileExistsError:
            if _same_bytes(target, data):  # a file of the spare edition, already right
                return
            # replace, never write through: the file may be a hard link into the edition being served
            os.unlink(target)
            fd = os.open(target, flags, 0o644)
        self.touched.add(relative.partition("/")[0])
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def reuse_all(self, previous_root: str, relatives: list[str]) -> None:
        """Take unchanged files from the previous edition: hard links (no copy), else copies;
        a file of a spare edition in the way is replaced.  Many files are linked by several
        threads at once, their folders first (see :func:`remove_tree`: a folder costs
        milliseconds)."""
        present = self.present
        pairs = [(f"{previous_root}/{relative}", output_file(self.root, relative), relative in present)
                 for relative in relatives]
        present.difference_update(relatives)
        self.touched.update(relative.partition("/")[0] for relative in relatives)
        folders = sorted({os.path.dirname(relative) for relative in relatives} - self.made - {""})

        def make(folder: str) -> None:
            os.makedirs(f"{self.root}/{folder}", exist_ok=True)

        def link(chunk: list[tuple[str, str, bool]]) -> None:
            for previous, target, there in chunk:
                if there:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(target)
                try:
                    os.link(previous, target)
                except OSError:
                    shutil.copyfile(previous, target)

        if len(pairs) < 256:
            for folder in folders:
                make(folder)
            link(pairs)
        else:
            with ThreadPoolExecutor(FOLDER_THREADS) as pool:
                for _ in pool.map(make, folders):
                    pass
                for _ in pool.map(link, [pairs[start:start + 512] for start in range(0, len(pairs), 512)]):
                    pass
        for folder in folders:
            while folder and folder not in self.made:
                self.made.add(folder)
                folder = os.path.dirname(folder)


def _same_bytes(path: str, data: bytes) -> bool:
    """Whether ``path`` is a regular file (not a link out) holding exactly ``data``."""
    try:  # a regular file of the edition, never a link out of it
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data) or info.st_nlink > 64:
            return False
        return os.pread(fd, len(data) + 1, 0) == data
    except OSError:
        return False
    finally:
        os.close(fd)


# -- the swap -------------------------------------------------------------------------------

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
    """Put the finished build at ``out``; the edition it replaces becomes the spare (see the
    module's docstring), to be patched into the next build."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        os.rename(built, out)
        return
    spare = spare_path(out)
    if _exchange(built, out):
        old = built  # now holds the previous edition
    else:
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.rename(out, old)
        os.rename(built, out)
    try:
        if spare.exists() or spare.is_symlink():
            remove_tree(spare, ignore_errors=True)
        os.rename(old, spare)
    except OSError:
        remove_tree(old, ignore_errors=True)


def remove_tree(path: Path, ignore_errors: bool = False) -> None:
    """``shutil.rmtree``, with the folders two and three levels down (``cite/d300/``,
    ``cite/<volume>/d300/``) removed by several threads at once, the deepest first.  Removing a
    folder waits on the file system's journal (2-4 ms each on the disks here, against 0.05 ms
    for a file): an edition of 5,000 pages is 5,000 folders, 17 s one after the other, a
    third of that in 8 threads; a volume's 410 folders 1.2-1.4 s, 0.2 s in 8 threads."""
    if os.path.islink(path) or not os.path.isdir(path):  # a link goes, never what it points to
        try:
            os.unlink(path)
        except OSError:
            if not ignore_errors:
                raise
        return
    levels: list[list[str]] = [[str(path)]]
    for _ in range(3):
        below: list[str] = []
        for folder in levels[-1]:
            try:
                with os.scandir(folder) as entries:
                    below.extend(entry.path for entry in entries if entry.is_dir(follow_symlinks=False))
            except OSError:
                pass
        levels.append(below)
    for level in (levels[3], levels[2]):
        if len(level) >= 64:
            with ThreadPoolExecutor(FOLDER_THREADS) as pool:
                for _ in pool.map(partial(shutil.rmtree, ignore_errors=True), level):
                    pass
    shutil.rmtree(path, ignore_errors=ignore_errors)
