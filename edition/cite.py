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
from .passages import Passage, RangeError, resolve

if TYPE_CHECKING:
    from edition.transforms.citations import Citation

    from .document import Document

__all__ = ["Passage", "Cited", "RangeError", "resolve", "passage_text", "cite", "fallback_notice"]


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
