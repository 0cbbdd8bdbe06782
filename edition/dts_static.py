"""``edition build -f dts``: the DTS answers as files, for a static host (DTS 1.0 "Level 0").

A static host cannot read query parameters, so the URI templates name files instead
(DTS 1.0, "URI Templates examples for static website"), under ``base`` (``/dts`` by default:
the edition's ``dts/`` folder served at the host's root; set the ``dts_base`` option otherwise)::

    index.json                                          Entry
    collection.json, collection/{id}.json               Collection (.parents, .N for nav and page)
    navigation/{resource}/down1.json                    Navigation, down=1 (down-1: the whole tree)
    navigation/{resource}/down1/{ref}.json              Navigation, ref with its children
    navigation/{resource}/down/{ref}.json               Navigation, ref alone (units that have children)
    document/{resource}.xml                             Document, the whole TEI file

What a static host cannot answer is left out of the templates, so a client never builds a
URL that has no file: ``start``/``end`` (which Level 0 may refuse), ``tree``, ``mediaType`` and
Document passages (``ref``).  A unit whose reference is not a plain file name (letters,
digits, ``.``, ``_``, ``-``) has no file of its own; it is still listed by its parent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import unquote

from .dts import Links, collection, entry, expand, navigation
from .dts_store import ROOT_ID, DtsError, Store
from .paths import safe_name


class StaticLinks(Links):
    """URI templates of files under ``base``."""

    ENTRY = "/index.json"
    TEMPLATES: ClassVar[dict[str, tuple[str, str]]] = {
        "collection": ("/collection{/id}{.nav,page}.json", "/collection/{id}{{.nav,page}}.json"),
        "navigation": ("/navigation{/resource}/down{down}{.page}{/ref}.json",
                       "/navigation/{id}/down{{down}}{{.page}}{{/ref}}.json"),
        "document": ("/document{/resource}.xml", "/document/{id}.xml"),
    }


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


class _Files:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/") + "/"
        self.files: dict[str, bytes] = {}
        self.skipped = 0

    def put(self, url: str, body: bytes) -> None:
        """Keep ``body`` as the file a static host serves at ``url`` (when every part is a plain name)."""
        relative = unquote(url.removeprefix(self.base))
        parts = relative.split("/")
        if not url.startswith(self.base) or any(part != safe_name(part, default="") for part in parts):
            self.skipped += 1
            return
        self.files[relative] = body


def _pages(files: _Files, template: str, params: dict[str, str], answer: Any) -> None:
    """Write ``answer`` (page 1) and each further page of it."""
    first = answer(params)
    files.put(expand(template, params), _json(first))
    view = first.get("view")
    if view is None:
        return
    files.put(view["first"], _json(first))
    page = 2
    while True:
        url = expand(template, {**params, "page": str(page)})
        try:
            files.put(url, _json(answer({**params, "page": str(page)})))
        except DtsError:  # past the last page
            return
        page += 1


def export(paths: Iterable[str | os.PathLike[str]], options: Mapping[str, Any] | None = None) -> dict[str, bytes]:
    """The static DTS answers for ``paths`` (files and folders, as ``edition serve`` takes them):
    relative file name → bytes.  ``options``: the build's (a
    :class:`~edition.transforms.contract.BuildOptions`, or any mapping), of which ``dts_base`` counts."""
    base = str((options or {}).get("dts_base", "/dts"))
    store = Store(paths)
    links = StaticLinks(base)
    files = _Files(links.base)
    files.put(links.entry(), _json(entry(links)))
    for node in list(store.nodes.values()):
        for nav in ("children", "parents"):
            params = {} if node.id == ROOT_ID else {"id": node.id}
            if nav == "parents":
                params["nav"] = "parents"
            _pages(files, links.collection(), params, lambda p: collection(store, links, p))
        if node.kind != "resource":
            continue
        loaded = store.loaded(node)
        if loaded.error or node.path is None:
            continue
        template = links.navigation_of(node.id)

        def answer(params: dict[str, str], id: str = node.id) -> Any:
            return navigation(store, links, {"resource": id, **params})

        for down in ("1", "-1"):
            _pages(files, template, {"down": down}, answer)
        for position, ref in enumerate(loaded.refs):
            if loaded.ends[position] > position + 1:  # a unit with children
                _pages(files, template, {"ref": ref, "down": "1"}, answer)
                files.put(expand(template, {"ref": ref}), _json(answer({"ref": ref})))
        files.put(links.document_of(node.id), node.path.read_bytes())
    return files.files
