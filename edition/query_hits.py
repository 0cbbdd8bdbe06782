"""Hits: every result item of a query with the location a reader can cite and open.

:class:`_Locator` turns one document's result items (lxml nodes, the Saxon
engine's text and attribute nodes, elementpath's nodes, values) into
:class:`Hit` records: file, canonical reference, line, column, XPath, type
and string value.  Locating many hits reads the document's source once and
caches each parent's child steps, so 5,000 hits cost milliseconds each
hundred, not a file read each.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from .diagnostics import Diagnostic
from .document import PREFIXES, Document
from .query_values import atomic, to_json

__all__ = ["Hit", "FileResult", "string_value"]

_STRING = etree.XPath("string()")


@dataclass(frozen=True)
class Hit:
    """One item of a query's result, with the location a reader can cite and open.

    ``type`` is ``element``, ``attribute``, ``text``, ``comment``,
    ``processing-instruction`` or ``document`` for nodes, the XSD type
    (``xs:integer``, ``xs:string``…) for atomic values, which have no node
    location (``line`` 0, ``xpath`` and ``ref`` empty) but the file.
    ``key`` is set by named queries that group their hits; ``markup`` holds
    the serialized node when it was asked for.
    """

    file: str
    ref: str
    line: int
    column: int
    xpath: str
    type: str
    value: str
    key: str = ""
    markup: str = field(default="", compare=False, repr=False)
    #: the JSON form of a value that is not a string (a number, boolean, map, array)
    data: Any = field(default=None, compare=False, repr=False)

    @property
    def is_node(self) -> bool:
        return bool(self.xpath)

    def as_dict(self) -> dict[str, Any]:
        """The JSON record: file, ref, line, column, xpath, type, value (and key when set)."""
        record = asdict(self)
        record.pop("markup")
        data = record.pop("data")
        if data is not None:
            record["value"] = data
        if not self.key:
            record.pop("key")
        return record


@dataclass
class FileResult:
    """The hits of one file, or the diagnostics that stopped it."""

    path: str
    hits: list[Hit] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)



def string_value(node: Any) -> str:
    """XPath string value of an lxml node, a Saxon text or attribute node, or a value."""
    if isinstance(node, (etree._Element, etree._ElementTree)):
        return str(_STRING(node))
    value = getattr(node, "value", None)
    if isinstance(value, str) and type(node).__name__ in ("Text", "Attribute"):
        return value
    string = getattr(node, "string_value", None)  # elementpath's nodes
    if string is not None and hasattr(node, "node_kind"):
        return str(string)
    return atomic(node)[1]


# -- locations ---------------------------------------------------------------

def _attribute_step(name: str) -> str:
    qname = etree.QName(name)
    if not qname.namespace:
        return f"@{qname.localname}"
    prefix = PREFIXES.get(qname.namespace)
    return f"@{prefix}:{qname.localname}" if prefix else f"@Q{{{qname.namespace}}}{qname.localname}"


def _text_index(parent: etree._Element, before: etree._Element | None) -> int:
    """1-based position among the text nodes of ``parent`` of its ``.text``
    (``before`` None) or of the tail of child ``before``."""
    index = 1 if parent.text else 0
    if before is None:
        return max(index, 1)
    for child in parent:
        if child.tail:
            index += 1
        if child is before:
            break
    return index


class _Locator:
    """Turns result items into hits for one document."""

    def __init__(self, document: Document, markup: bool) -> None:
        self.document = document
        self.markup = markup
        self._lines: dict[int, str | None] = {}
        self._source: bytes | None = None
        self._patterns: dict[str, re.Pattern[str]] = {}
        # parent → {child: step}: many hits share parents (400 divisions of a volume's
        # body), so each parent's children are counted once, not once per hit; kept on the
        # document, for the next query on it (a script's loop)
        self._steps: dict[etree._Element, dict[etree._Element, str]] = document.cache.setdefault("query.steps", {})
        self._refs: Any = None

    def ref_of(self, node: etree._Element) -> str:
        """``Document.ref_of`` (the same answer), without numbering every unit of a volume
        when the document has no citeStructure (``Document.fallback_refs``)."""
        doc = self.document
        if self._refs is None:
            self._refs = doc.fallback_refs() or False
        return self._refs.ref_of(node) if self._refs else doc.ref_of(node)

    def xpath_of(self, node: etree._Element) -> str:
        """``Document.xpath_of`` (the same string), with the sibling counts cached."""
        steps: list[str] = []
        current: etree._Element | None = node
        while current is not None:
            parent = current.getparent()
            if not isinstance(current.tag, str):
                return self.document.xpath_of(node)  # comments and PIs: rare, the plain way
            if parent is None:
                steps.append(self._name(current))
                break
            by_child = self._steps.get(parent)
            if by_child is None:
                by_child = self._steps[parent] = self._child_steps(parent)
            steps.append(by_child[current])
            current = parent
        return "/" + "/".join(reversed(steps))

    def _child_steps(self, parent: etree._Element) -> dict[etree._Element, str]:
        children = [child for child in parent if isinstance(child.tag, str)]
        totals: dict[str, int] = {}
        for child in children:
            totals[child.tag] = totals.get(child.tag, 0) + 1
        seen: dict[str, int] = {}
        steps: dict[etree._Element, str] = {}
        for child in children:
            seen[child.tag] = seen.get(child.tag, 0) + 1
            name = self._name(child)
            steps[child] = f"{name}[{seen[child.tag]}]" if totals[child.tag] > 1 else name
        return steps

    @staticmethod
    def _name(element: etree._Element) -> str:
        qname = etree.QName(element)
        prefix = PREFIXES.get(qname.namespace or "", None)
        if prefix:
            return f"{prefix}:{qname.localname}"
        return f"Q{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname

    def _line(self, number: int) -> str | None:
        """A source line, from the source read once (Document reads one line a call)."""
        text = self._lines.get(number, "")
        if text != "":
            return text
        doc = self.document
        if doc._decoded_lines is not None:
            text = doc._line(number)
        else:
            if self._source is None:
                self._source = doc.source
            starts = doc._line_starts
            if not 0 < number <= len(starts):
                return None
            begin = starts[number - 1]
            end = starts[number] - 1 if number < len(starts) else len(self._source)
            encoding = doc.tree.docinfo.encoding or "utf-8"
            try:
                text = self._source[begin:end].decode(encoding, errors="replace")
            except LookupError:
                text = self._source[begin:end].decode("utf-8", errors="replace")
            if number == 1:
                text = text.removeprefix("\ufeff")
        self._lines[number] = text
        return text

    def position(self, node: etree._Element) -> tuple[int, int]:
        """``Document.position`` (the same answer), with the source read once."""
        doc = self.document
        line = node.sourceline or 0
        if not line or not isinstance(node.tag, str) or not doc.size:
            return doc.position(node)
        qname = doc._written_name(node)
        pattern = self._patterns.get(qname)
        if pattern is None:
            pattern = self._patterns[qname] = re.compile(r"<" + re.escape(qname) + r"(?=[\s/>])")
        nth = doc._same_tag_before_on_line(node, line)
        text = self._line(line)
        if text is not None:
            hits = [m.start() for m in pattern.finditer(text)]
            if nth < len(hits):
                return line, hits[nth] + 1
        return doc.position(node)

    def element(self, node: etree._Element, kind: str, value: str | None = None) -> Hit:
        doc = self.document
        line, column = self.position(node)
        return Hit(doc.path, self.ref_of(node), line, column, self.xpath_of(node), kind,
                   str(_STRING(node)) if value is None else value,
                   markup=self._serialize(node) if self.markup else "")

    def attribute(self, owner: etree._Element, name: str, value: str) -> Hit:
        doc = self.document
        line, column = self.position(owner)
        return Hit(doc.path, self.ref_of(owner), line, column,
                   f"{self.xpath_of(owner)}/{_attribute_step(name)}", "attribute", value,
                   markup=f'{_attribute_step(name)[1:]}="{_escape(value)}"' if self.markup else "")

    def text(self, parent: etree._Element, before: etree._Element | None, value: str) -> Hit:
        doc = self.document
        anchor = before if before is not None else parent
        line, column = self.position(anchor)
        step = f"text()[{_text_index(parent, before)}]"
        return Hit(doc.path, self.ref_of(parent), line, column, f"{self.xpath_of(parent)}/{step}", "text",
                   value, markup=_escape(value) if self.markup else "")

    def document_node(self) -> Hit:
        doc = self.document
        return Hit(doc.path, "", 1, 1, "/", "document", str(_STRING(doc.tree)),
                   markup=self._serialize(doc.root) if self.markup else "")

    def atomic(self, value: Any) -> Hit:
        kind, text = atomic(value)
        data = None if isinstance(value, str) else to_json(value, self._nested)
        if kind in ("element", "document", "attribute", "text", "comment", "processing-instruction"):
            markup = getattr(value, "markup", text)  # a node of another tree (parse-xml())
            return Hit(self.document.path, "", 0, 0, "", kind, text, markup=markup if self.markup else "")
        return Hit(self.document.path, "", 0, 0, "", kind, text, markup=_escape(text) if self.markup else "",
                   data=data if data != text else None)

    def _nested(self, item: Any) -> dict[str, Any] | None:
        """A node of the document inside a map or array: its record."""
        if isinstance(item, (etree._Element, etree._ElementTree)) or hasattr(item, "node_kind"):
            return self.any(item).as_dict()
        return None

    def any(self, item: Any) -> Hit:
        """A hit for an item of any engine."""
        if hasattr(item, "node_kind") and not isinstance(item, (etree._Element, str)):
            return self.from_elementpath(item)
        return self.from_lxml(item)

    @staticmethod
    def _serialize(node: etree._Element) -> str:
        return etree.tostring(node, encoding="unicode", with_tail=False)

    # one method per engine's node representation
    def from_lxml(self, item: Any) -> Hit:
        """lxml's results and the Saxon engine's (lxml nodes, Text, Attribute, values)."""
        kind = type(item).__name__
        if kind == "Text":
            return self.text(item.parent, item.before, item.value)
        if kind == "Attribute":
            return self.attribute(item.owner, item.name, item.value)
        if isinstance(item, etree._ElementTree):
            return self.document_node()
        if isinstance(item, etree._Element):
            if isinstance(item, etree._Comment):
                return self.element(item, "comment", item.text or "")
            if isinstance(item, etree._ProcessingInstruction):
                return self.element(item, "processing-instruction", item.text or "")
            return self.element(item, "element")
        if isinstance(item, etree._ElementUnicodeResult):
            parent = item.getparent()
            if item.is_attribute and parent is not None:
                return self.attribute(parent, str(item.attrname), str(item))
            if (item.is_text or item.is_tail) and parent is not None:
                if item.is_tail:
                    owner = parent.getparent()
                    if owner is not None:
                        return self.text(owner, parent, str(item))
                return self.text(parent, None, str(item))
            return self.atomic(str(item))
        return self.atomic(item)

    def from_elementpath(self, item: Any) -> Hit:
        if hasattr(item, "node_kind"):  # an elementpath node (no import of elementpath here)
            kind = item.node_kind
            if kind == "element":
                return self.element(item.elem, "element")
            if kind == "document":
                return self.document_node()
            if kind == "attribute":
                return self.attribute(item.parent.elem, item.name, str(item.string_value))
            if kind == "text":
                return self.text(*self._text_position(item), str(item.value))
            if kind in ("comment", "processing-instruction"):
                return self.element(item.value, kind, str(item.value.text or ""))
            if kind == "namespace":
                owner = item.parent.elem
                line, column = self.position(owner)
                return Hit(self.document.path, self.document.ref_of(owner), line, column,
                           f"{self.document.xpath_of(owner)}/namespace::{item.prefix or '*'}",
                           "namespace", str(item.uri))
        return self.atomic(item)

    @staticmethod
    def _text_position(node: Any) -> tuple[etree._Element, etree._Element | None]:
        parent = node.parent
        previous = None
        for sibling in parent.children:
            if sibling is node:
                break
            if sibling.node_kind != "text":
                previous = sibling
        before = None
        if previous is not None:
            before = previous.elem if previous.node_kind == "element" else previous.value
        return parent.elem, before


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")

