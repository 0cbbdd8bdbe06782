"""From a canonical reference to the passage and its citation, and back.

``edition cite d300.p4`` resolves the reference in the given files (by
default ``tei/``), prints the passage's reading text and its citation.  A
reference is a unit (``d300``), a passage (``d300.p4``) or a range of
sibling passages (``d300.p2-p3`` or ``d300.p2-d300.p3``).  One that does not
resolve is an E0401 error naming the nearest valid references.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from .diagnostics import Diagnostic, EditionError, EditionReferenceError, EditionUsageError
from .document import iter_sources, load

if TYPE_CHECKING:
    from edition.transforms.citations import Citation

    from .document import Document
    from .refs import CiteUnit

__all__ = ["Passage", "Cited", "RangeError", "resolve", "passage_text", "cite", "fallback_notice"]


class RangeError(EditionReferenceError):
    """The start of a range resolves but the range itself does not (reported as such)."""


@dataclass
class Passage:
    """A resolved reference: one citable unit, or a run of sibling units."""

    ref: str
    first: CiteUnit
    last: CiteUnit
    units: list[CiteUnit] = field(default_factory=list)


@dataclass
class Cited:
    """What ``edition cite`` prints for one reference."""

    path: str
    passage: Passage
    text: str
    citation: Citation
    notices: list[Diagnostic] = field(default_factory=list)
    #: Errors of the cited file itself that did not stop it (an include not resolved: E0009).
    problems: list[Diagnostic] = field(default_factory=list)


def resolve(document: Document, ref: str) -> Passage:
    """The unit(s) ``ref`` names in ``document``; :class:`EditionReferenceError` (E0401) if none."""
    citer = document.citer
    ref = ref.strip()
    unit = citer.by_ref.get(ref)
    if unit is not None:
        return Passage(ref, unit, unit, [unit])
    if "-" in ref:
        for index in [m.start() for m in re.finditer("-", ref)]:
            start, end = ref[:index], ref[index + 1:]
            if start not in citer.by_ref or not end:
                continue
            end_ref = end if end in citer.by_ref and "." in end else (
                start.rsplit(".", 1)[0] + "." + end if "." in start else end)
            first, last = citer.by_ref[start], citer.by_ref.get(end_ref)
            if last is None:
                nearest = document.citer.nearest(end_ref)
                raise RangeError(Diagnostic.make(
                    "E0401", f"range '{ref}': its end '{end_ref}' does not resolve"
                    + (f"; nearest valid references: {', '.join(nearest)}" if nearest else ""),
                    path=document.path))
            if first.parent is not last.parent:
                raise RangeError(Diagnostic.make(
                    "E0401", f"range '{ref}' spans different divisions ({start} and {end_ref}); "
                    "a range runs between siblings, e.g. d300.p2-p3", path=document.path))
            siblings = first.parent.children if first.parent is not None else [
                u for u in citer.units if u.parent is None]
            i, j = siblings.index(first), siblings.index(last)
            if i > j:
                raise RangeError(Diagnostic.make(
                    "E0401", f"range '{ref}' runs backwards; write the earlier reference first "
                    f"({end_ref}-{start.rsplit('.', 1)[-1]})", path=document.path))
            return Passage(ref, first, last, siblings[i:j + 1])
    raise _unresolved(document, ref, ref)


def _unresolved(document: Document, wanted: str, given: str) -> EditionReferenceError:
    nearest = document.citer.nearest(wanted)
    hint = f"; nearest valid references: {', '.join(nearest)}" if nearest else (
        f"; valid references look like {', '.join(list(document.citer.by_ref)[:3])}"
        if document.citer.by_ref else "; the document has no citable units")
    return EditionReferenceError(Diagnostic.make(
        "E0401", f"reference '{given}' does not resolve in this document{hint}", path=document.path))


# -- reading text ----------------------------------------------------------------

def passage_text(document: Document, element: etree._Element) -> str:
    """Plain reading text of ``element`` as the text writer renders it (the same behaviour
    table as every output): corrections over what they replace, notes left out, one line
    per paragraph; a division gives its blocks (head, dateline, paragraphs) separated by
    blank lines."""
    from edition.transforms.text import plain

    return plain(document, element)


def fallback_notice(document: Document) -> Diagnostic | None:
    """I0403 when the document's references come from the fallback, not a citeStructure."""
    if document.citer.source != "fallback":
        return None
    return Diagnostic.make("I0403", "no refsDecl/citeStructure: references are the division's "
                           "xml:id (or number) and the paragraph's position", path=document.path)


# -- the command's library side -------------------------------------------------------

def cite(ref: str, paths: Iterable[str | os.PathLike[str]] = ("tei",)) -> Cited:
    """Resolve ``ref`` in the first file of ``paths`` that has it; return passage and citation.

    Raises E0401 (with the nearest references of every file searched) when none does.
    """
    from edition.transforms.citations import metadata

    if not ref or not ref.strip():
        raise EditionUsageError.at("E0901", "give a reference, e.g. d300 or d300.p4")
    searched: list[Document] = []
    specific: RangeError | None = None
    unreadable: list[EditionError] = []
    for shown, path in iter_sources(paths):
        try:
            document = load(path, shown)
        except EditionError as error:
            # one broken file in a folder must not hide the reference in the others
            unreadable.append(error)
            continue
        searched.append(document)
        try:
            passage = resolve(document, ref)
        except RangeError as error:
            specific = specific or error
            continue
        except EditionReferenceError:
            continue
        text = "\n\n".join(passage_text(document, unit.element) for unit in passage.units)
        citation = metadata(document, None, passage_ref=ref)
        notices = [e.diagnostic for e in unreadable] + document.problems
        notices += [d for d in (fallback_notice(document),) if d is not None] + citation.warnings
        return Cited(path=shown, passage=passage, text=text, citation=citation, notices=notices,
                     problems=list(document.problems))
    if not searched:
        if unreadable:
            raise unreadable[0]
        raise EditionUsageError.at("E0901", "no TEI files to search; name files or folders "
                                   "(default: tei/)")
    if specific is not None:
        raise specific
    nearest: list[str] = []
    for document in searched:
        for candidate in document.citer.nearest(_split_range_start(ref), count=3):
            if candidate not in nearest:
                nearest.append(candidate)
    hint = f"; nearest valid references: {', '.join(nearest[:5])}" if nearest else ""
    where = searched[0].path if len(searched) == 1 else f"{len(searched)} files"
    raise EditionReferenceError(Diagnostic.make(
        "E0401", f"reference '{ref}' does not resolve in {where}{hint}",
        path=searched[0].path if len(searched) == 1 else ""))


def _split_range_start(ref: str) -> str:
    for index in [m.start() for m in re.finditer("-", ref)]:
        if "." in ref[:index]:
            return ref[:index]
    return ref
