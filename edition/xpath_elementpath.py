"""The pure-Python engine: XPath 3.1 by elementpath, with its known defects mended here.

Used when saxonche is not installed and with ``engine="elementpath"``.
elementpath 5.1.4 gives wrong answers in a few places, each checked at
import by a probe and mended only when the probe still fails (so a fixed
release turns the mend off); the reports for upstream are in the README:

- string values of mixed content out of order (``<n><b><o>D</o></b>.</n>`` → ``.D``);
- ``X//Y`` not in document order (breadth first) when it is not the whole expression;
- the arrow operator refuses ``sort``, ``reverse``, ``head``, ``tail``, ``for-each``,
  ``filter``, ``fold-left`` (XPST0017 at parse);
- ``format-date`` without a language gives month and day names as numbers;
- ``serialize()`` fails ("Invalid tag name ''") under a default element namespace;
- a collation whose locale cannot be restored leaves elementpath's collation lock held,
  so the next string comparison hangs (see :func:`_plain_collation`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import elementpath
from elementpath.xpath3 import XPath31Parser
from lxml import etree

from .document import TEI_NS, Document

__all__ = ["ElementPathError", "compile_expression", "evaluate", "node_tree", "variable_names"]

ElementPathError = elementpath.ElementPathError
_STRING = etree.XPath("string()")
_FN = "{http://www.w3.org/2005/xpath-functions}"
_PROBE = etree.fromstring("<n><b><o>D</o></b>.<!--c-->!<q><r/></q></n>")


def _evaluate_probe(expression: str) -> Any:
    try:
        token = XPath31Parser().parse(expression)
        return token.evaluate(elementpath.XPathContext(elementpath.get_node_tree(_PROBE)))
    except (elementpath.ElementPathError, ValueError, TypeError):
        return None


# -- mixed content -------------------------------------------------------------------

def _string_value_is_wrong() -> bool:
    from elementpath.etree import etree_iter_strings

    sample = etree.fromstring("<n><b><o>D</o></b>.<!--c-->!</n>")
    return "".join(etree_iter_strings(sample)) != "D.!"


def _mend_string_values() -> None:
    """Give elementpath the XPath string value libxml2 computes."""
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


# -- document order of X//Y ------------------------------------------------------------

def _descendant_order_is_wrong() -> bool:
    return _evaluate_probe("string-join(/n//* ! local-name(), ' ')") != "b o q r"


def _mend_descendant_order() -> None:
    token_class = XPath31Parser.symbol_table["//"]
    original = token_class.select

    def select(self: Any, context: Any = None) -> Iterator[Any]:
        results = list(original(self, context))
        if len(results) > 1 and all(isinstance(r, elementpath.XPathNode) for r in results):
            results.sort(key=lambda node: node.position)
        yield from results

    token_class.select = select


# -- the arrow operator --------------------------------------------------------------

def _arrow_is_wrong() -> bool:
    return _evaluate_probe("(3, 1, 2) => sort() => head()") != 1


def _mend_arrow() -> None:
    token_class = XPath31Parser.symbol_table["=>"]
    original = token_class.evaluate

    def evaluate(self: Any, context: Any = None) -> Any:
        target = self[1]
        if target.symbol == "(name)":
            factory = self.parser.symbol_table.get(_FN + str(target.value))
            if factory is not None:
                tokens = [self[0]]
                if self[2]:
                    tokens.extend(self[2][0].get_argument_tokens())
                function = factory(self.parser, nargs=len(tokens))
                return function(*[token.evaluate(context) for token in tokens], context=context)
        return original(self, context)

    token_class.evaluate = evaluate


# -- format-date names --------------------------------------------------------------

def _date_names_are_wrong() -> bool:
    return _evaluate_probe("format-date(xs:date('1958-01-23'), '[MNn]')") != "January"


def _mend_date_names() -> None:
    from elementpath.xpath30 import _xpath30_functions as functions

    original = functions.parse_datetime_marker

    def marker(marker: str, dt: Any, lang: str | None = None) -> str:
        return original(marker, dt, lang or "en")  # the default language, as Saxon's

    functions.parse_datetime_marker = marker


for _wrong, _mend in ((_string_value_is_wrong, _mend_string_values),
                      (_descendant_order_is_wrong, _mend_descendant_order),
                      (_arrow_is_wrong, _mend_arrow),
                      (_date_names_are_wrong, _mend_date_names)):
    if _wrong():
        _mend()


# -- compiling and evaluating -------------------------------------------------------------

def _plain_collation() -> None:
    """LC_COLLATE back to "C" before elementpath compares strings.  Saxon's native code sets
    it to C.UTF-8, which Python's getlocale() misreads as en_US.UTF-8 (not installed here):
    elementpath's collation manager then fails to restore it and keeps its lock, and the
    next comparison waits for that lock for ever."""
    import locale

    if locale.setlocale(locale.LC_COLLATE) != "C":
        locale.setlocale(locale.LC_COLLATE, "C")


def compile_expression(expression: str, namespaces: Mapping[str, str]) -> Any:
    """elementpath's parse tree (raises ElementPathError)."""
    _plain_collation()
    return XPath31Parser(namespaces={"": TEI_NS, **namespaces}).parse(expression)


def variable_names(token: Any) -> set[str]:
    """The free variables of a parse tree (external ones to bind)."""
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


def node_tree(document: Document) -> Any:
    """elementpath's own node tree over lxml's: made on the first query, then kept in the
    document's cache (``query.elementpath``) for every other query on it."""
    tree = document.cache.get("query.elementpath")
    if tree is None:
        tree = document.cache["query.elementpath"] = elementpath.get_node_tree(document.tree)
    return tree


#: Top-level operators whose result is in document order by the XPath definition.
_DOCUMENT_ORDER = frozenset({"/", "//", "|", "union", "intersect", "except"})


def evaluate(token: Any, document: Document, item: etree._Element | None, variables: Mapping[str, Any],
             namespaces: Mapping[str, str], limit: int) -> list[Any]:
    """The result as a list of at most ``limit + 1`` items (elementpath nodes and values)."""
    _plain_collation()
    # the context's own namespaces (without the default one): serialize() registers them
    # with lxml, which refuses an empty prefix
    context = elementpath.XPathContext(node_tree(document), item=item, variables=dict(variables),
                                       namespaces={p: u for p, u in namespaces.items() if p} or None)
    result = token.evaluate(context)
    if result is None:
        return []
    if isinstance(result, Iterator):
        items: list[Any] = []
        for value in result:
            items.append(value)
            if len(items) > limit:
                break
        result = items
    if not isinstance(result, list):
        return [result]
    if token.symbol in _DOCUMENT_ORDER and all(isinstance(r, elementpath.XPathNode) for r in result):
        result.sort(key=lambda node: node.position)
    return result[:limit + 1]
