"""XPath 3.1 lookup over TEI documents, every hit with a location to cite.

A :class:`Query` is compiled once and called on many documents (the lxml
``etree.XPath`` pattern)::

    persons = Query("//text//persName")
    for hit in persons(load("tei/frus1958-60v19-d300.xml")):
        print(hit.ref, hit.value)           # d300, Cumming ...

The language is XPath 3.1 (elementpath) with the TEI namespace as the
default element namespace, so ``//persName`` means ``//tei:persName``; the
prefixes ``tei`` and ``xml``, any given with ``namespaces=`` and those
declared on a document's root element are bound.

Two engines.  elementpath is exact but some 30× slower than libxml2, so
an expression that means the same in XPath 1.0 (a conservative test on its
parse tree: XPath 1.0 grammar, functions whose result type and string
form agree, single items where 3.1 wants one, no comparison or arithmetic
where 1.0 and 3.1 convert differently) is rewritten (``persName`` →
``tei:persName``, ``//x`` → ``/descendant::x`` where no positional
predicate makes them differ) and run by lxml's native engine.  Three more
shortcuts, each exact: ``distinct-values(P)`` and ``string-join(P, 's')``
over such a path P (lxml selects, Python applies the function);
``//NAME``, ``count(//NAME)`` and ``//NAME/@ATTR`` under those functions
answered from a per-document index of elements by name (built on first
use, as Saxon's tree has one).  ``engine="elementpath"`` or ``"lxml"``
overrides the automatic choice; ``tests/test_query.py`` runs its suite
through both and asserts that they agree hit for hit.

elementpath 5.1 strings mixed content out of order (a defect; see
:func:`_string_value_is_wrong`): where it does, the string value libxml2
computes is given to it, so ``contains(., …)`` means the same in both.
"""

from __future__ import annotations

import math
import os
import re
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import elementpath
from elementpath.datatypes import UntypedAtomic
from elementpath.xpath3 import XPath31Parser
from lxml import etree

from .diagnostics import Diagnostic, EditionQueryError, EditionUsageError
from .document import NAMESPACES, PREFIXES, TEI_NS, Document

__all__ = ["Hit", "Query", "QuerySyntaxError", "QueryEvaluationError", "ENGINES", "FORMATS", "Plan",
           "FileResult", "run_document", "run_files", "string_value", "text_line", "xml_hit", "kwic",
           "kwic_line", "parse_bindings"]

ENGINES = ("auto", "elementpath", "lxml")


class QuerySyntaxError(EditionQueryError, EditionUsageError):
    """The expression does not compile (E0501); the CLI exits with 2."""


class QueryEvaluationError(EditionQueryError):
    """The expression failed on one document (E0502); other documents still run."""


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

    @property
    def is_node(self) -> bool:
        return not self.type.startswith("xs:") and self.type not in ("map", "array", "function")

    def as_dict(self) -> dict[str, Any]:
        """The JSON record: file, ref, line, column, xpath, type, value (and key when set)."""
        record = asdict(self)
        record.pop("markup")
        if not self.key:
            record.pop("key")
        return record


# -- values ------------------------------------------------------------------

_STRING = etree.XPath("string()")


def _double(value: float) -> str:
    """The XPath 3.1 string form of an xs:double (``3``, ``0.5``, ``1.0E6``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    if 1e-6 <= abs(value) < 1e6:
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    sign, digits, _ = Decimal(repr(value)).as_tuple()
    adjusted = Decimal(repr(value)).adjusted()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{adjusted}"


def _atomic(value: Any) -> tuple[str, str]:
    """(XSD type, string form) of an atomic result of either engine."""
    if isinstance(value, bool):
        return "xs:boolean", "true" if value else "false"
    if isinstance(value, int):
        return "xs:integer", str(value)
    if isinstance(value, float):
        return "xs:double", _double(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
        if "." in text and "E" not in text:
            text = text.rstrip("0").rstrip(".")
        return "xs:decimal", text
    if isinstance(value, str):
        return "xs:string", str(value)
    name = type(value).__name__
    if name == "XPathMap":
        return "map", str(value)
    if name == "XPathArray":
        return "array", str(value)
    if callable(value):
        return "function", str(value)
    xsd = getattr(value, "name", None)
    type_name = f"xs:{xsd}" if isinstance(xsd, str) and xsd else f"xs:{name[0].lower()}{name[1:]}"
    return type_name, str(value)


def string_value(node: Any) -> str:
    """XPath string value of an lxml node or an atomic value."""
    if isinstance(node, (etree._Element, etree._ElementTree)):
        return str(_STRING(node))
    return _atomic(node)[1]


# -- an elementpath defect ----------------------------------------------------

def _string_value_is_wrong() -> bool:
    """elementpath 5.1 strings mixed content in the wrong order: ``<n><b><o>D</o></b>.</n>``
    gives ``.D`` (a child's tail before its descendants' text) and drops text after a
    comment.  TEI is mixed content throughout, so contains(., …) would miss."""
    from elementpath.etree import etree_iter_strings

    sample = etree.fromstring("<n><b><o>D</o></b>.<!--c-->!</n>")
    return "".join(etree_iter_strings(sample)) != "D.!"


def _mend_string_values() -> None:
    """Give elementpath the XPath string value libxml2 computes, where it is wrong."""
    import sys

    from elementpath import etree as ep_etree

    original = ep_etree.etree_iter_strings

    def iter_strings(elem: Any, normalize: bool = False) -> Iterator[str]:
        if not normalize and isinstance(elem, (etree._Element, etree._ElementTree)):
            yield str(_STRING(elem))
        else:
            yield from original(elem, normalize)

    for name, module in list(sys.modules.items()):
        if name.startswith("elementpath") and getattr(module, "etree_iter_strings", None) is original:
            module.etree_iter_strings = iter_strings  # type: ignore[attr-defined]


if _string_value_is_wrong():
    _mend_string_values()


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
        # parent → {child: step}: many hits share parents (400 divisions of a volume's
        # body), so each parent's children are counted once, not once per hit
        self._steps: dict[etree._Element, dict[etree._Element, str]] = {}

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

    def element(self, node: etree._Element, kind: str, value: str | None = None) -> Hit:
        doc = self.document
        line, column = doc.position(node)
        return Hit(doc.path, doc.ref_of(node), line, column, self.xpath_of(node), kind,
                   str(_STRING(node)) if value is None else value,
                   markup=self._serialize(node) if self.markup else "")

    def attribute(self, owner: etree._Element, name: str, value: str) -> Hit:
        doc = self.document
        line, column = doc.position(owner)
        return Hit(doc.path, doc.ref_of(owner), line, column,
                   f"{self.xpath_of(owner)}/{_attribute_step(name)}", "attribute", value,
                   markup=f'{_attribute_step(name)[1:]}="{_escape(value)}"' if self.markup else "")

    def text(self, parent: etree._Element, before: etree._Element | None, value: str) -> Hit:
        doc = self.document
        anchor = before if before is not None else parent
        line, column = doc.position(anchor)
        step = f"text()[{_text_index(parent, before)}]"
        return Hit(doc.path, doc.ref_of(parent), line, column, f"{self.xpath_of(parent)}/{step}", "text",
                   value, markup=_escape(value) if self.markup else "")

    def document_node(self) -> Hit:
        doc = self.document
        return Hit(doc.path, "", 1, 1, "/", "document", str(_STRING(doc.tree)),
                   markup=self._serialize(doc.root) if self.markup else "")

    def atomic(self, value: Any) -> Hit:
        kind, text = _atomic(value)
        return Hit(self.document.path, "", 0, 0, "", kind, text, markup=_escape(text) if self.markup else "")

    @staticmethod
    def _serialize(node: etree._Element) -> str:
        return etree.tostring(node, encoding="unicode", with_tail=False)

    # one method per engine's node representation
    def from_lxml(self, item: Any) -> Hit:
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
        if isinstance(item, elementpath.XPathNode):
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
                line, column = self.document.position(owner)
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


# -- XPath 1.0 compatibility ---------------------------------------------------

#: Functions whose result type and string form are the same in both
#: languages for the arguments XPath 1.0 allows.  Left out on purpose:
#: number/sum/round/floor/ceiling (double vs integer), id (DTD IDs in
#: libxml2), name (prefix choice).
_SAFE_FUNCTIONS = frozenset({
    "count", "position", "last", "string-length", "contains", "starts-with", "not", "boolean",
    "true", "false", "string", "concat", "normalize-space", "substring", "substring-before",
    "substring-after", "translate", "local-name", "namespace-uri", "lang",
})
_NUMERIC_FUNCTIONS = frozenset({"count", "position", "last", "string-length"})
_INTEGER_RESULT = frozenset({"count", "position", "last", "string-length"})
_PATH_SYMBOLS = frozenset({
    "/", "//", "[", "|", "(name)", ":", "@", ".", "..", "*", "(", "text", "node", "comment",
    "processing-instruction", "child", "descendant", "descendant-or-self", "self", "parent",
    "ancestor", "ancestor-or-self", "following", "following-sibling", "preceding",
    "preceding-sibling", "attribute",
})
_BOOLEAN_SYMBOLS = frozenset({"and", "or", "=", "!=", "<", ">", "<=", ">=", "not", "boolean", "true",
                              "false", "contains", "starts-with", "lang"})
_STRING_SYMBOLS = frozenset({"string", "concat", "normalize-space", "substring", "substring-before",
                             "substring-after", "translate", "local-name", "namespace-uri"})
_RELATIONAL = frozenset({"<", ">", "<=", ">="})
_EQUALITY = frozenset({"=", "!="})
_ARITHMETIC = frozenset({"+", "-", "*", "mod"})
_LITERAL_NUMBER = frozenset({"(integer)", "(decimal)", "(float)"})
_NAME_OWNERS = frozenset({"@", "attribute", "namespace", "$", ":"})


#: Functions of a whole sequence; the others take one item in 3.1 (1.0 takes the first node).
_SEQUENCE_FUNCTIONS = frozenset({"count", "not", "boolean"})


def _single(token: Any) -> bool:
    """True when an argument is surely one item at most: a literal, ``.``, ``..``, an
    attribute of the context node, a variable or a function's atomic result."""
    symbol, label = token.symbol, getattr(token, "label", "")
    if symbol in (".", "..", "(string)", "$") or symbol in _LITERAL_NUMBER or label == "function":
        return True
    if symbol == "@" or (symbol == "attribute" and label == "axis"):
        return all(child.symbol in ("(name)", ":", "*") for child in token)
    if label == "operator" and symbol in _ARITHMETIC | _RELATIONAL | _EQUALITY | {"and", "or", "-"}:
        return True
    return False


def _kind(token: Any) -> str:
    """'number', 'node', 'string', 'variable' or 'other' (for operand checks)."""
    symbol = token.symbol
    if symbol in _LITERAL_NUMBER or symbol in _NUMERIC_FUNCTIONS:
        return "number"
    if symbol in _ARITHMETIC and len(token) == 2 and token.label == "operator" or symbol == "-" and len(token) == 1:
        return "number"
    if symbol in _PATH_SYMBOLS:
        return "node"
    if symbol == "(string)":
        return "string"
    if symbol == "$":
        return "variable"
    return "other"


def _xpath1_problem(token: Any) -> str:
    """Why this XPath 1.0 parse tree may mean something else in 3.1 ('' when it means the same)."""
    symbol, label = token.symbol, getattr(token, "label", "")
    if label == "function" and symbol not in _SAFE_FUNCTIONS:
        return f"function {symbol}() differs between XPath 1.0 and 3.1"
    if label == "function" and symbol not in _SEQUENCE_FUNCTIONS:
        for argument in token:
            if not _single(argument):
                return (f"{symbol}() takes the first of several nodes in 1.0 and is a type error "
                        "in 3.1")
    if symbol == "div":
        return "div gives xs:decimal in 3.1 and a double in 1.0"
    if symbol == "namespace":
        return "the namespace axis differs"
    if len(token) == 2 and label == "operator":
        left, right = _kind(token[0]), _kind(token[1])
        if symbol in _RELATIONAL and not ({left, right} <= {"number", "node"} and "number" in (left, right)):
            return f"'{symbol}' compares strings in 3.1 and numbers in 1.0"
        if symbol in _EQUALITY and "number" in (left, right) and {left, right} & {"string", "variable", "other"}:
            return f"'{symbol}' between a number and a string is a type error in 3.1"
        if symbol in _ARITHMETIC and {left, right} & {"string", "variable", "other"}:
            return f"'{symbol}' on a string is a type error in 3.1"
        if symbol in _ARITHMETIC and not (_single(token[0]) and _single(token[1])):
            return f"'{symbol}' takes the first of several nodes in 1.0 and is a type error in 3.1"
    for child in token:
        problem = _xpath1_problem(child)
        if problem:
            return problem
    return ""


def _result_kind(token: Any) -> str:
    """How the lxml result of the whole expression is read: 'nodes', 'boolean', 'string', 'integer' or ''."""
    symbol = token.symbol
    if symbol == "/" and len(token) == 0:
        return ""  # lxml returns no document node for '/'
    if symbol in _PATH_SYMBOLS:
        return "nodes"
    if symbol in _BOOLEAN_SYMBOLS:
        return "boolean"
    if symbol in _STRING_SYMBOLS:
        return "string"
    if symbol in _INTEGER_RESULT:
        return "integer"
    return ""


def _mentions_position(token: Any) -> bool:
    return token.symbol in ("position", "last") or any(_mentions_position(child) for child in token)


def _plain_step(token: Any) -> bool:
    """A child step whose predicates (if any) cannot be positional: ``name``, ``tei:name``,
    ``*``, a kind test, each with boolean or node-set predicates."""
    while token.symbol == "[":
        if _result_kind(token[1]) not in ("boolean", "nodes", "string") or _mentions_position(token[1]):
            return False
        token = token[0]
    return token.symbol in ("(name)", ":", "*", "text", "node", "comment", "processing-instruction") \
        and len(token) <= 2 and getattr(token, "label", "") != "operator"


def _for_libxml2(expression: str, token: Any) -> str:
    """The expression as lxml runs it: unprefixed element names written ``tei:name``,
    and ``//name`` written ``/descendant::name`` where that means the same (no
    positional predicate), which libxml2 evaluates twice as fast."""
    edits: list[tuple[int, int, str]] = []

    def walk(node: Any, owner: str) -> None:
        if node.symbol == "(name)" and owner not in _NAME_OWNERS:
            edits.append((node.span[0], node.span[0], "tei:"))
        if node.symbol == "//" and len(node) and _plain_step(node[-1]):
            start, end = node.span
            if expression[start:end] == "//":
                edits.append((start, end, "/descendant::"))
        for child in node:
            walk(child, node.symbol if node.symbol in _NAME_OWNERS else "")

    walk(token, "")
    for start, end, text in sorted(edits, reverse=True):
        expression = expression[:start] + text + expression[end:]
    return expression


# -- compiling -----------------------------------------------------------------

def _caret(expression: str, offset: int) -> str:
    lines = expression.split("\n")
    before = expression[:offset]
    line_no = before.count("\n")
    column = offset - (before.rfind("\n") + 1)
    return f"    {lines[min(line_no, len(lines) - 1)]}\n    {' ' * column}^"


def _offset_of(error: elementpath.ElementPathError, expression: str) -> int:
    token = getattr(error, "token", None)
    span = getattr(token, "span", None)
    if span:
        return min(span[0], len(expression))
    return len(expression)


def _syntax_error(expression: str, error: elementpath.ElementPathError, what: str = "XPath syntax error"
                  ) -> QuerySyntaxError:
    offset = _offset_of(error, expression)
    before = expression[:offset]
    line, column = before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1
    code = f" [{error.code}]" if getattr(error, "code", None) else ""
    message = f"{what}: {error.message}{code}\n{_caret(expression, offset)}"
    return QuerySyntaxError.at("E0501", message, path="<expression>", line=line, column=column)


_OUTER_FUNCTION = re.compile(
    r"""^\s*(?P<name>distinct-values|string-join)\s*\((?P<inner>.+?)"""
    r"""(?:,\s*(?P<sep>'(?:[^']|'')*'|"(?:[^"]|"")*"))?\s*\)\s*$""", re.S)


def _apply(post: tuple[str, str], nodes: list[Any]) -> list[Any]:
    values = [node if type(node) is str else str(_STRING(node)) if isinstance(node, etree._Element)
              else str(node) for node in nodes]
    name, separator = post
    if name == "string-join":
        return [separator.join(values)]
    return [UntypedAtomic(value) for value in dict.fromkeys(values)]


class _Compiled:
    """One expression compiled for one set of namespaces."""

    def __init__(self, expression: str, namespaces: Mapping[str, str], engine: str) -> None:
        parser = XPath31Parser(namespaces={"": TEI_NS, **namespaces})
        self.token = parser.parse(expression)
        self.engine = "elementpath"
        self.reason = ""
        self.lxml: etree.XPath | None = None
        self.result_kind = ""
        self.post: tuple[str, str] | None = None  # a 3.1 function applied to lxml's nodes
        # ("count" | "nodes" | "attribute", element tag, attribute name): answered from
        # the document's element-name index instead of a tree walk
        self.index: tuple[str, str, str] | None = None
        if engine == "elementpath":
            self.reason = "engine elementpath was asked for"
            return
        self.reason = self._try_lxml(expression, namespaces, forced=engine == "lxml")
        if self.lxml is None and engine == "auto":
            self._try_outer_function(expression, namespaces)
        if self.lxml is not None:
            self.engine = "lxml"
        elif engine == "lxml":
            raise QuerySyntaxError.at(
                "E0501", f"the lxml engine runs XPath 1.0 only and this expression {self.reason}; "
                "use --engine auto or elementpath", path="<expression>", line=1, column=1)

    def _try_outer_function(self, expression: str, namespaces: Mapping[str, str]) -> None:
        """``distinct-values(P)`` and ``string-join(P, 'sep')`` over an XPath 1.0 path P:
        lxml selects the nodes, Python applies the function (exactly as 3.1 defines it
        for nodes: atomized to their string values)."""
        match = _OUTER_FUNCTION.match(expression)
        if not match or self.token.symbol != match.group("name"):
            return
        inner, separator = match.group("inner"), match.group("sep")
        literal = separator[1:-1] if separator else ""
        if separator is not None:
            literal = literal.replace(separator[0] * 2, separator[0])
            if len(self.token) != 2 or self.token[1].symbol != "(string)" or self.token[1].value != literal:
                return
        elif len(self.token) != 1:
            return
        try:
            path = _Compiled(inner, namespaces, "auto")
        except (elementpath.ElementPathError, QuerySyntaxError):
            return
        if path.lxml is None or path.result_kind != "nodes" or path.post:
            return
        self.lxml, self.result_kind, self.reason = path.lxml, "nodes", ""
        self.post = (match.group("name"), literal)
        self.index = path.index

    def _try_lxml(self, expression: str, namespaces: Mapping[str, str], forced: bool) -> str:
        """Compile for lxml when the expression means the same in XPath 1.0 (or when
        lxml is asked for and it is XPath 1.0 at all); else say why not."""
        try:
            token = elementpath.XPath1Parser(namespaces=dict(namespaces)).parse(expression)
        except elementpath.ElementPathError as error:
            return f"is not XPath 1.0 ({error.message})"
        if token.symbol == "/" and len(token) == 0:
            return "selects the document node, which lxml does not return"
        problem = _xpath1_problem(token)
        self.result_kind = _result_kind(token) or "number"
        if problem and not forced:
            return f"may differ in XPath 1.0: {problem}"
        if not _result_kind(token) and not forced:
            return f"has a result ({token.symbol}) whose type differs in XPath 1.0"
        try:
            self.lxml = etree.XPath(_for_libxml2(expression, token),
                                    namespaces={p: u for p, u in namespaces.items() if p})
        except etree.XPathSyntaxError as error:  # pragma: no cover - elementpath accepted it
            return f"is refused by libxml2 ({error})"
        self.index = _index_pattern(token, namespaces)
        return problem


def _name_test(token: Any, namespaces: Mapping[str, str], default: str) -> str:
    """Clark name of a plain name test (``persName``, ``tei:persName``), '' for anything else."""
    if token.symbol == "(name)" and len(token) == 0:
        return f"{{{default}}}{token.value}" if default else str(token.value)
    if token.symbol == ":" and len(token) == 2 and all(c.symbol == "(name)" for c in token):
        uri = namespaces.get(str(token[0].value))
        return f"{{{uri}}}{token[1].value}" if uri else ""
    return ""


def _index_pattern(token: Any, namespaces: Mapping[str, str]) -> tuple[str, str, str] | None:
    """``//NAME``, ``count(//NAME)`` and ``//NAME/@ATTR``: the forms the name index answers."""
    kind = "nodes"
    if token.symbol == "count" and len(token) == 1:
        kind, token = "count", token[0]
    attribute = ""
    if kind == "nodes" and token.symbol == "/" and len(token) == 2 and token[1].symbol == "@" \
            and len(token[1]) == 1:
        attribute = _name_test(token[1][0], namespaces, "")
        if not attribute:
            return None
        kind, token = "attribute", token[0]
    if token.symbol != "//" or len(token) != 1:
        return None
    tag = _name_test(token[0], namespaces, TEI_NS)
    return (kind, tag, attribute) if tag else None


# the elements of each name, in document order, per document: //NAME without a tree walk
_BY_NAME: weakref.WeakKeyDictionary[Document, dict[str, list[Any]]] = weakref.WeakKeyDictionary()


def _elements_named(document: Document, tag: str) -> list[etree._Element]:
    names = _BY_NAME.get(document)
    if names is None:
        names = _BY_NAME[document] = {}
    found = names.get(tag)
    if found is None:
        found = names[tag] = list(document.root.iter(tag))
    return found


def _from_index(document: Document, index: tuple[str, str, str]) -> list[Any]:
    kind, tag, attribute = index
    elements = _elements_named(document, tag)
    if kind == "count":
        return [len(elements)]
    if kind == "attribute":
        names = _BY_NAME[document]
        key = f"{tag}@{attribute}"
        values = names.get(key)
        if values is None:
            values = names[key] = [v for v in (e.get(attribute) for e in elements) if v is not None]
        return list(values)
    return list(elements)


def _variable_names(token: Any) -> set[str]:
    names: set[str] = set()
    bound: set[str] = set()

    def walk(node: Any) -> None:
        if node.symbol == "$":
            names.add(str(node.value))
        if node.symbol in ("for", "let", "some", "every", "function", "inline function"):
            for child in node:
                if child.symbol == "$":
                    bound.add(str(child.value))
        for child in node:
            walk(child)

    walk(token)
    return names - bound


# elementpath builds its own node tree over lxml; reuse it for every query on a document
_NODE_TREES: weakref.WeakKeyDictionary[Document, Any] = weakref.WeakKeyDictionary()


def _node_tree(document: Document) -> Any:
    tree = _NODE_TREES.get(document)
    if tree is None:
        tree = elementpath.get_node_tree(document.tree)
        _NODE_TREES[document] = tree
    return tree


#: Top-level operators whose result is in document order by the XPath definition.
_DOCUMENT_ORDER = frozenset({"/", "//", "|", "union", "intersect", "except"})


def _root_namespaces(document: Document) -> dict[str, str]:
    return {prefix: uri for prefix, uri in document.root.nsmap.items() if prefix}


class Query:
    """An XPath 3.1 expression compiled once, called on many documents.

    ``namespaces`` adds prefixes to ``tei`` and ``xml`` (and those declared
    on each document's root, which are used only when the expression needs
    them); ``variables`` binds external ``$name`` variables (strings,
    numbers or booleans); ``engine`` is ``auto`` (lxml when the expression
    means the same in XPath 1.0), ``elementpath`` or ``lxml``.

    Raises :class:`QuerySyntaxError` (E0501) when the expression does not
    compile; calling it raises :class:`QueryEvaluationError` (E0502).
    """

    def __init__(self, expression: str, namespaces: Mapping[str, str] | None = None,
                 variables: Mapping[str, Any] | None = None, engine: str = "auto") -> None:
        if engine not in ENGINES:
            raise EditionUsageError.at("E0901", f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
        if not expression.strip():
            raise QuerySyntaxError.at("E0501", "the XPath expression is empty", path="<expression>",
                                      line=1, column=1)
        self.expression = expression
        self.namespaces = {**(namespaces or {}), **NAMESPACES}
        self.variables = dict(variables or {})
        self.requested_engine = engine
        self._by_namespaces: dict[tuple[tuple[str, str], ...], _Compiled] = {}
        self._default: _Compiled | None = None
        try:
            self._default = self._compile(self.namespaces)
        except elementpath.ElementPathError as error:
            if getattr(error, "code", "") != "err:XPST0081":
                raise _syntax_error(expression, error) from None
            self._undeclared = error  # the prefix may be declared by the documents themselves
        else:
            missing = sorted(_variable_names(self._default.token) - set(self.variables))
            if missing:
                raise QuerySyntaxError.at(
                    "E0501", f"variable ${missing[0]} is not bound; pass --var {missing[0]}=VALUE",
                    path="<expression>", line=1, column=self.expression.find("$" + missing[0]) + 1)

    def _compile(self, namespaces: Mapping[str, str]) -> _Compiled:
        key = tuple(sorted(namespaces.items()))
        compiled = self._by_namespaces.get(key)
        if compiled is None:
            compiled = _Compiled(self.expression, namespaces, self.requested_engine)
            self._by_namespaces[key] = compiled
        return compiled

    def __repr__(self) -> str:
        return f"Query({self.expression!r}, engine={self.engine!r})"

    @property
    def engine(self) -> str:
        """The engine that runs this expression: 'lxml' or 'elementpath' ('' until a document decides)."""
        return self._default.engine if self._default else ""

    @property
    def why_not_lxml(self) -> str:
        """Why the fast path is not taken ('' when it is)."""
        return self._default.reason if self._default else ""

    def _for(self, document: Document) -> _Compiled:
        if self._default is not None:
            return self._default
        try:
            return self._compile({**_root_namespaces(document), **self.namespaces})
        except elementpath.ElementPathError as error:
            raise QueryEvaluationError(Diagnostic.make(
                "E0501", f"{error.message} in this document nor with --ns (expression {self.expression!r})",
                path=document.path, line=1, column=1)) from None

    def evaluate(self, document: Document, item: etree._Element | None = None,
                 variables: Mapping[str, Any] | None = None) -> list[Any]:
        """The raw result items (engine-specific nodes and atomic values), as a list.

        ``item`` is the context node (default: the document node).
        """
        compiled = self._for(document)
        bound = {**self.variables, **(variables or {})}
        try:
            if compiled.index is not None and item is None and \
                    (compiled.index[0] != "attribute" or compiled.post is not None):
                result = _from_index(document, compiled.index)
                return _apply(compiled.post, result) if compiled.post is not None else result
            if compiled.lxml is not None:
                result = compiled.lxml(item if item is not None else document.tree, **bound)
                if compiled.post is not None:
                    return _apply(compiled.post, result)
                if compiled.result_kind == "integer" and isinstance(result, float):
                    return [int(result)]
                return result if isinstance(result, list) else [result]
            context = elementpath.XPathContext(_node_tree(document), item=item, variables=bound)
            result = compiled.token.evaluate(context)
        except elementpath.ElementPathError as error:
            raise self._runtime_error(document, error) from None
        except (etree.XPathError, TypeError, ValueError, ArithmeticError, RecursionError) as error:
            raise QueryEvaluationError(Diagnostic.make(
                "E0502", f"evaluating {self.expression!r} failed: {error}", path=document.path)) from None
        if result is None:
            return []
        if isinstance(result, Iterator):
            result = list(result)
        if not isinstance(result, list):
            return [result]
        if compiled.token.symbol in _DOCUMENT_ORDER and all(isinstance(r, elementpath.XPathNode) for r in result):
            # elementpath 5.1 returns X//Y out of document order (X//Y: breadth first); a
            # path's result is in document order by definition
            result.sort(key=lambda node: node.position)
        return result

    def _runtime_error(self, document: Document, error: elementpath.ElementPathError) -> QueryEvaluationError:
        token = getattr(error, "token", None)
        part = ""
        if token is not None:
            try:
                part = token.source
            except Exception:  # noqa: BLE001 - the source of a token is only a courtesy
                part = str(token)
        code = f"[{error.code}] " if getattr(error, "code", None) else ""
        where = f" in `{part}`" if part and part != self.expression else ""
        return QueryEvaluationError(Diagnostic.make(
            "E0502", f"{code}{error.message}{where} (expression {self.expression!r}); "
            "fix the expression or the data it reads", path=document.path))

    def iter(self, document: Document, markup: bool = False, item: etree._Element | None = None
             ) -> Iterator[Hit]:
        """Hits in result order; ``markup`` also serializes each node (for XML output)."""
        locate = _Locator(document, markup)
        convert = locate.from_lxml if self._for(document).lxml is not None else locate.from_elementpath
        for result in self.evaluate(document, item):
            yield convert(result)

    def __call__(self, document: Document, markup: bool = False) -> list[Hit]:
        return list(self.iter(document, markup))

    def query(self, document: Document, markup: bool = False) -> list[Hit]:
        """All hits on ``document`` (the same as calling the query)."""
        return self(document, markup)

    def count(self, document: Document) -> int:
        return len(self.evaluate(document))

    def strings(self, document: Document, item: etree._Element | None = None,
                variables: Mapping[str, Any] | None = None) -> list[str]:
        """String values of the result items (for named queries' value, group and label parts)."""
        values: list[str] = []
        for result in self.evaluate(document, item, variables):
            if isinstance(result, elementpath.XPathNode):
                values.append(str(result.string_value))
            elif isinstance(result, etree._Element):
                values.append(str(_STRING(result)))
            else:
                values.append(_atomic(result)[1])
        return values


def parse_bindings(pairs: Iterable[str], what: str) -> dict[str, str]:
    """``name=value`` strings (from ``--var`` / ``--ns``) to a dict; usage error when malformed."""
    bound: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise EditionUsageError.at("E0901", f"{what} '{pair}' is not name=value")
        bound[name.strip()] = value
    return bound


# -- many files ------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What to run on each file, as plain strings so it pickles to worker processes.

    ``value`` and ``key`` are XPath expressions evaluated with each hit's
    node as the context item (the displayed value; a grouping or sorting
    key); ``label`` is evaluated once per distinct key of the form ``#id``,
    with the element of that xml:id (an authority entry) as context item.
    """

    expression: str
    namespaces: tuple[tuple[str, str], ...] = ()
    variables: tuple[tuple[str, Any], ...] = ()
    engine: str = "auto"
    value: str = ""
    key: str = ""
    label: str = ""
    markup: bool = False

    def compile(self) -> Query:
        """The main query (checks syntax before any file is opened)."""
        return _cached(self.expression, self)

    def compile_all(self) -> None:
        self.compile()
        for part in (self.value, self.key):
            if part:
                _cached(part, self)
        if self.label:
            _cached(self.label, self)


@dataclass
class FileResult:
    """The hits of one file, or the diagnostics that stopped it."""

    path: str
    hits: list[Hit] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


# compiled once per process: a compiled elementpath token does not pickle, so
# worker processes receive the expression text and compile it on first use
_QUERIES: dict[tuple[Any, ...], Query] = {}


def _cached(expression: str, plan: Plan, *extra: tuple[str, Any]) -> Query:
    variables = (*plan.variables, *extra)
    cache_key = (expression, plan.namespaces, variables, plan.engine)
    query = _QUERIES.get(cache_key)
    if query is None:
        query = Query(expression, dict(plan.namespaces), dict(variables), plan.engine)
        _QUERIES[cache_key] = query
    return query


def _node_of(document: Document, hit: Hit, item: Any) -> etree._Element | None:
    """The element a hit's value/key expressions see as context (the node, or an attribute's owner)."""
    if isinstance(item, etree._Element):
        return item
    if isinstance(item, elementpath.XPathNode) and hasattr(item, "elem"):
        return item.elem
    return None


def run_document(plan: Plan, document: Document) -> FileResult:
    """Run a plan on one parsed document."""
    result = FileResult(document.path)
    query = plan.compile()
    try:
        items = query.evaluate(document)
        locate = _Locator(document, plan.markup)
        convert = locate.from_lxml if query._for(document).lxml is not None else locate.from_elementpath
        value_query = _cached(plan.value, plan) if plan.value else None
        key_query = _cached(plan.key, plan) if plan.key else None
        for item in items:
            hit = convert(item)
            node = _node_of(document, hit, item)
            if node is not None and (value_query or key_query):
                changes: dict[str, str] = {}
                if value_query:
                    changes["value"] = " ".join(value_query.strings(document, node))
                if key_query:
                    changes["key"] = next(iter(key_query.strings(document, node)), "")
                hit = Hit(**{**asdict(hit), **changes})
            result.hits.append(hit)
        if plan.label:
            label_query = _cached(plan.label, plan)
            for key in dict.fromkeys(h.key for h in result.hits if h.key):
                entry = document.ids.get(key[1:]) if key.startswith("#") else None
                if entry is not None:
                    text = next(iter(label_query.strings(document, entry)), "")
                    result.labels[key] = " ".join(text.split())
    except QueryEvaluationError as error:
        result.hits.clear()
        result.diagnostics.append(error.diagnostic)
    return result


def _run_file(task: tuple[Plan, str, str]) -> FileResult:
    from .diagnostics import EditionParseError
    from .document import load

    plan, shown, path = task
    try:
        document = load(path, display=shown)
    except EditionParseError as error:
        return FileResult(shown, diagnostics=[error.diagnostic])
    return run_document(plan, document)


#: Serial seconds per megabyte of input, measured on the FRUS corpus: the
#: elementpath engine builds its own node tree and evaluates in Python.
SECONDS_PER_MB = {"lxml": 0.15, "elementpath": 0.5}
#: A worker pool costs about a second to start (edition.corpus spawns fresh
#: interpreters), so it is used only when the estimated serial time is larger.
PARALLEL_MIN_SECONDS = 3.0


def _worth_a_pool(plan: Plan, tasks: list[tuple[Plan, str, str]]) -> bool:
    if len(tasks) < 2:
        return False
    size = 0
    for _, _, path in tasks:
        try:
            size += os.path.getsize(path)
        except OSError:
            pass
    engine = plan.compile().engine or "elementpath"
    if plan.value or plan.key or plan.label:
        engine = "elementpath"  # per-hit parts: assume the slower engine
    return size / 1e6 * SECONDS_PER_MB[engine] >= PARALLEL_MIN_SECONDS


def run_files(plan: Plan, paths: Iterable[str | Any], jobs: int | None = None) -> Iterator[FileResult]:
    """Run a plan over files and folders; results stream in file order.

    When the input is large enough to pay for a worker pool (see
    :data:`PARALLEL_MIN_SECONDS`), files are shared among all cores unless
    ``jobs`` says otherwise; a progress bar shows on stderr when it is a
    terminal.
    An unreadable or ill-formed file yields its parse diagnostic and the
    others still run.
    """
    from .corpus import run_parallel
    from .document import iter_sources

    plan.compile_all()  # a syntax error stops the run before any file is read
    tasks = [(plan, shown, str(path)) for shown, path in iter_sources(paths)]
    if jobs is None and not _worth_a_pool(plan, tasks):
        jobs = 1
    yield from run_parallel(_run_file, tasks, jobs=jobs, label="query")


# -- output --------------------------------------------------------------------

FORMATS = ("text", "xml", "json", "csv")
CSV_FIELDS = ("file", "ref", "line", "column", "xpath", "type", "value")


def text_line(hit: Hit) -> str:
    """``file:line:col: ref: value [xpath]`` (compiler style, like diagnostics); atomic: ``file: value``."""
    value = " ".join(hit.value.split())
    if not hit.xpath:
        return f"{hit.file}: {value}"
    ref = f"{hit.ref}: " if hit.ref else ""
    return f"{hit.file}:{hit.line}:{hit.column}: {ref}{value} [{hit.xpath}]"


def xml_hit(hit: Hit) -> str:
    """One ``<hit>`` element with the location as attributes and the serialized node inside."""
    attributes = " ".join(f'{name}="{_escape(str(getattr(hit, name)))}"'
                          for name in ("file", "ref", "line", "column", "xpath", "type", "key")
                          if getattr(hit, name) not in ("", None) or name in ("file", "type"))
    return f"<hit {attributes}>{hit.markup or _escape(hit.value)}</hit>"


def kwic(hit: Hit, word: str, words: int = 5) -> list[tuple[str, str, str]]:
    """Keyword-in-context: (left, keyword, right) for each whole-word match of ``word`` in the hit.

    The contexts keep the space, or its absence, next to the keyword, so
    that ``Khrushchev’s`` reads ``[Khrushchev]’s``.
    """
    import re

    text = " ".join(hit.value.split())
    found: list[tuple[str, str, str]] = []
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    for match in pattern.finditer(text):
        before, after = text[:match.start()], text[match.end():]
        # a chunk touching the keyword (’s, a comma, an opening quote) belongs to its word
        left_words = before.split()
        right_words = after.split()
        left_take = words + (0 if before.endswith(" ") or not before else 1)
        right_take = words + (0 if after.startswith(" ") or not after else 1)
        left = " ".join(left_words[-left_take:]) + (" " if before.endswith(" ") else "")
        right = (" " if after.startswith(" ") else "") + " ".join(right_words[:right_take])
        found.append((left, match.group(0), right))
    return found


def kwic_line(hit: Hit, left: str, keyword: str, right: str, width: int) -> str:
    """A KWIC line, the keyword column aligned by padding the left context to ``width``."""
    if len(left) > width:
        left = "…" + left[-(width - 1):]
    ref = f"{hit.ref}: " if hit.ref else ""
    return f"{hit.file}:{hit.line}:{hit.column}: {ref}{left:>{width}}[{keyword}]{right}"
