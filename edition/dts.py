"""Distributed Text Services 1.0: the four endpoints' answers, as plain data.

`DTS 1.0 <https://dtsapi.org/versions/v1.0>`_ has an Entry endpoint and three others:
Collection (what is served), Navigation (a resource's citation tree) and Document (its
TEI, whole or a passage).  This module answers them from a :class:`~edition.dts_store.Store`
of TEI files (the bodies of passages are made by :mod:`edition.dts_document`);
:mod:`edition.serve` puts the answers on HTTP and :mod:`edition.dts_static` writes them as
files for a static host (``edition build -f dts``).

Model: a folder is a ``Collection``; a TEI file is a ``Resource`` whose citation tree comes
from its ``refsDecl/citeStructure`` (:mod:`edition.refs`), or the fallback references of a
file without one.  A FRUS volume is one Resource whose tree is document → paragraph
(``d300`` → ``d300.p4``), the references ``edition cite`` uses, not a Collection of
documents: DTS's Document endpoint then returns the volume's own TEI, and its ``ref``
fragments keep the volume's header.

Identifiers are keys of the store, never paths: an ``id`` is looked up in the listing made
by walking the served folders, so no request can name a file outside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from .document import tei
from .dts_store import ROOT_ID, DtsError, Loaded, Node, Store, bad, not_found

__all__ = ["CONTEXT", "DTS_VERSION", "MEDIA_TYPES", "DocumentAnswer", "DtsError", "Links", "Store", "collection",
           "document", "entry", "expand", "navigation", "parameters"]

DTS_VERSION = "1.0"
CONTEXT = "https://dtsapi.org/context/v1.0.json"
TEI_MEDIA_TYPE = "application/tei+xml"
#: What the Document endpoint can return; TEI is the default.
MEDIA_TYPES = (TEI_MEDIA_TYPE, "text/html", "text/plain")
#: Members per page: a volume's 4,165 units (``down=-1``) come in pages of this many.
NAVIGATION_PAGE_SIZE = 200
COLLECTION_PAGE_SIZE = 100
#: Longest parameter value accepted (a reference or an id is far shorter).
MAX_PARAMETER = 1000

PARAMETERS = {
    "collection": ("id", "page", "nav"),
    "navigation": ("resource", "ref", "start", "end", "down", "tree", "page"),
    "document": ("resource", "ref", "start", "end", "tree", "mediaType"),
}


# -- URI templates (RFC 6570, the levels DTS uses) -------------------------------------

_EXPRESSION = re.compile(r"\{([+#./;?&]?)([^}]*)\}")
_OPERATORS = {  # operator: (first, separator, named, empty-value suffix)
    "": ("", ",", False, ""), "+": ("", ",", False, ""), "#": ("#", ",", False, ""),
    ".": (".", ".", False, ""), "/": ("/", "/", False, ""), ";": (";", ";", True, ""),
    "?": ("?", "&", True, "="), "&": ("&", "&", True, "="),
}


def expand(template: str, values: Mapping[str, object]) -> str:
    """Expand an RFC 6570 template (simple values; undefined or None variables are left out)."""

    def one(match: re.Match[str]) -> str:
        operator = match.group(1)
        first, separator, named, empty = _OPERATORS[operator]
        safe = ":/?#[]@!$&'()*+,;=" if operator in "+#" else ""
        parts = []
        for name in match.group(2).split(","):
            value = values.get(name)
            if value is None:
                continue
            encoded = quote(str(value), safe=safe)
            parts.append(f"{name}={encoded}" if named and encoded else f"{name}{empty}" if named else encoded)
        return first + separator.join(parts) if parts else ""

    return _EXPRESSION.sub(one, template)


class Links:
    """The endpoints' URI templates of a live server under ``base`` (``http://host/api/dts``);
    ``web`` is where a built web edition's pages are served (``/html/``), for the HTML answers'
    stylesheet and script ("" when there is none).  The templates are data (:data:`TEMPLATES`),
    so that another way of serving the answers (``dts_static.StaticLinks``: files) is another table."""

    #: The Entry endpoint's path under ``base``.
    ENTRY = "/"
    #: Endpoint → its path and URI template under ``base``, and the same for one collection or
    #: resource (a format string: ``{id}`` is its quoted id, ``{{ }}`` the template's braces).
    TEMPLATES: ClassVar[dict[str, tuple[str, str]]] = {
        "collection": ("/collection{?id,page,nav}", "/collection?id={id}{{&page,nav}}"),
        "navigation": ("/navigation{?resource,ref,start,end,down,tree,page}",
                       "/navigation?resource={id}{{&ref,down,start,end,tree,page}}"),
        "document": ("/document{?resource,ref,start,end,tree,mediaType}",
                     "/document?resource={id}{{&ref,start,end,tree,mediaType}}"),
    }

    def __init__(self, base: str = "/api/dts", web: str = "") -> None:
        self.base = base.rstrip("/")
        self.web = web

    def _of(self, endpoint: str, id: str) -> str:
        return self.base + self.TEMPLATES[endpoint][1].format(id=quote(id, safe=""))

    def entry(self) -> str:
        return self.base + self.ENTRY

    def collection(self) -> str:
        return self.base + self.TEMPLATES["collection"][0]

    def navigation(self) -> str:
        return self.base + self.TEMPLATES["navigation"][0]

    def document(self) -> str:
        return self.base + self.TEMPLATES["document"][0]

    def collection_of(self, id: str) -> str:
        return self._of("collection", id)

    def navigation_of(self, id: str) -> str:
        return self._of("navigation", id)

    def document_of(self, id: str) -> str:
        return self._of("document", id)


# -- parameters ------------------------------------------------------------------------

def parameters(endpoint: str, items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The query of a request to ``endpoint`` as a dict; 400 for unknown, repeated or runaway ones."""
    allowed = PARAMETERS[endpoint]
    found: dict[str, str] = {}
    for name, value in items:
        if name not in allowed:
            hint = " (DTS 1.0 names it 'resource' here; 'id' is the Collection endpoint's)" if name == "id" else ""
            raise bad(name, f"unknown to the {endpoint} endpoint{hint}; it takes {', '.join(allowed)}")
        if name in found:
            raise bad(name, "given twice")
        if len(value) > MAX_PARAMETER:
            raise bad(name, f"longer than {MAX_PARAMETER} characters")
        found[name] = value
    return found


def _integer(params: Mapping[str, str], name: str, minimum: int) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"-?\d{1,9}", value.strip()) or int(value) < minimum:
        raise bad(name, f"'{value[:40]}' is not an integer of at least {minimum}")
    return int(value)


def _paginate(items: list[Any], page: int | None, size: int) -> tuple[list[Any], int, int]:
    """The items of ``page`` (1 when None), the page and the last page."""
    last = max(1, -(-len(items) // size))
    current = page or 1
    if current > last:
        raise not_found("page", f"page {current} is past the last page, {last}")
    return items[(current - 1) * size:current * size], current, last


def _view(template: str, values: dict[str, object], current: int, last: int) -> dict[str, Any]:
    def at(page: int) -> str:
        return expand(template, {**values, "page": page})

    return {"@id": at(current), "@type": "Pagination", "first": at(1), "previous": at(max(1, current - 1)),
            "next": at(min(last, current + 1)), "last": at(last)}


# -- the endpoints ---------------------------------------------------------------------

def entry(links: Links) -> dict[str, Any]:
    return {"@context": CONTEXT, "dtsVersion": DTS_VERSION, "@id": links.entry(), "@type": "EntryPoint",
            "collection": links.collection(), "navigation": links.navigation(), "document": links.document()}


def _resource_object(node: Node, loaded: Loaded, links: Links) -> dict[str, Any]:
    described: dict[str, Any] = {
        "@id": node.id, "@type": "Resource", "title": loaded.title, "totalParents": 1 if node.parent else 0,
        "totalChildren": 0, "collection": links.collection_of(node.id), "navigation": links.navigation_of(node.id),
        "document": links.document_of(node.id), "citationTrees": loaded.trees, "mediaTypes": list(MEDIA_TYPES)}
    if loaded.dublin_core:
        described["dublinCore"] = loaded.dublin_core
    if loaded.error:
        described["description"] = f"This file cannot be served: {loaded.error}"
        described["mediaTypes"] = []
    return described


def _member(store: Store, node: Node, links: Links) -> dict[str, Any]:
    if node.kind == "resource":
        return _resource_object(node, store.loaded(node), links)
    return {"@id": node.id, "@type": "Collection", "title": node.title, "totalParents": 1 if node.parent else 0,
            "totalChildren": len(node.children), "collection": links.collection_of(node.id)}


def collection(store: Store, links: Links, params: Mapping[str, str]) -> dict[str, Any]:
    """The Collection endpoint: a collection (or resource) with its children or parents."""
    nav = params.get("nav", "children")
    if nav not in ("children", "parents"):
        raise bad("nav", f"'{nav[:40]}' is neither 'children' nor 'parents'")
    page = _integer(params, "page", 1)
    node = store.node(params.get("id"))
    body: dict[str, Any] = {"@context": CONTEXT, "dtsVersion": DTS_VERSION, **_member(store, node, links)}
    if node.kind == "collection" and node.id == ROOT_ID:
        body["collection"] = links.collection()
    related = node.children if nav == "children" else ([node.parent] if node.parent else [])
    if node.kind == "resource" and nav == "children":
        return body
    shown, current, last = _paginate(related, page, COLLECTION_PAGE_SIZE)
    body["member"] = [_member(store, store.nodes[id], links) for id in shown]
    if last > 1:
        values: dict[str, object] = {"id": None if node.id == ROOT_ID else node.id,
                                     "nav": None if nav == "children" else nav}
        body["view"] = _view(links.collection(), values, current, last)
    return body


def _unit(loaded: Loaded, parameter: str, ref: str) -> int:
    position = loaded.index.get(ref)
    if position is None:
        raise not_found(parameter, f"no citable unit '{ref[:200]}' in this resource", loaded.nearest(ref))
    return position


def _selection(loaded: Loaded, params: Mapping[str, str], tree_always: bool = True,
               ) -> tuple[int | None, int | None, int | None]:
    """(ref, start, end) positions, after DTS 1.0's rules on which may go together.  ``tree``
    names a citation tree, and only the default one exists (the Document endpoint ignores it
    without ``ref`` or ``start``: ``tree_always`` false)."""
    if loaded.error:
        raise DtsError(500, "unreadable-resource", "Resource cannot be read",
                       f"parameter 'resource': its file cannot be served until it is fixed: {loaded.error}",
                       "resource")
    if "tree" in params and (tree_always or "ref" in params or "start" in params or "end" in params):
        raise not_found("tree", f"no citation tree '{params['tree'][:80]}'; this resource has only its default "
                        "tree: leave 'tree' out")
    ref, start, end = params.get("ref"), params.get("start"), params.get("end")
    if ref is not None and (start is not None or end is not None):
        raise bad("start" if start is not None else "end", "cannot be used with 'ref'")
    if (start is None) != (end is None):
        raise bad("end" if end is None else "start", "'start' and 'end' go together; give both")
    position = _unit(loaded, "ref", ref) if ref is not None else None
    first = _unit(loaded, "start", start) if start is not None else None
    last = _unit(loaded, "end", end) if end is not None else None
    if first is not None and last is not None and last < first:
        raise bad("end", f"'{end}' comes before '{start}' in the document")
    return position, first, last


def navigation(store: Store, links: Links, params: Mapping[str, str], self_url: str = "") -> dict[str, Any]:
    """The Navigation endpoint: the citable units of a resource the parameters select."""
    node, loaded = store.resource(params.get("resource"))
    down = _integer(params, "down", -1)
    page = _integer(params, "page", 1)
    ref, start, end = _selection(loaded, params)
    if down is None and ref is None and start is None:
        raise bad("down", "give 'ref', 'start' and 'end', or 'down' (1 for the top level, -1 for the whole tree)")
    if down == 0 and ref is None:
        raise bad("down", "0 lists the siblings of 'ref'; give 'ref'" if start is None else
                  "0 cannot be used with 'start' and 'end'")
    body: dict[str, Any] = {"@context": CONTEXT, "dtsVersion": DTS_VERSION, "@type": "Navigation",
                            "@id": self_url or expand(links.navigation(), {**params}),
                            "resource": _resource_object(node, loaded, links)}
    if ref is not None:
        body["ref"] = loaded.units[ref]
    if start is not None and end is not None:
        body["start"], body["end"] = loaded.units[start], loaded.units[end]
    if down is None:
        return body
    levels = loaded.levels
    if ref is not None and down == 0:
        parent = loaded.parents[ref]
        chosen = [i for i in range(len(levels)) if loaded.parents[i] == parent]
    else:
        if ref is not None:
            span, base = range(ref, loaded.ends[ref]), levels[ref]
        elif start is not None and end is not None:
            span, base = range(start, loaded.ends[end]), max(levels[start], levels[end])
        else:
            span, base = range(len(levels)), 0
        chosen = [i for i in span if down == -1 or levels[i] <= base + down]
    shown, current, last = _paginate(chosen, page, NAVIGATION_PAGE_SIZE)
    body["member"] = [loaded.units[i] for i in shown]
    if last > 1:
        values: dict[str, object] = {key: value for key, value in params.items() if key != "page"}
        body["view"] = _view(links.navigation(), values, current, last)
    return body


@dataclass
class DocumentAnswer:
    """What the Document endpoint returns: ``body``, or the whole file at ``path`` (to be streamed)."""

    media_type: str
    body: bytes | None
    path: Path | None
    signature: tuple[int, int, int]
    #: The Collection endpoint's URI for this resource (the ``Link: rel="collection"`` header).
    collection: str


def document(store: Store, links: Links, params: Mapping[str, str]) -> DocumentAnswer:
    """The Document endpoint: the resource's TEI (whole, or the passage asked for), HTML or text."""
    from . import dts_document

    node, loaded = store.resource(params.get("resource"))
    media_type = params.get("mediaType", TEI_MEDIA_TYPE)
    if media_type not in MEDIA_TYPES:
        raise not_found("mediaType", f"'{media_type[:80]}' is not available; this resource is served as "
                        f"{', '.join(MEDIA_TYPES)}")
    ref, start, end = _selection(loaded, params, tree_always=False)
    answer = DocumentAnswer(media_type, None, None, loaded.signature,
                            expand(links.collection_of(node.id), {}))
    source = loaded.document
    assert source is not None  # _selection refuses a resource whose file did not parse
    if ref is None and start is None:
        if media_type == TEI_MEDIA_TYPE:
            answer.path = node.path
            return answer
        text = source.root.find(tei("text"))
        elements = [text if text is not None else source.root]
    elif ref is not None:
        elements = [loaded.elements[ref]]
    else:
        assert start is not None and end is not None
        if media_type == TEI_MEDIA_TYPE:
            answer.body = dts_document.tei_passage(source, loaded.elements[start], loaded.elements[end])
            return answer
        elements = [loaded.elements[i] for i in _outermost(loaded, start, end)]
    if media_type == TEI_MEDIA_TYPE:
        answer.body = dts_document.tei_passage(source, elements[0])
    elif media_type == "text/html":
        answer.body = dts_document.html(source, elements, links.web)
    else:
        answer.body = dts_document.text(source, elements)
    return answer


def _outermost(loaded: Loaded, start: int, end: int) -> list[int]:
    """The largest units lying wholly from ``start`` to the end of ``end``'s subtree."""
    stop, position, out = loaded.ends[end], start, []
    while position < stop:
        if loaded.ends[position] <= stop:
            out.append(position)
            position = loaded.ends[position]
        else:
            position += 1  # it runs past the range: its first child starts here
    return out
