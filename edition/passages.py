"""From a canonical reference to the unit(s) it names in a document.

A reference is a unit (``d300``), a passage (``d300.p4``) or a range of sibling passages
(``d300.p2-p3`` or ``d300.p2-d300.p3``).  One that does not resolve is an E0401 error naming
the nearest valid references.  Below the command layer: ``edition cite`` (:mod:`edition.cite`)
and the citation writer (:mod:`edition.transforms.citations`) both resolve through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, EditionReferenceError

if TYPE_CHECKING:
    from .document import Document
    from .refs import CiteUnit

__all__ = ["Passage", "RangeError", "resolve"]


class RangeError(EditionReferenceError):
    """The start of a range resolves but the range itself does not (reported as such)."""


@dataclass
class Passage:
    """A resolved reference: one citable unit, or a run of sibling units."""

    ref: str
    first: CiteUnit
    last: CiteUnit
    units: list[CiteUnit] = field(default_factory=list)


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
