"""Schemas cut down to what the documents at hand can meet, with the same verdicts on them.

:func:`prune_xsd` for our XSD (one document's elements), :func:`prune_tei_all` for tei_all's
RELAX NG (the elements and attributes a corpus uses); :func:`vocabulary` gives those names.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from ..document import TEI_NS, XML_NS
from ..parsed import attribute_profile
from .paths import _R, XSD_NS

_X = f"{{{XSD_NS}}}"
_XSD_PARTICLES = frozenset(f"{_X}{name}" for name in ("element", "group", "choice", "sequence", "any"))


def prune_xsd(schema: etree._Element, used: frozenset[str]) -> etree._Element:
    """A copy of an XSD like ours cut down to what documents using only the elements ``used`` can meet.

    It accepts the same such documents as the whole schema, because only particles
    that such a document can never match go:

    * a particle is *dead* when it cannot match any sequence of the used elements:
      a reference to an unused element, a group whose content is dead, a choice of
      dead alternatives, a sequence with a dead part; a particle with
      ``minOccurs="0"`` is never dead (it matches nothing at all);
    * a choice loses its dead alternatives (unless all are: then it is dead itself,
      and stays, so that what it requires is still required);
    * a sequence loses its optional parts whose content is dead (they could only
      ever match nothing);
    * an unused element keeps its global declaration (a reference to it may remain
      in a dead particle) but not its type, whose content model libxml2 would compile.

    Attributes and simple types stay as they are.  For our XSD (target namespace
    TEI, elements referenced as ``tei:name``); any other schema is left alone.
    """
    root = etree.fromstring(etree.tostring(schema))
    if root.get("targetNamespace") != TEI_NS:
        return root
    prefix = next((p for p, ns in root.nsmap.items() if ns == TEI_NS and p), None)
    if prefix is None:
        return root
    mark = f"{prefix}:"
    groups = {g.get("name"): g for g in root.findall(f"{_X}group")}
    memo: dict[etree._Element, bool] = {}

    def particles(node: etree._Element) -> list[etree._Element]:
        return [child for child in node if child.tag in _XSD_PARTICLES]

    def dead_term(node: etree._Element) -> bool:
        found = memo.get(node)
        if found is not None:
            return found
        tag = node.tag
        if tag == f"{_X}element":
            ref = node.get("ref") or ""
            result = ref.startswith(mark) and ref[len(mark):] not in used
        elif tag == f"{_X}group":
            ref = node.get("ref") or ""
            body = particles(groups[ref[len(mark):]]) if ref.startswith(mark) and ref[len(mark):] in groups else []
            result = bool(body) and dead(body[0])
        elif tag == f"{_X}choice":
            result = all(dead(child) for child in particles(node))
        elif tag == f"{_X}sequence":
            result = any(dead(child) for child in particles(node))
        else:
            result = False
        memo[node] = result
        return result

    def dead(node: etree._Element) -> bool:
        return node.get("minOccurs") != "0" and dead_term(node)

    removed: list[etree._Element] = []
    for node in root.iter(f"{_X}choice", f"{_X}sequence"):
        children = particles(node)
        if node.tag == f"{_X}choice":
            gone = [child for child in children if dead(child)]
            if len(gone) < len(children):
                removed.extend(gone)
        else:
            removed.extend(child for child in children if child.get("minOccurs") == "0" and dead_term(child))
    for node in removed:
        node.getparent().remove(node)
    for declaration in root.findall(f"{_X}element"):
        if declaration.get("name") not in used:
            for child in list(declaration):
                declaration.remove(child)
            declaration.attrib.pop("type", None)
    return root


def _clark(name: str, nsmap: dict[str | None, str], default_ns: str) -> str:
    prefix, _, local = name.rpartition(":")
    ns = (XML_NS if prefix == "xml" else nsmap.get(prefix, "")) if prefix else default_ns
    return f"{{{ns}}}{local}" if ns else local


def _inherited_ns(node: etree._Element, attribute_default: bool = False) -> str:
    if node.get("ns") is not None:
        return node.get("ns") or ""
    if attribute_default:
        return ""  # RELAX NG: an attribute's name has no namespace unless it says so
    for ancestor in node.iterancestors():
        if ancestor.get("ns") is not None:
            return ancestor.get("ns") or ""
    return ""


Names = tuple[frozenset[str], frozenset[str]]


def vocabulary(documents: Iterable[etree._ElementTree | etree._Element]) -> Names:
    """The Clark names of the elements and of the attributes that the documents use."""
    elements: set[str] = set()
    attributes: set[str] = set()
    for document in documents:
        root = document.getroot() if isinstance(document, etree._ElementTree) else document
        for element, names in attribute_profile(root).items():
            elements.add(element)
            attributes.update(names)
    return frozenset(elements), frozenset(attributes)


def vocabulary_of_files(paths: Iterable[Path]) -> Names:
    """Like :func:`vocabulary`, streaming files (unparseable ones are skipped: they fail earlier)."""
    elements: set[str] = set()
    attributes: set[str] = set()
    for path in paths:
        try:
            for _, element in etree.iterparse(str(path), events=("start",), resolve_entities=False,
                                              no_network=True, load_dtd=False):
                if isinstance(element.tag, str):
                    elements.add(element.tag)
                    attributes.update(element.attrib)
        except (etree.XMLSyntaxError, OSError):
            continue
    return frozenset(elements), frozenset(attributes)


def prune_tei_all(grammar: etree._ElementTree, elements: frozenset[str],
                  attributes: frozenset[str]) -> etree._Element:
    """tei_all.rng cut down to what documents using only these names can meet.

    Same verdicts as the whole grammar for any document whose element and
    attribute names are within ``elements`` and ``attributes``, because
    every change only touches patterns such a document can never match:

    * an element pattern whose name the documents never use is replaced by
      one shared stub element (in a namespace no document uses), so that a
      content model that *requires* such an element still fails, as before;
    * then RELAX NG's own simplification of unsatisfiable patterns drops
      the choices that only the stub could take (:func:`_unsatisfiable`);
    * an optional attribute whose name the documents never use is dropped
      (its absence was valid, and still is); a required one keeps its name
      but its value becomes text (it is missing either way);
    * annotations and embedded Schematron go (RELAX NG validators ignore
      them; jing too, without its -s option) and so do definitions no longer
      reachable from ``start``.

    Compiling tei_all whole takes libxml2 15–25 s; the pruned grammar of
    the FRUS volume (48 elements) or the memo (109) compiles in about 0.01 s.
    Both kinds of pruning are needed: with every attribute kept, libxml2
    takes minutes over some grammars (the memo's), exponential somewhere in
    its attribute handling.
    """
    root = etree.fromstring(etree.tostring(grammar))
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or not node.tag.startswith(_R):
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
    defines = {d.get("name"): d for d in root.iter(f"{_R}define")}
    dropped: set[str] = set()
    for name, define in defines.items():
        children = [c for c in define if isinstance(c.tag, str)]
        if len(children) == 1 and children[0].tag == f"{_R}element" and children[0].get("name"):
            pattern = children[0]
            element = _clark(pattern.get("name"), pattern.nsmap, _inherited_ns(pattern))
            if element not in elements:
                dropped.add(name)
    for name in dropped:
        define = defines.pop(name)
        define.getparent().remove(define)
    stub = etree.SubElement(root, f"{_R}define", name=_ABSENT)
    stub_element = etree.SubElement(stub, f"{_R}element")
    etree.SubElement(stub_element, f"{_R}name", ns="urn:x-edition:never-used").text = "absent"
    etree.SubElement(stub_element, f"{_R}empty")
    for ref in root.iter(f"{_R}ref"):
        if ref.get("name") in dropped:
            ref.set("name", _ABSENT)
    for attribute in list(root.iter(f"{_R}attribute")):
        name = attribute.get("name")
        if name is None:
            continue
        if _clark(name, attribute.nsmap, _inherited_ns(attribute, attribute_default=True)) in attributes:
            continue
        parent = attribute.getparent()
        if parent.tag == f"{_R}optional" and len(parent) == 1:
            empty = etree.Element(f"{_R}empty")
            empty.tail = parent.tail
            parent.getparent().replace(parent, empty)
        else:
            for child in list(attribute):
                attribute.remove(child)
            etree.SubElement(attribute, f"{_R}text")
    _drop_unsatisfiable(root, defines)
    _drop_redundant_empty(root)
    defines[_ABSENT] = stub
    reachable: set[str] = set()
    stack = [root.find(f"{_R}start")]
    while stack:
        node = stack.pop()
        for ref in node.iter(f"{_R}ref"):
            target = ref.get("name")
            if target not in reachable and target in defines:
                reachable.add(target)
                stack.append(defines[target])
    for name, define in defines.items():
        if name not in reachable:
            define.getparent().remove(define)
    return root


_NAME_CLASSES = {f"{_R}{n}" for n in ("name", "anyName", "nsName", "except")}
_LEAVES = {f"{_R}{n}" for n in ("data", "value", "text", "empty", "param", "notAllowed")}
_ABSENT = "edition.absent"


def _unsatisfiable(node: etree._Element, dead: set[str]) -> bool:
    """Whether ``node`` can only match absent elements; prunes the alternatives that can.

    RELAX NG's own simplification of notAllowed (spec section 4.19), with
    the stub in its place: a choice loses its dead branches, an optional or
    repeated dead part becomes empty, a group with a dead part is dead.  An
    element whose content is dead keeps its name (so the error names it).
    Without this, libxml2 validates choices full of stubs by backtracking,
    30 times slower than on the compiled automaton.
    """
    tag = node.tag
    if tag == f"{_R}ref":
        return node.get("name") in dead
    if tag in _NAME_CLASSES or tag in _LEAVES:
        return False
    children = [c for c in node if isinstance(c.tag, str) and c.tag not in _NAME_CLASSES]
    if tag == f"{_R}choice":
        alive = 0
        for child in children:
            if _unsatisfiable(child, dead):
                node.remove(child)
            else:
                alive += 1
        return alive == 0
    outcome = [_unsatisfiable(child, dead) for child in children]
    if not any(outcome):
        return False
    if tag in (f"{_R}zeroOrMore", f"{_R}optional"):
        empty = etree.Element(f"{_R}empty")
        empty.tail = node.tail
        node.getparent().replace(node, empty)
        return False
    if tag == f"{_R}element":
        for child in children:
            node.remove(child)
        etree.SubElement(node, f"{_R}ref", name=_ABSENT)
        return False
    return True


def _drop_unsatisfiable(root: etree._Element, defines: dict[str, etree._Element]) -> None:
    dead = {_ABSENT}
    while True:
        newly = {name for name, define in defines.items()
                 if name not in dead and _unsatisfiable(define, dead)}
        if not newly:
            break
        dead |= newly
    for name in dead - {_ABSENT}:
        define = defines.pop(name)
        define.getparent().remove(define)
    start = root.find(f"{_R}start")
    if _unsatisfiable(start, dead):
        for child in list(start):
            start.remove(child)
        etree.SubElement(start, f"{_R}ref", name=_ABSENT)
    for ref in root.iter(f"{_R}ref"):
        if ref.get("name") in dead:
            ref.set("name", _ABSENT)


_GROUPING = {f"{_R}{n}" for n in ("group", "element", "define", "oneOrMore", "zeroOrMore", "optional",
                                   "interleave", "mixed", "start")}


def _drop_redundant_empty(root: etree._Element) -> None:
    """group(empty, p) is p (RELAX NG simplification, spec section 4.20).

    The pruning leaves ``<empty/>`` where optional parts were; libxml2
    mis-validates some groups that hold them (it rejected a valid minimal
    TEI document: "body has extra content: div"), so they go.
    """
    for empty in list(root.iter(f"{_R}empty")):
        parent = empty.getparent()
        if parent is None or parent.tag not in _GROUPING:
            continue
        siblings = [c for c in parent if isinstance(c.tag, str) and c is not empty and c.tag not in _NAME_CLASSES]
        if siblings:
            parent.remove(empty)
