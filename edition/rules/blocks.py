"""The rule on empty blocks: no paragraph or heading is empty."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ..diagnostics import Diagnostic
from ..document import Document, local_name, tei
from .facts import facts_of

#: Elements that may stand in an otherwise empty paragraph without content.
CONTENTLESS = frozenset(tei(name) for name in ("pb", "lb", "cb", "milestone", "anchor", "gb"))
EMPTY_WRAPPERS = frozenset(tei(name) for name in ("hi", "seg", "emph", "c", "w", "pc", "s", "phr"))
_PB = tei("pb")


def _is_empty(element: etree._Element) -> bool:
    if element.text and not element.text.isspace():
        return False
    for child in element.iterdescendants():
        tag = child.tag
        if child.tail and not child.tail.isspace():
            return False                    # text after a child is still inside the element
        if not isinstance(tag, str):        # comments and processing instructions
            continue
        if tag not in CONTENTLESS and tag not in EMPTY_WRAPPERS:
            return False
        if child.text and not child.text.isspace():
            return False
    return True


def check_empty_blocks(document: Document) -> Iterator[Diagnostic]:
    """No paragraph or heading is empty."""
    for element in facts_of(document).blocks:
        if _is_empty(element):
            yield document.diagnostic(
                element, "E0209", f"empty <{local_name(element)}>: write its text or remove it"
                + (" (a page break alone belongs between paragraphs, not in an empty one)"
                   if any(True for _ in element.iter(_PB)) else ""))
