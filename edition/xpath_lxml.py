"""The XPath 1.0 engine: libxml2 through lxml, when asked for (``engine="lxml"``).

It runs XPath 1.0 with 1.0's meaning (``@when > 1959`` compares numbers,
a function of several nodes takes the first), which is not always 3.1's:
it is never chosen automatically, because a choice of engine must never
change an answer.  The expression is rewritten for libxml2, which has no
default element namespace (``persName`` → ``tei:persName``), and ``//x``
becomes ``/descendant::x`` where no positional predicate makes them differ
(libxml2 evaluates it twice as fast).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import elementpath
from lxml import etree

__all__ = ["compile_lxml"]

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
_NAME_OWNERS = frozenset({"@", "attribute", "namespace", "$", ":"})
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




def compile_lxml(expression: str, namespaces: Mapping[str, str]) -> tuple[etree.XPath, str]:
    """(the compiled XPath, how its result is read: 'nodes', 'boolean', 'string', 'integer'
    or 'number'); raises ValueError naming why when it is not XPath 1.0."""
    try:
        token = elementpath.XPath1Parser(namespaces=dict(namespaces)).parse(expression)
    except elementpath.ElementPathError as error:
        raise ValueError(f"is not XPath 1.0 ({error.message})") from None
    if token.symbol == "/" and len(token) == 0:
        raise ValueError("selects the document node, which lxml does not return")
    try:
        compiled = etree.XPath(_for_libxml2(expression, token), namespaces={p: u for p, u in namespaces.items() if p})
    except etree.XPathSyntaxError as error:  # pragma: no cover - elementpath accepted it
        raise ValueError(f"is refused by libxml2 ({error})") from None
    return compiled, _result_kind(token) or "number"
