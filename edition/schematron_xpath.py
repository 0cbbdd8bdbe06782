"""XPath 3.1 for Schematron: elementpath with an index, safe documents and a budget.

elementpath is exact but walks the whole document for ``preceding::`` and ``following::``
(each call iterates from the root) and materialises a whole axis before a ``[1]``; a
Schematron rule firing on every page break with ``preceding::text()[1]`` would take minutes
on a FRUS volume.  Three things make it fit, each meaning exactly what elementpath means:

- :class:`NodeIndex`: every node of the document in document order, by kind and name, with
  the last descendant of each element; built once per document (as Saxon's tree has one).
- :func:`optimise`: a compiled expression's ``preceding::T``, ``following::T``,
  ``descendant::T`` and ``A//T[pred…]`` steps (T a name or kind test) answer from the index
  by bisection, ``a << b`` compares positions, and ``AXIS::T[pred…][N]`` walks the axis
  lazily in axis order and stops at the N-th node.  Nodes of any other tree take
  elementpath's own path.  It also mends a defect: elementpath 5.1 selects nothing for a
  prefixed name test whose local name is an XPath 3 function (``tei:head``, ``tei:tail``).
- :class:`Budget`: every axis walk and function call ticks it; past its deadline or depth the
  evaluation stops with :class:`SchematronLimit`, so a hostile schema is refused, not endured.

What ``doc()`` and ``document()`` may read: :mod:`edition.schematron_documents`.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from copy import copy
from types import MethodType
from typing import Any

import elementpath
from elementpath import XPath1Parser, XPathContext, XPathNode
from elementpath.xpath3 import XPath31Parser

from .schematron_documents import SafeDocuments
from .xpath_elementpath import _plain_collation  # importing it mends elementpath's known defects

#: Default wall-clock budget of one schema on one document, and the deepest call nesting.
DEFAULT_SECONDS = 600.0
MAX_CALL_DEPTH = 64


class SchematronLimit(Exception):
    """The evaluation went past its budget (time, call depth)."""


class Budget:
    """Wall-clock deadline and call depth of one run; ``tick()`` is cheap."""

    def __init__(self, seconds: float = DEFAULT_SECONDS, max_depth: int = MAX_CALL_DEPTH) -> None:
        self.seconds = seconds
        self.max_depth = max_depth
        self.deadline = time.monotonic() + seconds
        self.depth = 0
        self._ticks = 0

    def restart(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.depth = 0

    def tick(self) -> None:
        self._ticks += 1
        if self._ticks & 255 == 0 and time.monotonic() > self.deadline:
            raise SchematronLimit(f"the evaluation took longer than its limit of {self.seconds:g} s")


class BudgetContext(XPathContext):
    """An XPathContext whose node walks tick the run's budget."""

    budget: Budget

    def iter_descendants(self, axis: str | None = None) -> Any:
        self.budget.tick()
        return super().iter_descendants(axis)

    def iter_preceding(self) -> Any:
        self.budget.tick()
        return super().iter_preceding()

    def iter_followings(self) -> Any:
        self.budget.tick()
        return super().iter_followings()

    def iter_children_or_self(self) -> Any:
        self.budget.tick()
        return super().iter_children_or_self()


# -- the index -------------------------------------------------------------------

def _key_of(node: Any) -> tuple[str, str]:
    if isinstance(node, elementpath.ElementNode):
        return ("e", node.name or "")
    if isinstance(node, elementpath.TextNode):
        return ("t", "")
    if isinstance(node, elementpath.CommentNode):
        return ("c", "")
    if isinstance(node, elementpath.ProcessingInstructionNode):
        return ("pi", node.name or "")
    return ("d", "")


class NodeIndex:
    """The nodes of one document (attributes apart) in document order, by kind and name."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.nodes: list[Any] = []
        self.ids: set[int] = set()
        self.end: dict[int, int] = {}  # id(element) -> position of its last descendant
        self._by_key: dict[tuple[str, str], list[Any]] = {}
        self._positions: dict[tuple[str, str], list[int]] = {}
        self._attributes: dict[tuple[str, str], list[Any]] | None = None
        for node in root.iter_descendants():
            self.nodes.append(node)
            self.ids.add(id(node))
            key = _key_of(node)
            self._by_key.setdefault(key, []).append(node)
            if key[0] in ("e", "pi"):
                self._by_key.setdefault((key[0], "*"), []).append(node)
            if key[0] != "d":
                self._by_key.setdefault(("n", ""), []).append(node)
        # in reverse document order each node's last child has its end already
        end = self.end
        for node in reversed(self.nodes):
            children = getattr(node, "children", None)
            if children:
                last = children[-1]
                end[id(node)] = end.get(id(last), last.position)

    def nodes_for(self, key: tuple[str, str]) -> list[Any]:
        if key[0] == "a":
            return self._attribute_index().get(key, [])
        found = self._by_key.get(key)
        if found is None and key[0] == "ens":  # the elements of one namespace (tei:*)
            found = self._by_key[key] = [e for e in self._by_key.get(("e", "*"), []) if e.name.startswith(key[1])]
        if found is None and key[0] == "ea":  # the elements that have an attribute (tei:*[@x])
            found = self._by_key[key] = [a.parent for a in self._attribute_index().get(("a", key[1]), [])]
        return found or []

    def _attribute_index(self) -> dict[tuple[str, str], list[Any]]:
        if self._attributes is None:
            self._attributes = {}
            for element in self._by_key.get(("e", "*"), []):
                for attribute in element.attributes or ():
                    self._attributes.setdefault(("a", attribute.name), []).append(attribute)
                    self._attributes.setdefault(("a", "*"), []).append(attribute)
        return self._attributes

    def positions(self, key: tuple[str, str]) -> list[int]:
        found = self._positions.get(key)
        if found is None:
            found = self._positions[key] = [node.position for node in self.nodes_for(key)]
        return found

    def holds(self, item: Any) -> bool:
        if isinstance(item, elementpath.AttributeNode | elementpath.NamespaceNode):
            item = item.parent
        return id(item) in self.ids

    def preceding(self, item: Any, key: tuple[str, str]) -> list[Any]:
        """``preceding::T`` of ``item`` in document order."""
        if isinstance(item, elementpath.AttributeNode | elementpath.NamespaceNode):
            item = item.parent
        nodes = self.nodes_for(key)
        before = nodes[:bisect_left(self.positions(key), item.position)]
        if key[0] in ("t", "c", "pi"):
            return before
        ancestors = set()
        parent = item.parent
        while parent is not None:
            ancestors.add(id(parent))
            parent = parent.parent
        return [node for node in before if id(node) not in ancestors]

    def descendants(self, items: list[Any], key: tuple[str, str], with_self: bool = False) -> list[Any]:
        """``descendant::T`` (or ``descendant-or-self::T``) of ``items``, in document order, once each."""
        if key[0] == "a":
            return self._descendant_attributes(items, key)
        positions = self.positions(key)
        nodes = self.nodes_for(key)
        ranges = sorted((item.position, self.end.get(id(item), item.position)) for item in items)
        found: list[Any] = []
        reach = -1
        for begin, end in ranges:
            if end <= reach:
                continue  # inside a range already taken
            start = max(begin, reach)
            low = bisect_left(positions, start) if with_self and start == begin else bisect_right(positions, start)
            found.extend(nodes[low:bisect_right(positions, end)])
            reach = end
        return found

    def _descendant_attributes(self, items: list[Any], key: tuple[str, str]) -> list[Any]:
        elements = self.descendants(items, ("e", "*"), with_self=True)
        name = key[1]
        return [attribute for element in elements for attribute in element.attributes or ()
                if name == "*" or attribute.name == name]

    def following(self, item: Any, key: tuple[str, str]) -> list[Any]:
        """``following::T`` of ``item`` in document order."""
        if isinstance(item, elementpath.AttributeNode | elementpath.NamespaceNode):
            after = item.parent.position if item.parent is not None else item.position
        else:
            after = self.end.get(id(item), item.position)
        nodes = self.nodes_for(key)
        return nodes[bisect_right(self.positions(key), after):]


# -- compiled expressions made to fit ---------------------------------------------

_FAST_AXES = {"preceding": True, "following": False}
_WALKED_AXES = {"preceding": True, "following": False, "preceding-sibling": True,
                "following-sibling": False}


class _Fallback(Exception):
    """The shortcut does not apply to this evaluation; elementpath's own way does."""


def _test_key(token: Any, namespaces: Mapping[str, str]) -> tuple[str, str] | None:
    """The index key of a node test: ``tei:p``, ``p``, ``*``, ``text()``, ``node()``…"""
    symbol = token.symbol
    if symbol == "(name)":
        return ("e", token.value)
    if symbol == ":" and len(token) == 2 and token[0].symbol == "(name)" and token[1].symbol == "(name)":
        uri = namespaces.get(token[0].value)
        return ("e", f"{{{uri}}}{token[1].value}") if uri else None
    if symbol == "*" and len(token) == 0:
        return ("e", "*")
    if symbol == ":" and len(token) == 2 and token[0].symbol == "(name)" and token[1].symbol == "*":
        uri = namespaces.get(token[0].value)
        return ("ens", f"{{{uri}}}") if uri else None
    if token.label == "kind test" and len(token) == 0:
        return {"text": ("t", ""), "node": ("n", ""), "comment": ("c", ""),
                "element": ("e", "*"), "processing-instruction": ("pi", "*")}.get(symbol)
    return None


def key_matches(key: tuple[str, str], node: Any) -> bool:
    """Whether a node passes the node test an index key stands for."""
    kind, name = key
    if kind == "n":
        return not isinstance(node, elementpath.AttributeNode | elementpath.DocumentNode | elementpath.NamespaceNode)
    if kind == "a":
        return isinstance(node, elementpath.AttributeNode) and (name == "*" or node.name == name)
    if kind == "ens":
        return isinstance(node, elementpath.ElementNode) and (node.name or "").startswith(name)
    if kind == "ea":
        return isinstance(node, elementpath.ElementNode) and any(a.name == name for a in node.attributes or ())
    found = _key_of(node)
    return found == key or name == "*" and found[0] == kind


def _mentions_focus(token: Any) -> bool:
    if token.symbol in ("position", "last"):
        return True
    return any(_mentions_focus(child) for child in token)


def _numeric(value: Any) -> bool:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return isinstance(value, int | float) and not isinstance(value, bool) or type(value).__name__ == "Decimal"


def _function_named_like_element(token: Any) -> bool:
    """``tei:head``: elementpath 5.1 leaves the expanded name of a prefixed name test empty
    when its local name is also an XPath 3 function (head, tail, sort…), and the step then
    selects nothing."""
    return token[1].symbol == "(name)" and not getattr(token, "name", None)


def _name_test(token: Any, namespaces: Mapping[str, str]) -> None:
    name = f"{{{namespaces[token[0].value]}}}{token[1].value}"

    def select(self: Any, context: Any = None) -> Iterator[Any]:
        if context is None:
            raise self.missing_context()
        yield from context.iter_matching_nodes(name)

    token.select = MethodType(select, token)
    token.evaluate = MethodType(lambda self, context=None: list(self.select(context)), token)


def optimise(token: Any, index_of: Callable[[], NodeIndex | None], namespaces: Mapping[str, str]) -> None:
    """Give the fitting steps of a compiled expression their indexed or lazy evaluation."""
    for child in token:
        optimise(child, index_of, namespaces)
    if token.symbol == ":" and len(token) == 2 and token[0].symbol == "(name)" \
            and namespaces.get(token[0].value) and _function_named_like_element(token):
        _name_test(token, namespaces)
    if token.label == "axis" and token.symbol in _FAST_AXES and len(token) == 1:
        key = _test_key(token[0], namespaces)
        if key is not None:
            _index_axis(token, key, index_of)
    elif token.label == "axis" and token.symbol in ("descendant", "descendant-or-self") and len(token) == 1:
        key = _test_key(token[0], namespaces)
        if key is not None:
            _index_descendant_axis(token, key, index_of)
    elif token.symbol == "[" and token[1].symbol == "(integer)":
        _lazy_position(token, index_of, namespaces)
    elif token.symbol == "//" and len(token) in (1, 2):
        _index_double_slash(token, index_of, namespaces)
    elif token.symbol in ("<<", ">>") and len(token) == 2:
        _order_by_position(token, index_of)
    elif token.symbol == "to" and len(token) == 2:
        _bounded_range(token)


#: The longest ``a to b`` a test may make: the budget ticks on node walks, and a range of
#: numbers walks none.
MAX_RANGE = 10_000_000


def _bounded_range(token: Any) -> None:
    original_evaluate, original_select = token.evaluate, token.select

    def check(self: Any, context: Any) -> None:
        low, high = (self[n].evaluate(copy(context)) for n in (0, 1))
        low, high = (v[0] if isinstance(v, list) and len(v) == 1 else v for v in (low, high))
        if isinstance(low, int) and isinstance(high, int) and high - low >= MAX_RANGE:
            raise SchematronLimit(f"the range {low} to {high} has more than {MAX_RANGE:,} numbers")

    def evaluate(self: Any, context: Any = None) -> Any:
        check(self, context)
        return original_evaluate(context)

    def select(self: Any, context: Any = None) -> Iterator[Any]:
        check(self, context)
        yield from original_select(context)

    token.evaluate = MethodType(evaluate, token)
    token.select = MethodType(select, token)


def _order_by_position(token: Any, index_of: Callable[[], NodeIndex | None]) -> None:
    """``a << b``: elementpath walks the whole document to compare; positions say the same."""
    original = token.evaluate
    before = token.symbol == "<<"

    def evaluate(self: Any, context: Any = None) -> Any:
        index = index_of()
        if index is None or context is None:
            return original(context)
        left = list(self[0].select(copy(context)))
        right = list(self[1].select(copy(context)))
        if not left or not right:
            return []
        if len(left) > 1 or len(right) > 1 or not all(isinstance(x, XPathNode) and index.holds(x)
                                                      for x in (left[0], right[0])):
            return original(context)
        if left[0] is right[0]:
            return False
        return (left[0].position < right[0].position) == before

    token.evaluate = MethodType(evaluate, token)


def _step_test(token: Any, namespaces: Mapping[str, str]) -> tuple[tuple[str, str], list[Any]] | None:
    """A child or attribute step with non-positional predicates: its key and its predicates."""
    predicates = []
    while token.symbol == "[":
        if _mentions_focus(token[1]) or token[1].symbol in ("(integer)", "(decimal)", "(float)", "$"):
            return None
        predicates.append(token[1])
        token = token[0]
    if token.symbol == "@" and len(token) == 1:
        inner = token[0]
        if inner.symbol == "(name)":
            key: tuple[str, str] | None = ("a", inner.value)
        elif inner.symbol == "*" and len(inner) == 0:
            key = ("a", "*")
        elif inner.symbol == ":" and len(inner) == 2 and inner[0].symbol == "(name)" and namespaces.get(inner[0].value):
            key = ("a", f"{{{namespaces[inner[0].value]}}}{inner[1].value}")
        else:
            key = None
    elif token.label == "axis" and token.symbol == "child" and len(token) == 1:
        key = _test_key(token[0], namespaces)
    else:
        key = _test_key(token, namespaces)
    if key is None or key == ("d", ""):
        return None
    predicates.reverse()
    return key, predicates


def _passes(predicates: list[Any], node: Any, context: Any) -> bool:
    for predicate in predicates:
        inner = copy(context)
        inner.item, inner.position, inner.size = node, 1, 1
        value = predicate.evaluate(inner)
        if _numeric(value):
            raise _Fallback
        if not predicate.boolean_value(value):
            return False
    return True


def _index_double_slash(token: Any, index_of: Callable[[], NodeIndex | None], namespaces: Mapping[str, str]) -> None:
    """``A//T[p…]`` and ``//T[p…]``: the descendants from the index, the predicates on them only."""
    step = _step_test(token[-1], namespaces)
    if step is None:
        return
    key, predicates = step
    original = token.select

    def select(self: Any, context: Any = None) -> Iterator[Any]:
        index = index_of()
        if index is None or context is None:
            yield from original(context)
            return
        if len(self) == 1:
            item = context.item
            while isinstance(item, XPathNode) and item.parent is not None:
                item = item.parent
            starts = [item] if isinstance(item, XPathNode) else []
        else:
            starts = list(self[0].select(copy(context)))
        if not starts or not all(isinstance(item, XPathNode) and index.holds(item)
                                 and not isinstance(item, elementpath.AttributeNode | elementpath.NamespaceNode)
                                 for item in starts):
            yield from original(context)
            return
        if isinstance(context, BudgetContext):
            context.budget.tick()
        try:
            found = [node for node in index.descendants(starts, key) if _passes(predicates, node, context)]
        except _Fallback:
            yield from original(context)
            return
        for context.item in found:
            yield context.item

    token.select = MethodType(select, token)


def _index_descendant_axis(token: Any, key: tuple[str, str], index_of: Callable[[], NodeIndex | None]) -> None:
    original = token.select
    with_self = token.symbol == "descendant-or-self"

    def select(self: Any, context: Any = None) -> Iterator[Any]:
        index = index_of()
        item = getattr(context, "item", None)
        if index is None or not isinstance(item, XPathNode) or not index.holds(item) \
                or isinstance(item, elementpath.AttributeNode | elementpath.NamespaceNode) or key[0] == "a":
            yield from original(context)
            return
        for context.item in index.descendants([item], key, with_self):
            yield context.item

    token.select = MethodType(select, token)


def _index_axis(token: Any, key: tuple[str, str], index_of: Callable[[], NodeIndex | None]) -> None:
    original = token.select
    forward = token.symbol == "following"

    def select(self: Any, context: Any = None) -> Iterator[Any]:
        index = index_of()
        item = getattr(context, "item", None)
        if index is None or not isinstance(item, XPathNode) or not index.holds(item):
            yield from original(context)
            return
        if isinstance(context, BudgetContext):
            context.budget.tick()
        found = index.following(item, key) if forward else index.preceding(item, key)
        for context.item in found:
            yield context.item

    token.select = MethodType(select, token)


def _lazy_position(token: Any, index_of: Callable[[], NodeIndex | None], namespaces: Mapping[str, str]) -> None:
    """``AXIS::T[p1]…[N]``: walk the axis in its own order, stop at the N-th node passing p1…"""
    wanted = int(token[1].value)
    predicates = []
    step = token[0]
    while step.symbol == "[":
        if _mentions_focus(step[1]) or step[1].symbol in ("(integer)", "(decimal)", "(float)", "$"):
            return
        predicates.append(step[1])
        step = step[0]
    if step.label != "axis" or step.symbol not in _WALKED_AXES or len(step) != 1 or wanted < 1:
        return
    key = _test_key(step[0], namespaces)
    if key is None:
        return
    predicates.reverse()
    original_select = token.select
    axis = step.symbol

    def candidates(index: NodeIndex, item: Any) -> Iterator[Any]:
        if axis == "preceding":
            yield from reversed(index.preceding(item, key))
        elif axis == "following":
            yield from index.following(item, key)
        else:
            parent = item.parent
            if parent is None or isinstance(item, elementpath.AttributeNode | elementpath.NamespaceNode):
                return
            siblings = parent.children
            at = siblings.index(item)
            chosen = reversed(siblings[:at]) if axis == "preceding-sibling" else iter(siblings[at + 1:])
            for node in chosen:
                if key_matches(key, node):
                    yield node

    def select(self: Any, context: Any = None) -> Iterator[Any]:
        index = index_of()
        item = getattr(context, "item", None)
        if index is None or not isinstance(item, XPathNode) or not index.holds(item):
            yield from original_select(context)
            return
        try:
            found = _nth(index, item, context)
        except _Fallback:
            yield from original_select(context)
            return
        if found is not None:
            context.item = found
            yield found

    def _nth(index: NodeIndex, item: Any, context: Any) -> Any:
        count = 0
        inner = copy(context)
        for node in candidates(index, item):
            inner.item, inner.position, inner.size = node, 1, 1
            passed = True
            for predicate in predicates:
                value = predicate.evaluate(copy(inner))
                if _numeric(value):
                    raise _Fallback
                if not predicate.boolean_value(value):
                    passed = False
                    break
            if passed:
                count += 1
                if count == wanted:
                    return node
        return None

    token.select = MethodType(select, token)


class SchematronParser(XPath31Parser):
    """XPath 3.1 as a Schematron needs it.

    - No static evaluation at compile time: elementpath evaluates every parsed expression once
      without a context, outside any budget; a hostile ``count(1 to 10000000000)`` would run
      there.  Errors it would have found are reported when the test runs (E0706).
    - A function of the schema (``document('')``) may start a path (``document('')/*``).
    """

    PATH_STEP_LABELS = (*XPath31Parser.PATH_STEP_LABELS, "external function")  # type: ignore[assignment]

    def parse(self, source: str) -> Any:
        if self.tokenizer is None:
            self.tokenizer = self.create_tokenizer(self.symbol_table)
        root_token = super(XPath1Parser, self).parse(source)
        if root_token.label in ("sequence type", "function test"):
            raise root_token.error("XPST0003", "not allowed in XPath expression")
        return root_token


def new_parser(namespaces: Mapping[str, str], base_uri: str | None, xpath1: bool = False) -> XPath31Parser:
    """A parser with the schema's prefixes; no environment, no external resource."""
    # the codepoint collation, as Saxon's default: elementpath otherwise takes the process's
    # locale (which a Saxon in the same process leaves as one Python cannot set back)
    options: dict[str, Any] = {"namespaces": dict(namespaces), "base_uri": base_uri,
                               "allow_environment": False, "allow_external_resources": False,
                               "default_collation": "http://www.w3.org/2005/xpath-functions/collation/codepoint"}
    if xpath1:
        options["compatibility_mode"] = True
    return SchematronParser(**options)


def plain_collation() -> None:
    """LC_COLLATE to "C" before a run (Saxon in the same process leaves a locale that
    elementpath's collations cannot restore; see edition.xpath_elementpath)."""
    _plain_collation()


def new_context(budget: Budget, root: Any, item: Any, variables: dict[str, Any],
                documents: SafeDocuments) -> BudgetContext:
    context = BudgetContext(root, item=item)
    # the values are already XPath values: XPathContext(variables=…) would convert each
    # sequence again, item by item, for every context made
    context.variables = variables
    context.budget = budget
    context.documents = documents  # type: ignore[assignment]
    return context
