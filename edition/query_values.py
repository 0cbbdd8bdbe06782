"""XDM values that are not nodes of a document: their type, string form and JSON form.

Both engines' atomic values become Python values (``int``, ``Decimal``,
``str``, ``bool``) or an :class:`Atomic` (type and canonical string: dates,
doubles, QNames…); maps and arrays become :class:`MapValue` and
:class:`ArrayValue`; a node from outside the document (``parse-xml()``,
an element built inside a map) a :class:`NodeValue`.  :func:`to_json`
maps them by the rules of the XPath 3.1 JSON serialization
(https://www.w3.org/TR/xslt-xquery-serialization-31/#json-output).
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = ["Atomic", "MapValue", "ArrayValue", "NodeValue", "atomic", "double_text", "to_json"]


class _Record:
    """A frozen record, equal, hashable and shown by its fields: what ``@dataclass(frozen=True)``
    gives, without compiling its methods when the module loads (0.8 ms a class, paid at the
    start of every ``edition query``, where the whole run on a memo takes 0.1 s)."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Record) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is frozen")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.__class__, self._values()


_set = object.__setattr__


class Atomic(_Record):
    """An atomic value kept as its XSD type and canonical string (``number`` for doubles)."""

    __slots__ = ("type", "text", "number")
    type: str
    text: str
    number: float | None

    def __init__(self, type: str, text: str, number: float | None = None) -> None:  # noqa: A002 - the XSD type
        _set(self, "type", type)
        _set(self, "text", text)
        _set(self, "number", number)


class NodeValue(_Record):
    """A node that is not in the queried document: its kind, string value and markup."""

    __slots__ = ("kind", "text", "markup")
    kind: str
    text: str
    markup: str

    def __init__(self, kind: str, text: str, markup: str) -> None:
        _set(self, "kind", kind)
        _set(self, "text", text)
        _set(self, "markup", markup)


class MapValue(_Record):
    """An XDM map: (key, value sequence) pairs in the engine's order."""

    __slots__ = ("entries",)
    entries: tuple[tuple[Any, tuple[Any, ...]], ...]

    def __init__(self, entries: tuple[tuple[Any, tuple[Any, ...]], ...]) -> None:
        _set(self, "entries", entries)


class ArrayValue(_Record):
    """An XDM array: one sequence per member."""

    __slots__ = ("members",)
    members: tuple[tuple[Any, ...], ...]

    def __init__(self, members: tuple[tuple[Any, ...], ...]) -> None:
        _set(self, "members", members)


def double_text(value: float) -> str:
    """The XPath 3.1 string form of an xs:double (``3``, ``0.5``, ``1.0E6``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    if 1e-6 <= abs(value) < 1e6:
        return str(int(value)) if value.is_integer() else format(_decimal(repr(value)), "f")
    sign, digits, _ = _decimal(repr(value)).as_tuple()
    adjusted = _decimal(repr(value)).adjusted()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{adjusted}"


def _decimal(text: str) -> Decimal:
    from decimal import Decimal

    return Decimal(text)


def _is_decimal(value: Any) -> bool:
    """Whether the value is a Decimal, without importing decimal (0.002 s of a query's
    start-up): a Decimal exists only where its module was imported."""
    module = sys.modules.get("decimal")
    return module is not None and isinstance(value, module.Decimal)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _adaptive(value: Any) -> str:
    """A member's form inside a map or array's text (the adaptive serialization's)."""
    if isinstance(value, str) or isinstance(value, Atomic) and value.type in ("xs:string", "xs:untypedAtomic",
                                                                              "xs:anyURI"):
        text = value if isinstance(value, str) else value.text
        return '"' + text.replace('"', '""') + '"'
    if isinstance(value, NodeValue):
        return value.markup
    return atomic(value)[1]


def _sequence_text(values: tuple[Any, ...]) -> str:
    if len(values) == 1:
        return _adaptive(values[0])
    return "(" + ",".join(_adaptive(v) for v in values) + ")"


def atomic(value: Any) -> tuple[str, str]:
    """(type, string form) of a value that is not a node of the document."""
    if isinstance(value, bool):
        return "xs:boolean", "true" if value else "false"
    if isinstance(value, int):
        return "xs:integer", str(value)
    if isinstance(value, float):
        return "xs:double", double_text(value)
    if _is_decimal(value):
        return "xs:decimal", _decimal_text(value)
    if isinstance(value, str):
        return "xs:string", str(value)
    if isinstance(value, Atomic):
        return value.type, value.text
    if isinstance(value, NodeValue):
        return value.kind, value.text
    if isinstance(value, MapValue):
        return "map", "map{" + ",".join(f"{_adaptive(k)}:{_sequence_text(v)}" for k, v in value.entries) + "}"
    if isinstance(value, ArrayValue):
        return "array", "[" + ",".join(_sequence_text(m) for m in value.members) + "]"
    return _elementpath_atomic(value)


def _elementpath_atomic(value: Any) -> tuple[str, str]:
    """elementpath's own classes: maps, arrays, functions, dates and other XSD types."""
    name = type(value).__name__
    if name == "XPathMap":
        return atomic(MapValue(tuple((k, _as_tuple(v)) for k, v in value.items())))
    if name == "XPathArray":
        return atomic(ArrayValue(tuple(_as_tuple(m) for m in value.items())))
    if callable(value):
        return "function", str(value)
    xsd = getattr(value, "name", None)
    type_name = f"xs:{xsd}" if isinstance(xsd, str) and xsd else f"xs:{name[0].lower()}{name[1:]}"
    if type_name in ("xs:untypedAtomic", "xs:anyURI"):
        return type_name, str(value)
    return type_name, str(value)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, list):
        return tuple(value)
    if value is None:
        return ()
    return (value,)


def to_json(value: Any, node: Any = None) -> Any:
    """The JSON form of a value by the XPath 3.1 JSON output method: maps → objects,
    arrays → arrays, numbers → numbers, booleans → booleans, other atomic values →
    strings, nodes → their XML serialization (``node`` turns a document node into a
    record instead).  An empty sequence is null; a sequence of several items, which the
    method refuses (SERE0023), becomes an array rather than an error."""
    if isinstance(value, tuple):
        if not value:
            return None
        if len(value) == 1:
            return to_json(value[0], node)
        return [to_json(v, node) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else double_text(value)
    if _is_decimal(value):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Atomic):
        if value.number is not None:
            return value.number if math.isfinite(value.number) else value.text
        return value.text
    if isinstance(value, NodeValue):
        return value.markup
    if isinstance(value, MapValue):
        return {atomic(k)[1]: to_json(v, node) for k, v in value.entries}
    if isinstance(value, ArrayValue):
        return [to_json(m, node) for m in value.members]
    if isinstance(value, str):
        return value
    name = type(value).__name__
    if name == "XPathMap":
        return {atomic(k)[1]: to_json(_as_tuple(v), node) for k, v in value.items()}
    if name == "XPathArray":
        return [to_json(_as_tuple(m), node) for m in value.items()]
    if node is not None:
        record = node(value)
        if record is not None:
            return record
    return atomic(value)[1]
