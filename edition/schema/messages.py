"""libxml2's validation error log → located diagnostics with our codes (E0100–E0106), in TEI's own names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from ..diagnostics import Diagnostic
from ..document import TEI_NS, XML_NS, Document, local_name

_NOISE = re.compile(r"\{(?P<ns>[^}]*)\}(?P<local>[\w.-]+)")


def _readable(message: str) -> str:
    """Strip libxml2's Clark names (``{http://www.tei-c.org/ns/1.0}p`` → ``p``) and its prefix."""
    def name(match: re.Match[str]) -> str:
        ns, local = match.group("ns"), match.group("local")
        if ns == TEI_NS:
            return local
        if ns == XML_NS:
            return f"xml:{local}"
        return f"{{{ns}}}{local}"
    text = _NOISE.sub(name, message.strip())
    text = re.sub(r"^Element '([^']+)', attribute '([^']+)': ", r"@\2: ", text)
    text = re.sub(r"^Element '([^']+)': ", "", text)
    # our compiled types have no names worth showing
    text = re.sub(r" of the (?:union |atomic |list )?type 'edition\.type\d+'", "", text)
    text = re.sub(r"\[facet 'enumeration'\] The value ('[^']*') is not an element of the set \{(.*)\}",
                  lambda m: f"{m.group(1)} is not one of: {m.group(2).replace(chr(39), '')}", text)
    text = text.replace("of the atomic type 'xs:ID'", "for an xml:id (it must be an XML name, unique in the file)")
    return text.rstrip(".")


#: (code, pattern on libxml2's message), first match wins.
_MESSAGE_CODES: list[tuple[str, re.Pattern[str]]] = [(code, re.compile(pattern)) for code, pattern in [
    # not "/namespace": the XML namespace URI (xml:id, xml:space) is in many other messages
    ("E0106", r"(?<!/)[Nn]amespace|No matching global declaration available for the validation root"),
    ("E0105", r"Character content other than whitespace is not allowed|has extra content: text"
              r"|Element .* has text content|Did not expect text|text not allowed"),
    ("E0104", r"Missing child element|is required but missing|Expecting an element .*, got nothing"
              r"|Expecting element \S+, got nothing|Element \S+ has missing attribute|Missing attribute"
              r"|Some element missing|failed to validate, missing|Expecting an element, got nothing"),
    ("E0103", r"is not an element of the set|is not a valid value|Error validating value|Type \S+ doesn't allow value"
              r"|failed to compute canonical value|pattern|Value .* fails|Datatype element .* has child elements"
              r"|Invalid attribute value|\[facet"),
    ("E0102", r"attribute '[^']+' is not allowed|The attribute '[^']+' is not allowed|Invalid attribute"
              r"|failed to validate attributes|Element \S+ has extra attribute"),
    ("E0101", r"This element is not expected|Did not expect element|Expecting element"
              r"|The element declaration is abstract|not allowed here|Element \S+ has extra content"
              r"|No declaration for element|extra element"),
]]


def classify(message: str) -> str:
    """Our code for one libxml2 validation message (E0100 when nothing more precise fits)."""
    for code, pattern in _MESSAGE_CODES:
        if pattern.search(message):
            return code
    return "E0100"


#: Cascade messages libxml2's RELAX NG validator adds on every ancestor of a
#: real error; kept only when nothing more precise was reported.
_CASCADE = re.compile(r"failed to validate content|Expecting element absent|Invalid sequence in interleave"
                      r"|Extra element .* in interleave|Element \S+ failed to validate attributes")


def _expected(names: str, hidden: frozenset[str]) -> str:
    shown = [n.strip() for n in names.split(",") if n.strip() and n.strip() not in hidden
             and "not-in-this-schema" not in n]
    return ", ".join(f"<{n}>" for n in shown) or "nothing more"


def _explain(code: str, message: str, element: etree._Element | None,
             hidden: frozenset[str] = frozenset()) -> str:
    """A message that says what to fix, in TEI's own names."""
    text = _readable(message)
    name = f"<{_display_name(element)}>" if element is not None else "this element"
    text = text.replace("This element is not expected.", f"{name} is not allowed here;")
    text = text.replace("This element is not expected", f"{name} is not allowed here")
    text = re.sub(r"Expected is one of \( (.*?) \)",
                  lambda m: "expected one of: " + _expected(m.group(1), hidden), text)
    text = re.sub(r"Expected is \( (.*?) \)", lambda m: "expected: " + _expected(m.group(1), hidden), text)
    text = re.sub(r"^Did not expect element (\S+) there$", r"<\1> is not allowed here", text)
    text = re.sub(r"^Element (\S+) has extra content: (\S+)$", r"<\2> is not allowed here in <\1>", text)
    text = re.sub(r"^Expecting element (\S+), got (\S+)$", r"expected <\1> here, found <\2>", text)
    text = text.replace("The element declaration is abstract",
                        f"{name} is not part of this schema's element set")
    if code == "E0106" and "xmlns=" not in text:
        ns = etree.QName(element).namespace if element is not None else None
        text += (f"; <{_display_name(element)}> is in namespace '{ns or ''}': TEI elements need "
                 f"xmlns=\"{TEI_NS}\"") if element is not None else ""
    return text


def _display_name(element: etree._Element | None) -> str:
    if element is None or not isinstance(element.tag, str):
        return "?"
    qname = etree.QName(element)
    if qname.namespace in (TEI_NS, None):
        return qname.localname
    return f"{element.prefix}:{qname.localname}" if element.prefix else f"{{{qname.namespace}}}{qname.localname}"


def _node_of(document: Document, entry: etree._LogEntry) -> etree._Element | None:
    """The element a log entry is about: its node path first, its line second."""
    path = entry.path or ""
    if path.startswith("/"):
        try:
            namespaces = {p: ns for p, ns in document.root.nsmap.items() if p}
            found = document.tree.xpath(path, namespaces=namespaces)
        except (etree.XPathError, TypeError):
            found = []
        for node in found if isinstance(found, list) else []:
            if isinstance(node, etree._Element) and isinstance(node.tag, str):
                return node
    if entry.line:
        on_line = [e for e in document.root.iter() if isinstance(e.tag, str) and e.sourceline == entry.line]
        if on_line:
            return on_line[-1]
    return None


_NAMED_CHILD = re.compile(r"Did not expect element (\S+) there|has extra content: (\S+)|, got (\S+)$"
                          r"|Extra element (\S+) in interleave")


def _child_named(element: etree._Element | None, message: str) -> etree._Element | None:
    """libxml2's RELAX NG validator reports at the parent; move to the child the message names."""
    match = _NAMED_CHILD.search(message.strip())
    if element is None or match is None:
        return element
    name = next(g for g in match.groups() if g)
    if local_name(element) == name:
        return element
    for child in element:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child
    return element


Record = tuple[str, str, "etree._Element | None", str]


def _drop_echoes(records: list[Record], siblings: bool) -> list[Record]:
    """Drop the reports libxml2 makes about the ancestors of a real error.

    An element-not-allowed report on an element that contains another
    report's element is an echo.  With ``siblings`` (libxml2's RELAX NG
    validator, which also blames the first child of a content model that
    failed further on), so is one on an element followed, under the same
    parent, by another report.
    """
    elements = [r[2] for r in records if r[2] is not None]
    kept: list[Record] = []
    for record in records:
        element = record[2]
        if element is None or record[0] not in ("E0101", "E0100"):
            kept.append(record)
            continue
        echo = any(other is not element and element in other.iterancestors() for other in elements)
        if not echo and siblings and element.getparent() is not None:
            parent = element.getparent()
            echo = any(other is not element and parent in other.iterancestors()
                       and (other.sourceline or 0) > (element.sourceline or 0) for other in elements)
        if not echo:
            kept.append(record)
    return kept


def translate_log(document: Document, log: Iterable[etree._LogEntry],
                  hidden: frozenset[str] = frozenset(), siblings: bool = False) -> list[Diagnostic]:
    """Turn a validator's error log into located diagnostics, cascades and duplicates removed.

    ``hidden`` names the TEI elements a compiled customization keeps only as
    unusable stubs: they are left out of "expected" lists, and meeting one
    is reported as an element outside the schema (E0101).
    """
    records: list[Record] = []
    root_is_tei = etree.QName(document.root).namespace == TEI_NS
    for entry in log:
        message = entry.message or ""
        if not root_is_tei and "validation root" in message:
            continue  # the document check (E0010/E0106 at the root) has said it better
        element = _child_named(_node_of(document, entry), message)
        if element is not None and element.tag.startswith(f"{{{TEI_NS}}}") and local_name(element) in hidden \
                and "not-in-this-schema" in message:
            message = (f"<{local_name(element)}> is a TEI element, but not one of this schema's "
                       "(schema/edition.odd selects the elements of our edition); use another element "
                       "or add it to the ODD and run `edition schema compile`")
            records.append(("E0101", message, element, entry.type_name))
            continue
        code = classify(message)
        if code == "E0101" and element is not None and etree.QName(element).namespace != TEI_NS:
            namespace = etree.QName(element).namespace
            code = "E0106"
            message = (f"<{_display_name(element)}> is in "
                       + (f"namespace '{namespace}'" if namespace else "no namespace")
                       + f", where the schema expects TEI elements (xmlns=\"{TEI_NS}\"); "
                       "put it in the TEI namespace, or remove it")
        records.append((code, message, element, entry.type_name))
    if not root_is_tei:
        return []  # the document check (E0010/E0106 at the root) has said all there is to say
    precise = [r for r in records if not _CASCADE.search(r[1])]
    kept = _drop_echoes(precise or records, siblings)
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[str, int, int, str]] = set()
    for code, message, element, _ in kept:
        text = _explain(code, message, element, hidden)
        diagnostic = document.diagnostic(element, code, text)
        key = (diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.message)
        if key not in seen:
            seen.add(key)
            diagnostics.append(diagnostic)
    return diagnostics
