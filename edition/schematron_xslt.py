"""The XSLT a Schematron may carry (``xsl:function``, named templates, global variables),
translated to XPath 3.1.

A function body made of ``xsl:param``, ``xsl:variable``, ``xsl:sequence``, ``xsl:value-of``,
``xsl:choose``/``xsl:when``/``xsl:otherwise``, ``xsl:if``, ``xsl:text``, literal text and
``xsl:call-template`` (of a named template made of the same) is an XPath expression in
disguise: ``xsl:variable`` is ``let … return``, ``xsl:choose`` is ``if … then … else``, a
sequence constructor is a comma-separated sequence, and text (``xsl:value-of``, literal text,
a variable with content) is its string value as ``xs:untypedAtomic`` (as a text node
atomises).  Named templates become functions of their parameters (in declaration order, an
absent ``xsl:with-param`` taking the parameter's default) and run without a context item.
Anything else (``xsl:for-each``, ``xsl:apply-templates``, literal result elements…) is
refused by :class:`UnsupportedXslt`, naming the construct and where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

XSL = "http://www.w3.org/1999/XSL/Transform"
#: Where named templates live as functions (a namespace of our own, never in a schema).
TEMPLATE_NS = "urn:x-tei-edition:xsl-template"
TEMPLATE_PREFIX = "xsl-template"

SUPPORTED = ("xsl:param", "xsl:variable", "xsl:sequence", "xsl:value-of", "xsl:choose", "xsl:when",
             "xsl:otherwise", "xsl:if", "xsl:text", "xsl:call-template", "xsl:with-param")


class UnsupportedXslt(ValueError):
    """An XSLT construct that cannot be read as XPath; ``element`` is where it is."""

    def __init__(self, message: str, element: etree._Element) -> None:
        super().__init__(message)
        self.element = element


@dataclass
class XslFunction:
    """A function (or a named template) as XPath: ``body`` over the variables ``params``."""

    namespace: str
    local: str
    params: list[str]
    body: str
    element: etree._Element
    defaults: list[str | None] = field(default_factory=list)
    template: bool = False

    @property
    def display(self) -> str:
        return f"{'template' if self.template else 'function'} {self.local}#{len(self.params)}"


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname if etree.QName(element).namespace == XSL else ""


#: The schema's own ``ns`` declarations: a function moved in by ``extends`` may have lost the
#: xmlns its name used.
_DECLARED: dict[str, str] = {}


def _qname(element: etree._Element, value: str) -> tuple[str, str]:
    prefix, _, local = value.rpartition(":")
    if not prefix:
        return "", local
    uri = element.nsmap.get(prefix) or _DECLARED.get(prefix)
    if uri is None:
        raise UnsupportedXslt(f"prefix {prefix!r} of {value!r} is not declared", element)
    return uri, local


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_LOOPS = iter(range(1 << 62))


def _text_of(expression: str, separator: str = " ") -> str:
    # a variable of its own each time: nested loops may not reuse a name in their range
    name = f"edition-text-{next(_LOOPS)}"
    return (f"xs:untypedAtomic(string-join(for ${name} in ({expression}) return string(${name}), "
            f"{_string(separator)}))")


def _variable(name: str) -> str:
    return "$" + name


class Translator:
    """Translate the sequence constructors of one schema's XSLT."""

    def __init__(self, templates: dict[str, XslFunction]) -> None:
        self.templates = templates

    def sequence(self, element: etree._Element, start: int = 0) -> str:
        """The children of ``element`` from ``start`` as one XPath expression."""
        items: list[str] = []
        children = list(element)
        if start == 0 and element.text and element.text.strip():
            items.append(f"xs:untypedAtomic({_string(element.text)})")
        for position in range(start, len(children)):
            child = children[position]
            if not isinstance(child.tag, str):
                if child.tail and child.tail.strip():
                    items.append(f"xs:untypedAtomic({_string(child.tail)})")
                continue
            local = _name(child)
            if local == "param":
                continue
            if local == "variable":
                value = self._value(child)
                rest = self.sequence_after(element, position + 1)
                items.append(f"let ${child.get('name')} := ({value}) return ({rest})")
                return self._join(items)
            items.append(self.instruction(child))
            if child.tail and child.tail.strip():
                items.append(f"xs:untypedAtomic({_string(child.tail)})")
        return self._join(items)

    def sequence_after(self, element: etree._Element, start: int) -> str:
        return self.sequence(element, start) if start < len(element) else "()"

    @staticmethod
    def _join(items: list[str]) -> str:
        if not items:
            return "()"
        return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"

    def _value(self, element: etree._Element) -> str:
        """The value of an xsl:variable, xsl:param or xsl:with-param."""
        select = element.get("select")
        if select is not None:
            return select
        if len(element) == 0 and not (element.text or "").strip():
            return "''"
        return _text_of(self.sequence(element), "")

    def instruction(self, element: etree._Element) -> str:
        local = _name(element)
        if local == "sequence":
            return f"({element.get('select', '()')})"
        if local == "value-of":
            if element.get("select") is not None:
                return _text_of(element.get("select", ""), element.get("separator", " "))
            return _text_of(self.sequence(element), element.get("separator", ""))
        if local == "text":
            return f"xs:untypedAtomic({_string(element.text or '')})"
        if local == "if":
            return f"(if ({element.get('test')}) then {self.sequence(element)} else ())"
        if local == "choose":
            return self._choose(element)
        if local == "call-template":
            return self._call(element)
        shown = f"xsl:{local}" if local else f"<{etree.QName(element).localname}>"
        raise UnsupportedXslt(f"{shown} cannot be evaluated as XPath (supported: {', '.join(SUPPORTED)})",
                              element)

    def _choose(self, element: etree._Element) -> str:
        branches = [child for child in element if isinstance(child.tag, str)]
        result = "()"
        for branch in reversed(branches):
            local = _name(branch)
            if local == "otherwise":
                result = self.sequence(branch)
            elif local == "when":
                result = f"(if ({branch.get('test')}) then {self.sequence(branch)} else {result})"
            else:
                self.instruction(branch)  # raises, naming it
        return result

    def _call(self, element: etree._Element) -> str:
        uri, local = _qname(element, element.get("name", ""))
        template = self.templates.get(f"{{{uri}}}{local}")
        if template is None:
            raise UnsupportedXslt(f"xsl:call-template names {element.get('name')!r}, which is not a named "
                                  "template of this schema", element)
        given = {child.get("name"): self._value(child) for child in element if _name(child) == "with-param"}
        arguments = []
        for name, default in zip(template.params, template.defaults, strict=True):
            arguments.append(given.get(name) or default or "()")
        return f"{TEMPLATE_PREFIX}:{template.local}({', '.join(arguments)})"


def _params(element: etree._Element) -> tuple[list[str], list[str | None]]:
    names: list[str] = []
    defaults: list[str | None] = []
    for child in element:
        if _name(child) == "param":
            names.append(child.get("name", ""))
            defaults.append(child.get("select"))
    return names, defaults


def collect(elements: list[etree._Element], declared: dict[str, str] | None = None
            ) -> tuple[list[XslFunction], list[tuple[str, str, etree._Element]]]:
    """Functions, named templates and global variables of the top-level XSLT ``elements``.

    Returns the functions (templates among them) and the variables as (name, XPath, element).
    ``declared``: the schema's ``ns`` prefixes, for names whose xmlns was left behind.
    Raises :class:`UnsupportedXslt` for what cannot be evaluated.
    """
    _DECLARED.clear()
    _DECLARED.update(declared or {})
    templates: dict[str, XslFunction] = {}
    functions: list[XslFunction] = []
    variables: list[tuple[str, str, etree._Element]] = []
    for element in elements:
        local = _name(element)
        if local == "template":
            if element.get("match") is not None or element.get("name") is None:
                raise UnsupportedXslt("xsl:template with @match cannot be used in Schematron here "
                                      "(only named templates called from a function are)", element)
            uri, name = _qname(element, element.get("name", ""))
            params, defaults = _params(element)
            templates[f"{{{uri}}}{name}"] = XslFunction(uri, name, params, "", element, defaults, True)
        elif local not in ("function", "variable", "param"):
            raise UnsupportedXslt(f"top-level xsl:{local} is not supported in Schematron here "
                                  "(xsl:function, xsl:variable and named xsl:template are)", element)
    translator = Translator(templates)
    for template in templates.values():
        template.body = translator.sequence(template.element)
        template.namespace = TEMPLATE_NS
    for element in elements:
        local = _name(element)
        if local == "function":
            uri, name = _qname(element, element.get("name", ""))
            if not uri:
                raise UnsupportedXslt(f"xsl:function {element.get('name')!r} needs a namespace prefix", element)
            params, defaults = _params(element)
            functions.append(XslFunction(uri, name, params, translator.sequence(element), element, defaults))
        elif local in ("variable", "param"):
            variables.append((element.get("name", ""), translator._value(element), element))
    return functions + list(templates.values()), variables
