"""The TEI's and XML's names: namespaces, Clark names, the division elements.

Below the document model, so that what the model itself reads with (P4's renames, the ODD's
module map, canonical references) can name TEI elements without importing it.
:mod:`edition.document` re-exports every name here.
"""

from __future__ import annotations

from lxml import etree

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
NAMESPACES = {"tei": TEI_NS, "xml": XML_NS}
PREFIXES = {TEI_NS: "tei", XML_NS: "xml"}


def tei(local: str) -> str:
    """Clark name of a TEI element: ``tei('p') == '{http://www.tei-c.org/ns/1.0}p'``."""
    return f"{{{TEI_NS}}}{local}"


#: The TEI's division elements (numbered and unnumbered): the one list every module uses.
DIVISIONS = frozenset(tei(n) for n in ("div", "div1", "div2", "div3", "div4", "div5", "div6", "div7"))


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def is_tei(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith(f"{{{TEI_NS}}}")
