"""The TEI's constraints (``--tei-all``) on lxml: compiled once to XPath 1.0, run at C speed.

Through elementpath the 150 patterns of ``p5subset.xml`` took 2.5 s on the FRUS volume: 0.35 s
to import XPath 3.1, 0.6 s to build elementpath's copy of the tree, 0.5 s to index it, the rest
to match contexts and evaluate tests node by node in Python.  Here each pattern is first
rewritten (:mod:`edition.schematron_xpath1`) into a *plan*: per rule, an XPath 1.0 selecting
every node its context matches, the names a document must use for it to match anything, and
each test and message part in XPath 1.0.  The plan is kept in the user's cache (one small JSON
file), so a run neither imports elementpath nor compiles the ODD.  On a document:

- a rule whose names the document does not use (``tei:*[@calendar]`` on a file without
  ``@calendar``) is skipped, and so is a check that needs names the document lacks (a report
  ``@target and @cRef`` without any ``@cRef``): on the volume 9 of 150 patterns remain, and 4
  of their checks are evaluated;
- each check is one evaluation over the whole document, ``(CONTEXT)[not(TEST)]`` for an
  assert and ``(CONTEXT)[TEST]`` for a report, which returns only the nodes with a finding; a
  rule with string lets or ``current()`` is evaluated node by node, with them bound;
- a pattern with no XPath 1.0 form (sequences, ``id()``, casts, regular expressions…) that the
  document can meet runs on elementpath (:mod:`edition.schematron_run`), as before.

Findings are those of :func:`edition.schematron_run.run`, in its order, with the same messages
and locations (``tests/test_schematron_tei.py`` compares both on real documents).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from .diagnostics import Diagnostic
from .schematron_findings import SchematronDiagnostic

if TYPE_CHECKING:
    from .document import Document
    from .schematron import Schematron

#: Bump when the plan's form or the rewriting changes: older cached plans are then not read.
PLAN_VERSION = "6"
_STRING = etree.XPath("string(.)")


#: Names a document must use for a rule or check to apply: alternatives, each a set of names
#: all needed, spelt ``e{ns}local`` (an element) or ``a{ns}local`` (an attribute).
Needs = tuple[frozenset[str], ...]


def _needs(requirement: Iterable[frozenset[tuple[str, str]]]) -> Needs:
    return tuple(frozenset(kind + name for kind, name in alternative) for alternative in requirement)


def _listed(needs: Needs) -> list[list[str]]:
    return [sorted(alternative) for alternative in needs]


@dataclass
class PlanCheck:
    kind: str
    test: str
    xpath: str
    message: list[list[Any]]  # ["text", s] | ["name", xpath or None] | ["value-of", xpath]
    id: str
    role: str
    flag: str
    code: str
    file: str
    requires: Needs  # names without which the check cannot fire


@dataclass
class PlanRule:
    context: str
    id: str
    select: str
    requires: Needs
    checks: list[PlanCheck]
    lets: list[list[str]]  # [name, xpath]: evaluated on each node the rule fires on, in order
    # (["current", ""] first: current() is the node itself)


@dataclass
class PlanPattern:
    id: str
    index: int  # position among the schema's patterns
    fast: bool
    requires: Needs  # for a pattern left to elementpath: any rule's names
    rules: list[PlanRule]


@dataclass
class Plan:
    namespaces: dict[str, str]
    patterns: list[PlanPattern]
    compiled: dict[str, etree.XPath] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> bytes:
        def pattern(p: PlanPattern) -> dict[str, Any]:
            return {"id": p.id, "index": p.index, "fast": p.fast, "requires": _listed(p.requires),
                    "rules": [{"context": r.context, "id": r.id, "select": r.select, "requires": _listed(r.requires),
                               "checks": [{**c.__dict__, "requires": _listed(c.requires)} for c in r.checks],
                               "lets": r.lets} for r in p.rules]}
        return json.dumps({"version": PLAN_VERSION, "namespaces": self.namespaces,
                           "patterns": [pattern(p) for p in self.patterns]}, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Plan:
        raw = json.loads(data)
        if raw.get("version") != PLAN_VERSION:
            raise ValueError("another plan version")

        def requires(value: list[list[str]]) -> Needs:
            return tuple(frozenset(alternative) for alternative in value)
        patterns = [PlanPattern(p["id"], p["index"], p["fast"], requires(p["requires"]), [
            PlanRule(r["context"], r["id"], r["select"], requires(r["requires"]),
                     [PlanCheck(**{**c, "requires": requires(c["requires"])}) for c in r["checks"]], r["lets"])
            for r in p["rules"]]) for p in raw["patterns"]]
        return cls(dict(raw["namespaces"]), patterns)


# -- making the plan (once; elementpath is imported only here) ----------------------------

def make_plan(schema: Schematron) -> Plan:
    """The plan of a compiled schema: each pattern rewritten to XPath 1.0 where it can be."""
    from .schematron_xpath1 import Untranslatable, matches_attributes, pattern_requires, selection

    namespaces = {prefix: uri for prefix, uri in schema.namespaces.items() if prefix and prefix != "xml"}
    patterns: list[PlanPattern] = []
    for index, pattern in enumerate(schema.patterns):
        rules: list[PlanRule] = []
        fast = not pattern.lets and not schema.lets
        requirements: Needs = ()
        for rule in pattern.rules:
            requires = _needs(pattern_requires(rule.token, schema.namespaces))
            requirements += requires
            try:
                lets, kinds = _plan_lets(rule.lets, namespaces, not matches_attributes(rule.token))
                select = selection(rule.token, namespaces)
                checks = [_plan_check(check, namespaces, kinds) for check in rule.checks]
                if any("$current" in text for text in _texts(lets, checks)):
                    lets.insert(0, ["current", ""])  # bound to each node: the rule runs node by node
            except Untranslatable:
                fast = False
                continue
            rules.append(PlanRule(rule.context, rule.id, select, requires, checks, lets))
        patterns.append(PlanPattern(pattern.id, index, fast, requirements, rules if fast else []))
    return Plan(namespaces, patterns)


def _texts(lets: list[list[str]], checks: list[PlanCheck]) -> Iterable[str]:
    yield from (xpath for _, xpath in lets)
    for check in checks:
        yield check.xpath
        yield from (part[1] for part in check.message if part[0] != "text" and part[1])


def _plan_lets(lets: list[tuple[str, Any]], namespaces: dict[str, str],
               elements: bool) -> tuple[list[list[str]], dict[str, str]]:
    """A rule's lets in XPath 1.0: strings only (an XPath 1.0 number is a double, which would
    print as 2.0 where XPath 2 prints 2; lxml cannot bind the attributes of a node-set).
    ``elements``: the context matches elements only, so ``current()`` can be bound."""
    from .schematron_xpath1 import SINGLE, STRING, Untranslatable, translate

    planned: list[list[str]] = []
    kinds: dict[str, str] = {"current": SINGLE} if elements else {}
    for name, token in lets:
        xpath, kind = translate(token, namespaces, kinds)
        if kind != STRING or name == "current" or not name.replace("_", "a").replace("-", "a").isalnum():
            raise Untranslatable(f"let ${name}")
        planned.append([name, xpath])
        kinds[name] = kind
    return planned, kinds


def _plan_check(check: Any, namespaces: dict[str, str], variables: dict[str, str]) -> PlanCheck:
    from .schematron_xpath1 import NODES, SINGLE, STRING, Untranslatable, translate, truth_requires

    if check.diagnostics or check.properties:
        raise Untranslatable("diagnostics and properties")
    xpath, kind = translate(check.token, namespaces, variables)
    message: list[list[Any]] = []
    for part in check.message.parts:
        if isinstance(part, str):
            message.append(["text", part])
            continue
        name, token = part
        if token is None:
            message.append([name, None])
            continue
        text, value_kind = translate(token, namespaces, variables)
        if value_kind not in (NODES, SINGLE) and not (name == "value-of" and value_kind == STRING):
            raise Untranslatable("a message part that is not nodes or a string")
        message.append([name, text])
    # a report fires where its test is true; an assert where it is false, so only ``not(X)`` says
    if check.kind == "report":
        requires = truth_requires(check.token, namespaces)
    elif check.token.symbol == "not" and len(check.token) == 1:
        requires = truth_requires(check.token[0], namespaces)
    else:
        requires = [frozenset()]  # nothing known: always evaluated
    return PlanCheck(check.kind, check.test, xpath, message, check.id, check.role, check.flag, check.code, check.file,
                     _needs(requires))


_PLANS: dict[str, Plan] = {}


def plan_for(source: Path, compile_schema: Any) -> Plan:
    """The plan of the constraints of ``source`` (p5subset.xml): this process's, the cache's, or made."""
    from . import cache

    plan = _PLANS.get(str(source))
    if plan is not None:  # a process does not see p5subset.xml change under it
        return plan
    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{PLAN_VERSION}".encode()
                         ).hexdigest()[:24]
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    stored = cache.read("schematron", f"{key}.json")
    if stored is not None:
        try:
            plan = Plan.from_json(stored)
        except (ValueError, KeyError, TypeError):
            cache.discard("schematron", f"{key}.json", "it is not a plan of this version")
    if plan is None:
        plan = make_plan(compile_schema())
        cache.write("schematron", f"{key}.json", plan.to_json())
    _PLANS[key] = _PLANS[str(source)] = plan
    return plan


# -- running it ----------------------------------------------------------------------------

def document_keys(document: Document) -> frozenset[str]:
    """The document's names as :data:`Needs` spell them: ``e{ns}local`` and ``a{ns}local``."""
    found = document.cache.get("schematron.names")
    if found is None:
        elements, attributes = document.vocabulary
        found = document.cache["schematron.names"] = frozenset(
            [f"e{name}" for name in elements] + [f"a{name}" for name in attributes])
    return found


def _applies(requires: Needs, names: frozenset[str]) -> bool:
    return any(alternative <= names for alternative in requires)


class _Evaluator:
    """The compiled XPaths of one plan, and one document's answers (a context selected once)."""

    def __init__(self, plan: Plan, document: Document, names: frozenset[str]) -> None:
        self.plan = plan
        self.document = document
        self.names = names
        self.selected: dict[str, list[Any]] = {}
        self.lets: dict[str, list[tuple[Any, dict[str, Any]]]] = {}

    def xpath(self, text: str) -> etree.XPath:
        found = self.plan.compiled.get(text)
        if found is None:
            found = self.plan.compiled[text] = etree.XPath(text, namespaces=self.plan.namespaces)
        return found

    def select(self, rule: PlanRule) -> list[Any]:
        found = self.selected.get(rule.select)
        if found is None:
            found = self.selected[rule.select] = list(self.xpath(rule.select)(self.document.tree))
        return found

    def failing(self, rule: PlanRule, check: PlanCheck) -> list[tuple[Any, dict[str, Any]]]:
        """The nodes where the check fires (with the rule's lets on each, if it has any)."""
        if not rule.lets:
            test = f"not({check.xpath})" if check.kind == "assert" else check.xpath
            return [(node, {}) for node in self.xpath(f"({rule.select})[{test}]")(self.document.tree)]
        # lets are per node: the test, with them bound, is evaluated on each node of the context
        test = self.xpath(f"boolean({check.xpath})")
        fires = check.kind == "report"
        return [(node, bound) for node, bound in self.bound(rule) if test(node, **bound) == fires]

    def bound(self, rule: PlanRule) -> list[tuple[Any, dict[str, Any]]]:
        found = self.lets.get(rule.select)
        if found is None:
            found = []
            for node in self.select(rule):
                variables: dict[str, Any] = {}
                for name, xpath in rule.lets:
                    variables[name] = str(self.xpath(xpath)(node, **variables)) if xpath else node
                found.append((node, variables))
            self.lets[rule.select] = found
        return found


def _key(node: Any) -> Any:
    """A hashable identity of a selected node (lxml keeps one proxy per element while it lives)."""
    if isinstance(node, etree._Element):
        return node
    return (node.getparent(), node.attrname)


def run_plan(plan: Plan, document: Document, fallback: Any) -> list[Diagnostic]:
    """Every finding of the plan's schema on ``document``, in :func:`schematron_run.run`'s order.

    ``fallback(indexes)`` runs the patterns of those indexes on elementpath and returns
    ``(findings by pattern index, findings after all patterns)``."""
    names = document_keys(document)
    evaluator = _Evaluator(plan, document, names)
    found: dict[int, list[Diagnostic]] = {}
    slow: list[int] = []
    for pattern in plan.patterns:
        if not pattern.fast:
            if _applies(pattern.requires, names):
                slow.append(pattern.index)
            continue
        rules = [rule for rule in pattern.rules if _applies(rule.requires, names)]
        if rules:
            findings = _run_pattern(evaluator, pattern, rules)
            if findings:
                found[pattern.index] = findings
    after: list[Diagnostic] = []
    if slow:
        by_pattern, after = fallback(slow)
        for index, findings in by_pattern.items():
            found.setdefault(index, []).extend(findings)
    return [finding for index in sorted(found) for finding in found[index]] + after


Hit = tuple[Any, int, PlanRule, PlanCheck, dict[str, Any]]  # node, check number, rule, check, lets


def _run_pattern(evaluator: _Evaluator, pattern: PlanPattern, rules: list[PlanRule]) -> list[Diagnostic]:
    hits: list[Hit] = []
    if len(rules) == 1:
        # one rule: each check is one evaluation over the document, its context never selected alone
        rule = rules[0]
        for number, check in enumerate(rule.checks):
            if _applies(check.requires, evaluator.names):
                hits.extend((node, number, rule, check, bound) for node, bound in evaluator.failing(rule, check))
    else:
        taken: set[Any] = set()  # the first rule of a pattern that matches a node takes it
        for rule in rules:
            mine = {_key(node) for node in evaluator.select(rule)} - taken
            taken |= mine
            for number, check in enumerate(rule.checks):
                if _applies(check.requires, evaluator.names):
                    hits.extend((node, number, rule, check, bound) for node, bound in evaluator.failing(rule, check)
                                if _key(node) in mine)
    if not hits:
        return []
    order = _document_order(evaluator.document, [hit[0] for hit in hits])
    hits.sort(key=lambda hit: (order[_key(hit[0])], hit[1]))
    return [_finding(evaluator, pattern, rule, check, node, bound) for node, _, rule, check, bound in hits]


def _document_order(document: Document, nodes: Iterable[Any]) -> dict[Any, tuple[int, int]]:
    """Position of each node in document order (an attribute after its element, by name order)."""
    wanted = {_key(node): node for node in nodes}
    elements = {key if isinstance(key, etree._Element) else key[0] for key in wanted}
    positions: dict[Any, int] = {}
    if len(elements) == 1:
        positions[next(iter(elements))] = 0
    else:
        for number, element in enumerate(document.root.iter(etree.Element)):
            if element in elements:
                positions[element] = number
    order: dict[Any, tuple[int, int]] = {}
    for key in wanted:
        if isinstance(key, etree._Element):
            order[key] = (positions[key], -1)
        else:
            element, name = key
            order[key] = (positions[element], list(element.attrib).index(name))
    return order


def _name(node: Any) -> str:
    if isinstance(node, etree._Element):
        if not isinstance(node.tag, str):
            return ""
        local = etree.QName(node).localname
        return f"{node.prefix}:{local}" if node.prefix else local
    if getattr(node, "is_attribute", False):
        return str(node.attrname).rpartition("}")[2]
    return ""


def _string(item: Any) -> str:
    if isinstance(item, etree._Element):
        return str(_STRING(item))
    return str(item)


def _text(evaluator: _Evaluator, check: PlanCheck, node: Any, bound: dict[str, Any]) -> str:
    pieces: list[str] = []
    for kind, value in check.message:
        if kind == "text":
            pieces.append(value)
            continue
        result = [node] if value is None else evaluator.xpath(value)(node, **bound)
        items = result if isinstance(result, list) else [result]
        if kind == "name":
            pieces.append(_name(items[0]) if items else "")
        else:
            pieces.append(" ".join(_string(item) for item in items))
    return " ".join("".join(pieces).split())


def _finding(evaluator: _Evaluator, pattern: PlanPattern, rule: PlanRule, check: PlanCheck,
             node: Any, bound: dict[str, Any]) -> SchematronDiagnostic:
    message = _text(evaluator, check, node, bound) or f"{check.kind} {check.test}"
    document = evaluator.document
    if isinstance(node, etree._Element):
        element, step = node, ""
    else:
        element, step = node.getparent(), "/@" + _name(node)
    located = document.diagnostic(element, check.code, message)
    xpath = located.xpath + step
    return SchematronDiagnostic(
        path=located.path, line=located.line, column=located.column, code=check.code, message=message,
        xpath=xpath, ref=located.ref, severity=located.severity, schematron=check.file, pattern=pattern.id,
        rule=rule.id or rule.context, test=" ".join(check.test.split()), kind=check.kind, assert_id=check.id,
        role=check.role, flag=check.flag, location=xpath)
