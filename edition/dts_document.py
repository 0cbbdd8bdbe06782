"""The Document endpoint's bodies: a passage of TEI in ``<dts:wrapper>``, or HTML, or plain text.

DTS 1.0 wants a ``<TEI>`` root whatever is asked, and a passage (``ref``, or ``start`` and
``end``) inside ``<dts:wrapper xmlns:dts="https://w3id.org/api/dts#">``.  We keep the file's
``teiHeader`` and the passage's ancestors (``text``, ``body``, the chapter and document
divisions, attributes only) around the wrapper, as the specification's examples do, so that
a client knows where the passage sits; the wrapper's ``ref``, ``start`` and ``end`` give the
XPath of the units asked for.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any, cast

from lxml import etree

from .document import TEI_NS, Document, tei

DTS_NS = "https://w3id.org/api/dts#"
_MAIN = re.compile(r"<main\b[^>]*>(.*)</main>", re.S)


def _shallow(element: etree._Element) -> etree._Element:
    made = etree.Element(element.tag, nsmap=cast(Any, element.nsmap))  # lxml's stubs forget the None key
    for name, value in element.attrib.items():
        made.set(name, value)
    return made


def _whole(element: etree._Element) -> etree._Element:
    made = copy.deepcopy(element)
    made.tail = None
    return made


def _branch(container: etree._Element, node: etree._Element) -> etree._Element:
    """The child of ``container`` that is ``node`` or holds it."""
    current = node
    while current.getparent() is not container:
        parent = current.getparent()
        assert parent is not None, "node is not inside container"
        current = parent
    return current


def _from(node: etree._Element, start: etree._Element) -> etree._Element:
    """``node`` from ``start`` on (what comes before ``start`` inside it is left out)."""
    made = _shallow(node)
    branch = _branch(node, start)
    keep = False
    for child in node:
        if child is branch:
            keep = True
            part = _whole(child) if child is start else _from(child, start)
            part.tail = child.tail
            made.append(part)
        elif keep:
            made.append(copy.deepcopy(child))
    return made


def _until(node: etree._Element, end: etree._Element) -> etree._Element:
    """``node`` up to ``end`` (what comes after ``end`` inside it is left out)."""
    made = _shallow(node)
    made.text = node.text
    branch = _branch(node, end)
    for child in node:
        if child is branch:
            made.append(_whole(child) if child is end else _until(child, end))
            break
        made.append(copy.deepcopy(child))
    return made


def _between(container: etree._Element, start: etree._Element, end: etree._Element) -> list[etree._Element]:
    """Copies of what lies from ``start`` to ``end`` (both included) among ``container``'s children."""
    children = list(container)
    first, last = children.index(_branch(container, start)), children.index(_branch(container, end))
    out: list[etree._Element] = []
    for position in range(first, last + 1):
        child = children[position]
        if position == first and child is not start:
            part = _from(child, start)
            part.tail = child.tail
        elif position == last and child is not end:
            part = _until(child, end)
        else:
            part = copy.deepcopy(child)
        if position == last:
            part.tail = None
        out.append(part)
    return out


def _is_inside(node: etree._Element, ancestor: etree._Element) -> bool:
    return any(a is ancestor for a in node.iterancestors())


def tei_passage(document: Document, start: etree._Element, end: etree._Element | None = None) -> bytes:
    """A ``<TEI>`` holding the header, the passage's ancestors and ``<dts:wrapper>`` with the passage:
    the unit ``start`` alone (``end`` None), or the units from ``start`` to ``end``."""
    if end is not None and (end is start or _is_inside(end, start)):
        end = None
    if end is None:
        container = start.getparent()
        assert container is not None
        passage = [_whole(start)]
    else:
        start_line = set(start.iterancestors())
        container = next(a for a in end.iterancestors() if a in start_line)
        passage = _between(container, start, end)
    chain = [container, *container.iterancestors()]
    tei_root = next((a for a in chain if a.tag == tei("TEI")), document.root)
    if tei_root.tag == tei("TEI"):
        root = _shallow(tei_root)
    else:  # a teiCorpus: DTS wants a TEI root all the same
        root = etree.Element(tei("TEI"), nsmap=cast(Any, {None: TEI_NS}))
    header = tei_root.find(tei("teiHeader"))
    if header is not None:
        root.append(_whole(header))
    parent = root
    for ancestor in reversed(chain[:chain.index(tei_root)] if tei_root in chain else chain):
        made = _shallow(ancestor)
        parent.append(made)
        parent = made
    wrapper = etree.SubElement(parent, f"{{{DTS_NS}}}wrapper", nsmap={"dts": DTS_NS})
    if end is None:
        wrapper.set("ref", document.xpath_of(start))
    else:
        wrapper.set("start", document.xpath_of(start))
        wrapper.set("end", document.xpath_of(end))
    for part in passage:
        wrapper.append(part)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def html(document: Document, elements: Sequence[etree._Element], root: str = "") -> bytes:
    """The web edition's page of ``elements`` (several: one page holding each one's rendering);
    ``root`` is where the edition's ``assets/`` are served."""
    from edition.transforms.html import HtmlWriter

    pages = []
    for element in elements:
        files = HtmlWriter().write_unit(document, element, {"basename": "passage", "root": root}).files
        pages.append(next(iter(files.values())).decode("utf-8"))
    if len(pages) == 1:
        return pages[0].encode("utf-8")
    mains = [found.group(1) for found in (_MAIN.search(page) for page in pages) if found]
    first = _MAIN.search(pages[0])
    if first is None:
        return "\n".join(pages).encode("utf-8")
    joined = pages[0][:first.start(1)] + "\n".join(mains) + pages[0][first.end(1):]
    return joined.encode("utf-8")


def text(document: Document, elements: Sequence[etree._Element]) -> bytes:
    """The reading text of ``elements`` (notes left out), as ``edition cite`` prints it."""
    from edition.transforms.text import plain

    return ("\n\n".join(plain(document, element) for element in elements) + "\n").encode("utf-8")
