"""Compiled Schematron expressions rewritten as XPath 1.0, for lxml to evaluate at C speed.

The TEI's constraints (``p5subset.xml``) are written for XSLT 2, but those a document ever
meets are mostly XPath 1.0 in all but name: ``tei:*[@when]`` with the test
``@notBefore|@notAfter|@from|@to``, ``string-length(normalize-space(.)) gt 0``.  This
module turns an elementpath token tree into XPath 1.0 text that means the same thing for
every document, or refuses (:class:`Untranslatable`).  It only rewrites where the two
languages agree, by construction:

- value comparisons (``eq``, ``ne``) only between singletons (an attribute of the context,
  ``.``, a string function, a literal), where they equal ``=`` and ``!=``; order comparisons
  only between numbers (``count``, ``string-length``, integer literals);
- string functions only on singletons (XPath 2 raises on a sequence, XPath 1 takes the first);
- variables only for a rule's lets the caller translated first, ``current()`` only where the
  caller binds it; no sequences, casts, regular expressions or XPath 2 functions.

Anything else keeps elementpath's evaluation (:mod:`edition.schematron_run`).  The result is
checked against elementpath on real documents by ``tests/test_schematron_tei.py``.
"""

from __future__ import annotations

from typing import Any

#: What an expression yields, as far as the rewriting needs to know.
NODES, SINGLE, STRING, NUMBER, BOOLEAN = "nodes", "single", "string", "number", "boolean"

_AXES = frozenset({"child", "descendant", "descendant-or-self", "parent", "ancestor", "ancestor-or-self",
                   "following-sibling", "preceding-sibling", "following", "preceding", "self", "attribute"})
_KIND_TESTS = frozenset({"text", "node", "comment"})
_GENERAL = {"=": "=", "!=": "!="}
_VALUE = {"eq": "=", "ne": "!="}
_ORDER = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class Untranslatable(Exception):
    """The expression has no XPath 1.0 form known to mean the same."""


def translate(token: Any, namespaces: dict[str, str], variables: dict[str, str] | None = None) -> tuple[str, str]:
    """XPath 1.0 text of a compiled expression, and what it yields (NODES, SINGLE, STRING…);
    ``variables``: the rule's lets already translated, by name, with what each yields."""
    return _Translator(namespaces, variables).expression(token)


def selection(token: Any, namespaces: dict[str, str]) -> str:
    """XPath 1.0 that selects, from the document, every node the XSLT pattern ``token`` matches."""
    return _Translator(namespaces).pattern(token)


#: Names a document must use, in disjunctive form: any one alternative, all names of it.
Requirement = list[frozenset[tuple[str, str]]]
_ANYTHING: Requirement = [frozenset()]


def pattern_requires(token: Any, namespaces: dict[str, str]) -> Requirement:
    """The names a document must use for the XSLT pattern to match anything: alternatives,
    each a set of ``("e", clark)`` elements and ``("a", clark)`` attributes all needed."""
    symbol = token.symbol
    if symbol in ("|", "union") and len(token) == 2:
        return pattern_requires(token[0], namespaces) + pattern_requires(token[1], namespaces)
    if symbol == "(" and len(token) == 1:
        return pattern_requires(token[0], namespaces)
    if symbol == "[" and len(token) == 2:
        return _both(pattern_requires(token[0], namespaces), _predicate_requires(token[1], namespaces))
    if symbol in ("/", "//") and len(token) == 2:
        return _both(pattern_requires(token[0], namespaces), pattern_requires(token[1], namespaces))
    if symbol in ("/", "//") and len(token) == 1:
        return pattern_requires(token[0], namespaces)
    if symbol == "@" and len(token) == 1:
        name = _attribute_clark(token[0], namespaces)
        return _ANYTHING if name is None or name == "*" else [frozenset({("a", name)})]
    if symbol == "child" and token.label == "axis" and len(token) == 1:
        return pattern_requires(token[0], namespaces)
    name = _element_clark(token, namespaces)
    return _ANYTHING if name is None else [frozenset({("e", name)})]


def _predicate_requires(token: Any, namespaces: dict[str, str]) -> Requirement:
    """What a predicate made of ``@name``, ``and`` and ``or`` needs; anything else needs nothing."""
    symbol = token.symbol
    if symbol == "@" and len(token) == 1:
        return pattern_requires(token, namespaces)
    if symbol == "(" and len(token) == 1:
        return _predicate_requires(token[0], namespaces)
    if symbol == "and" and len(token) == 2:
        return _both(_predicate_requires(token[0], namespaces), _predicate_requires(token[1], namespaces))
    if symbol == "or" and len(token) == 2:
        return _predicate_requires(token[0], namespaces) + _predicate_requires(token[1], namespaces)
    return _ANYTHING


def truth_requires(token: Any, namespaces: dict[str, str]) -> Requirement:
    """The names a document must use for the expression to be true of any node: a report
    whose test needs ``@cRef`` cannot fire in a file that has none, and is not evaluated."""
    symbol, size = token.symbol, len(token)
    if symbol == "@" and size == 1:
        return pattern_requires(token, namespaces)
    if token.label == "axis" and size == 1:
        name = _element_clark(token[0], namespaces)
        return _ANYTHING if name is None or symbol == "attribute" else [frozenset({("e", name)})]
    if symbol in ("(name)", ":"):
        name = _element_clark(token, namespaces)
        return _ANYTHING if name is None else [frozenset({("e", name)})]
    if symbol in ("/", "//", "and", "[") and size == 2:
        return _both(truth_requires(token[0], namespaces), truth_requires(token[1], namespaces))
    if symbol in ("|", "union", "or") and size == 2:
        return truth_requires(token[0], namespaces) + truth_requires(token[1], namespaces)
    if symbol in ("(", "exists") and size == 1:
        return truth_requires(token[0], namespaces)
    if token.label == "operator" and size == 2 and symbol in (*_GENERAL, *_VALUE):
        # a comparison with an empty sequence is false (general) or empty (value): never true
        return _both(_operand_requires(token[0], namespaces), _operand_requires(token[1], namespaces))
    return _ANYTHING


def _operand_requires(token: Any, namespaces: dict[str, str]) -> Requirement:
    if token.symbol in ("@", "(name)", ":", "/", "//", "[", "|", "union") or token.label == "axis":
        return truth_requires(token, namespaces)
    return _ANYTHING


def matches_attributes(token: Any) -> bool:
    """Whether an XSLT pattern may match attributes (``tei:rt/@from``), not elements only."""
    symbol = token.symbol
    if symbol in ("|", "union", "(") or symbol in ("/", "//") and len(token) == 1:
        return any(matches_attributes(child) for child in token)
    if symbol in ("/", "//") and len(token) == 2:
        return matches_attributes(token[1])
    if symbol == "[":
        return matches_attributes(token[0])
    return symbol in ("@", "attribute") or token.label == "kind test"


def _both(left: Requirement, right: Requirement) -> Requirement:
    found = list(dict.fromkeys(a | b for a in left for b in right))
    return _ANYTHING if frozenset() in found else found


def _element_clark(token: Any, namespaces: dict[str, str]) -> str | None:
    if token.symbol == "(name)":
        return str(token.value)
    if token.symbol == ":" and len(token) == 2 and token[1].symbol == "(name)" and token[0].symbol == "(name)":
        uri = namespaces.get(str(token[0].value))
        return f"{{{uri}}}{token[1].value}" if uri else None
    return None


def _attribute_clark(token: Any, namespaces: dict[str, str]) -> str | None:
    if token.symbol == "*" and len(token) == 0:
        return "*"
    return _element_clark(token, namespaces)


def _quote(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise Untranslatable("a string with both quotes")


class _Translator:
    def __init__(self, namespaces: dict[str, str], variables: dict[str, str] | None = None) -> None:
        self.namespaces = namespaces
        self.variables = variables or {}

    # -- XSLT patterns (rule contexts) ---------------------------------------------------
    def pattern(self, token: Any) -> str:
        symbol = token.symbol
        if symbol in ("|", "union") and len(token) == 2:
            return f"{self.pattern(token[0])} | {self.pattern(token[1])}"
        if symbol == "(" and len(token) == 1 and token[0].symbol in ("|", "union"):
            return f"({self.pattern(token[0])})"
        if symbol in ("/", "//") and len(token) == 2:
            return f"{self.rooted(token[0])}{symbol}{self.step_path(token[1])}"
        if symbol in ("/", "//") and len(token) == 1:
            return f"{symbol}{self.step_path(token[0])}"
        if symbol == "/" and len(token) == 0:
            raise Untranslatable("the document node as a context")
        if symbol == "[" and token[1].symbol == "@" and len(token[1]) == 1 and token[0].symbol == ":" \
                and token[0][1].symbol == "*" and token[1][0].symbol != "*":
            # tei:*[@x], forty contexts of the TEI's: from the attributes, twice as quick as every element's test
            return f"//@{self.name_test(token[1][0])}/parent::{self.name_test(token[0])}"
        if _one_element_step(token):
            # /descendant::x[p] is //x[p] when p is no position, and walks elements, not every node
            return f"/descendant::{self.step_path(token)}"
        return f"//{self.step_path(token)}"

    def rooted(self, token: Any) -> str:
        """The leftmost step of a pattern, anywhere in the document."""
        if token.symbol == "(" and len(token) == 1 and token[0].symbol in ("|", "union"):
            return f"({self.pattern(token[0])})"
        return self.pattern(token)

    def step_path(self, token: Any) -> str:
        text, kind = self.expression(token)
        if kind not in (NODES, SINGLE) or _selects_text(token):
            raise Untranslatable("a pattern that is not a path of elements and attributes")
        return text

    # -- expressions -------------------------------------------------------------------------
    def expression(self, token: Any) -> tuple[str, str]:
        symbol, label, size = token.symbol, token.label, len(token)
        if symbol == "(string)":
            return _quote(str(token.value)), STRING
        if symbol == "(integer)" and isinstance(token.value, int) and token.value >= 0:
            return str(token.value), NUMBER
        if symbol == "." and size == 0:
            return ".", SINGLE
        if symbol == ".." and size == 0:
            return "..", SINGLE
        if symbol == "(name)" or symbol == ":" or (symbol == "*" and size == 0):
            return self.name_test(token), NODES
        if label == "kind test" and size == 0 and symbol in _KIND_TESTS:
            return f"{symbol}()", NODES
        if symbol == "@" and size == 1:
            name = token[0]
            if name.symbol == "*" and len(name) == 0:
                return "@*", NODES
            return f"@{self.name_test(name)}", SINGLE
        if label == "axis" and symbol in _AXES and size == 1:
            kind = SINGLE if symbol in ("self", "parent") else NODES
            return f"{symbol}::{self.node_test(token[0])}", kind
        if symbol in ("/", "//") and size == 2:
            left, left_kind = self.expression(token[0])
            right, right_kind = self.expression(token[1])
            if left_kind not in (NODES, SINGLE) or right_kind not in (NODES, SINGLE):
                raise Untranslatable("a path over values")
            kind = SINGLE if symbol == "/" and left_kind == SINGLE and right_kind == SINGLE \
                and token[1].symbol == "@" else NODES
            return f"{left}{symbol}{right}", kind
        if symbol in ("/", "//") and size == 1:
            inner, kind = self.expression(token[0])
            if kind not in (NODES, SINGLE):
                raise Untranslatable("a path over values")
            return f"{symbol}{inner}", NODES
        if symbol == "[" and size == 2:
            return self.predicate(token)
        if symbol in ("|", "union") and size == 2:
            left, left_kind = self.expression(token[0])
            right, right_kind = self.expression(token[1])
            if left_kind not in (NODES, SINGLE) or right_kind not in (NODES, SINGLE):
                raise Untranslatable("a union of values")
            return f"{left} | {right}", NODES
        if symbol == "(" and size == 1:
            inner, kind = self.expression(token[0])
            return f"({inner})", kind
        if symbol == "current" and size == 0 and "current" in self.variables:
            return "$current", SINGLE  # the rule's context node, bound as a variable
        if symbol == "$" and size == 1 and token[0].symbol == "(name)" and str(token[0].value) in self.variables:
            name = str(token[0].value)
            return f"${name}", self.variables[name]
        if symbol in ("and", "or") and size == 2:
            return f"({self.boolean(token[0])}) {symbol} ({self.boolean(token[1])})", BOOLEAN
        if label == "operator" and size == 2 and symbol in (*_GENERAL, *_VALUE, *_ORDER):
            return self.comparison(token)
        if label == "function":
            return self.function(token)
        raise Untranslatable(f"{symbol!r} ({label})")

    def boolean(self, token: Any) -> str:
        """An operand of and/or/not: its effective boolean value is the same in both languages
        for nodes, strings and booleans (not for numbers, which are positions in a predicate)."""
        text, kind = self.expression(token)
        if kind == NUMBER:
            raise Untranslatable("a number as a truth value")
        return text

    def predicate(self, token: Any) -> tuple[str, str]:
        base, kind = self.expression(token[0])
        if kind not in (NODES, SINGLE) or _mentions_focus(token[1]):
            raise Untranslatable("a predicate on values, or one using position()/last()")
        condition, condition_kind = self.expression(token[1])
        if condition_kind == NUMBER:
            if token[1].symbol != "(integer)":
                raise Untranslatable("a computed position")
            return f"{base}[{condition}]", NODES
        return f"{base}[{condition}]", kind

    def comparison(self, token: Any) -> tuple[str, str]:
        symbol = token.symbol
        left, left_kind = self.expression(token[0])
        right, right_kind = self.expression(token[1])
        kinds = {left_kind, right_kind}
        if symbol in _ORDER:
            if kinds != {NUMBER}:
                raise Untranslatable("an order comparison of non-numbers")
            return f"{left} {_ORDER[symbol]} {right}", BOOLEAN
        if NUMBER in kinds or BOOLEAN in kinds:
            raise Untranslatable("an equality with numbers or booleans")
        if symbol in _VALUE:
            if not kinds <= {SINGLE, STRING}:
                raise Untranslatable("a value comparison of sequences")
            return f"{left} {_VALUE[symbol]} {right}", BOOLEAN
        return f"{left} {_GENERAL[symbol]} {right}", BOOLEAN

    def function(self, token: Any) -> tuple[str, str]:
        symbol, size = token.symbol, len(token)
        if symbol == "not" and size == 1:
            return f"not({self.boolean(token[0])})", BOOLEAN
        if symbol in ("true", "false") and size == 0:
            return f"{symbol}()", BOOLEAN
        if symbol in ("exists", "empty", "count") and size == 1:
            inner, kind = self.expression(token[0])
            if kind not in (NODES, SINGLE):
                raise Untranslatable(f"{symbol}() of values")
            return {"exists": (f"boolean({inner})", BOOLEAN), "empty": (f"not({inner})", BOOLEAN),
                    "count": (f"count({inner})", NUMBER)}[symbol]
        if symbol in ("string-length", "normalize-space", "string") and size == 1:
            inner = self.single(token[0])
            return f"{symbol}({inner})", NUMBER if symbol == "string-length" else STRING
        if symbol in ("contains", "starts-with") and size == 2:
            return f"{symbol}({self.single(token[0])}, {self.single(token[1])})", BOOLEAN
        if symbol in ("name", "local-name") and size in (0, 1):
            if size == 0:
                return f"{symbol}()", STRING
            inner, kind = self.expression(token[0])
            if kind != SINGLE:
                raise Untranslatable(f"{symbol}() of a sequence")
            return f"{symbol}({inner})", STRING
        raise Untranslatable(f"function {symbol}()")

    def single(self, token: Any) -> str:
        """An argument that both languages read as one string: XPath 2 raises on more."""
        text, kind = self.expression(token)
        if kind not in (SINGLE, STRING):
            raise Untranslatable("a string function of a sequence")
        return text

    def name_test(self, token: Any) -> str:
        if token.symbol == "(name)":
            return str(token.value)
        if token.symbol == "*" and len(token) == 0:
            return "*"
        if token.symbol == ":" and len(token) == 2 and token[0].symbol == "(name)":
            prefix = str(token[0].value)
            if prefix not in self.namespaces or prefix == "xml" and self.namespaces[prefix] != _XML_NS:
                raise Untranslatable(f"prefix {prefix}")
            if token[1].symbol == "(name)":
                return f"{prefix}:{token[1].value}"
            if token[1].symbol == "*" and len(token[1]) == 0:
                return f"{prefix}:*"
        raise Untranslatable("a name test")

    def node_test(self, token: Any) -> str:
        if token.label == "kind test" and len(token) == 0 and token.symbol in _KIND_TESTS:
            return f"{token.symbol}()"
        return self.name_test(token)


_XML_NS = "http://www.w3.org/XML/1998/namespace"


def _one_element_step(token: Any) -> bool:
    """A name test, with predicates that are not positions: ``tei:list[@type = 'gloss']``."""
    while token.symbol == "[":
        if token[1].symbol in ("(integer)", "(decimal)", "(float)") or _mentions_focus(token[1]):
            return False
        token = token[0]
    return token.symbol in ("(name)", ":") or token.symbol == "*" and len(token) == 0


def _selects_text(token: Any) -> bool:
    """Whether a pattern's path (not its predicates) has a kind test: text(), node(), comment()."""
    if token.label == "kind test":
        return True
    if token.symbol == "[":
        return _selects_text(token[0])
    if token.symbol in ("/", "//", "|", "union", "(") or token.label == "axis":
        return any(_selects_text(child) for child in token)
    return False


def _mentions_focus(token: Any) -> bool:
    return token.symbol in ("position", "last") or any(_mentions_focus(child) for child in token)
