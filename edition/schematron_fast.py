"""Plain-Python evaluation of the simplest Schematron tests.

Character-level rules test every text node of a volume (``not(matches(., '[“‘] '))``, seven
such tests on 53,000 text nodes in FRUS's ``frus-characters.sch``); through elementpath each
costs some 100 µs of token machinery around one regular expression.  An expression made only
of ``.``, string literals, ``@name``, ``parent::T``, ``|``, ``not``, ``and``, ``or``,
``normalize-space``, ``matches`` and ``replace`` (literal patterns, elementpath's own
translation of XSD regular expressions to Python's) is compiled here to a Python function of
the context node that computes the same value; anything else (or a value this subset cannot
type, such as a multi-node argument) is left to elementpath (:class:`Unfit`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from copy import copy
from types import MethodType
from typing import Any

import elementpath
from elementpath import translate_pattern
from elementpath.datatypes import UntypedAtomic

from .schematron_xpath import _test_key, key_matches

Closure = Callable[[Any], Any]
_SPACE = re.compile(r"[ \t\r\n]+")


class Unfit(Exception):
    """This evaluation needs elementpath (the fast function cannot type it)."""


def ebv(value: Any) -> bool:
    """The effective boolean value of what a fast function returns (nodes, a string, a boolean)."""
    return bool(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if not value:
            return ""
        if len(value) == 1 and isinstance(value[0], elementpath.XPathNode):
            return str(value[0].string_value)
    raise Unfit


def _literal(token: Any) -> str | None:
    return str(token.value) if token.symbol == "(string)" else None


def _flags(text: str) -> int | None:
    flags = 0
    for c in text:
        if c not in "smix":
            return None
        flags |= getattr(re, c.upper())
    return flags


def fast_test(token: Any, namespaces: Mapping[str, str]) -> Closure | None:
    """The token's fast function, compiled once and kept on the token (None: elementpath's)."""
    found: Any = getattr(token, "_edition_fast", False)
    if found is False:
        found = compile_fast(token, namespaces)
        token._edition_fast = found
    return found


def compile_fast(token: Any, namespaces: Mapping[str, str]) -> Closure | None:
    """A Python function of the context node with the expression's value, or None."""
    try:
        return _compile(token, namespaces)
    except (re.error, elementpath.RegexError, ValueError):
        return None


def _compile(token: Any, namespaces: Mapping[str, str]) -> Closure | None:
    symbol, label, size = token.symbol, token.label, len(token)
    if symbol == "(string)":
        value = str(token.value)
        return lambda node: value
    if symbol == "(integer)":
        number = int(token.value)
        return lambda node: number
    if symbol == "." and size == 0:
        return lambda node: [node]
    if symbol == "@" and size == 1 and token[0].symbol in ("(name)", ":"):
        named = token[0]
        if named.symbol == "(name)":
            name = str(named.value)
        elif len(named) == 2 and named[1].symbol == "(name)" and namespaces.get(named[0].value):
            name = f"{{{namespaces[named[0].value]}}}{named[1].value}"
        else:
            return None

        def attribute(node: Any) -> list[Any]:
            if not isinstance(node, elementpath.ElementNode):
                return []
            return [a for a in node.attributes or () if a.name == name]
        return attribute
    if symbol == "parent" and label == "axis" and size == 1:
        key = _test_key(token[0], namespaces)
        if key is None or key[0] != "e":
            return None
        name = key[1]

        def parent(node: Any) -> list[Any]:
            up = node.parent
            if isinstance(up, elementpath.ElementNode) and (name == "*" or up.name == name):
                return [up]
            return []
        return parent
    if symbol == "child" and label == "axis" and size == 1:
        return _compile(token[0], namespaces)
    if label in ("name", "kind test") or symbol in (":", "*"):
        key = _test_key(token, namespaces)
        if key is None or key[0] in ("a", "d"):
            return None
        test = _matches_key(key)
        return lambda node: [child for child in getattr(node, "children", None) or () if test(child)]
    if symbol == "/" and size == 2 and token[0].symbol == "." and len(token[0]) == 0:
        return _compile(token[1], namespaces)
    parts = [_compile(child, namespaces) for child in token]
    if any(part is None for part in parts):
        return None
    if symbol in _COMPARISONS and size == 2:
        return _comparison(symbol, token, parts[0], parts[1])  # type: ignore[arg-type]
    if symbol in ("|", "union") and size == 2:
        left, right = parts[0], parts[1]
        return lambda node: _nodes(left(node)) + _nodes(right(node))  # type: ignore[misc]
    if symbol in ("and", "or") and label == "operator" and size == 2:
        a, b = parts[0], parts[1]
        if symbol == "and":
            return lambda node: ebv(a(node)) and ebv(b(node))  # type: ignore[misc]
        return lambda node: ebv(a(node)) or ebv(b(node))  # type: ignore[misc]
    if label != "function":
        return None
    if symbol in ("count", "exists", "empty") and size == 1 and _kind(token[0]) == "nodes":
        inner = parts[0]
        if symbol == "count":
            return lambda node: len(_nodes(inner(node)))  # type: ignore[misc]
        if symbol == "exists":
            return lambda node: bool(_nodes(inner(node)))  # type: ignore[misc]
        return lambda node: not _nodes(inner(node))  # type: ignore[misc]
    if symbol == "string-length" and size == 1:
        inner = parts[0]
        return lambda node: len(_text(inner(node)))  # type: ignore[misc]
    if symbol in ("contains", "starts-with", "ends-with") and size == 2 and token[1].symbol == "(string)":
        needle = str(token[1].value)
        inner = parts[0]
        method = {"contains": str.__contains__, "starts-with": str.startswith, "ends-with": str.endswith}[symbol]
        return lambda node: method(_text(inner(node)), needle)  # type: ignore[misc]
    if symbol == "not" and size == 1:
        inner = parts[0]
        return lambda node: not ebv(inner(node))  # type: ignore[misc]
    if symbol == "normalize-space" and size == 1:
        inner = parts[0]
        return lambda node: _SPACE.sub(" ", _text(inner(node))).strip(" ")  # type: ignore[misc]
    if symbol == "matches" and size in (2, 3):
        pattern, flags = _literal(token[1]), _flags(_literal(token[2]) or "") if size == 3 else 0
        if pattern is None or flags is None or size == 3 and _literal(token[2]) is None:
            return None
        regex = re.compile(translate_pattern(pattern, flags, token.parser.xsd_version), flags)
        subject = parts[0]
        return lambda node: regex.search(_text(subject(node))) is not None  # type: ignore[misc]
    if symbol == "replace" and size == 3:
        pattern, replacement = _literal(token[1]), _literal(token[2])
        if pattern is None or replacement is None or "$" in replacement or "\\" in replacement:
            return None
        regex = re.compile(translate_pattern(pattern, 0, token.parser.xsd_version))
        if regex.search(""):
            return None  # FORX0003: elementpath reports it
        subject = parts[0]
        return lambda node: regex.sub(lambda _m: replacement, _text(subject(node)))  # type: ignore[misc]
    return None


_COMPARISONS = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
                "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge"}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


def _kind(token: Any) -> str:
    """'number', 'string' or 'nodes' for the operands this subset compares ('' otherwise)."""
    symbol = token.symbol
    if symbol in ("count", "string-length", "(integer)"):
        return "number"
    if symbol in ("(string)", "normalize-space", "replace"):
        return "string"
    if symbol in (".", "@", "/", "|", "union", "(name)", ":", "*") or token.label in ("axis", "kind test"):
        return "nodes"
    return ""


def _comparison(symbol: str, token: Any, left: Closure, right: Closure) -> Closure | None:
    """General (=, <…) and value (eq, lt…) comparisons of numbers with numbers, or of strings
    and nodes (untyped, so compared as strings) with strings; equality only for those."""
    kinds = (_kind(token[0]), _kind(token[1]))
    operator = _OPERATORS[_COMPARISONS[symbol]]
    general = not symbol.isalpha()
    if kinds == ("number", "number"):
        return lambda node: operator(left(node), right(node))
    if "number" in kinds or "" in kinds or _COMPARISONS[symbol] not in ("eq", "ne"):
        return None

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        return [str(item.string_value) for item in _nodes(value)]

    def compare(node: Any) -> Any:
        a, b = strings(left(node)), strings(right(node))
        if general:
            return any(operator(x, y) for x in a for y in b)
        if not a or not b:
            return []
        if len(a) > 1 or len(b) > 1:
            raise Unfit  # a type error, which elementpath reports
        return operator(a[0], b[0])
    return compare


def _matches_key(key: tuple[str, str]) -> Callable[[Any], bool]:
    return lambda node: key_matches(key, node)


def _nodes(value: Any) -> list[Any]:
    if isinstance(value, list) and all(isinstance(item, elementpath.XPathNode) for item in value):
        return value
    raise Unfit


# -- comparisons with a large variable ----------------------------------------------------

#: Below this many items a plain scan is as quick as building a set.
_SET_FROM = 64


def _variable_name(token: Any) -> str | None:
    if token.symbol == "$" and len(token) == 1:
        return str(token[0].value) if token[0].symbol == "(name)" else None
    return None


def _strings(values: list[Any]) -> list[str] | None:
    """The string forms of atomic values that compare as strings, or None."""
    found = []
    for value in values:
        if isinstance(value, elementpath.XPathNode):
            found.append(str(value.string_value))
        elif isinstance(value, str | UntypedAtomic):
            found.append(str(value))
        else:
            return None
    return found


def index_comparisons(token: Any) -> None:
    """``X = $ids`` and ``index-of($ids, X)`` with a long sequence in ``$ids`` (an id list of a
    volume: thousands of values, compared for every pointer) answer from a set or a dict of
    the variable's string values, built once per value; numbers and other types take
    elementpath's way."""
    for child in token:
        index_comparisons(child)
    if token.symbol in ("=", "!=") and token.label == "operator" and len(token) == 2 and token.symbol == "=":
        for side in (0, 1):
            name = _variable_name(token[side])
            if name is not None:
                _set_comparison(token, side, name)
                return
    elif token.symbol == "index-of" and len(token) == 2:
        name = _variable_name(token[0])
        if name is not None:
            _dict_index_of(token, name)


def _lookup(cache: dict[int, Any], value: Any, build: Callable[[list[str]], Any]) -> Any:
    entry = cache.get(id(value))
    if entry is None or entry[0] is not value:
        items = value if isinstance(value, list) else [value]
        strings = _strings(items) if len(items) >= _SET_FROM else None
        entry = (value, None if strings is None else build(strings))
        cache.clear()  # one value at a time: a run's let, kept while it lives
        cache[id(value)] = entry
    return entry[1]


def _set_comparison(token: Any, side: int, name: str) -> None:
    original = token.evaluate
    cache: dict[int, Any] = {}

    def evaluate(self: Any, context: Any = None) -> Any:
        variables = getattr(context, "variables", None) or {}
        if name not in variables:
            return original(context)
        known = _lookup(cache, variables[name], set)
        if known is None:
            return original(context)
        other = _strings(list(self[1 - side].atomization(copy(context))))
        if other is None:
            return original(context)
        return any(value in known for value in other)

    _install(token, evaluate)


def _dict_index_of(token: Any, name: str) -> None:
    original = token.evaluate
    cache: dict[int, Any] = {}

    def build(strings: list[str]) -> dict[str, list[int]]:
        positions: dict[str, list[int]] = {}
        for position, value in enumerate(strings, start=1):
            positions.setdefault(value, []).append(position)
        return positions

    def evaluate(self: Any, context: Any = None) -> Any:
        variables = getattr(context, "variables", None) or {}
        if name not in variables:
            return original(context)
        positions = _lookup(cache, variables[name], build)
        if positions is None:
            return original(context)
        search = _strings(list(self[1].atomization(copy(context))))
        if search is None or len(search) != 1:
            return original(context)
        return list(positions.get(search[0], []))

    _install(token, evaluate)


def _install(token: Any, evaluate: Callable[..., Any]) -> None:
    """Replace both ways elementpath asks a token for its value (functions are selected, too)."""

    def select(self: Any, context: Any = None) -> Any:
        value = self.evaluate(context)
        if isinstance(value, list):
            yield from value
        elif value is not None:
            yield value

    token.evaluate = MethodType(evaluate, token)
    token.select = MethodType(select, token)
