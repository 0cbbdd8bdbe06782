"""ISO Schematron: compile a schema once, run it on many documents.

    schema = Schematron.load("frus.sch")            # includes, extends, abstract rules and patterns
    for diagnostic in schema(document, phase=None):  # one Diagnostic per failed assert / report
        print(diagnostic)

Query bindings ``xslt``, ``xslt2``, ``xslt3``, ``xpath``, ``xpath2``, ``xpath3`` and ``xpath31``
all run on elementpath's XPath 3.1 (1.0 bindings in its compatibility mode).  Supported:
patterns, rules (the first matching rule of a pattern fires), asserts and reports, ``let`` at
schema, phase, pattern and rule level, abstract rules (``extends rule``) and abstract patterns
(``is-a`` with ``param``), ``include`` and ``extends href``, phases, ``value-of`` and ``name``
in messages, ``diagnostics`` and ``properties``, ``@role``/``@flag`` as severities, and the
XSLT functions a schema declares (:mod:`edition.schematron_xslt`).  What cannot be honoured is
refused with :class:`SchematronError` (E0705) naming the construct and its place: never
silently skipped.  The records are in :mod:`edition.schematron_model`, evaluation in
:mod:`edition.schematron_run`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import elementpath
from lxml import etree

from .diagnostics import Diagnostic
from .schematron_documents import file_uri
from .schematron_model import (
    Check,
    Message,
    Pattern,
    Phase,
    Rule,
    SchematronError,
    SchematronModel,
    _refuse,
)
from .schematron_xpath import new_parser
from .schematron_xslt import TEMPLATE_NS, TEMPLATE_PREFIX, UnsupportedXslt, collect

if TYPE_CHECKING:
    from .document import Document

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SCHEMATRON_TYPENS = SCH
XPATH1_BINDINGS = frozenset({"xslt", "xpath", "exslt"})
BINDINGS = XPATH1_BINDINGS | {"xslt2", "xslt3", "xpath2", "xpath3", "xpath31"}
MAX_INCLUDE_DEPTH = 16
#: Prefixes every schema may use without declaring them (as XSLT-based engines do).
BUILTIN_NAMESPACES = {"xs": "http://www.w3.org/2001/XMLSchema", "xsl": XSL,
                      "fn": "http://www.w3.org/2005/xpath-functions",
                      "math": "http://www.w3.org/2005/xpath-functions/math",
                      "map": "http://www.w3.org/2005/xpath-functions/map",
                      "array": "http://www.w3.org/2005/xpath-functions/array",
                      "xml": "http://www.w3.org/XML/1998/namespace"}
class Schematron(SchematronModel):
    """A compiled Schematron; call it on a :class:`~edition.document.Document`."""

    @classmethod
    def load(cls, path: str | Path) -> Schematron:
        """Compile a ``.sch`` file (its includes and extended schemas with it)."""
        file = Path(path)
        root = _read(file, str(path), None)
        return _Compiler(str(path), file).compile(root)

    @classmethod
    def from_element(cls, root: etree._Element, path: str, base: Path) -> Schematron:
        """Compile a schema built in memory (the TEI's constraints), shown as ``path``."""
        return _Compiler(path, base).compile(root)

    def __call__(self, document: Document, phase: str | None = None,
                 seconds: float | None = None) -> Iterator[Diagnostic]:
        from .schematron_run import run

        for finding in run(self, document, phase, seconds):
            yield finding.diagnostic


def _sch(local: str) -> str:
    return f"{{{SCH}}}{local}"


def _read(file: Path, shown: str, element: etree._Element | None) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, remove_comments=True)
    try:
        tree = etree.parse(str(file), parser)
    except OSError:
        raise _refuse(f"Schematron {file} cannot be read", shown, element) from None
    except etree.XMLSyntaxError as error:
        raise SchematronError(Diagnostic.make("E0705", f"Schematron is not well-formed XML: {error.msg}",
                                              path=str(file), line=error.lineno or 0,
                                              column=error.offset or 0)) from None
    return tree.getroot()


class _Compiler:
    """One compilation: files, includes, extends, abstract rules and patterns, tokens."""

    def __init__(self, path: str, base: Path) -> None:
        self.path = path
        self.base = base
        self.files: dict[int, str] = {}  # id(element) -> file it came from (kept alive in self.keep)
        self.keep: list[etree._Element] = []
        self.folders: list[Path] = []
        self.let_files: dict[str, str] = {}

    def file_of(self, element: etree._Element) -> str:
        while element is not None:
            found = self.files.get(id(element))
            if found is not None:
                return found
            element = element.getparent()
        return self.path

    def _mark(self, element: etree._Element, file: str) -> None:
        self.files[id(element)] = file
        self.keep.append(element)

    # -- includes and extends ----------------------------------------------------
    def _expand(self, root: etree._Element, file: Path, shown: str, depth: int) -> etree._Element:
        """Resolve ``include`` (replaced by what it names) and ``extends href`` (merged) under root."""
        self._mark(root, shown)
        folder = file.parent.resolve() if file.suffix else file.resolve()
        if folder not in self.folders:
            self.folders.append(folder)
        if depth > MAX_INCLUDE_DEPTH:
            raise _refuse(f"includes nested deeper than {MAX_INCLUDE_DEPTH} (a loop?)", shown, root)
        for element in list(root.iter(_sch("include"), _sch("extends"))):
            href = element.get("href")
            if href is None:
                continue  # extends rule="…": an abstract rule, resolved later
            target, fragment = self._target(href, folder, shown, element)
            loaded = self._expand(_read(target, shown, element), target, str(target), depth + 1)
            if fragment:
                found = loaded.xpath("//*[@id = $id or @xml:id = $id]", id=fragment)
                if not found:
                    raise _refuse(f"{href}: no element with id {fragment!r}", shown, element)
                loaded = found[0]
            parent = element.getparent()
            if etree.QName(element).localname == "include":
                parent.replace(element, loaded)
            else:
                index = parent.index(element)
                parent.remove(element)
                kept = [(child, self.file_of(child)) for child in loaded if isinstance(child.tag, str)
                        and etree.QName(child).localname not in ("title", "p")]
                for offset, (child, origin) in enumerate(kept):
                    parent.insert(index + offset, child)
                    self._mark(child, origin)
        return root

    @staticmethod
    def _target(href: str, folder: Path, shown: str, element: etree._Element) -> tuple[Path, str]:
        location, _, fragment = href.partition("#")
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", location) and not location.startswith("file:"):
            raise _refuse(f"{href} is not a local file; Schematron includes are never fetched", shown, element)
        location = location.removeprefix("file://")
        target = Path(location) if Path(location).is_absolute() else folder / location
        if not target.is_file():
            raise _refuse(f"{href} names no file ({target})", shown, element)
        return target, fragment

    # -- the whole schema --------------------------------------------------------
    def compile(self, root: etree._Element) -> Schematron:
        if root.tag != _sch("schema"):
            raise _refuse(f"<{root.tag}> is not an ISO Schematron schema (expected sch:schema in {SCH})",
                          self.path, root)
        root = self._expand(root, self.base, self.path, 0)
        binding = (root.get("queryBinding") or "xslt").lower()
        if binding not in BINDINGS:
            raise _refuse(f"queryBinding {binding!r} is not supported ({', '.join(sorted(BINDINGS))})",
                          self.path, root)
        namespaces = dict(BUILTIN_NAMESPACES)
        for ns in root.iter(_sch("ns")):
            namespaces[ns.get("prefix", "")] = ns.get("uri", "")
        namespaces[TEMPLATE_PREFIX] = TEMPLATE_NS
        xslt = [child for child in root if isinstance(child.tag, str) and etree.QName(child).namespace == XSL]
        try:
            functions, variables = collect(xslt, namespaces)
        except UnsupportedXslt as error:
            raise _refuse(f"{error} (in {self._owner(error.element)})", self.file_of(error.element),
                          error.element) from None
        for function in functions:
            for prefix, uri in (function.element.nsmap or {}).items():
                if prefix and uri == function.namespace and prefix not in namespaces:
                    namespaces[prefix] = uri
        base_uri = file_uri(self.base) if self.base.is_file() else None
        self.parser = new_parser(namespaces, base_uri, binding in XPATH1_BINDINGS)
        self.namespaces = namespaces
        from .schematron_run import register_functions
        register_functions(self.parser, functions, self._compile_expression)
        lets = [(name, self._expression(value, element)) for name, value, element in variables]
        lets += self._lets(root)
        abstract_rules = {rule.get("id"): rule for rule in root.iter(_sch("rule"))
                          if rule.get("abstract") == "true" and rule.get("id")}
        abstract_patterns = {pattern.get("id"): pattern for pattern in root.iter(_sch("pattern"))
                             if pattern.get("abstract") == "true"}
        patterns: list[Pattern] = []
        for number, element in enumerate(root.iter(_sch("pattern"))):
            if element.get("abstract") == "true":
                continue
            if element.get("is-a"):
                element = self._instantiate(element, abstract_patterns)
            patterns.append(self._pattern(element, abstract_rules, number))
        phases = {}
        for element in root.iter(_sch("phase")):
            phases[element.get("id", "")] = Phase(element.get("id", ""),
                                                  [a.get("pattern", "") for a in element.iter(_sch("active"))],
                                                  self._lets(element))
        return Schematron(
            path=self.path, title=" ".join((root.findtext(_sch("title")) or "").split()), binding=binding,
            namespaces=namespaces, lets=lets, patterns=patterns, phases=phases,
            default_phase=root.get("defaultPhase", ""),
            diagnostics={d.get("id", ""): self._message(d) for d in root.iter(_sch("diagnostic"))},
            properties={p.get("id", ""): self._message(p) for p in root.iter(_sch("property"))},
            functions=functions, parser=self.parser, source=root.getroottree(), folders=self.folders,
            let_files=self.let_files)

    def _owner(self, element: etree._Element) -> str:
        while element is not None and etree.QName(element).localname not in ("function", "template", "variable"):
            element = element.getparent()
        if element is None:
            return "the schema"
        return f"xsl:{etree.QName(element).localname} {element.get('name')}"

    def _compile_expression(self, text: str, where: str) -> Any:
        try:
            return self.parser.parse(text)
        except elementpath.ElementPathError as error:
            raise _refuse(f"{where}: {error}", self.path) from None

    def _expression(self, text: str | None, element: etree._Element, what: str = "") -> Any:
        if text is None:
            raise _refuse(f"<{etree.QName(element).localname}> needs @{what or 'value'}",
                          self.file_of(element), element)
        try:
            return self.parser.parse(text)
        except elementpath.ElementPathError as error:
            raise _refuse(f"XPath in <{etree.QName(element).localname}>"
                          f"{' @' + what if what else ''} cannot be compiled: {error}: {' '.join(text.split())}",
                          self.file_of(element), element) from None

    def _lets(self, element: etree._Element) -> list[tuple[str, Any]]:
        lets = []
        for let in element.findall(_sch("let")):
            if let.get("value") is None:
                raise _refuse(f"let {let.get('name')} has content instead of @value; only @value is supported",
                              self.file_of(let), let)
            lets.append((let.get("name", ""), self._expression(let.get("value"), let)))
            self.let_files.setdefault(let.get("name", ""), self.file_of(let))
        return lets

    def _instantiate(self, element: etree._Element, abstract: dict[str | None, etree._Element]) -> etree._Element:
        base = abstract.get(element.get("is-a"))
        if base is None:
            raise _refuse(f"pattern is-a={element.get('is-a')!r}: no abstract pattern has that id",
                          self.file_of(element), element)
        params = {p.get("name", ""): p.get("value", "") for p in element.findall(_sch("param"))}
        names = sorted(params, key=len, reverse=True)
        instance = copy.deepcopy(base)
        self._mark(instance, self.file_of(base))
        instance.set("id", element.get("id", base.get("id", "")))
        instance.attrib.pop("abstract", None)
        for node in instance.iter():
            for attribute in ("context", "test", "select", "value", "path", "subject"):
                value = node.get(attribute)
                if value is None:
                    continue
                for name in names:
                    value = re.sub(r"\$" + re.escape(name) + r"(?![\w.-])", params[name].replace("\\", "\\\\"),
                                   value)
                node.set(attribute, value)
        return instance

    def _pattern(self, element: etree._Element, abstract_rules: dict[str | None, etree._Element],
                 number: int) -> Pattern:
        rules = []
        for rule in element.findall(_sch("rule")):
            if rule.get("abstract") == "true":
                continue
            rules.append(self._rule(rule, abstract_rules))
        return Pattern(element.get("id") or f"#{number + 1}", rules, self._lets(element),
                       self.file_of(element), element.sourceline or 0)

    def _rule(self, element: etree._Element, abstract_rules: dict[str | None, etree._Element]) -> Rule:
        lets = self._lets(element)
        checks: list[Check] = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if child.tag == _sch("extends"):
                base = abstract_rules.get(child.get("rule"))
                if base is None:
                    raise _refuse(f"extends rule={child.get('rule')!r}: no abstract rule has that id",
                                  self.file_of(child), child)
                lets += self._lets(base)
                checks += [self._check(c) for c in base if c.tag in (_sch("assert"), _sch("report"))]
            elif local in ("assert", "report") and etree.QName(child).namespace == SCH:
                checks.append(self._check(child))
        context = element.get("context")
        return Rule(context or "", self._expression(context, element, "context"), lets, checks,
                    element.get("id", ""), element.get("role", ""), element.get("flag", ""),
                    self.file_of(element), element.sourceline or 0)

    def _check(self, element: etree._Element) -> Check:
        rule = element.getparent()
        return Check(
            kind=etree.QName(element).localname, test=element.get("test", ""),
            token=self._expression(element.get("test"), element, "test"), message=self._message(element),
            id=element.get("id", ""), role=element.get("role") or (rule.get("role", "") if rule is not None else ""),
            flag=element.get("flag", ""), diagnostics=(element.get("diagnostics") or "").split(),
            properties=(element.get("properties") or "").split(), file=self.file_of(element),
            line=element.sourceline or 0)

    def _message(self, element: etree._Element) -> Message:
        message = Message()

        def walk(node: etree._Element) -> None:
            if node.text:
                message.parts.append(node.text)
            for child in node:
                if not isinstance(child.tag, str):
                    pass
                elif child.tag == _sch("value-of"):
                    message.parts.append(("value-of", self._expression(child.get("select"), child, "select")))
                elif child.tag == _sch("name"):
                    path = child.get("path")
                    message.parts.append(("name", self._expression(path, child, "path") if path else None))
                elif etree.QName(child).namespace == SCH or etree.QName(child).namespace is None:
                    walk(child)  # emph, dir, span, foreign-free markup: their text
                if child.tail:
                    message.parts.append(child.tail)

        walk(element)
        return message
