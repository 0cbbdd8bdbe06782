"""The authority entries a page's mentions point to (persons, places, organisations, terms).

:func:`describe` gives an entry's kind, label and identification; :func:`authorities` lists every
entry of a file, for the index pages (:mod:`edition.transforms.indexes`).
"""

from __future__ import annotations

from lxml import etree

from edition.document import NAMESPACES, XML_ID, Document, tei

from .markup import plain, safe_id

#: Index pages of the authority entries: kind → (file, title).
INDEXES: dict[str, tuple[str, str]] = {
    "person": ("persons.html", "Persons"),
    "place": ("places.html", "Places"),
    "org": ("organisations.html", "Organisations"),
    "term": ("terms.html", "Terms and abbreviations"),
}
_KIND_OF_TARGET = {
    tei("person"): "person", tei("persName"): "person", tei("personGrp"): "person",
    tei("place"): "place", tei("placeName"): "place", tei("geogName"): "place",
    tei("org"): "org", tei("orgName"): "org",
    tei("term"): "term", tei("gloss"): "term", tei("category"): "term",
}
_NAME_CHILD = {"person": tei("persName"), "place": tei("placeName"), "org": tei("orgName")}
_AUTHORITIES = etree.XPath(
    # one pass over the tree: nested // steps would make lxml sort and merge node sets
    "//*[@xml:id][self::tei:person or self::tei:personGrp or self::tei:place or self::tei:org"
    " or self::tei:term or ((self::tei:persName or self::tei:placeName or self::tei:orgName)"
    " and ancestor::tei:list and ancestor::tei:text)]",
    namespaces=NAMESPACES)



def describe(target: etree._Element, kind: str) -> list[str]:
    """[kind, label, identification] of an authority entry (standOff entry or front-matter list item)."""
    child_tag = _NAME_CHILD.get(kind)
    if target.tag in (tei("person"), tei("place"), tei("org"), tei("personGrp")):
        names = target.findall(child_tag) if child_tag else []
        name = next((n for n in names if n.get("type") == "main"), names[0] if names else None)
        label = plain(name) if name is not None else target.get(XML_ID, "")
        notes = [plain(n) for n in target.findall(tei("note"))]
        occupations = [plain(o) for o in target.findall(tei("occupation"))]
        full = next((plain(n) for n in names if n.get("type") in ("full", "official")), "")
        description = "; ".join(part for part in ([full] if full else []) + notes + occupations if part)
        return [kind, label, description]
    label = plain(target, frozenset())
    parent = target.getparent()
    description = ""
    if parent is not None and parent.tag == tei("label"):
        sibling = parent.getnext()
        if sibling is not None and sibling.tag == tei("item"):
            description = plain(sibling)
    else:
        item = next((a for a in target.iterancestors(tei("item"))), None)
        if item is not None:
            text = plain(item)
            description = text[len(label):].lstrip(" ,;:") if text.startswith(label) else text
        elif target.tag == tei("term"):
            gloss = target.getnext()
            if gloss is not None and gloss.tag == tei("gloss"):
                description = plain(gloss)
    return [kind, label, description]


def authorities(document: Document, docid: str) -> dict[str, list[str]]:
    """Every authority entry of a file (standOff lists, front-matter lists of persons and terms)."""
    found: dict[str, list[str]] = {}
    header = document.header
    for target in _AUTHORITIES(document.root):
        if header is not None and target.tag == tei("term") and _inside(target, header):
            continue  # keywords and taxonomy terms of the header are not an abbreviations list
        kind = _KIND_OF_TARGET.get(target.tag)
        if kind is None:
            continue
        found[f"{docid}.{safe_id(target.get(XML_ID) or '')}"] = describe(target, kind)
    return found


def _inside(node: etree._Element, ancestor: etree._Element) -> bool:
    return any(a is ancestor for a in node.iterancestors())


