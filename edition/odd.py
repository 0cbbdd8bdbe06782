"""ODD → XSD: compile a TEI customization against the official tei_all schema.

An ODD's ``schemaSpec`` names the elements it keeps (``moduleRef`` with
``include``/``except`` lists, ``elementRef``, ``elementSpec mode="delete"``)
and changes attributes (``elementSpec mode="change"`` with ``attDef``:
``mode="delete"``, closed ``valList``, ``usage="req"``).  :func:`compile_odd`
resolves it against tei_all.xsd (TEI's own trang translation of tei_all.rng)
and module membership from p5subset.xml:

* kept elements keep their declarations; a dropped element that is still
  referenced becomes a stub whose type no instance can satisfy (it requires
  a child in a namespace no document uses), so content models keep their
  exact shape (and libxml2's determinism), a model that required the
  element still requires it, and nothing new is let in.  (Abstract
  declarations would be neater, but libxml2 compiles a reference to an
  abstract element with no substitutes as "nothing", which makes TEI's
  content models non-deterministic.);
* an element with attribute changes has its attribute groups flattened into
  its own declaration, where closed value lists become ``xs:enumeration``;
* only the groups, types and attribute groups still reachable are written.

The result is one deterministic schema plus the xml: attribute companion
(xml.xsd).  Because it only removes alternatives and narrows values, every
document it accepts is valid tei_all.  :func:`odd_summary` and
:func:`xsd_summary` give the element set, attributes and value lists of
either side, for checking one against the other.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from .names import TEI_NS, XML_NS
from .paths import output_path, safe_name

XS = "http://www.w3.org/2001/XMLSchema"
#: The type of the stubs declared for the TEI elements an ODD leaves out (their names stay known,
#: so that meeting one is reported as outside the schema); the schema engines recognise it.
STUB_TYPE = "edition.notInThisSchema"
_X = f"{{{XS}}}"
_T = f"{{{TEI_NS}}}"
TEIX_NS = "http://www.tei-c.org/ns/Examples"
XML_COMPANION = "xml.xsd"
HEADER = (" Generated from schema/edition.odd by `edition schema compile` against TEI P5 tei_all.xsd; "
          "do not edit: change the ODD and recompile. ")


class OddError(ValueError):
    """The ODD cannot be compiled; the message says what to fix."""


@dataclass
class OddSpec:
    """What an ODD asks for: elements, attribute deletions and closed value lists."""

    ident: str
    elements: set[str] = field(default_factory=set)
    deleted: dict[str, set[str]] = field(default_factory=dict)      # element → attributes
    closed: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # element → attribute → values
    required: dict[str, set[str]] = field(default_factory=dict)     # element → attributes
    deleted_classes: set[str] = field(default_factory=set)          # attribute classes


def _words(value: str | None) -> list[str]:
    return (value or "").split()


def read_odd(odd: Path | etree._ElementTree, modules: dict[str, str] | None = None) -> OddSpec:
    """Parse an ODD's schemaSpec.  ``modules`` (element → module, from p5subset.xml) is
    needed only for a ``moduleRef`` without an ``include`` list."""
    tree = odd if isinstance(odd, etree._ElementTree) else _parse(Path(odd), "ODD")
    spec_node = tree.find(f".//{_T}schemaSpec")
    if spec_node is None:
        raise OddError("no <schemaSpec> in the ODD; a TEI customization declares one")
    spec = OddSpec(spec_node.get("ident") or "schema")
    for node in spec_node.iter(f"{_T}moduleRef", f"{_T}elementRef", f"{_T}elementSpec", f"{_T}classSpec"):
        if node.tag == f"{_T}classSpec":
            if node.get("mode") != "delete" or not (node.get("ident") or "").startswith("att."):
                raise OddError(f"classSpec ident='{node.get('ident')}' (line {node.sourceline}): only "
                               "mode='delete' of attribute classes is supported")
            spec.deleted_classes.add(node.get("ident") or "")
        elif node.tag == f"{_T}moduleRef":
            key = node.get("key")
            if not key:
                raise OddError(f"moduleRef at line {node.sourceline} has no key (external modules are not supported)")
            included = _words(node.get("include"))
            if not included and key != "tei":
                if modules is None:
                    raise OddError(f"moduleRef key='{key}' without include needs p5subset.xml for its members")
                included = [name for name, module in modules.items() if module == key]
            if modules is not None:
                wrong = [n for n in included if modules.get(n) != key]
                if wrong:
                    raise OddError(f"moduleRef key='{key}' (line {node.sourceline}) includes "
                                   f"{', '.join(sorted(wrong))}, not elements of that module")
            spec.elements.update(set(included) - set(_words(node.get("except"))))
        elif node.tag == f"{_T}elementRef":
            spec.elements.add(node.get("key") or "")
        else:
            ident = node.get("ident") or ""
            mode = node.get("mode") or "add"
            if mode == "delete":
                spec.elements.discard(ident)
                continue
            if mode in ("add", "replace"):
                raise OddError(f"elementSpec ident='{ident}' mode='{mode}': new elements are not supported; "
                               "use mode='change'")
            for att in node.iter(f"{_T}attDef"):
                name = att.get("ident") or ""
                if att.get("mode") == "delete":
                    spec.deleted.setdefault(ident, set()).add(name)
                    continue
                if att.get("usage") == "req":
                    spec.required.setdefault(ident, set()).add(name)
                values = att.find(f"{_T}valList")
                if values is not None and values.get("type") == "closed":
                    spec.closed.setdefault(ident, {})[name] = [v.get("ident") or ""
                                                              for v in values.iter(f"{_T}valItem")]
    spec.elements.discard("")
    return spec


def _parse(path: Path, what: str) -> etree._ElementTree:
    if not path.is_file():
        raise OddError(f"{what} not found: {path}")
    try:
        return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False,
                                                      remove_blank_text=True))
    except etree.XMLSyntaxError as error:
        raise OddError(f"{what} {path} is not well-formed: {error}") from None


def module_map(p5subset: Path) -> dict[str, str]:
    """element → module, from p5subset.xml."""
    tree = _parse(p5subset, "p5subset.xml")
    return {e.get("ident"): e.get("module") for e in tree.iter(f"{_T}elementSpec")}


def _qname_local(value: str) -> tuple[str, str]:
    prefix, _, local = value.rpartition(":")
    return prefix, local


def compile_odd(odd: Path, tei_p5: Path | None = None) -> etree._ElementTree:
    """The XSD for an ODD, as a tree (its xml: import resolves beside ``tei_p5``'s companion)."""
    from . import resources
    folder = tei_p5 or resources.tei_p5_dir()
    companion = (resources.schema_dir() / XML_COMPANION).resolve().as_uri()
    schema, _ = build_xsd(odd, folder, companion=companion)
    return etree.ElementTree(schema)


def build_xsd(odd: Path, tei_p5: Path, companion: str = XML_COMPANION) -> tuple[etree._Element, OddSpec]:
    """Resolve ``odd`` against tei_p5/tei_all.xsd; the schema root and the spec it implements."""
    if not (tei_p5 / "tei_all.xsd").is_file():
        raise OddError(f"compiling an ODD needs the TEI P5 schemas (tei_all.xsd, p5subset.xml) in {tei_p5}: "
                       "the toolkit ships TEI P5 4.8.0's; set EDITION_TEI_P5 to another release's folder")
    spec = read_odd(_parse(Path(odd), "ODD"), module_map(tei_p5 / "p5subset.xml"))
    source = _parse(tei_p5 / "tei_all.xsd", "tei_all.xsd").getroot()
    unknown = sorted(spec.elements - {e.get("name") for e in source.findall(f"{_X}element")})
    if unknown:
        raise OddError(f"not TEI P5 elements: {', '.join(unknown)}")

    def deleted_class(group: str) -> bool:
        return any(group == f"{c}.attributes" or group.startswith(f"{c}.attribute.") for c in spec.deleted_classes)

    for reference in list(source.iter(f"{_X}attributeGroup")):
        if reference.get("ref") and deleted_class(_qname_local(reference.get("ref"))[1]):
            reference.getparent().remove(reference)
    components: dict[tuple[str, str], etree._Element] = {}
    for node in source:
        if isinstance(node.tag, str) and node.get("name"):
            components[(etree.QName(node).localname, node.get("name"))] = node

    def refs(node: etree._Element) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for sub in node.iter():
            if not isinstance(sub.tag, str):
                continue
            kind = etree.QName(sub).localname
            for attribute in ("ref", "type", "base"):
                value = sub.get(attribute)
                if not value:
                    continue
                prefix, local = _qname_local(value)
                if sub.nsmap.get(prefix or None) != TEI_NS:
                    continue
                if attribute == "ref":
                    target = "element" if kind == "element" else kind
                else:
                    target = "complexType" if ("complexType", local) in components else "simpleType"
                found.append((target, local))
        return found

    # Reachability from the kept elements; dropped elements met on the way become stubs.
    kept: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    stubs: set[str] = set()
    stack = [("element", name) for name in sorted(spec.elements)]
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        if key[0] == "element" and key[1] not in spec.elements:
            stubs.add(key[1])
            continue
        node = components.get(key)
        if node is None:
            continue
        kept.append(key)
        stack.extend(refs(node))

    # TEI examples (teix:egXML) are never part of an edition schema: no import, no namespace.
    root = etree.Element(source.tag, nsmap={p: ns for p, ns in source.nsmap.items() if ns != TEIX_NS})
    for attribute, value in source.attrib.items():
        root.set(attribute, value)
    root.append(etree.Comment(HEADER))
    uses_teix = False
    etree.SubElement(root, f"{_X}import", namespace=XML_NS, schemaLocation=companion)
    keep = set(kept)
    for node in source:
        if not isinstance(node.tag, str) or not node.get("name"):
            continue
        key = (etree.QName(node).localname, node.get("name"))
        if key[0] == "element" and key[1] in stubs:
            root.append(etree.Element(f"{_X}element", name=key[1], type=f"tei:{STUB_TYPE}"))
            continue
        if key not in keep:
            continue
        copied = copy.deepcopy(node)
        for annotation in copied.findall(f".//{_X}annotation"):
            annotation.getparent().remove(annotation)
        if key[0] == "element":
            _apply_changes(copied, key[1], spec, components)
        for ref in copied.iter(f"{_X}element"):
            if ref.get("ref", "").startswith("teix:"):
                uses_teix = True
        root.append(copied)
    if uses_teix:
        _drop_examples(root)
    _drop_stub_alternatives(root, stubs)
    _share_simple_types(root)
    if any(r.get("type") == f"tei:{STUB_TYPE}" for r in root.findall(f"{_X}element")):
        root.append(_stub_type())
    for comment in root.iter(etree.Comment):
        if comment.text != HEADER:
            comment.getparent().remove(comment)
    return root, spec


def _drop_examples(root: etree._Element) -> None:
    """teix:egXML (TEI examples) is not in our set; its particles go from optional places."""
    for ref in list(root.iter(f"{_X}element")):
        if ref.get("ref", "").startswith("teix:"):
            parent = ref.getparent()
            parent.remove(ref)
            if parent.tag in (f"{_X}choice", f"{_X}sequence") and len(parent) == 0:
                # an empty choice can never be satisfied: the example was required here
                parent.tag = f"{_X}choice"


def _drop_stub_alternatives(root: etree._Element, stubs: set[str]) -> None:
    """Remove stub references where they can only stand for nothing.

    A stub is an element no document may use, so an alternative of a choice
    or an optional particle naming one adds nothing but compile time (TEI's
    phrase-level choices would carry hundreds).  A stub that is the only way
    to satisfy a particle stays, and keeps that particle unsatisfiable.
    Stubs no longer referenced are removed.
    """
    def is_stub(node: etree._Element) -> bool:
        ref = node.get("ref", "")
        return node.tag == f"{_X}element" and ref.startswith("tei:") and _qname_local(ref)[1] in stubs

    groups = {g.get("name"): g for g in root.findall(f"{_X}group")}
    dead_groups: set[str] = set()

    def is_dead(node: etree._Element) -> bool:
        """Only stubs can satisfy this particle."""
        if is_stub(node):
            return True
        if node.tag == f"{_X}group" and node.get("ref"):
            return _qname_local(node.get("ref"))[1] in dead_groups
        children = [c for c in node if isinstance(c.tag, str) and c.tag != f"{_X}annotation"]
        if node.tag == f"{_X}choice":
            return bool(children) and all(is_dead(c) for c in children)
        if node.tag == f"{_X}sequence":
            return any(is_dead(c) and c.get("minOccurs") != "0" for c in children)
        return False

    changed = True
    while changed:
        changed = False
        for name, group in groups.items():
            body = [c for c in group if isinstance(c.tag, str)]
            if name not in dead_groups and len(body) == 1 and is_dead(body[0]):
                dead_groups.add(name)
                changed = True
    for ref in [r for r in root.iter(f"{_X}element", f"{_X}group") if r.get("ref") and is_dead(r)]:
        parent = ref.getparent()
        siblings = [c for c in parent if isinstance(c.tag, str) and c is not ref]
        if ref.get("minOccurs") == "0" or (parent.tag == f"{_X}choice" and any(not is_dead(c) for c in siblings)):
            parent.remove(ref)
            if not siblings and parent.tag == f"{_X}choice":
                parent.tag = f"{_X}sequence"  # it could match nothing; an empty choice never matches
        elif parent.tag == f"{_X}choice" and any(is_dead(c) for c in siblings):
            parent.remove(ref)  # one stub is enough to keep an all-stub choice unsatisfiable
    still_groups = {_qname_local(r.get("ref"))[1] for r in root.iter(f"{_X}group") if r.get("ref")}
    for name in dead_groups - still_groups:
        root.remove(groups[name])
    still = {_qname_local(r.get("ref", ""))[1] for r in root.iter(f"{_X}element") if r.get("ref")}
    for declaration in root.findall(f"{_X}element[@type='tei:{STUB_TYPE}']"):
        if declaration.get("name") not in still:
            root.remove(declaration)


_TYPE_SLOT = {"attribute": "type", "element": "type", "list": "itemType", "restriction": "base"}


def _share_simple_types(root: etree._Element) -> None:
    """Give each distinct anonymous simple type one global name.

    trang repeats the same anonymous type (``\\S+``, ``[^\\p{C}\\p{Z}]+``, …)
    hundreds of times, and both libxml2 and xmlschema compile each copy's
    regular expression anew: xmlschema took 53 s for that alone.  Naming
    them once changes no verdict.
    """
    names: dict[bytes, str] = {}
    anonymous = [t for t in root.iter(f"{_X}simpleType") if t.get("name") is None]
    for simple in reversed(anonymous):  # deepest first: outer keys then hold the inner names
        parent = simple.getparent()
        slot = etree.QName(parent).localname
        if slot not in _TYPE_SLOT and slot != "union":
            continue
        key = etree.tostring(simple, method="c14n")
        name = names.get(key)
        if name is None:
            name = names[key] = f"edition.type{len(names) + 1}"
            shared = copy.deepcopy(simple)
            shared.set("name", name)
            shared.tail = None
            root.append(shared)
        parent.remove(simple)
        if slot == "union":
            members = (parent.get("memberTypes") or "").split()
            parent.set("memberTypes", " ".join([f"tei:{name}", *members]))
        else:
            parent.set(_TYPE_SLOT[slot], f"tei:{name}")


def _stub_type() -> etree._Element:
    """The type of every stub: one required child in a namespace no document uses."""
    stub = etree.Element(f"{_X}complexType", name=STUB_TYPE)
    sequence = etree.SubElement(stub, f"{_X}sequence")
    etree.SubElement(sequence, f"{_X}any", namespace="urn:x-edition:not-in-this-schema", processContents="skip")
    return stub


def _flatten(node: etree._Element, components: dict[tuple[str, str], etree._Element]) -> None:
    """Replace attributeGroup references under ``node`` with copies of their attributes."""
    while True:
        refs = [r for r in node.iter(f"{_X}attributeGroup") if r.get("ref")]
        if not refs:
            return
        for ref in refs:
            _, local = _qname_local(ref.get("ref"))
            group = components.get(("attributeGroup", local))
            parent = ref.getparent()
            index = parent.index(ref)
            parent.remove(ref)
            if group is None:
                continue
            for offset, child in enumerate(c for c in group if isinstance(c.tag, str)
                                           and c.tag != f"{_X}annotation"):
                clone = copy.deepcopy(child)
                for annotation in clone.findall(f".//{_X}annotation"):
                    annotation.getparent().remove(annotation)
                parent.insert(index + offset, clone)


def _apply_changes(element: etree._Element, name: str, spec: OddSpec,
                   components: dict[tuple[str, str], etree._Element]) -> None:
    deleted = spec.deleted.get(name, set())
    closed = spec.closed.get(name, {})
    required = spec.required.get(name, set())
    if not (deleted or closed or required):
        return
    _flatten(element, components)
    attributes = {a.get("name"): a for a in element.iter(f"{_X}attribute") if a.get("name")}
    missing = sorted((set(closed) | required) - set(attributes))
    if missing:
        raise OddError(f"<{name}> has no attribute {', '.join(missing)} in tei_all; "
                       "adding attributes is not supported")
    for attribute in deleted:
        node = attributes.get(attribute)
        if node is not None:
            node.getparent().remove(node)
    for attribute, values in closed.items():
        node = attributes[attribute]
        for child in list(node):
            node.remove(child)
        node.attrib.pop("type", None)
        simple = etree.SubElement(node, f"{_X}simpleType")
        restriction = etree.SubElement(simple, f"{_X}restriction", base="xs:token")
        for value in values:
            etree.SubElement(restriction, f"{_X}enumeration", value=value)
    for attribute in required:
        attributes[attribute].set("use", "required")


def xml_companion(tei_p5: Path) -> etree._Element:
    """tei_all_xml.xsd (the xml: attributes) without its imports back into tei_all and the examples."""
    source = _parse(tei_p5 / "tei_all_xml.xsd", "tei_all_xml.xsd").getroot()
    root = etree.Element(source.tag, nsmap={"xs": XS})
    for attribute, value in source.attrib.items():
        root.set(attribute, value)
    root.append(etree.Comment(HEADER))
    for node in source:
        if isinstance(node.tag, str) and node.tag != f"{_X}import":
            copied = copy.deepcopy(node)
            for annotation in copied.findall(f".//{_X}annotation"):
                annotation.getparent().remove(annotation)
            root.append(copied)
    return root


def write_xsd(odd: Path, tei_p5: Path, out_dir: Path) -> list[Path]:
    """Compile ``odd`` into out_dir/<ident>.xsd plus xml.xsd; deterministic bytes; returns the files."""
    schema, spec = build_xsd(odd, tei_p5)
    etree.indent(schema, space="  ")
    data = etree.tostring(schema, xml_declaration=True, encoding="UTF-8") + b"\n"
    companion = xml_companion(tei_p5)
    etree.indent(companion, space="  ")
    companion_data = etree.tostring(companion, xml_declaration=True, encoding="UTF-8") + b"\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    # the ident comes from the ODD: a name, never a path (output_path refuses any other)
    named = f"{safe_name(spec.ident, default='schema')}.xsd"
    outputs = ((output_path(out_dir, named), data), (output_path(out_dir, XML_COMPANION), companion_data))
    for target, content in outputs:
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(content)
        temporary.replace(target)
        written.append(target)
    return written


@dataclass
class XsdSummary:
    """What a compiled schema declares: usable elements, attributes per element, enumerations."""

    elements: set[str]
    attributes: dict[str, set[str]]
    enumerations: dict[str, dict[str, list[str]]]


def load_xmlschema(xsd: Path, strict: bool = False) -> Any:
    """Our compiled XSD in xmlschema.  By default the schema document itself is not checked
    against the XSD meta-schema (``validation='skip'``, half the load time): it is generated,
    and a test loads it strictly."""
    import xmlschema

    return xmlschema.XMLSchema(str(xsd), validation="strict" if strict else "skip")


def xsd_summary(xsd: Path) -> XsdSummary:
    """Read a compiled XSD with xmlschema (which also proves xmlschema loads it)."""
    schema = load_xmlschema(xsd)
    elements: set[str] = set()
    attributes: dict[str, set[str]] = {}
    enumerations: dict[str, dict[str, list[str]]] = {}
    for qname, element in schema.elements.items():
        local = qname.rpartition("}")[2]
        if element.type.name and element.type.name.endswith(STUB_TYPE):
            continue
        elements.add(local)
        names = {a.rpartition("}")[2] if not a.startswith(f"{{{XML_NS}}}") else "xml:" + a.rpartition("}")[2]
                 for a in element.attributes if a}
        attributes[local] = names
        for attribute_name, attribute in element.attributes.items():
            enumeration = getattr(attribute.type, "enumeration", None)
            if enumeration:
                enumerations.setdefault(local, {})[attribute_name.rpartition("}")[2]] = list(enumeration)
    return XsdSummary(elements, attributes, enumerations)
