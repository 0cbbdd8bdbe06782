"""What ``doc()``, ``doc-available()`` and ``document()`` may read during a Schematron run:
local files inside the folders they are allowed (the schema's and the validated file's),
parsed as safely as our inputs; anything else (another folder, the network) is unavailable,
and the refusal is kept so that the diagnostic can name it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import elementpath
from lxml import etree

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def file_uri(path: Path) -> str:
    return path.resolve().as_uri()


class SafeDocuments(Mapping[str, Any]):
    """``doc()``'s view of the world: local files inside the allowed folders, parsed safely."""

    def __init__(self, allowed: list[Path], fixed: dict[str, Any] | None = None) -> None:
        self.allowed = [folder.resolve() for folder in allowed]
        self.fixed = dict(fixed or {})
        self._loaded: dict[str, Any] = {}
        self.refusals: list[str] = []

    def __getitem__(self, uri: str) -> Any:
        if uri in self.fixed:
            return self.fixed[uri]
        if uri in self._loaded:
            found = self._loaded[uri]
            if found is None:
                raise KeyError(uri)
            return found
        self._loaded[uri] = None
        parts = urlsplit(uri)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            self._refuse(f"{uri} is not a local file (nothing is fetched from the network)")
        path = Path(unquote(parts.path)).resolve()
        if not any(path == folder or folder in path.parents for folder in self.allowed):
            self._refuse(f"{path} is outside the folders of the schema and the document")
        if not path.is_file():
            self._refuse(f"{path} does not exist")
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            self._refuse(f"{path} is larger than {MAX_DOCUMENT_BYTES >> 20} MB")
        parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
        try:
            tree = etree.parse(str(path), parser)
        except (etree.XMLSyntaxError, OSError) as error:
            self._refuse(f"{path} could not be read as XML: {error}")
        found = elementpath.get_node_tree(tree, uri=uri)
        self._loaded[uri] = found
        return found

    def _refuse(self, reason: str) -> None:
        self.refusals.append(reason)
        raise KeyError(reason)

    def __iter__(self) -> Iterator[str]:
        return iter(self.fixed)

    def __len__(self) -> int:
        return len(self.fixed)

    def __contains__(self, uri: object) -> bool:
        try:
            self[uri]  # type: ignore[index]
        except KeyError:
            return False
        return True
