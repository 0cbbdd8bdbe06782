"""Running a compiled :class:`~edition.schematron.Schematron` on a document.

Per document: one elementpath node tree and one :class:`~edition.schematron_xpath.NodeIndex`.
Per pattern: each rule's context is matched from the index (a context such as
``tei:div[@type = 'document']`` is a name test and a predicate, checked on the divisions
only; one made of steps, ``a//b``, ``/a``, ``@x``, ``text()``, unions, is matched the same
way, node by node up its ancestors), or, for any other pattern, selected once as
``//(context)``; the nodes are then visited once in document order and each fires the first
rule of its pattern that matches it.  Lets are evaluated once (schema and pattern level) or
per fired node (rule level).  A test that raises is reported once per test with the number
of nodes it failed on (E0706); the budget stops a run that takes too long (E0707).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import elementpath
from lxml import etree

from .diagnostics import Diagnostic
from .schematron_documents import SafeDocuments, file_uri
from .schematron_fast import Unfit, ebv, fast_test, index_comparisons
from .schematron_findings import SchematronDiagnostic
from .schematron_xpath import (
    DEFAULT_SECONDS,
    Budget,
    NodeIndex,
    SchematronLimit,
    _numeric,
    _test_key,
    key_matches,
    new_context,
    optimise,
    plain_collation,
)

if TYPE_CHECKING:
    from .document import Document
    from .schematron_model import Check, Message, Pattern, Rule
    from .schematron_model import SchematronModel as Schematron
    from .schematron_xslt import XslFunction

_RUN: ContextVar[_Run | None] = ContextVar("schematron_run", default=None)


def _current_index() -> NodeIndex | None:
    run = _RUN.get()
    return run.index if run is not None else None


def _prepare(token: Any, namespaces: dict[str, str]) -> None:
    """The evaluation shortcuts of a compiled expression (each meaning what elementpath means)."""
    optimise(token, _current_index, namespaces)
    index_comparisons(token)


# -- functions ------------------------------------------------------------------------

def register_functions(parser: Any, functions: list[XslFunction],
                       compile_expression: Callable[[str, str], Any]) -> None:
    """Declare the schema's XSLT functions (and ``document()``, ``current()``) to its parser."""
    bodies: list[tuple[XslFunction, list[Any]]] = []
    for function in functions:
        prefix = next((p for p, uri in parser.namespaces.items() if uri == function.namespace and p), None)
        holder: list[Any] = []
        bodies.append((function, holder))
        parser.external_function(_callback(function, holder), name=function.local, prefix=prefix,
                                 sequence_types=("item()*",) * (len(function.params) + 1))
    parser.external_function(_document_function, name="document", sequence_types=("item()*", "item()*"))
    parser.external_function(_current_function, name="current", sequence_types=("item()?",))
    for function, holder in bodies:
        token = compile_expression(function.body, f"xsl:{'template' if function.template else 'function'} "
                                                  f"{function.local}")
        _prepare(token, parser.namespaces)
        holder.append(token)


def _callback(function: XslFunction, holder: list[Any]) -> Callable[..., Any]:
    def call(*arguments: Any) -> Any:
        run = _RUN.get()
        if run is None:
            raise elementpath.MissingContextError(f"{function.display} called outside a run")
        budget = run.budget
        budget.tick()
        if budget.depth >= budget.max_depth:
            raise SchematronLimit(f"{function.display} recursed deeper than {budget.max_depth} calls")
        variables = dict(run.globals)
        variables.update(zip(function.params, arguments, strict=True))
        context = new_context(budget, run.root, None, variables, run.documents)
        context.item = None  # type: ignore[assignment]  # a function has no context item
        budget.depth += 1
        try:
            return holder[0].evaluate(context)
        except RecursionError:
            raise SchematronLimit(f"{function.display} recursed deeper than Python allows") from None
        finally:
            budget.depth -= 1

    parameters = [inspect.Parameter(f"a{n}", inspect.Parameter.POSITIONAL_OR_KEYWORD)
                  for n in range(len(function.params))]
    call.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return call


def _document_function(uris: Any) -> Any:
    """XSLT's document(): '' is the schema itself; others go through the safe documents."""
    run = _RUN.get()
    if run is None:  # pragma: no cover
        return []
    found = []
    for uri in uris if isinstance(uris, list) else [uris]:
        text = uri.string_value if isinstance(uri, elementpath.XPathNode) else str(uri)
        if text == "":
            found.append(run.schema_tree())
            continue
        base = Path(run.schema.path).parent
        target = file_uri(base / text) if "://" not in text else text
        try:
            found.append(run.documents[target])
        except KeyError:
            reason = run.documents.refusals[-1] if run.documents.refusals else target
            raise elementpath.ElementPathError(f"document({text!r}) refused: {reason}") from None
    return found


def _current_function() -> Any:
    run = _RUN.get()
    return run.current if run is not None else None


# -- matching rule contexts ---------------------------------------------------------------

class _NeedsSelection(Exception):
    """A context predicate turned out positional: select this rule's context whole instead."""


Match = Callable[[Any, "_Run"], bool]


def _kind_matches(key: tuple[str, str]) -> Callable[[Any], bool]:
    return lambda node: key_matches(key, node)


def compile_match(token: Any, namespaces: dict[str, str]) -> tuple[set[tuple[str, str]], Match] | None:
    """Keys of the candidate nodes and a test, for an XSLT pattern made of steps; None otherwise."""
    symbol, size = token.symbol, len(token)
    if symbol in ("|", "union") and size == 2:
        left, right = compile_match(token[0], namespaces), compile_match(token[1], namespaces)
        if left is None or right is None:
            return None
        return left[0] | right[0], lambda n, r, a=left[1], b=right[1]: a(n, r) or b(n, r)
    if symbol == "(" and size == 1:
        return compile_match(token[0], namespaces)
    if symbol == "[":
        inner = compile_match(token[0], namespaces)
        predicate = token[1]
        if inner is None or _mentions_position(predicate) or predicate.symbol in ("(integer)", "(decimal)",
                                                                                     "(float)", "$"):
            return None
        keys = inner[0]
        if predicate.symbol == "@" and all(key[0] in ("e", "ens") for key in keys):
            name = _attribute_name(predicate[0], namespaces)
            if name is not None and name != "*":
                keys = {("ea", name)}  # only the elements that have the attribute are candidates
        return keys, lambda n, r, m=inner[1]: m(n, r) and r.predicate(predicate, n)
    if symbol in ("@", "attribute") and size == 1 and (symbol == "@" or token.label == "axis"):
        name = _attribute_name(token[0], namespaces)
        if name is None:
            return None
        test = _kind_matches(("a", name))
        return {("a", name)}, lambda n, r: test(n)
    if symbol == "child" and token.label == "axis" and size == 1:
        return compile_match(token[0], namespaces)
    if symbol == "/" and size == 0:
        return {("d", "")}, lambda n, r: isinstance(n, elementpath.DocumentNode)
    if symbol in ("/", "//") and size == 1:
        inner = compile_match(token[0], namespaces)
        if inner is None:
            return None
        if symbol == "//":
            return inner
        return inner[0], lambda n, r, m=inner[1]: isinstance(n.parent, elementpath.DocumentNode) and m(n, r)
    if symbol in ("/", "//") and size == 2:
        left, right = compile_match(token[0], namespaces), compile_match(token[1], namespaces)
        if left is None or right is None:
            return None
        if symbol == "/":
            return right[0], lambda n, r, a=left[1], b=right[1]: b(n, r) and n.parent is not None and a(n.parent, r)

        def below(n: Any, r: _Run, a: Match = left[1], b: Match = right[1]) -> bool:
            if not b(n, r):
                return False
            parent = n.parent
            while parent is not None:
                if a(parent, r):
                    return True
                parent = parent.parent
            return False
        return right[0], below
    key = _test_key(token, namespaces)
    if key is None:
        return None
    test = _kind_matches(key)
    return {key}, lambda n, r: test(n)


def _attribute_name(token: Any, namespaces: dict[str, str]) -> str | None:
    if token.symbol == "(name)":
        return str(token.value)
    if token.symbol == "*" and len(token) == 0:
        return "*"
    if token.symbol == ":" and len(token) == 2 and token[0].symbol == "(name)" and token[1].symbol == "(name)":
        uri = namespaces.get(token[0].value)
        return f"{{{uri}}}{token[1].value}" if uri else None
    return None


def _mentions_position(token: Any) -> bool:
    return token.symbol in ("position", "last") or any(_mentions_position(child) for child in token)


# -- one run ---------------------------------------------------------------------------

@dataclass
class Finding:
    diagnostic: SchematronDiagnostic
    pattern: Pattern
    rule: Rule
    check: Check


class _Run:
    def __init__(self, schema: Schematron, document: Document, seconds: float) -> None:
        self.schema = schema
        self.document = document
        cache = document.cache
        if "schematron.tree" not in cache:
            uri = file_uri(Path(document.path)) if not document.path.startswith("<") else None
            cache["schematron.tree"] = elementpath.get_node_tree(document.tree, uri=uri)
            cache["schematron.index"] = NodeIndex(cache["schematron.tree"])
        self.root = cache["schematron.tree"]
        self.index: NodeIndex = cache["schematron.index"]
        self.budget = Budget(seconds)
        folders = list(schema.folders)
        if not document.path.startswith("<"):
            folders.append(Path(document.path).resolve().parent)
        self.documents = SafeDocuments(folders)
        self.globals: dict[str, Any] = {}
        self.variables: dict[str, Any] = self.globals  # the current pattern's (its lets on the globals)
        self.matched: dict[str, dict[int, Any]] = {}  # rule context → the nodes it matches
        self.failed: dict[str, str] = {}
        self.current: Any = None
        self.errors: dict[int, list[Any]] = {}  # id(check or rule) -> [what, node, count, message]
        self._schema_tree: Any = None

    def schema_tree(self) -> Any:
        if self._schema_tree is None:
            self._schema_tree = elementpath.get_node_tree(self.schema.source, uri=file_uri(Path(self.schema.path))
                                                          if Path(self.schema.path).is_file() else None)
        return self._schema_tree

    def context(self, item: Any, variables: dict[str, Any]) -> Any:
        return new_context(self.budget, self.root, item, variables, self.documents)

    def predicate(self, token: Any, node: Any) -> bool:
        fast = fast_test(token, self.schema.namespaces)
        if fast is not None:
            try:
                return ebv(fast(node))
            except Unfit:
                pass
        context = self.context(node, self.variables)
        value = token.evaluate(context)
        if _numeric(value):
            raise _NeedsSelection
        return bool(token.boolean_value(value))

    def error(self, owner: object, what: str, node: Any, error: Exception) -> None:
        entry = self.errors.get(id(owner))
        if entry is None:
            message = self.describe(error)
            missing = [name for name in self.failed if re.search(r"\$" + re.escape(name) + r"(?![\w.-])", what)]
            if missing:
                message = f"let ${missing[0]} could not be evaluated ({self.failed[missing[0]]})"
            self.errors[id(owner)] = [what, node, 1, message]
        else:
            entry[2] += 1

    def describe(self, error: Exception) -> str:
        """The error, with the refusal behind it when a document was not available."""
        message = str(error)
        if self.documents.refusals and "FODC0002" in message:
            message = f"{message}: {self.documents.refusals[-1]}"
        return message

    def lets(self, lets: list[tuple[str, Any]], item: Any, variables: dict[str, Any], strict: bool) -> None:
        for name, token in lets:
            try:
                variables[name] = token.evaluate(self.context(item, variables))
            except elementpath.ElementPathError as error:
                if strict:
                    raise
                self.failed[name] = self.describe(error)


def run(schema: Schematron, document: Document, phase: str | None = None,
        seconds: float | None = None) -> list[Finding]:
    """Every failed assert and successful report of ``schema`` on ``document`` (and E0706/E0707)."""
    if not getattr(schema, "_optimised", False):
        _optimise_schema(schema)
    patterns, phase_lets = schema.active_patterns(phase)
    plain_collation()
    state = _Run(schema, document, seconds if seconds is not None else DEFAULT_SECONDS)
    token = _RUN.set(state)
    findings: list[Finding] = []
    try:
        state.lets(schema.lets + phase_lets, state.root, state.globals, strict=False)
        for pattern in patterns:
            _run_pattern(state, pattern, findings)
    except SchematronLimit as limit:
        findings.append(_stopped(state, limit))
    except RecursionError:
        findings.append(_stopped(state, SchematronLimit("expressions nested deeper than Python allows")))
    finally:
        _RUN.reset(token)
    findings.extend(_error_findings(state))
    return findings


def run_patterns(schema: Schematron, document: Document, indexes: list[int], seconds: float | None
                 ) -> tuple[dict[int, list[Diagnostic]], list[Diagnostic]]:
    """:func:`run` on some of the schema's patterns (by position): the findings of each, and
    those that belong to no pattern (E0706, E0707), which :func:`run` gives last."""
    if not getattr(schema, "_optimised", False):
        _optimise_schema(schema)
    subset = copy(schema)
    subset.patterns = [schema.patterns[index] for index in indexes]
    position = {id(schema.patterns[index]): index for index in indexes}
    by_pattern: dict[int, list[Diagnostic]] = {}
    after: list[Diagnostic] = []
    for finding in run(subset, document, None, seconds):
        if finding.pattern is None:
            after.append(finding.diagnostic)
        else:
            by_pattern.setdefault(position[id(finding.pattern)], []).append(finding.diagnostic)
    return by_pattern, after


def _optimise_schema(schema: Schematron) -> None:
    for _, token in schema.lets:
        _prepare(token, schema.namespaces)
    for pattern in schema.patterns:
        for _, token in pattern.lets:
            _prepare(token, schema.namespaces)
        for rule in pattern.rules:
            _prepare(rule.token, schema.namespaces)
            for _, token in rule.lets:
                _prepare(token, schema.namespaces)
            for check in rule.checks:
                _prepare(check.token, schema.namespaces)
                for part in check.message.parts:
                    if isinstance(part, tuple) and part[1] is not None:
                        _prepare(part[1], schema.namespaces)
    schema._optimised = True  # type: ignore[attr-defined]


def _selection(state: _Run, rule: Rule) -> dict[int, Any]:
    """The nodes a rule's context selects, evaluated once as ``//(context)``."""
    cache = getattr(rule, "_selection_token", None)
    if cache is None:
        cache = state.schema.parser.parse(f"//({rule.context})")
        _prepare(cache, state.schema.namespaces)
        rule._selection_token = cache  # type: ignore[attr-defined]
    selected = cache.evaluate(state.context(state.root, state.variables))
    return {id(node): node for node in (selected if isinstance(selected, list) else [selected])
            if isinstance(node, elementpath.XPathNode)}


def _run_pattern(state: _Run, pattern: Pattern, findings: list[Finding]) -> None:
    variables = dict(state.globals)
    state.lets(pattern.lets, state.root, variables, strict=False)
    state.variables = variables
    matchers: list[tuple[Rule, dict[int, Any]]] = []
    candidates: dict[int, Any] = {}
    for rule in pattern.rules:
        compiled: Any = getattr(rule, "_match", False)
        if compiled is False:
            compiled = compile_match(rule.token, state.schema.namespaces)
            rule._match = compiled  # type: ignore[attr-defined]
        # the same context in many patterns (the TEI's tei:*[@calendar], forty times) is matched once
        shared = "$" not in rule.context
        matched: dict[int, Any] | None = state.matched.get(rule.context) if shared else None
        if matched is None and compiled is not None:
            keys, test = compiled
            try:
                matched = {id(node): node for key in keys for node in state.index.nodes_for(key)
                           if _safe_match(state, rule, test, node)}
            except _NeedsSelection:
                matched = None
        if matched is None:
            try:
                matched = _selection(state, rule)
            except elementpath.ElementPathError as error:
                state.error(rule, rule.context, state.root, error)
                continue
        if shared:
            state.matched[rule.context] = matched
        candidates.update(matched)
        matchers.append((rule, matched))
    for node in sorted(candidates.values(), key=lambda n: n.position):
        for rule, matches in matchers:
            if id(node) in matches:
                _fire(state, pattern, rule, node, variables, findings)
                break


def _safe_match(state: _Run, rule: Rule, test: Match, node: Any) -> bool:
    try:
        return test(node, state)
    except elementpath.ElementPathError as error:
        state.error(rule, rule.context, node, error)
        return False


def _fire(state: _Run, pattern: Pattern, rule: Rule, node: Any, variables: dict[str, Any],
          findings: list[Finding]) -> None:
    state.current = node
    local = dict(variables) if rule.lets else variables
    for name, token in rule.lets:
        try:
            local[name] = token.evaluate(state.context(node, local))
        except elementpath.ElementPathError as error:
            state.error(rule, f"let ${name}", node, error)
            return
    context = state.context(node, local)
    namespaces = state.schema.namespaces
    for check in rule.checks:
        try:
            passed = _passes(check, node, context, namespaces)
        except elementpath.ElementPathError as error:
            state.error(check, check.test, node, error)
            continue
        if passed == (check.kind == "report"):
            findings.append(_finding(state, pattern, rule, check, node, context))


def _passes(check: Check, node: Any, context: Any, namespaces: dict[str, str]) -> bool:
    fast = fast_test(check.token, namespaces)
    if fast is not None:
        try:
            return ebv(fast(node))
        except Unfit:
            pass
    return bool(check.token.boolean_value(check.token.evaluate(copy(context))))


def _text(state: _Run, message: Message, node: Any, context: Any) -> str:
    pieces: list[str] = []
    for part in message.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        kind, token = part
        try:
            if kind == "name":
                target = node if token is None else token.evaluate(copy(context))
                target = target[0] if isinstance(target, list) and target else target
                pieces.append(_name_of(target))
            else:
                value = token.evaluate(copy(context))
                items = value if isinstance(value, list) else [value]
                pieces.append(" ".join(token.string_value(item) for item in items if item is not None))
        except elementpath.ElementPathError as error:
            pieces.append(f"[{error}]")
    return " ".join("".join(pieces).split())


def _name_of(node: Any) -> str:
    if not isinstance(node, elementpath.XPathNode) or node.name is None:
        return ""
    value = getattr(node, "elem", None)
    if isinstance(value, etree._Element) and isinstance(value.tag, str):
        local = etree.QName(value).localname
        return f"{value.prefix}:{local}" if value.prefix else local
    name = str(node.name)
    return name.rpartition("}")[2]


def element_of(node: Any) -> tuple[etree._Element | None, str]:
    """The lxml element that locates a node, and the step to add to its XPath."""
    if isinstance(node, elementpath.AttributeNode):
        return element_of(node.parent)[0], "/@" + _name_of(node)
    if isinstance(node, elementpath.ElementNode):
        return node.elem, ""  # type: ignore[attr-defined]
    if isinstance(node, elementpath.DocumentNode):
        return None, ""
    kind = {elementpath.TextNode: "text()", elementpath.CommentNode: "comment()"}.get(type(node),
                                                                                      "processing-instruction()")
    for cls, name in ((elementpath.TextNode, "text()"), (elementpath.CommentNode, "comment()")):
        if isinstance(node, cls):
            kind = name
    parent = node.parent
    if isinstance(parent, elementpath.ElementNode):
        return parent.elem, "/" + kind  # type: ignore[attr-defined]
    return None, "/" + kind


def _finding(state: _Run, pattern: Pattern, rule: Rule, check: Check, node: Any, context: Any) -> Finding:
    schema = state.schema
    text = _text(state, check.message, node, context)
    extra = [_text(state, schema.diagnostics[name], node, context) for name in check.diagnostics
             if name in schema.diagnostics]
    extra += [_text(state, schema.properties[name], node, context) for name in check.properties
              if name in schema.properties]
    message = " ".join([text or f"{check.kind} {check.test}", *extra])
    document = state.document
    element, step = element_of(node)
    located = document.diagnostic(element, check.code, message)
    xpath = (located.xpath + step) if element is not None else (step or "/")
    diagnostic = SchematronDiagnostic(
        path=located.path, line=located.line, column=located.column, code=check.code, message=message,
        xpath=xpath, ref=located.ref, severity=located.severity, schematron=check.file, pattern=pattern.id,
        rule=rule.id or rule.context, test=" ".join(check.test.split()), kind=check.kind, assert_id=check.id,
        role=check.role, flag=check.flag, location=xpath)
    return Finding(diagnostic, pattern, rule, check)


def _stopped(state: _Run, limit: SchematronLimit) -> Finding:
    diagnostic = Diagnostic.make("E0707", f"Schematron {state.schema.path} stopped: {limit}; the findings "
                                          "before it are reported", path=state.document.path)
    return _plain(diagnostic)


def _plain(diagnostic: Diagnostic) -> Finding:
    return Finding(SchematronDiagnostic(**{name: getattr(diagnostic, name) for name in (
        "path", "line", "column", "code", "message", "xpath", "ref", "severity")}), None, None, None)  # type: ignore[arg-type]


def _error_findings(state: _Run) -> list[Finding]:
    found = []
    for what, node, count, message in state.errors.values():
        element, step = element_of(node)
        more = f" (and on {count - 1} more node{'s' if count > 2 else ''})" if count > 1 else ""
        located = state.document.diagnostic(element, "E0706", f"{' '.join(what.split())} could not be "
                                                               f"evaluated: {message}{more}")
        found.append(_plain(located))
    for name, message in state.failed.items():
        origin = state.schema.let_files.get(name, state.schema.path)
        found.append(_plain(Diagnostic.make("E0706", f"let ${name} of {origin} could not be evaluated: {message}",
                                            path=state.document.path)))
    return found
