"""Which documents are the same work: a FRUS volume's id plus a canonical reference.

Our edition of a memorandum (one document, its volume named in
``sourceDesc//monogr/idno[@type='frus']``) and the Office of the Historian's
whole volume (the volume's own ``publicationStmt/idno[@type='frus']``) both
hold document 300 of ``frus1958-60v19``.  Both get the work identifier
``frus1958-60v19/d300``, so ``edition cite`` and the built index can say that
the two sources carry the same document.  A file without a FRUS id has no
work identifier: nothing is guessed from file names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from .diagnostics import EditionError
from .document import NAMESPACES, Document, iter_sources, load

_FRUS_ID = "string(normalize-space({}))"
# The volume a one-document edition was taken from comes first: its own
# publicationStmt idno names the edition (frus1958-60v19-d300), not the volume.
_VOLUME_PATHS = (
    "tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:monogr/tei:idno[@type='frus'][1]",
    "tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno[@type='frus'][1]",
)


def volume_id(document: Document) -> str | None:
    """The FRUS volume id (``frus1958-60v19``) the document is, or was taken from."""
    if "identity.volume" not in document.cache:  # asked once per page of a volume
        document.cache["identity.volume"] = _find_volume_id(document)
    return document.cache["identity.volume"]


def _find_volume_id(document: Document) -> str | None:
    for path in _VOLUME_PATHS:
        value = document.root.xpath(_FRUS_ID.format(path), namespaces=NAMESPACES)
        if value:
            return str(value)
    return None


def top_ref(ref: str) -> str:
    """``d300.p4`` → ``d300``: the document a reference lies in."""
    return ref.split(".", 1)[0]


def work_id(document: Document, ref_or_unit: str | etree._Element) -> str | None:
    """``frus1958-60v19/d300`` for a unit (or any reference inside it), or None.

    Paragraph references are not part of the identity: an edition and the
    volume may number paragraphs differently, the document is the same.
    """
    volume = volume_id(document)
    if volume is None:
        return None
    ref = ref_or_unit if isinstance(ref_or_unit, str) else document.citer.ref_of(ref_or_unit)
    if not ref and not isinstance(ref_or_unit, str):
        # a one-document edition is rendered from its <text>, which encloses its only unit
        top = [unit.ref for unit in document.citer.units if unit.parent is None]
        ref = top[0] if len(top) == 1 else ""
    return f"{volume}/{top_ref(ref)}" if ref else None


def works(document: Document) -> dict[str, str]:
    """Work identifier → canonical reference for every top-level unit of a document."""
    volume = volume_id(document)
    if volume is None:
        return {}
    return {f"{volume}/{unit.ref}": unit.ref for unit in document.citer.units if unit.parent is None}


@dataclass(frozen=True)
class Holding:
    """One source holding a work: the file as shown, and the work's reference in it."""

    path: str
    ref: str


def holdings(work: str, paths: Iterable[str | os.PathLike[str]]) -> list[Holding]:
    """Every file of ``paths`` holding ``work`` (files that do not parse are skipped:
    the command that reads them reports them)."""
    found: list[Holding] = []
    volume = work.partition("/")[0]
    for shown, path in iter_sources(paths):
        try:
            document = load(path, display=shown)
        except EditionError:
            continue
        if volume_id(document) != volume:
            continue  # cheap: no references are computed for other volumes
        ref = works(document).get(work)
        if ref is not None:
            found.append(Holding(shown, ref))
    return found


def same_document(path: str | os.PathLike[str], ref: str,
                  paths: Iterable[str | os.PathLike[str]]) -> tuple[str | None, list[Holding]]:
    """The work ``ref`` names in the file ``path``, and every file of ``paths`` holding it."""
    try:
        work = work_id(load(path), ref)
    except EditionError:
        return None, []
    return (work, holdings(work, paths)) if work else (None, [])
