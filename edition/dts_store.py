"""The TEI files a DTS server serves: listed by walking folders, parsed once, reloaded on change.

Identifiers are keys of this listing, never paths: an ``id`` is looked up among the files
found by walking the served folders, so no request can name a file outside them, and an
identifier that looks like a path (``..``, an absolute path, a URL) is refused outright.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from .diagnostics import EditionError
from .document import XML_LANG, Document, load, require_tei_root, tei

ROOT_ID = "edition"


class DtsError(Exception):
    """A request the answer is an error for; becomes an RFC 9457 problem (``problem()``)."""

    def __init__(self, status: int, kind: str, title: str, detail: str, parameter: str | None = None,
                 nearest: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.parameter = parameter
        self.nearest = list(nearest)

    def problem(self, instance: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"type": f"tag:tei-edition,2026:dts/{self.kind}", "title": self.title,
                                "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        if self.parameter:
            body["parameter"] = self.parameter
        if self.nearest:
            body["nearest"] = self.nearest
        return body


def bad(parameter: str, detail: str) -> DtsError:
    return DtsError(400, "bad-parameter", "Bad parameter", f"parameter '{parameter}': {detail}", parameter)


def not_found(parameter: str, detail: str, nearest: Sequence[str] = ()) -> DtsError:
    hint = f"; nearest: {', '.join(nearest)}" if nearest else ""
    return DtsError(404, "not-found", "Not found", f"parameter '{parameter}': {detail}{hint}", parameter, nearest)


# -- the served files ------------------------------------------------------------------

@dataclass
class Node:
    """A Collection (a folder, or the root) or a Resource (a TEI file) of the store."""

    id: str
    kind: str  # "collection" or "resource"
    title: str
    path: Path | None = None
    parent: str | None = None
    children: list[str] = field(default_factory=list)


@dataclass
class Loaded:
    """One TEI file parsed, with what every answer about it needs, computed once."""

    signature: tuple[int, int, int]
    document: Document | None = None
    error: str = ""
    title: str = ""
    dublin_core: dict[str, Any] = field(default_factory=dict)
    fallback: bool = False
    refs: list[str] = field(default_factory=list)
    elements: list[etree._Element] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    #: index after each unit's last descendant (its subtree is ``[i, ends[i])``)
    ends: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    trees: list[dict[str, Any]] = field(default_factory=list)

    def nearest(self, ref: str) -> list[str]:
        if len(ref) > 100:  # difflib is quadratic in the length: no suggestions for a runaway value
            return []
        return difflib.get_close_matches(ref, self.refs, n=3, cutoff=0.5)


def _signature(path: Path) -> tuple[int, int, int]:
    info = os.stat(path)
    return info.st_ino, info.st_size, info.st_mtime_ns


def _text(element: etree._Element) -> str:
    """An element's words, notes left out, white space normalised."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag != tei("note"):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return " ".join("".join(parts).split())


def _header_values(document: Document, path: str) -> list[str]:
    values = [_text(found) for found in document.root.iterfind(path)]
    return [value for value in values if value]


def _title(document: Document, fallback: str) -> str:
    statement = f"{tei('teiHeader')}/{tei('fileDesc')}/{tei('titleStmt')}/{tei('title')}"
    titles = list(document.root.iterfind(statement))
    for wanted in ("main", "complete"):
        for title in titles:
            if title.get("type") == wanted and _text(title):
                return _text(title)
    return next((_text(t) for t in titles if _text(t)), fallback)


def _analyse(loaded: Loaded, document: Document, name: str) -> None:
    citer = document.citer
    loaded.fallback = citer.source == "fallback"
    loaded.title = _title(document, name)
    lang = document.root.get(XML_LANG) or ""
    dublin: dict[str, Any] = {"title": [{"lang": lang, "value": loaded.title} if lang else loaded.title]}
    if lang:
        dublin["language"] = [lang]
    publication = f"{tei('teiHeader')}/{tei('fileDesc')}/{tei('publicationStmt')}"
    for term, path in (("publisher", f"{publication}/{tei('publisher')}"),
                       ("identifier", f"{publication}/{tei('idno')}")):
        values = _header_values(document, path)
        if values:
            dublin[term] = values
    loaded.dublin_core = dublin
    # pre-order, depth first, in document order (DTS 1.0: "Order of CitableUnits in member")
    order = {element: position for position, element in enumerate(document.root.iter())}
    roots = sorted((unit for unit in citer.units if unit.parent is None), key=lambda u: order.get(u.element, 0))
    stack = [(unit, 1, -1) for unit in reversed(roots)]
    paths: dict[tuple[str, ...], None] = {}
    type_path: dict[int, tuple[str, ...]] = {}
    while stack:
        unit, level, parent = stack.pop()
        position = len(loaded.refs)
        loaded.refs.append(unit.ref)
        loaded.elements.append(unit.element)
        loaded.levels.append(level)
        loaded.parents.append(parent)
        loaded.ends.append(0)
        loaded.index[unit.ref] = position
        type_path[position] = type_path.get(parent, ()) + (unit.unit,)
        paths[type_path[position]] = None
        described: dict[str, Any] = {"identifier": unit.ref, "@type": "CitableUnit", "level": level,
                                     "parent": loaded.refs[parent] if parent >= 0 else None,
                                     "citeType": unit.unit}
        head = unit.element.find(tei("head"))
        if head is not None and _text(head):
            described["dublinCore"] = {"title": [{"lang": lang, "value": _text(head)} if lang else _text(head)]}
        loaded.units.append(described)
        children = sorted(unit.children, key=lambda u: order.get(u.element, 0))
        stack.extend((child, level + 1, position) for child in reversed(children))
    for position in reversed(range(len(loaded.refs))):
        end = position + 1
        while end < len(loaded.refs) and loaded.levels[end] > loaded.levels[position]:
            end = loaded.ends[end]
        loaded.ends[position] = end
    loaded.trees = [_citation_tree(list(paths), loaded.fallback)] if loaded.refs else []


def _citation_tree(paths: list[tuple[str, ...]], fallback: bool) -> dict[str, Any]:
    """The CitationTree of the cite types seen, nested as they nest in the file."""
    root: dict[str, Any] = {}
    for path in paths:
        level = root
        for cite_type in path:
            level = level.setdefault(cite_type, {})

    def structures(level: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for cite_type, below in level.items():
            entry: dict[str, Any] = {"@type": "CiteStructure", "citeType": cite_type}
            if below:
                entry["citeStructure"] = structures(below)
            out.append(entry)
        return out

    tree: dict[str, Any] = {"@type": "CitationTree", "citeStructure": structures(root)}
    if fallback:
        tree["description"] = ("No refsDecl/citeStructure: references are the divisions' xml:id "
                               "(or number) and the paragraphs' positions.")
    return tree


class Store:
    """The TEI files and folders being served, listed and parsed once, reloaded when they change.

    Folders are walked for ``*.xml`` (hidden names skipped, symbolic links followed only when
    they stay inside the folder); a folder whose modification time changes is walked again,
    a file whose inode, size or modification time changes is parsed again.  Safe to share
    between threads.
    """

    def __init__(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        self.paths = [Path(p) for p in paths]
        self._lock = threading.RLock()
        self._folders: dict[Path, int] = {}
        self._loaded: dict[Path, Loaded] = {}
        self.nodes: dict[str, Node] = {}
        self._scan()

    # -- listing --------------------------------------------------------------
    def _scan(self) -> None:
        self._folders = {}
        self._building: dict[str, Node] = {}
        single = len(self.paths) == 1 and self.paths[0].is_dir()
        root = self._add(Node(ROOT_ID, "collection", self.paths[0].name if single else "TEI edition"))
        for given in self.paths:
            try:
                resolved = given.resolve()
            except (OSError, RuntimeError):
                continue
            if resolved.is_dir():
                parent = root if single else self._add(Node(given.name or str(given), "collection", given.name,
                                                            resolved, ROOT_ID))
                self._walk(resolved, resolved, parent, "" if single else f"{parent.id}/")
            elif resolved.is_file():
                self._add(Node(given.stem, "resource", given.stem, resolved, ROOT_ID))
        self.nodes = self._building
        served = {node.path for node in self.nodes.values() if node.kind == "resource"}
        self._loaded = {path: loaded for path, loaded in self._loaded.items() if path in served}

    def _add(self, node: Node) -> Node:
        nodes = self._building
        base, number = node.id, 1
        while node.id in nodes:
            number += 1
            node.id = f"{base}-{number}"
        nodes[node.id] = node
        if node.parent is not None:
            nodes[node.parent].children.append(node.id)
        return node

    def _walk(self, folder: Path, top: Path, parent: Node, prefix: str) -> None:
        try:
            self._folders[folder] = os.stat(folder).st_mtime_ns
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            relative = path.relative_to(top).as_posix()
            if entry.is_dir(follow_symlinks=False):
                child = self._add(Node(prefix + relative, "collection", entry.name, path, parent.id))
                self._walk(path, top, child, prefix)
                if not child.children:  # a folder without TEI is not a collection
                    del self._building[child.id]
                    parent.children.remove(child.id)
            elif entry.name.lower().endswith(".xml"):
                try:
                    target = path.resolve()
                    inside = target.is_relative_to(top) and target.is_file()
                except (OSError, RuntimeError):
                    inside = False
                if inside:  # a link out of the served folder is never followed
                    self._add(Node(prefix + relative[:-4], "resource", relative[:-4], target, parent.id))

    def refresh(self) -> None:
        """Walk the folders again if one of them changed (a file added, removed or renamed)."""
        with self._lock:
            for folder, mtime in self._folders.items():
                try:
                    changed = os.stat(folder).st_mtime_ns != mtime
                except OSError:
                    changed = True
                if changed:
                    self._scan()
                    return

    def last_modified(self) -> float:
        """The latest modification time (seconds) of the folders walked and the files parsed."""
        with self._lock:
            times = [*self._folders.values(), *(loaded.signature[2] for loaded in self._loaded.values())]
        return max(times, default=0) / 1e9

    # -- lookup ---------------------------------------------------------------
    def node(self, id: str | None, parameter: str = "id") -> Node:
        if id is None or id == "":
            return self.nodes[ROOT_ID]
        refuse_traversal(id, parameter)
        node = self.nodes.get(id)
        if node is None:
            nearest = difflib.get_close_matches(id, list(self.nodes), n=3, cutoff=0.5) if len(id) <= 100 else []
            raise not_found(parameter, f"no collection or resource '{id}'", nearest)
        return node

    def resource(self, id: str | None) -> tuple[Node, Loaded]:
        if id is None:
            raise bad("resource", "missing; name the Resource (its @id in the Collection endpoint)")
        node = self.node(id, "resource")
        if node.kind != "resource":
            raise bad("resource", f"'{id}' is a Collection, not a Resource; list its members with the "
                      "Collection endpoint")
        return node, self.loaded(node)

    def loaded(self, node: Node) -> Loaded:
        """The parsed file of a resource node, parsed again if it changed on disk."""
        assert node.path is not None
        path = node.path
        try:
            signature = _signature(path)
        except OSError:
            signature = (0, 0, 0)
        with self._lock:
            known = self._loaded.get(path)
            if known is not None and known.signature == signature:
                return known
            loaded = Loaded(signature)
            try:
                if signature == (0, 0, 0):
                    raise FileNotFoundError(path)
                document = load(path, display=node.id + ".xml")
                problem = require_tei_root(document)
                if problem is not None:
                    loaded.error = str(problem)
                else:
                    loaded.document = document
                    _analyse(loaded, document, node.title)
            except EditionError as error:
                loaded.error = str(error.diagnostic)
            except OSError as error:
                loaded.error = f"{node.id}.xml: cannot be read: {error.strerror or error}"
            if loaded.error:
                loaded.title = node.title
            self._loaded[path] = loaded
            return loaded


def refuse_traversal(value: str, parameter: str) -> None:
    """An identifier that looks like a path out of the served folders is refused outright."""
    parts = re.split(r"[/\\]", value)
    if (".." in parts or value.startswith(("/", "\\", "~")) or "\\" in value or "\x00" in value
            or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value)):
        raise DtsError(400, "path-refused", "Identifier refused",
                       f"parameter '{parameter}': '{value[:200]}' names a path, not an identifier of this "
                       "server; only the @id values of the Collection endpoint are served", parameter)


