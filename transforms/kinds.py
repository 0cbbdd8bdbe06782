"""The kinds of document in a volume, and which citation fields each can be expected to have.

A FRUS volume holds historical documents, which carry a dateline with the date and place of
writing, and editorial notes ("401. Editorial Note", or ``@subtype="editorial-note"``), which
the editors wrote and which have no dateline by nature.  Some documents are printed undated
("London, undated.") or with a dateline that names no place.  A missing date or place is
worth a warning only where the document's kind leads one to expect it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from edition.document import tei

_EDITORIAL_HEAD = re.compile(r"^\s*(?:\d+[A-Za-z]?\.\s*)?Editorial\s+Note\b", re.I)
_UNDATED = re.compile(r"\bundated\b", re.I)


@dataclass(frozen=True)
class Kind:
    name: str
    #: Whether a date (of writing) is expected, and a place.
    dated: bool = True
    placed: bool = True


DOCUMENT = Kind("document")
EDITORIAL_NOTE = Kind("editorial-note", dated=False, placed=False)


def _text(element: etree._Element) -> str:
    return "".join(str(text) for text in element.itertext())


def document_kind(unit: etree._Element, dateline: etree._Element | None) -> Kind:
    """The kind of ``unit`` (a division of a volume), given its dateline if it has one."""
    subtype = (unit.get("subtype") or "").lower()
    if "editorial" in subtype:
        return EDITORIAL_NOTE
    head = unit.find(tei("head"))
    if head is not None and _EDITORIAL_HEAD.match(_text(head)):
        return EDITORIAL_NOTE
    if dateline is None:
        return DOCUMENT
    # The dateline as printed is the document's own statement: what it leaves out (a place,
    # or the date of a document printed "undated") is not missing from the encoding.
    has_date = dateline.find(f".//{tei('date')}") is not None
    undated = not has_date and bool(_UNDATED.search(_text(dateline)))
    return Kind("undated" if undated else "document", dated=not undated, placed=False)
